// Where the agent finds its action and monitor drivers, by `kind`. Each kind's own schema checks its
// entry (with exact paths); a new driver is one line in its registry and one row here.
import type { TSchema } from '@sinclair/typebox';
import { type Logger, pino } from 'pino';
import type { ArbiterReport } from '../actions/aws/session.js';
import { AWS_KINDS, isAwsKind, validateAwsAction } from '../actions/aws/validate.js';
import { createLinuxAction } from '../actions/linux/registry.js';
import { type LinuxActionSpec, RouteSpecSchema, VipSpecSchema } from '../actions/linux/spec.js';
import { linuxActionIssues } from '../actions/linux/validate.js';
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
import type { ActionHooks, Plugins } from './node.js';

export interface AgentPlugins extends Plugins {
  readonly validateAction: PluginValidator;
  readonly validateMonitor: PluginValidator;
}

export const ACTION_SCHEMAS: Readonly<Record<string, TSchema>> = {
  vip: VipSpecSchema,
  route: RouteSpecSchema,
};
export const MONITOR_SCHEMAS: Readonly<Record<string, TSchema>> = {
  link: LinkSpecSchema,
  icmp: IcmpSpecSchema,
  tcp: TcpSpecSchema,
  http: HttpSpecSchema,
  check: CheckSpecSchema,
};

/** Stale claims are removed within this bound, so a wedged `ip` cannot hold the start-up forever. */
const STALE_DEADLINE_MS = 5000;

type AwsRegistry = typeof import('../actions/aws/registry.js');

/**
 * The plugins for these action specs. The AWS drivers (and the SDK, tens of MB) are loaded only when a
 * config has aws-* actions, so that a LAN pair's agent stays small.
 */
export async function loadAgentPlugins(log: Logger, actions: readonly PluginSpec[]): Promise<AgentPlugins> {
  const needsAws = actions.some((a) => isAwsKind(a.kind));
  const aws = needsAws ? await import('../actions/aws/registry.js') : null;
  const session = needsAws ? await import('../actions/aws/session.js') : null;
  return agentPlugins(
    log,
    aws && session ? { registry: aws, discovery: new session.DiscoveryCache() } : null,
  );
}

/**
 * `log` receives what the cloud drivers see (drift, split brain). Without `aws` the aws-* kinds are still
 * validated but cannot be created: use loadAgentPlugins to run them.
 */
export function agentPlugins(
  log: Logger = pino({ enabled: false }),
  aws: {
    readonly registry: AwsRegistry;
    readonly discovery: InstanceType<typeof import('../actions/aws/session.js').DiscoveryCache>;
  } | null = null,
): AgentPlugins {
  return {
    // Specs reach here only after validateAction / validateMonitor accepted them.
    createAction: (spec, hooks): Action => {
      if (!isAwsKind(spec.kind)) return createLinuxAction(spec as unknown as LinuxActionSpec);
      if (aws === null)
        throw new Error(`${spec.kind}: the AWS drivers are not loaded (use loadAgentPlugins)`);
      return aws.registry.createAwsAction(spec, {
        log,
        report: arbiterToCore(log, hooks),
        discovery: aws.discovery,
      });
    },
    createMonitor: (spec): Monitor => createMonitor(spec as unknown as MonitorSpec),
    validateAction: (spec, context) => {
      if (isAwsKind(spec.kind)) return validateAwsAction(spec);
      const shape = validate(ACTION_SCHEMAS, spec);
      return shape.length > 0 ? shape : linuxActionIssues(spec, context);
    },
    validateMonitor: (spec) => validate(MONITOR_SCHEMAS, spec),
    removeStaleClaims,
  };
}

/** What the AWS arbiter sees while active: logged, and the traffic's whereabouts handed to core. */
function arbiterToCore(log: Logger, hooks: ActionHooks | undefined): (r: ArbiterReport) => void {
  return (r) => {
    log.warn({ arbiter: r }, `aws arbiter: ${r.kind}`);
    if (r.kind === 'split-brain') hooks?.observed('peer');
    else if (r.kind === 'held') hooks?.observed('self');
  };
}

function validate(schemas: Readonly<Record<string, TSchema>>, spec: PluginSpec): ConfigIssue[] {
  const schema = schemas[spec.kind];
  if (schema === undefined) {
    const known = [...Object.keys(schemas), ...(schemas === ACTION_SCHEMAS ? AWS_KINDS : [])];
    return [
      {
        path: 'kind',
        message: `expected one of ${known.map((k) => `"${k}"`).join(', ')}, got "${spec.kind}"`,
      },
    ];
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
