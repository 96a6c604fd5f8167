import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { AgentConfig } from '../../agent/config.js';
import type { RunningAgent } from '../../agent/node.js';

/** A stop that hangs (a stuck driver) must not outlive the service manager's patience. */
const HARD_EXIT_MS = 1500;

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description('run the HA agent of one node (keepalives, monitors, actions)')
    .requiredOption('-c, --config <file>', 'the node config (YAML), see docs/agent.md')
    .option('--check', 'validate the config and exit')
    .action(async (opts: { config: string; check?: boolean }) => {
      // First thing: SIGHUP's default is to kill, and a reload must never take the VIP down with us.
      let onHangup: () => void = () => undefined;
      process.on('SIGHUP', () => onHangup());
      // Loaded here, not at the top: other commands should not pay for the agent's modules.
      const { ConfigError, loadConfig, redactedConfig } = await import('../../agent/config.js');
      const { agentPlugins, loadAgentPlugins } = await import('../../agent/plugins.js');
      const validation = agentPlugins();
      const load = (): ReturnType<typeof loadConfig> =>
        loadConfig(opts.config, {
          validateAction: validation.validateAction,
          validateMonitor: validation.validateMonitor,
        });
      let cfg: ReturnType<typeof loadConfig>;
      try {
        cfg = load();
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        console.error(err.message);
        process.exitCode = 2;
        return;
      }
      if (opts.check) {
        console.log(`${opts.config}: OK`);
        console.log(JSON.stringify(redactedConfig(cfg), null, 2));
        return;
      }
      // Loaded only to run: `--check` must stay quick and small.
      const { startAgent } = await import('../../agent/node.js');
      const { pino } = await import('pino');
      const log = pino({ level: cfg.log_level, base: { pair: cfg.pair, node: cfg.node } });
      const plugins = await loadAgentPlugins(log, cfg.actions);
      const { controllerReporting } = await import('../../agent/reporting.js');
      const c = cfg.controller;
      const reporting =
        c === null
          ? null
          : controllerReporting(
              {
                url: c.url,
                enrollment_token: c.enrollment_token
                  ? new TextDecoder().decode(c.enrollment_token.reveal())
                  : null,
                credential_file: c.credential_file,
                report_interval_ms: c.report_interval_ms,
                ca: c.ca,
                allow_cleartext: c.allow_cleartext,
                settle_ms: cfg.interval_ms,
              },
              log,
            );
      let agent: Awaited<ReturnType<typeof startAgent>>;
      try {
        agent = await startAgent(cfg, {
          plugins,
          log,
          ...(reporting ? { reporter: reporting.reporter } : {}),
        });
      } catch (err) {
        const e = err as Error & { code?: string };
        log.fatal({ code: e.code ?? 'AGENT_START_FAILED', err: e.message }, 'cannot start');
        console.error(`tandem agent: ${e.message}`);
        process.exitCode = 1;
        return;
      }
      const running = agent;
      reporting?.start(() => ({ status: running.shell.status(), readiness: running.shell.readiness }));
      const stop = (signal: string): void => {
        log.info({ signal }, 'signal');
        reporting?.close();
        setTimeout(() => process.exit(1), HARD_EXIT_MS).unref();
        void agent.shutdown().then(() => process.exit(0));
      };
      onHangup = () => reload(running, load, log);
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
}

/** SIGHUP: a config that does not load, or changes what needs a restart, is refused; the old one runs on. */
function reload(agent: RunningAgent, load: () => AgentConfig, log: Logger): void {
  log.info({ signal: 'SIGHUP' }, 'signal');
  let next: AgentConfig;
  try {
    next = load();
  } catch (err) {
    const e = err as Error & { issues?: readonly { path: string; message: string }[] };
    log.error(
      { code: 'RELOAD_REFUSED', issues: e.issues ?? [{ path: '(root)', message: e.message }] },
      'reload refused: the new config is invalid; the running config is kept',
    );
    return;
  }
  const issues = agent.reload(next);
  if (issues.length > 0)
    log.error({ code: 'RELOAD_REFUSED', issues }, 'reload refused: the running config is kept');
}
