import { Arbiter, type Driver } from '../kit/arbiter.js';
import type { Mechanism } from '../kit/registry.js';
import { EipAction } from './eip.js';
import { EniAction } from './eni.js';
import { RouteTableAction } from './route-table.js';
import {
  type AwsActionSpec,
  type AwsKind,
  DEFAULT_OBSERVE_INTERVAL_MS,
  type EipSpec,
  type EniSpec,
  type RouteTableSpec,
  type SecondaryIpSpec,
} from './schema.js';
import { SecondaryIpAction } from './secondary-ip.js';
import { type AwsContext, DiscoveryCache } from './session.js';

/** An AWS driver is a kit driver; the name stays for the tests and the lab. */
export type AwsDriver = Driver;

const DRIVERS: { [K in AwsKind]: (spec: Extract<AwsActionSpec, { kind: K }>, ctx: AwsContext) => AwsDriver } =
  {
    'aws-route-table': (spec: RouteTableSpec, ctx) => new RouteTableAction(spec, ctx),
    'aws-eni': (spec: EniSpec, ctx) => new EniAction(spec, ctx),
    'aws-secondary-ip': (spec: SecondaryIpSpec, ctx) => new SecondaryIpAction(spec, ctx),
    'aws-eip': (spec: EipSpec, ctx) => new EipAction(spec, ctx),
  };

import { validateAwsAction } from './validate.js';

export { AWS_KINDS, isAwsKind, type SpecIssue, validateAwsAction } from './validate.js';

/** Builds a driver for a validated spec, wrapped in the arbiter unless observe_interval_ms is 0. */
export function createAwsAction(
  spec: { readonly kind: string; readonly [key: string]: unknown },
  ctx: AwsContext,
  deadline_ms = 30_000,
): AwsDriver {
  const issues = validateAwsAction(spec);
  if (issues.length > 0)
    throw new Error(
      `invalid ${spec.kind} action: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    );
  const typed = spec as AwsActionSpec;
  const driver = (DRIVERS[typed.kind] as (s: AwsActionSpec, c: AwsContext) => AwsDriver)(typed, ctx);
  const interval_ms = typed.observe_interval_ms ?? DEFAULT_OBSERVE_INTERVAL_MS;
  // Resolve ids now, at start-up, so that the failover itself never has to; a failure retries at claim time.
  driver
    .prepare()
    .catch((err: unknown) =>
      ctx.log.warn({ action: driver.name, err: (err as Error).message }, 'aws action not resolved yet'),
    );
  if (interval_ms === 0) return driver;
  return new Arbiter(driver, {
    interval_ms,
    log: ctx.log,
    deadline_ms: Math.min(deadline_ms, Math.max(interval_ms, 1000)),
    report: ctx.report ?? (() => {}),
  });
}

/** One per agent: the instance is discovered once for all its actions. */
export const AWS_MECHANISM: Mechanism = {
  open(log) {
    const discovery = new DiscoveryCache();
    return {
      create: (spec, o) =>
        createAwsAction(o.watch ? spec : { ...spec, observe_interval_ms: 0 }, {
          log,
          discovery,
          ...(o.report ? { report: o.report } : {}),
        }),
    };
  },
};
