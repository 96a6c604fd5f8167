// route-table: point each (route table × destination) at this node's LAN ENI. On the critical path there is
// one mutating call per route (ids resolved at start-up), all routes in parallel, then one Describe for all
// tables, repeated until EC2 shows every route at us and active (eventual consistency), or the deadline.
import {
  CreateRouteCommand,
  DeleteRouteCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  type EC2Client,
  type Filter,
  ReplaceRouteCommand,
  type RouteTable,
} from '@aws-sdk/client-ec2';
import { confirm } from '../kit/confirm.js';
import { PREREQUISITE } from '../kit/preflight-report.js';
import { budget, type CallBudget, parallel } from '../kit/retry.js';
import type { ActionContext, ActionResult, Observation, PreflightCheck } from '../types.js';
import { withRetry } from './client.js';
import { pickInterface } from './discovery.js';
import { AwsError, isNoRouteDefined } from './errors.js';
import { arn } from './iam-policy.js';
import { dryRunCheck, failedCheck } from './preflight.js';
import { type Destination, parseDestination, type RouteReading, readAll, summarise } from './route-view.js';
import type { RouteTableSpec } from './schema.js';
import { type AwsContext, AwsSession, Resolved, runVerb, unknownObservation } from './session.js';

/** Bounded so ten tables × two routes go out in one wave while a burst stays inside EC2's 50-token bucket. */
const ROUTE_CONCURRENCY = 32;
const CONFIRM_FIRST_WAIT_MS = 50;
const CONFIRM_WAIT_MAX_MS = 1000;
/** Reads in a row showing the peer before a claim gives up: one could be stale (CLOUD.md §1.7). */
const PEER_READS_TO_YIELD = 2;

/** What we saw of a route (an observe, our own write) is trusted for this long, then the steady state decides. */
const SEEN_FRESH_MS = 5000;

interface Seen {
  readonly exists: boolean;
  readonly at_ms: number;
}

const seen = (exists: boolean): Seen => ({ exists, at_ms: performance.now() });

interface Prepared {
  readonly client: EC2Client;
  readonly eni_id: string;
  readonly table_ids: readonly string[];
  /** Whether the route existed when we last read or wrote it, and when: picks ReplaceRoute or CreateRoute first. */
  readonly exists: Map<string, Seen>;
}

export class RouteTableAction {
  readonly kind = 'aws-route-table';
  readonly name: string;
  readonly spec: RouteTableSpec;
  readonly #session: AwsSession;
  readonly #dests: readonly Destination[];
  readonly #prepared = new Resolved<Prepared>();

