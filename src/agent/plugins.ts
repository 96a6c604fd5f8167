// Where the agent finds its action and monitor drivers, by `kind`. A new driver is one line here.
import type { Action } from '../actions/types.js';
import type { Monitor } from '../monitors/types.js';
import type { ConfigIssue, PluginValidator } from './config.js';
import type { PluginSpec } from './config-schema.js';
import type { Plugins } from './node.js';

export interface AgentPlugins extends Plugins {
  readonly validateAction: PluginValidator;
  readonly validateMonitor: PluginValidator;
}

type Factory<T> = (spec: PluginSpec) => T;

const ACTIONS: Record<string, Factory<Action>> = {};
const MONITORS: Record<string, Factory<Monitor>> = {};

export function agentPlugins(): AgentPlugins {
  return {
    createAction: (spec) => pick(ACTIONS, spec, 'action')(spec),
    createMonitor: (spec) => pick(MONITORS, spec, 'monitor')(spec),
    validateAction: (spec) => knownKind(ACTIONS, spec),
    validateMonitor: (spec) => knownKind(MONITORS, spec),
  };
}

function pick<T>(table: Record<string, Factory<T>>, spec: PluginSpec, what: string): Factory<T> {
  const factory = table[spec.kind];
  if (factory === undefined) throw new Error(`unknown ${what} kind "${spec.kind}"`);
  return factory;
}

function knownKind<T>(table: Record<string, Factory<T>>, spec: PluginSpec): ConfigIssue[] {
  if (Object.hasOwn(table, spec.kind)) return [];
  const known = Object.keys(table);
  return [
    {
      path: 'kind',
      message: `expected one of ${known.length ? known.map((k) => `"${k}"`).join(', ') : '(none built yet)'}, got "${spec.kind}"`,
    },
  ];
}
