// AWS action kinds by name: schema check, factory, IAM needs. A new kind is one entry in DRIVERS.
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { Arbiter, type AwsDriver } from './arbiter.js';
import { EipAction } from './eip.js';
import { EniAction } from './eni.js';
import { RouteTableAction } from './route-table.js';
import { parseDestination } from './route-view.js';
import {
  AWS_SCHEMAS,
  type AwsActionSpec,
  type AwsKind,
  DEFAULT_OBSERVE_INTERVAL_MS,
  type EipSpec,
  type EniSpec,
  type RouteTableSpec,
  type SecondaryIpSpec,
} from './schema.js';
import { SecondaryIpAction } from './secondary-ip.js';
import type { AwsContext } from './session.js';

export type { AwsDriver };

const DRIVERS: { [K in AwsKind]: (spec: Extract<AwsActionSpec, { kind: K }>, ctx: AwsContext) => AwsDriver } =
  {
    'aws-route-table': (spec: RouteTableSpec, ctx) => new RouteTableAction(spec, ctx),
    'aws-eni': (spec: EniSpec, ctx) => new EniAction(spec, ctx),
    'aws-secondary-ip': (spec: SecondaryIpSpec, ctx) => new SecondaryIpAction(spec, ctx),
    'aws-eip': (spec: EipSpec, ctx) => new EipAction(spec, ctx),
  };

export const AWS_KINDS = Object.keys(DRIVERS) as AwsKind[];

export function isAwsKind(kind: string): kind is AwsKind {
  return Object.hasOwn(DRIVERS, kind);
}

/** Same shape as the agent's ConfigIssue: a path inside the action entry and what was expected. */
export interface SpecIssue {
  readonly path: string;
  readonly message: string;
}

/** Checks one `actions[]` entry of kind aws-*; an empty list means it is valid. */
export function validateAwsAction(spec: {
  readonly kind: string;
  readonly [key: string]: unknown;
}): SpecIssue[] {
  if (!isAwsKind(spec.kind))
    return [{ path: 'kind', message: `expected one of ${AWS_KINDS.join(', ')}, got "${spec.kind}"` }];
  const schema: TSchema = AWS_SCHEMAS[spec.kind];
  const out: SpecIssue[] = [];
  const seen = new Set<string>();
  for (const e of Value.Errors(schema, spec)) {
    const path =
      e.path === ''
        ? '(root)'
        : e.path
            .slice(1)
            .replace(/\/(\d+)/g, '[$1]')
            .replace(/\//g, '.');
    if (seen.has(path)) continue;
    seen.add(path);
    const message = e.message === 'Unexpected property' ? 'unknown key (see docs/aws.md)' : e.message;
    out.push({ path, message: `${message}, got ${JSON.stringify(e.value) ?? 'nothing'}` });
  }
  if (out.length > 0) return out;
  return semanticIssues(spec as AwsActionSpec);
}

function semanticIssues(spec: AwsActionSpec): SpecIssue[] {
  const out: SpecIssue[] = [];
  if (spec.kind === 'aws-route-table') {
    spec.destinations.forEach((d, i) => {
      if (parseDestination(d) === null)
        out.push({
          path: `destinations[${i}]`,
          message: `expected an IPv4 or IPv6 CIDR (0.0.0.0/0, 10.9.0.1/32), got "${d}"`,
        });
    });
    if (spec.eni_id !== undefined && spec.eni_id === spec.peer_eni_id)
      out.push({ path: 'peer_eni_id', message: "expected the peer's ENI, got the same id as eni_id" });
  }
  if (spec.kind === 'aws-eni' && spec.instance_id !== undefined && spec.instance_id === spec.peer_instance_id)
    out.push({
      path: 'peer_instance_id',
      message: 'expected the peer instance, got the same id as instance_id',
    });
  return out;
}

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
