import { setFlagsFromString } from 'node:v8';
import type { Command } from 'commander';

/** A stop that hangs (a stuck driver) must not outlive the service manager's patience. */
const HARD_EXIT_MS = 1500;

interface AgentOptions {
  config: string;
  check?: boolean;
  print?: boolean;
  releaseVips?: boolean;
  controllerSocket?: string;
  statusSocket?: string;
}

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description('run the HA agent of one node (keepalives, monitors, actions)')
    .requiredOption('-c, --config <file>', 'the node config (YAML), see docs/agent.md')
    .option('--check', "validate the config and exit (one line on success: fit for a unit's ExecStartPre)")
    .option('--print', 'with --check: also print the config as the agent reads it, secrets redacted')
    .option(
      '--release-vips',
      "remove this node's VIPs from their interfaces and exit: the unit's ExecStopPost, so a crashed agent's VIP does not linger; never while the agent runs",
    )
    .option(
      '--controller-socket <path>',
      'reach the controller through this unix socket (a node in another network namespace)',
    )
    .option('--status-socket <path>', 'also serve the status and admin API on this unix socket')
    .action(async (opts: AgentOptions) => {
      // First thing: SIGHUP's default is to kill, and a reload must never take the VIP down with us.
      let onHangup: () => void = () => undefined;
      process.on('SIGHUP', () => onHangup());
      // Before the agent's modules load: an agent is a small process that runs for months, so V8 should
      // favour memory over peak speed (~2 MB less resident at the same CPU, bench:failover). Not a
      // NODE_OPTIONS flag (Node refuses it there), so set here, where every way of starting it passes.
      setFlagsFromString('--optimize-for-size');
      // V8 drops the bytecode of functions left unrun for a while: the claim's code runs once in months,
      // and compiling it again on that claim cost ~1 ms of the outage. Keep what was compiled.
      setFlagsFromString('--no-flush-bytecode');
      // Loaded here, not at the top: other commands should not pay for the agent's modules.
      const { ConfigError, loadConfig, redactedConfig } = await import('../../agent/config.js');
      const { agentValidators } = await import('../../agent/plugins.js');
      if (opts.releaseVips) {
        await releaseVips(opts.config);
        return;
      }
      if (opts.check) {
        const validation = agentValidators();
        try {
          const cfg = loadConfig(opts.config, {
            validateAction: validation.validateAction,
            validateMonitor: validation.validateMonitor,
          });
          // One line by default: the unit runs this before every start, and the journal is no place for a config.
          console.log(
            `${opts.config}: OK (pair ${cfg.pair}, node ${cfg.node}, ${cfg.paths.length} path(s), ` +
              `${cfg.monitors.length} monitor(s), ${cfg.actions.length} action(s))`,
          );
          if (opts.print) console.log(JSON.stringify(redactedConfig(cfg), null, 2));
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          console.error(err.message);
          process.exitCode = 2;
        }
        return;
      }
      const { runAgent } = await import('../../agent/run.js');
      let node: Awaited<ReturnType<typeof runAgent>>;
      try {
        node = await runAgent(opts.config, {
          ...(opts.controllerSocket ? { controller_socket: opts.controllerSocket } : {}),
          ...(opts.statusSocket ? { status_socket: opts.statusSocket } : {}),
        });
      } catch (err) {
        if (err instanceof ConfigError) {
          console.error(err.message);
          process.exitCode = 2;
          return;
        }
        const e = err as Error & { code?: string };
        console.error(`tandem agent: ${e.message}`);
        process.exitCode = 1;
        return;
      }
      const running = node;
      const stop = (signal: string): void => {
        setTimeout(() => process.exit(1), HARD_EXIT_MS).unref();
        void running.stop(signal).then(() => process.exit(0));
      };
      onHangup = () => running.reload();
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
}

async function releaseVips(file: string): Promise<void> {
  const { ConfigError } = await import('../../agent/config.js');
  const { releaseHostClaims } = await import('../../agent/release.js');
  const { pino } = await import('pino');
  // Synchronous destination: the process exits right after, and the journal must get every line.
  const log = pino({ base: { command: 'release-vips' } }, pino.destination({ sync: true }));
  try {
    const out = await releaseHostClaims(file, log);
    if (out.kind === 'agent-running') {
      console.error(
        `tandem agent --release-vips: an agent answers on ${out.at}; stop it first (nothing removed)`,
      );
      process.exitCode = 1;
    }
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exitCode = 2;
  }
}
