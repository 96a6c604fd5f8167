// Spec → Azure driver, wrapped in the arbiter unless observe_interval_ms is 0 (the heavy part: the SDKs).
import { Arbiter, type Driver } from '../kit/arbiter.js';
import type { ActionSpec, Mechanism } from '../kit/registry.js';
import { ResolvedMap } from '../kit/resolved.js';
import type { AzureSelf } from './discovery.js';
import { FloatingIpAction } from './floating-ip.js';
import { AzureRouteTableAction } from './route-table.js';
import { type AzureActionSpec, DEFAULT_OBSERVE_INTERVAL_MS } from './schema.js';
import type { AzureContext } from './session.js';
import { validateAzureAction } from './validate.js';

export function createAzureAction(spec: ActionSpec, ctx: AzureContext): Driver {
  const issues = validateAzureAction(spec);
  if (issues.length > 0)
    throw new Error(
      `invalid ${spec.kind} action: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    );
  const typed = spec as AzureActionSpec;
  const driver: Driver =
    typed.kind === 'azure-floating-ip'
      ? new FloatingIpAction(typed, ctx)
      : new AzureRouteTableAction(typed, ctx);
  // Resolve now, at start-up, so that the failover itself never has to; a failure retries at claim time.
  driver
    .prepare()
    .catch((err: unknown) =>
      ctx.log.warn({ action: driver.name, err: (err as Error).message }, 'azure action not resolved yet'),
    );
  const interval_ms = typed.observe_interval_ms ?? DEFAULT_OBSERVE_INTERVAL_MS;
  if (interval_ms === 0) return driver;
  return new Arbiter(driver, {
    interval_ms,
    log: ctx.log,
    // A repair is a claim: it gets the action's whole deadline (a NIC update takes tens of seconds).
    deadline_ms: driver.deadline_ms ?? interval_ms,
    report: ctx.report ?? (() => {}),
  });
}

/** One per agent: the VM is discovered once for all its actions. */
export const AZURE_MECHANISM: Mechanism = {
  open(log) {
    const discovery = new ResolvedMap<AzureSelf>();
    return {
      create: (spec, o) =>
        createAzureAction(o.watch ? spec : { ...spec, observe_interval_ms: 0 }, {
          log,
          discovery,
          ...(o.report ? { report: o.report } : {}),
        }),
    };
  },
};
