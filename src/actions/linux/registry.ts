// Spec kind → Linux action. A new action kind is one new file, one schema in spec.ts and one line here.
import type { Logger } from 'pino';
import type { ActionSpec, Mechanism } from '../kit/registry.js';
import type { Action } from '../types.js';
import { RouteAction } from './route.js';
import type { LinuxActionSpec } from './spec.js';
import { removeStaleVip, VipAction, type VipOptions } from './vip.js';

export interface LinuxActionOptions {
  readonly vip?: VipOptions;
}

type Factories = {
  [K in LinuxActionSpec['kind']]: (
    spec: Extract<LinuxActionSpec, { kind: K }>,
    o: LinuxActionOptions,
  ) => Action;
};

const FACTORIES: Factories = {
  vip: (spec, o) => new VipAction(spec, o.vip),
  route: (spec) => new RouteAction(spec),
};

export function createLinuxAction(spec: LinuxActionSpec, options: LinuxActionOptions = {}): Action {
  const factory = FACTORIES[spec.kind] as (s: LinuxActionSpec, o: LinuxActionOptions) => Action;
  return factory(spec, options);
}

/** Stale claims are removed within this bound, so a wedged `ip` cannot hold the start-up forever. */
const STALE_DEADLINE_MS = 5000;

/** A VIP still on our interface at start-up is a leftover of a killed agent: we are not active yet. */
async function removeStaleClaims(specs: readonly ActionSpec[], log: Logger): Promise<void> {
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

export const LINUX_MECHANISM: Mechanism = {
  open: () => ({
    // The running agent's actions: a VIP claim keeps its commands started ahead (armed.ts).
    create: (spec) => createLinuxAction(spec as unknown as LinuxActionSpec, { vip: { armed: true } }),
    removeStaleClaims,
  }),
};
