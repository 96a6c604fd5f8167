import type { Command } from 'commander';
import { pino } from 'pino';
import { allOk, formatPreflight, preflightAll } from '../../actions/kit/preflight-report.js';
import { registryOf } from '../../actions/kit/registry.js';
import { REGISTRIES } from '../../actions/registries.js';
import type { Action } from '../../actions/types.js';
import { ConfigError, loadConfig } from '../../agent/config.js';
import { openFactories } from '../../agent/plugins.js';
import { validateAnyAction } from '../action-specs.js';

/** The same report for a pathwatch config: the probes' rights, then every route set's reads and dry-run writes. */
async function preflightPathwatch(opts: {
  config: string;
  json?: boolean;
  deadlineMs: string;
}): Promise<void> {
  const { loadPathwatchConfig } = await import('../../pathwatch/config.js');
  const { createPathRoutes } = await import('../../pathwatch/registry.js');
  const { probeChecks } = await import('../../pathwatch/probe-preflight.js');
  let cfg: ReturnType<typeof loadPathwatchConfig>;
  try {
    cfg = loadPathwatchConfig(opts.config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exitCode = 2;
    return;
  }
  const log = pino({ level: 'warn' }, pino.destination(2));
  const routes = await createPathRoutes(cfg.routes, { azure: { log } });
  const [probes, results] = await Promise.all([
    probeChecks(cfg),
    preflightAll(routes, Number(opts.deadlineMs) || 15_000),
  ]);
  for (const r of routes) r.close();
  const all = [...probes, ...results];
  if (opts.json) console.log(JSON.stringify({ ok: allOk(all), results: all, skipped: [] }, null, 2));
  else console.log(formatPreflight(all));
  process.exitCode = allOk(all) ? 0 : 1;
}

export function registerPreflight(program: Command): void {
  program
    .command('preflight')
    .description(
      "run every action's preflight (interfaces and tools on a LAN, every cloud call and id), or a pathwatch's",
    )
    .requiredOption(
      '-c, --config <file>',
      'the node or pathwatch config (YAML), see docs/aws.md and docs/azure.md',
    )
    .option('--json', 'print the checks as JSON')
    .option('--deadline-ms <n>', 'give up on the checks after this long', '15000')
    .action(async (opts: { config: string; json?: boolean; deadlineMs: string }) => {
      const { isPathwatchFile } = await import('../../pathwatch/config.js');
      if (isPathwatchFile(opts.config)) return preflightPathwatch(opts);
      let cfg: ReturnType<typeof loadConfig>;
      try {
        cfg = loadConfig(opts.config, { validateAction: validateAnyAction });
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        console.error(err.message);
        process.exitCode = 2;
        return;
      }
      // Dry runs only: nothing here may move traffic, so no arbiter and no claim.
      // Every action's own preflight, LAN included; logs on stderr so that --json is nothing but JSON.
      const log = pino({ level: 'warn' }, pino.destination(2));
      const factories = await openFactories(log, cfg.actions);
      const actions: Action[] = cfg.actions.map((s) => {
        const factory = factories.get(registryOf(REGISTRIES, s.kind)!)!;
        return factory.create(s, { watch: false });
      });
      const results = await preflightAll(actions, Number(opts.deadlineMs) || 15_000);
      for (const a of actions) a.close?.();
      if (opts.json) console.log(JSON.stringify({ ok: allOk(results), results }, null, 2));
      else console.log(formatPreflight(results));
      process.exitCode = allOk(results) ? 0 : 1;
    });
}