  constructor(spec: RouteTableSpec, ctx: AwsContext) {
    this.spec = spec;
    this.name = spec.name ?? `aws-route-table ${spec.route_tables.map(selectorText).join(',')}`;
    this.#session = new AwsSession(spec, ctx);
    this.#dests = spec.destinations.map((d) => {
      const parsed = parseDestination(d);
      if (!parsed) throw new AwsError('AWS_INVALID', 'InvalidDestination', `${d} is not a CIDR`);
      return parsed;
    });
  }

  /** Resolves our ENI and every route table id once; the failover itself never looks them up again. */
  prepare(deadline_ms = 10_000): Promise<Prepared> {
    return this.#prepared.get(() => this.#resolve(budget(deadline_ms, undefined, this.#session.retry)));
  }

  async #resolve(b: CallBudget): Promise<Prepared> {
    const s = this.spec;
    const client = await this.#session.client();
    const { eni_id } = await this.#session.ownInterface(s);
    const ids = new Set<string>();
    for (const sel of s.route_tables) {
      if (typeof sel === 'string') ids.add(sel);
      else for (const id of await this.#find(client, sel, b)) ids.add(id);
    }
    const table_ids = [...ids];
    // Confirms every id exists. What the routes look like now is not kept: on a standby it goes stale the moment
    // the active node writes, so only readings made later (observe while active) pick the first call.
    await this.#describe(client, table_ids, b);
    const exists = new Map<string, Seen>();
    this.#session.log.info({ action: this.name, eni_id, table_ids }, 'route tables resolved');
    return { client, eni_id, table_ids, exists };
  }

  async #find(
    client: EC2Client,
    sel: Exclude<RouteTableSpec['route_tables'][number], string>,
    b: CallBudget,
  ) {
    const byFilter = async (Filters: Filter[]): Promise<string[]> => {
      const out = await withRetry('DescribeRouteTables', b, (abortSignal) =>
        client.send(new DescribeRouteTablesCommand({ Filters }), { abortSignal }),
      );
      return (out.RouteTables ?? []).map((t) => t.RouteTableId!).filter(Boolean);
    };
    if ('tag' in sel) {
      const found = await byFilter([{ Name: `tag:${sel.tag}`, Values: [sel.value] }]);
      if (found.length === 0)
        throw new AwsError(
          'AWS_NOT_FOUND',
          'NoTaggedTable',
          `no route table is tagged ${sel.tag}=${sel.value}`,
        );
      return found;
    }
    const found = await byFilter([{ Name: 'association.subnet-id', Values: [sel.subnet] }]);
    if (found.length > 0) return found;
    // A subnet without its own table uses the VPC's main table (CLOUD.md §1.6).
    const vpc = pickInterface(await this.#session.self(), ownRef(this.spec)).vpc_id;
    return byFilter([
      { Name: 'association.main', Values: ['true'] },
      { Name: 'vpc-id', Values: [vpc] },
    ]);
  }

  async #describe(client: EC2Client, ids: readonly string[], b: CallBudget): Promise<RouteTable[]> {
    const out = await withRetry('DescribeRouteTables', b, (abortSignal) =>
      client.send(new DescribeRouteTablesCommand({ RouteTableIds: [...ids] }), { abortSignal }),
    );
    return out.RouteTables ?? [];
  }

  claim(ctx: ActionContext): Promise<ActionResult> {
    return runVerb(ctx, this.#session.retry, async (b) => {
      const p = await this.prepare(ctx.deadline_ms);
      const routes = p.table_ids.flatMap((t) => this.#dests.map((d) => ({ table_id: t, dest: d })));
      const failures = (
        await parallel(
          routes.map(
            (r) => () =>
              this.#point(p, r.table_id, r.dest, b).then(
                () => null,
                (e: unknown) => e,
              ),
          ),
          ROUTE_CONCURRENCY,
        )
      ).filter((e) => e !== null);
      // One failed route fails the claim, but only after every other route had its chance.
      if (failures.length > 0) throw failures[0];
      await this.#confirm(p, b);
    });
  }

  /** One call when the cache is right: ReplaceRoute, or CreateRoute for a route that is not there. */
  async #point(p: Prepared, table_id: string, dest: Destination, b: CallBudget): Promise<void> {
    const key = routeKey(table_id, dest.cidr);
    const target = { RouteTableId: table_id, NetworkInterfaceId: p.eni_id, ...destParam(dest) };
    const replace = () =>
      withRetry('ReplaceRoute', b, (abortSignal) =>
        p.client.send(new ReplaceRouteCommand(target), { abortSignal }),
      );
    const create = () =>
      withRetry('CreateRoute', b, (abortSignal) =>
        p.client.send(new CreateRouteCommand(target), { abortSignal }),
      );
    // Someone may create the route between our two calls: then it exists, and one ReplaceRoute settles it.
    const createOrReplace = async (): Promise<void> => {
      try {
        await create();
      } catch (err) {
        if (!(err instanceof AwsError && err.aws_code === 'RouteAlreadyExists')) throw err;
        await replace();
      }
    };
    if (this.#createFirst(p.exists.get(key))) await createOrReplace();
    else {
      try {
        await replace();
      } catch (err) {
        if (!(err instanceof AwsError && isNoRouteDefined(err))) throw err;
        await createOrReplace();
      }
    }
    p.exists.set(key, seen(true));
  }

  /**
   * A fresh reading decides. Otherwise the steady state does: with `keep` the active node holds the route, so
   * it exists; with `delete` the node that released removed it.
   */
  #createFirst(last: Seen | undefined): boolean {
    if (last !== undefined && performance.now() - last.at_ms < SEEN_FRESH_MS) return !last.exists;
    return this.spec.on_release === 'delete';
  }

  async #confirm(p: Prepared, b: CallBudget): Promise<void> {
    let peerReads = 0;
    await confirm(b, {
      first_ms: CONFIRM_FIRST_WAIT_MS,
      max_ms: CONFIRM_WAIT_MAX_MS,
      read: async () =>
        readAll(
          await this.#describe(p.client, p.table_ids, b),
          p.table_ids,
          this.#dests,
          p.eni_id,
          this.spec.peer_eni_id,
        ),
      done: (last) => {
        const pending = last.filter((r) => r.target !== 'self');
        if (pending.length === 0) return true;
        peerReads = pending.some((r) => r.target === 'peer') ? peerReads + 1 : 0;
        if (peerReads >= PEER_READS_TO_YIELD)
          throw new AwsError('AWS_CONFLICT', 'PeerClaimed', `the peer claimed after us: ${listed(pending)}`);
        return false;
      },
      notConfirmed: (last) =>
        new AwsError(
          'AWS_NOT_CONFIRMED',
          'NotConfirmed',
          `routes not at ${p.eni_id} before the deadline: ${listed(last.filter((r) => r.target !== 'self'))}`,
        ),
    });
  }

  /** keep: the next active node replaces the routes (no fight, no gap). delete: remove the routes we hold. */
  release(ctx: ActionContext): Promise<ActionResult> {
    return runVerb(ctx, this.#session.retry, async (b) => {
      if (this.spec.on_release !== 'delete') return;
      const p = await this.prepare(ctx.deadline_ms);
      const ours = (await this.#read(p, b)).filter((r) => r.target === 'self');
      await parallel(
        ours.map((r) => () => {
          const dest = parseDestination(r.destination)!;
          return withRetry('DeleteRoute', b, (abortSignal) =>
            p.client.send(new DeleteRouteCommand({ RouteTableId: r.table_id, ...destParam(dest) }), {
              abortSignal,
            }),
          );
        }),
        ROUTE_CONCURRENCY,
      );
      for (const r of ours) p.exists.set(routeKey(r.table_id, r.destination), seen(false));
    });
  }

  async #read(p: Prepared, b: CallBudget): Promise<RouteReading[]> {
    return readAll(
      await this.#describe(p.client, p.table_ids, b),
      p.table_ids,
      this.#dests,
      p.eni_id,
      this.spec.peer_eni_id,
    );
  }

  /** Every configured route, read back from EC2 (one Describe). */
  async inspect(ctx: ActionContext): Promise<RouteReading[]> {
    const b = budget(ctx.deadline_ms, ctx.signal, this.#session.retry);
    const p = await this.prepare(ctx.deadline_ms);
    const readings = await this.#read(p, b);
    for (const r of readings) p.exists.set(routeKey(r.table_id, r.destination), seen(r.target !== 'none'));
    return readings;
  }

  async observe(ctx: ActionContext): Promise<Observation> {
    try {
      return summarise(await this.inspect(ctx));
    } catch (err) {
      return unknownObservation(err);
    }
  }

  async preflight(ctx: ActionContext): Promise<readonly PreflightCheck[]> {
    const b = budget(ctx.deadline_ms, ctx.signal, this.#session.retry);
    const s = this.spec;
    let p: Prepared;
    const describe = {
      check: 'ec2:DescribeRouteTables (resolve and read the route tables)',
      action: 'ec2:DescribeRouteTables',
      resources: ['*'],
    };
    try {
      p = await this.prepare(ctx.deadline_ms);
    } catch (err) {
      return [failedCheck(describe, err)];
    }
    // prepare() read every table by id: had one been missing, EC2 would have answered NotFound above.
    const checks: Promise<PreflightCheck>[] = [
      Promise.resolve({ check: `${describe.check}: ${p.table_ids.join(', ')}`, status: 'ok' }),
    ];
    const first = this.#dests[0]!;
    for (const table_id of p.table_ids) {
      const resources = [arn(s, 'route-table', table_id), arn(s, 'network-interface', p.eni_id)];
      for (const [action, Command] of [
        ['ec2:ReplaceRoute', ReplaceRouteCommand],
        ['ec2:CreateRoute', CreateRouteCommand],
      ] as const) {
        const input = {
          RouteTableId: table_id,
          NetworkInterfaceId: p.eni_id,
          DryRun: true,
          ...destParam(first),
        };
        checks.push(
          dryRunCheck(
            { check: `${action} on ${table_id} → ${p.eni_id}`, action, resources },
            b,
            (abortSignal) => p.client.send(new Command(input), { abortSignal }),
          ),
        );
      }
    }
    const peerInput = {
      RouteTableId: p.table_ids[0]!,
      NetworkInterfaceId: s.peer_eni_id,
      DryRun: true,
      ...destParam(first),
    };
    checks.push(
      dryRunCheck(
        {
          check: `peer ENI ${s.peer_eni_id} exists (dry-run ReplaceRoute)`,
          action: 'ec2:ReplaceRoute',
          resources: [arn(s, 'route-table', p.table_ids[0]!), arn(s, 'network-interface', s.peer_eni_id)],
        },
        b,
        (abortSignal) => p.client.send(new ReplaceRouteCommand(peerInput), { abortSignal }),
      ),
    );
    return [...(await Promise.all(checks)), ...(await this.#prerequisites(p, b))];
  }

  /**
   * What users most often get wrong (CLOUD.md): the source/destination check still on for our LAN ENI (the
   * instance drops forwarded traffic), and our subnet not associated with any of the configured tables.
   */
  async #prerequisites(p: Prepared, b: CallBudget): Promise<PreflightCheck[]> {
    const sdc = `${PREREQUISITE}source/destination check disabled on ${p.eni_id}`;
    let eni: { SourceDestCheck?: boolean; SubnetId?: string } | undefined;
    try {
      const out = await withRetry('DescribeNetworkInterfaces', b, (abortSignal) =>
        p.client.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [p.eni_id] }), {
          abortSignal,
        }),
      );
      eni = out.NetworkInterfaces?.[0];
    } catch (err) {
      return [failedCheck({ check: sdc, action: 'ec2:DescribeNetworkInterfaces', resources: ['*'] }, err)];
    }
    const out: PreflightCheck[] = [
      eni?.SourceDestCheck === false
        ? { check: sdc, status: 'ok' }
        : {
            check: sdc,
            status: 'error',
            detail: `the source/destination check is on: ${p.eni_id} drops traffic not addressed to it`,
            fix: `aws ec2 modify-network-interface-attribute --network-interface-id ${p.eni_id} --no-source-dest-check`,
          },
    ];
    const subnet = eni?.SubnetId;
    if (subnet === undefined) return out;
    const check = `${PREREQUISITE}subnet ${subnet} associated with a configured route table`;
    try {
      const tables = await this.#describe(p.client, p.table_ids, b);
      const associated = tables.some((t) => (t.Associations ?? []).some((a) => a.SubnetId === subnet));
      out.push(
        associated
          ? { check, status: 'ok' }
          : {
              check,
              status: 'error',
              detail: `none of ${p.table_ids.join(', ')} is associated with ${subnet}`,
              fix: `associate ${subnet} with the route table (aws ec2 associate-route-table) or configure its table`,
            },
      );
    } catch (err) {
      out.push(failedCheck({ check, action: 'ec2:DescribeRouteTables', resources: ['*'] }, err));
    }
    return out;
  }

  close(): void {
    this.#session.close();
  }
}

function destParam(d: Destination): { DestinationCidrBlock: string } | { DestinationIpv6CidrBlock: string } {
  return d.family === 'ipv4' ? { DestinationCidrBlock: d.cidr } : { DestinationIpv6CidrBlock: d.cidr };
}

function routeKey(table_id: string, cidr: string): string {
  return `${table_id} ${cidr}`;
}

function listed(readings: readonly RouteReading[]): string {
  return readings.map((r) => `${r.table_id} ${r.destination} → ${r.detail}`).join('; ');
}

function selectorText(sel: RouteTableSpec['route_tables'][number]): string {
  if (typeof sel === 'string') return sel;
  return 'tag' in sel ? `tag:${sel.tag}=${sel.value}` : `subnet:${sel.subnet}`;
}

export function ownRef(s: {
  eni_id?: string | undefined;
  interface_mac?: string | undefined;
  device_index?: number | undefined;
}) {
  return { eni_id: s.eni_id, mac: s.interface_mac, device_index: s.device_index };
}
