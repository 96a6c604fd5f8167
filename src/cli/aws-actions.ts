// The AWS actions of a node config, for `tandem preflight` and `tandem iam-policy`: validated by the AWS
// registry (aws-* kinds) and by the agent's own registry (everything else).
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { parse } from 'yaml';
import { createAwsAction, isAwsKind, validateAwsAction } from '../actions/aws/registry.js';
import type { AwsActionSpec } from '../actions/aws/schema.js';
import { type ArbiterReport, DiscoveryCache } from '../actions/aws/session.js';
import { ConfigError, type ConfigIssue } from '../agent/config.js';
import type { PluginSpec } from '../agent/config-schema.js';
import { type AgentPlugins, agentPlugins } from '../agent/plugins.js';

/** Validates `actions[]` entries: aws-* here, other kinds by the agent's plugin table. */
export function validateAnyAction(spec: PluginSpec): readonly ConfigIssue[] {
  return isAwsKind(spec.kind) ? validateAwsAction(spec) : agentPlugins().validateAction(spec);
}

/**
 * Only the `actions` list, without the rest of the node config (no pair key needed): the policy is written
 * before the nodes exist.
 */
export function readAwsSpecs(file: string): AwsActionSpec[] {
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(file, [
      { path: '(root)', message: `cannot read the YAML: ${(err as Error).message}` },
    ]);
  }
  const actions = (raw as { actions?: unknown } | null)?.actions;
  if (!Array.isArray(actions))
    throw new ConfigError(file, [{ path: 'actions', message: 'expected a list of actions' }]);
  const issues: ConfigIssue[] = [];
  const specs: AwsActionSpec[] = [];
  actions.forEach((a: unknown, i) => {
    const kind = (a as { kind?: unknown } | null)?.kind;
    if (typeof kind !== 'string' || !isAwsKind(kind)) return;
    for (const issue of validateAwsAction(a as { kind: string }))
      issues.push({
        path: `actions[${i}]${issue.path === '(root)' ? '' : `.${issue.path}`}`,
        message: issue.message,
      });
    specs.push(a as AwsActionSpec);
  });
  if (issues.length > 0) throw new ConfigError(file, issues);
  if (specs.length === 0)
    throw new ConfigError(file, [
      { path: 'actions', message: 'expected at least one aws-* action, found none' },
    ]);
  return specs;
}

/**
 * The agent's plugins plus the aws-* kinds. Split brain and drift seen by the arbiter are logged here; wiring
 * them into core needs the `observed` input proposed in docs/aws.md.
 */
export function withAwsActions(base: AgentPlugins, log: Logger): AgentPlugins {
  const discovery = new DiscoveryCache();
  const report = (r: ArbiterReport): void => log.warn({ arbiter: r }, `aws arbiter: ${r.kind}`);
  return {
    ...base,
    createAction: (spec) =>
      isAwsKind(spec.kind) ? createAwsAction(spec, { log, report, discovery }) : base.createAction(spec),
    validateAction: validateAnyAction,
  };
}
