// Static routes to the backup appliance's ENI in AWS route tables (CLOUD.md §1.2). A propagated (vgw) route
// for the same CIDR coexists with ours and loses to it; DeleteRoute removes only ours, and traffic returns to
// the propagated path. A route already at our ENI counts as done; one at something else is reported and left
// alone unless `on_conflict: overwrite`. Every write is read back until EC2 shows it (eventual consistency).
import {
  CreateRouteCommand,
  DeleteRouteCommand,
  DescribeRouteTablesCommand,
  type EC2Client,
  ReplaceRouteCommand,
} from '@aws-sdk/client-ec2';
import {
  budget,
  type CallBudget,
  createEc2Client,
  DEFAULT_RETRY,
  parallel,
  type RetryPolicy,
  withRetry,
} from '../actions/aws/client.js';
import { AwsError } from '../actions/aws/errors.js';
import { arn } from '../actions/aws/iam-policy.js';
import { dryRunCheck, failedCheck } from '../actions/aws/preflight.js';
import { type Destination, parseDestination, type RouteReading, readAll } from '../actions/aws/route-view.js';
import { runVerb, toActionError } from '../actions/aws/session.js';
import { confirm } from '../actions/kit/confirm.js';
import type { ActionContext, ActionResult, Observation, PreflightCheck } from '../actions/types.js';
import type { AwsRouteSpec } from './config-schema.js';
import { observationOf, type PathRoutes } from './routes.js';
import type { RouteView } from './types.js';

/** Ten tables × a few CIDRs go out in one wave, inside EC2's 50-token mutating bucket. */
const ROUTE_CONCURRENCY = 16;
const CONFIRM_FIRST_WAIT_MS = 50;
const CONFIRM_WAIT_MAX_MS = 1000;

export interface AwsRoutesContext {
  readonly retry?: RetryPolicy;
  /** Fixed keys (tests, the bench); default: the SDK's provider chain (instance role, env). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export class AwsPathRoutes implements PathRoutes {
  readonly kind = 'aws-route-table';
  readonly name: string;
  readonly #spec: AwsRouteSpec;
  readonly #dests: readonly Destination[];
  readonly #retry: RetryPolicy | undefined;
  readonly #client: EC2Client;

  constructor(spec: AwsRouteSpec, ctx: AwsRoutesContext = {}) {
    this.#spec = spec;
    this.name = `aws-route-table ${spec.route_tables.join(',')} ${spec.destinations.join(',')} → ${spec.eni_id}`;
    this.#dests = spec.destinations.map((d) => {
      const parsed = parseDestination(d);
      if (!parsed) throw new AwsError('AWS_INVALID', 'InvalidDestination', `${d} is not a CIDR`);
      return parsed;
    });
    this.#retry = ctx.retry;
    this.#client = createEc2Client({
      region: spec.region,
      endpoint: spec.endpoint,
      request_timeout_ms: spec.request_timeout_ms,
      credentials: ctx.credentials,
    });
  }

  async #read(b: CallBudget): Promise<RouteReading[]> {
    const ids = this.#spec.route_tables;
    const out = await withRetry('DescribeRouteTables', b, (abortSignal) =>
      this.#client.send(new DescribeRouteTablesCommand({ RouteTableIds: [...ids] }), { abortSignal }),
    );
    return readAll(out.RouteTables ?? [], ids, this.#dests, this.#spec.eni_id, undefined).map((r) =>
      // Our own route, blackholed because the appliance is stopped, is still ours to delete.
      r.detail === `blackhole ${this.#spec.eni_id}` ? { ...r, target: 'self' } : r,
    );
  }

  #viewOf(readings: readonly RouteReading[]): RouteView {
    const overwrite = this.#spec.on_conflict === 'overwrite';
    return {
      ours: readings.filter((r) => r.target === 'self').length,
      // With overwrite, a route at something else is ours to write, like a missing one.
      missing: readings.filter((r) => r.target === 'none' || (overwrite && r.target !== 'self')).length,
      conflicts: overwrite
        ? []
        : readings.filter((r) => r.target === 'other' || r.target === 'peer').map(conflictText),
    };
  }

  async view(ctx: ActionContext): Promise<RouteView> {
    return this.#viewOf(await this.#read(budget(ctx.deadline_ms, ctx.signal, this.#retry)));
  }

  /** Failover: create each missing route (replace a foreign one only with overwrite), then read back. */
  claim(ctx: ActionContext): Promise<ActionResult> {
    return runVerb(ctx, this.#retry ?? DEFAULT_RETRY, async (b) => {
      const overwrite = this.#spec.on_conflict === 'overwrite';
      const todo = (await this.#read(b)).filter(
        (r) => r.target === 'none' || (overwrite && r.target !== 'self'),
      );
      await settle(todo.map((r) => () => (r.target === 'none' ? this.#create(r, b) : this.#replace(r, b))));
      // A route someone else created meanwhile is a conflict now, not something to wait for.
      const done = (r: RouteReading): boolean =>
        !todo.some((t) => same(t, r)) || r.target === 'self' || (!overwrite && r.target !== 'none');
      await this.#confirm(b, done, 'at the backup ENI');
    });
  }

  async #create(r: RouteReading, b: CallBudget): Promise<void> {
    const input = {
      RouteTableId: r.table_id,
      NetworkInterfaceId: this.#spec.eni_id,
      ...destParam(r.destination),
    };
    try {
      await withRetry('CreateRoute', b, (abortSignal) =>
        this.#client.send(new CreateRouteCommand(input), { abortSignal }),
      );
    } catch (err) {
      // Someone created a static route meanwhile: the read-back says whose it is; we never overwrite it here.
      if (!(err instanceof AwsError && err.aws_code === 'RouteAlreadyExists')) throw err;
    }
  }

  async #replace(r: RouteReading, b: CallBudget): Promise<void> {
    const input = {
      RouteTableId: r.table_id,
      NetworkInterfaceId: this.#spec.eni_id,
      ...destParam(r.destination),
    };
    await withRetry('ReplaceRoute', b, (abortSignal) =>
      this.#client.send(new ReplaceRouteCommand(input), { abortSignal }),
    );
  }

