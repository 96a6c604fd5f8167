import type { Command } from 'commander';
import { pino } from 'pino';
import { ConfigError, loadConfig, redactedConfig } from '../../agent/config.js';
import { startAgent } from '../../agent/node.js';
import { agentPlugins } from '../../agent/plugins.js';

/** A stop that hangs (a stuck driver) must not outlive the service manager's patience. */
const HARD_EXIT_MS = 1500;

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description('run the HA agent of one node (keepalives, monitors, actions)')
    .requiredOption('-c, --config <file>', 'the node config (YAML), see docs/agent.md')
    .option('--check', 'validate the config and exit')
    .action(async (opts: { config: string; check?: boolean }) => {
      const plugins = agentPlugins();
      let cfg: ReturnType<typeof loadConfig>;
      try {
        cfg = loadConfig(opts.config, {
          validateAction: plugins.validateAction,
          validateMonitor: plugins.validateMonitor,
        });
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
      const log = pino({ level: cfg.log_level, base: { pair: cfg.pair, node: cfg.node } });
      const agent = await startAgent(cfg, { plugins, log });
      const stop = (signal: string): void => {
        log.info({ signal }, 'signal');
        setTimeout(() => process.exit(1), HARD_EXIT_MS).unref();
        void agent.shutdown().then(() => process.exit(0));
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
}
