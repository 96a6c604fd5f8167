// The AWS actions of a node config, for `tandem preflight` and `tandem iam-policy`: validated by the AWS
// registry (aws-* kinds) and by the agent's own registry (everything else).
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { AwsActionSpec } from '../actions/aws/schema.js';
import { isAwsKind, validateAwsAction } from '../actions/aws/validate.js';
import { ConfigError, type ConfigIssue, type PluginContext } from '../agent/config.js';
import type { PluginSpec } from '../agent/config-schema.js';
import { agentPlugins } from '../agent/plugins.js';

/** Validates `actions[]` entries of every kind (the agent's one registry). */
export function validateAnyAction(spec: PluginSpec, context: PluginContext): readonly ConfigIssue[] {
  return agentPlugins().validateAction(spec, context);
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