  /** Failback: delete the routes that point at our ENI (a foreign route is not ours to delete). */
  release(ctx: ActionContext): Promise<ActionResult> {
    return runVerb(ctx, this.#retry ?? DEFAULT_RETRY, async (b) => {
      const ours = (await this.#read(b)).filter((r) => r.target === 'self');
      await settle(ours.map((r) => () => this.#delete(r, b)));
      await this.#confirm(b, (r) => r.target !== 'self', 'deleted');
    });
  }

  async #delete(r: RouteReading, b: CallBudget): Promise<void> {
    const input = { RouteTableId: r.table_id, ...destParam(r.destination) };
    try {
      await withRetry('DeleteRoute', b, (abortSignal) =>
        this.#client.send(new DeleteRouteCommand(input), { abortSignal }),
      );
    } catch (err) {
      // Already gone (deleted by hand, or our previous attempt landed): the end state is what we want.
      if (!(err instanceof AwsError && err.aws_code === 'InvalidRoute.NotFound')) throw err;
    }
  }

  /** Reads until every route satisfies `done` (the kit's read-back loop); EC2 may show a write late (CLOUD.md §1.7). */
  async #confirm(b: CallBudget, done: (r: RouteReading) => boolean, what: string): Promise<void> {
    await confirm(b, {
      first_ms: CONFIRM_FIRST_WAIT_MS,
      max_ms: CONFIRM_WAIT_MAX_MS,
      read: () => this.#read(b),
      done: (readings) => readings.every(done),
      notConfirmed: (last) =>
        new AwsError(
          'AWS_NOT_CONFIRMED',
          'NotConfirmed',
          `routes not ${what} before the deadline: ${last
            .filter((r) => !done(r))
            .map(conflictText)
            .join('; ')}`,
        ),
    });
  }

  async observe(ctx: ActionContext): Promise<Observation> {
    try {
      return observationOf(await this.view(ctx));
    } catch (err) {
      return { target: 'unknown', error: toActionError(err) };
    }
  }

  /** Read the tables, then dry-run every write pathwatch may make (412 = allowed, 403 = the statement to add). */
  async preflight(ctx: ActionContext): Promise<readonly PreflightCheck[]> {
    const b = budget(ctx.deadline_ms, ctx.signal, this.#retry);
    const s = this.#spec;
    const describe = {
      check: `ec2:DescribeRouteTables ${s.route_tables.join(', ')}`,
      action: 'ec2:DescribeRouteTables',
      resources: ['*'],
    };
    try {
      await this.#read(b);
    } catch (err) {
      return [failedCheck(describe, err)];
    }
    const checks: Promise<PreflightCheck>[] = [
      Promise.resolve({ check: describe.check, status: 'ok' as const }),
    ];
    const first = this.#dests[0]!.cidr;
    const writes = [
      ['ec2:CreateRoute', CreateRouteCommand],
      ['ec2:DeleteRoute', DeleteRouteCommand],
      ...(s.on_conflict === 'overwrite' ? ([['ec2:ReplaceRoute', ReplaceRouteCommand]] as const) : []),
    ] as const;
    for (const table_id of s.route_tables) {
      const resources = [arn(s, 'route-table', table_id), arn(s, 'network-interface', s.eni_id)];
      for (const [action, Command] of writes) {
        const target = action === 'ec2:DeleteRoute' ? {} : { NetworkInterfaceId: s.eni_id };
        const input = { RouteTableId: table_id, DryRun: true, ...target, ...destParam(first) };
        checks.push(
          dryRunCheck(
            { check: `${action} on ${table_id} → ${s.eni_id}`, action, resources },
            b,
            (abortSignal) =>
              this.#client.send(new (Command as typeof CreateRouteCommand)(input as never), { abortSignal }),
          ),
        );
      }
    }
    return Promise.all(checks);
  }

  close(): void {
    this.#client.destroy();
  }
}

/** Runs every write (bounded in flight); the first failure is thrown after all had their chance. */
async function settle(tasks: readonly (() => Promise<void>)[]): Promise<void> {
  const failures = (
    await parallel(
      tasks.map(
        (t) => () =>
          t().then(
            () => null,
            (e: unknown) => e,
          ),
      ),
      ROUTE_CONCURRENCY,
    )
  ).filter((e) => e !== null);
  if (failures.length > 0) throw failures[0];
}

function same(a: RouteReading, b: RouteReading): boolean {
  return a.table_id === b.table_id && a.destination === b.destination;
}

function conflictText(r: RouteReading): string {
  return `${r.table_id} ${r.destination} → ${r.detail}`;
}

function destParam(cidr: string): { DestinationCidrBlock: string } | { DestinationIpv6CidrBlock: string } {
  return cidr.includes(':') ? { DestinationIpv6CidrBlock: cidr } : { DestinationCidrBlock: cidr };
}
