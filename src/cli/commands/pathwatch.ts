import type { Command } from 'commander';

/** A stop that hangs (a route write stuck past its deadline) must not outlive the service manager's patience. */
const HARD_EXIT_MS = 15_000;

export function registerPathwatch(program: Command): void {
  program
    .command('pathwatch')
    .description('probe a remote network over the primary path and switch a static route to the backup path')
    .requiredOption('-c, --config <file>', 'the pathwatch config (YAML), see docs/guide-pathwatch.md')
    .option('--check', "validate the config and exit (one line on success: fit for a unit's ExecStartPre)")
    .option('--print', 'with --check: also print the config as pathwatch reads it')
    .action(async (opts: { config: string; check?: boolean; print?: boolean }) => {
      // Loaded here, not at the top: other commands should not pay for these modules.
      const { ConfigError } = await import('../../config/issues.js');
      const { loadPathwatchConfig } = await import('../../pathwatch/config.js');
      let cfg: ReturnType<typeof loadPathwatchConfig>;
      try {
        cfg = loadPathwatchConfig(opts.config);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        console.error(err.message);
        process.exitCode = 2;
        return;
      }
      if (opts.check) {
        // One line by default, as `tandem agent --check`: the unit runs this before every start.
        console.log(
          `${opts.config}: OK (pathwatch ${cfg.name}, ${cfg.primary.targets.length} primary target(s), ` +
            `${cfg.backup === null ? 'no backup watch' : 'a backup watch'}, ${cfg.routes.length} route set(s))`,
        );
        if (opts.print) console.log(JSON.stringify(cfg, null, 2));
        return;
      }
      const { pino } = await import('pino');
      const { createPathRoutes } = await import('../../pathwatch/registry.js');
      const { Watcher } = await import('../../pathwatch/watcher.js');
      const { serveStatus } = await import('../../pathwatch/status-server.js');
      const { logOptions } = await import('../../obs/log.js');
      const log = pino({
        level: cfg.log_level,
        base: { pathwatch: cfg.name },
        ...logOptions(cfg.log_format),
      });
      const reports =
        cfg.controller === null
          ? null
          : (await import('../../agent/pathwatch-reporting.js')).pathwatchReporting(cfg.controller, log);
      const watcher = new Watcher(cfg, {
        log,
        routes: await createPathRoutes(cfg.routes, { azure: { log } }),
        ...(reports ? { onEvent: (ev) => reports.event(ev) } : {}),
      });
      const { registerRuntimeMetrics } = await import('../../obs/runtime-metrics.js');
      registerRuntimeMetrics(watcher.metrics.registry);
      let server: Awaited<ReturnType<typeof serveStatus>>;
      try {
        server = await serveStatus(watcher, cfg.status.host, cfg.status.port);
      } catch (err) {
        const e = err as Error & { code?: string };
        log.fatal(
          { code: e.code ?? 'STATUS_LISTEN_FAILED', err: e.message },
          'cannot serve /status and /metrics',
        );
        console.error(
          `tandem pathwatch: cannot listen on ${cfg.status.host}:${cfg.status.port}: ${e.message}`,
        );
        process.exitCode = 1;
        return;
      }
      log.info({ config: opts.config, status: `${cfg.status.host}:${cfg.status.port}` }, 'pathwatch started');
      // Reporting first: the watcher's first events (the route reading) find it listening.
      reports?.start(() => watcher.status());
      watcher.start();
      const stop = (signal: string): void => {
        log.info({ signal }, 'signal');
        setTimeout(() => process.exit(1), HARD_EXIT_MS).unref();
        server.close();
        reports?.close();
        void watcher.stop().then(() => process.exit(0));
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
}
