// The `actions` of a node config for `tandem preflight` and the policy commands: validated by the registries.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { ActionSpec, Registry } from '../actions/kit/registry.js';
import { ConfigError, type ConfigIssue, type PluginContext } from '../agent/config.js';
import type { PluginSpec } from '../agent/config-schema.js';
import { agentValidators } from '../agent/plugins.js';

/** Validates `actions[]` entries of every kind (the agent's one list of registries). */
export function validateAnyAction(spec: PluginSpec, context: PluginContext): readonly ConfigIssue[] {
  return agentValidators().validateAction(spec, context);
}

/**
 * Only the `actions` list, without the rest of the node config (no pair key needed): a policy is written
 * before the nodes exist. Returns the entries of `registry`'s kinds, each validated.
 */
export function readSpecsOf(file: string, registry: Registry): ActionSpec[] {
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
  const specs: ActionSpec[] = [];
  actions.forEach((a: unknown, i) => {
    const kind = (a as { kind?: unknown } | null)?.kind;
    if (typeof kind !== 'string' || !registry.kinds.includes(kind)) return;
    for (const issue of registry.validate(a as ActionSpec))
      issues.push({
        path: `actions[${i}]${issue.path === '(root)' ? '' : `.${issue.path}`}`,
        message: issue.message,
      });
    specs.push(a as ActionSpec);
  });
  if (issues.length > 0) throw new ConfigError(file, issues);
  if (specs.length === 0)
    throw new ConfigError(file, [
      {
        path: 'actions',
        message: `expected at least one ${registry.mechanism} action (${registry.kinds.join(', ')}), found none`,
      },
    ]);
  return specs;
}
