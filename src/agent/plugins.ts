// Where the agent finds its action and monitor drivers, by `kind`. Each kind's own schema checks its
// entry (with exact paths); a new driver is one line in its registry and one row here.
import type { TSchema } from '@sinclair/typebox';
import type { Logger } from 'pino';
import { createLinuxAction } from '../actions/linux/registry.js';
import { type LinuxActionSpec, RouteSpecSchema, VipSpecSchema } from '../actions/linux/spec.js';
import { removeStaleVip, VipAction } from '../actions/linux/vip.js';
import type { Action } from '../actions/types.js';
import { createMonitor } from '../monitors/registry.js';
import {
  CheckSpecSchema,
  HttpSpecSchema,
  IcmpSpecSchema,
  LinkSpecSchema,
  type MonitorSpec,
  TcpSpecSchema,
} from '../monitors/spec.js';
import type { Monitor } from '../monitors/types.js';
import { type ConfigIssue, type PluginValidator, schemaIssues } from './config.js';
import type { PluginSpec } from './config-schema.js';
import type { Plugins } from './node.js';

export interface AgentPlugins extends Plugins {
  readonly validateAction: PluginValidator;
  readonly validateMonitor: PluginValidator;
}

const ACTION_SCHEMAS: Readonly<Record<string, TSchema>> = { vip: VipSpecSchema, route: RouteSpecSchema };
const MONITOR_SCHEMAS: Readonly<Record<string, TSchema>> = {
  link: LinkSpecSchema,
  icmp: IcmpSpecSchema,
  tcp: TcpSpecSchema,
  http: HttpSpecSchema,
  check: CheckSpecSchema,
};

/** Stale claims are removed within this bound, so a wedged `ip` cannot hold the start-up forever. */
const STALE_DEADLINE_MS = 5000;

export function agentPlugins(): AgentPlugins {
  return {
    // Specs reach here only after validateAction / validateMonitor accepted them.
    createAction: (spec): Action => createLinuxAction(spec as unknown as LinuxActionSpec),
    createMonitor: (spec): Monitor => createMonitor(spec as unknown as MonitorSpec),
    validateAction: (spec) => validate(ACTION_SCHEMAS, spec),
    validateMonitor: (spec) => validate(MONITOR_SCHEMAS, spec),
    removeStaleClaims,
  };
}

function validate(schemas: Readonly<Record<string, TSchema>>, spec: PluginSpec): ConfigIssue[] {
  const schema = schemas[spec.kind];
  if (schema === undefined) {
    const known = Object.keys(schemas).map((k) => `"${k}"`);
    return [{ path: 'kind', message: `expected one of ${known.join(', ')}, got "${spec.kind}"` }];
  }
  return schemaIssues(schema, spec);
}

/** A VIP still on our interface at start-up is a leftover of a killed agent: we are not active yet. */
async function removeStaleClaims(specs: readonly PluginSpec[], log: Logger): Promise<void> {
  for (const spec of specs) {
    if (spec.kind !== 'vip') continue;
    const action = createLinuxAction(spec as unknown as LinuxActionSpec);
    if (!(action instanceof VipAction)) continue;
    const out = await removeStaleVip(action, { deadline_ms: STALE_DEADLINE_MS });
    if (out.removed) log.warn({ action: action.name }, 'removed a stale VIP left by a previous run');
    else if (out.result && !out.result.ok)
      log.error({ action: action.name, error: out.result.error }, 'stale VIP removal failed');
  }
}
