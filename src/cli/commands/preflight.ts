import type { Command } from 'commander';
import { pino } from 'pino';
import { allOk, formatPreflight, preflightAll } from '../../actions/aws/preflight-report.js';
import { createAwsAction, isAwsKind } from '../../actions/aws/registry.js';
import { DiscoveryCache } from '../../actions/aws/session.js';
import type { Action } from '../../actions/types.js';
import { ConfigError, loadConfig } from '../../agent/config.js';
import { agentPlugins } from '../../agent/plugins.js';
import { validateAnyAction } from '../aws-actions.js';

export function registerPreflight(program: Command): void {
  program
    .command('preflight')
    .description(
      "run every action's preflight: interfaces and tools on a LAN, every cloud call and id in a cloud",
    )
    .requiredOption('-c, --config <file>', 'the node config (YAML), see docs/aws.md')
    .option('--json', 'print the checks as JSON')
    .option('--deadline-ms <n>', 'give up on the checks after this long', '15000')
    .action(async (opts: { config: string; json?: boolean; deadlineMs: string }) => {
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
      // Logs go to stderr: stdout holds the report, and with --json nothing but the JSON.
      const log = pino({ level: 'warn' }, pino.destination(2));
      const ctx = { log, discovery: new DiscoveryCache() };
      const local = agentPlugins(log);
      const actions: Action[] = cfg.actions.map((s) =>
        isAwsKind(s.kind) ? createAwsAction({ ...s, observe_interval_ms: 0 }, ctx) : local.createAction(s),
      );
      const results = await preflightAll(actions, Number(opts.deadlineMs) || 15_000);
      for (const a of actions) (a as { close?: () => void }).close?.();
      if (opts.json) console.log(JSON.stringify({ ok: allOk(results), results }, null, 2));
      else {
        console.log(formatPreflight(results));
      }
      process.exitCode = allOk(results) ? 0 : 1;
    });
}
