// Where the agent finds its action and monitor drivers, by `kind`. Actions come from the mechanism registries
// (src/actions/registries.ts), each validating its own kinds with exact paths; no kind is named here.
import type { TSchema } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { ArbiterReport } from '../actions/kit/arbiter.js';
import { allKinds, type Factory, type Registry, registryOf } from '../actions/kit/registry.js';
import { REGISTRIES } from '../actions/registries.js';
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
import { type ConfigIssue, type PluginContext, type PluginValidator, schemaIssues } from './config.js';
import type { PluginSpec } from './config-schema.js';
import type { ActionHooks, Plugins } from './node.js';

/** The checks of `actions[]` and `monitors[]` entries, by kind; what `--check` needs and nothing more. */
export interface AgentValidators {
  readonly validateAction: PluginValidator;
  readonly validateMonitor: PluginValidator;
}

export interface AgentPlugins extends Plugins, AgentValidators {}

export const MONITOR_SCHEMAS: Readonly<Record<string, TSchema>> = {
  link: LinkSpecSchema,
  icmp: IcmpSpecSchema,
  tcp: TcpSpecSchema,
  http: HttpSpecSchema,
  check: CheckSpecSchema,
};

/** The opened factory of each registry a config uses. */
export type OpenedFactories = ReadonlyMap<Registry, Factory>;

/**
 * Opens the registries these action specs use, and only those: a cloud's SDK (tens of MB) is loaded only when
 * a config has its actions, so that a LAN pair's agent stays small.
 */
export async function openFactories(
  log: Logger,
  actions: readonly PluginSpec[],
  registries: readonly Registry[] = REGISTRIES,
): Promise<OpenedFactories> {
  const used = registries.filter((r) => actions.some((a) => r.kinds.includes(a.kind)));
  const out = new Map<Registry, Factory>();
  for (const r of used) out.set(r, (await r.load()).open(log));
  return out;
}

export async function loadAgentPlugins(log: Logger, actions: readonly PluginSpec[]): Promise<AgentPlugins> {
  return agentPlugins(log, await openFactories(log, actions));
}

/**
 * Validation only: no logger, no driver. Kept apart from agentPlugins so that `tandem agent --check` does not
 * load the logging stack (part of its start-up goal).
 */
export function agentValidators(registries: readonly Registry[] = REGISTRIES): AgentValidators {
  return {
    validateAction: (spec, context) => validateAction(registries, spec, context),
    validateMonitor: (spec) => validateMonitor(spec),
  };
}

/**
 * `log` receives what the cloud drivers see (drift, split brain). Without opened factories every kind is still
 * validated but none can be created: use loadAgentPlugins to run them.
 */
export function agentPlugins(
  log: Logger,
  factories: OpenedFactories = new Map(),
  registries: readonly Registry[] = REGISTRIES,
): AgentPlugins {
  return {
    ...agentValidators(registries),
    // Specs reach here only after validateAction / validateMonitor accepted them.
    createAction: (spec, hooks): Action => {
      const registry = registryOf(registries, spec.kind);
      const factory = registry && factories.get(registry);
      if (registry === undefined || factory === undefined)
        throw new Error(`${spec.kind}: its drivers are not loaded (use loadAgentPlugins)`);
      return factory.create(spec, { watch: true, report: arbiterToCore(log, registry.mechanism, hooks) });
    },
    createMonitor: (spec): Monitor => createMonitor(spec as unknown as MonitorSpec),
    removeStaleClaims: async (specs, l) => {
      for (const factory of factories.values()) await factory.removeStaleClaims?.(specs, l);
    },
  };
}

/** What a cloud arbiter sees while active: logged, and the traffic's whereabouts handed to core. */
function arbiterToCore(
  log: Logger,
  mechanism: string,
  hooks: ActionHooks | undefined,
): (r: ArbiterReport) => void {
  return (r) => {
    log.warn({ arbiter: r }, `${mechanism} arbiter: ${r.kind}`);
    if (r.kind === 'split-brain') hooks?.observed('peer');
    else if (r.kind === 'held') hooks?.observed('self');
    else if (r.kind === 'drift-repaired') hooks?.repaired?.(r.action, r.detail, r.ok);
  };
}

function validateAction(
  registries: readonly Registry[],
  spec: PluginSpec,
  context: PluginContext,
): ConfigIssue[] {
  const registry = registryOf(registries, spec.kind);
  if (registry === undefined) return unknownKind(allKinds(registries), spec.kind);
  return registry.validate(spec, context);
}

function validateMonitor(spec: PluginSpec): ConfigIssue[] {
  const schema = MONITOR_SCHEMAS[spec.kind];
  if (schema === undefined) return unknownKind(Object.keys(MONITOR_SCHEMAS), spec.kind);
  return schemaIssues(schema, spec);
}

function unknownKind(known: readonly string[], kind: string): ConfigIssue[] {
  return [
    { path: 'kind', message: `expected one of ${known.map((k) => `"${k}"`).join(', ')}, got "${kind}"` },
  ];
}
