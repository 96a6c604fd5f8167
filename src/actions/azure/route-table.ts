// azure-route-table (the fast path, CLOUD.md §2.5): the next hop (VirtualAppliance, our LAN IP) of the routes
// for the configured prefixes, in every configured route table, rewritten in parallel, one route PUT each
// (a PUT of the whole table would replace every other route). Done when every route reads back at us.
// Pathwatch uses the same driver one slot at a time: `write` only the routes it picks (missing ones, not a
// third party's), `remove` its own (the ExpressRoute gateway's BGP route then carries the traffic again).
import type { Route, RouteTable } from '@azure/arm-network';
import { parseCidr } from '../../net/address.js';
import type { Driver } from '../kit/arbiter.js';
import { confirm } from '../kit/confirm.js';
import { Resolved } from '../kit/resolved.js';
import { budget, type CallBudget, parallel, runVerb } from '../kit/retry.js';
import type { ActionContext, ActionResult, Observation, PreflightCheck } from '../types.js';
import { armRequest, withRetry } from './client.js';
import { AzureError, toActionError } from './errors.js';
import { PREPARE_DEADLINE_MS } from './floating-ip.js';
import { Nics, primaryOf } from './nic.js';
import { type RouteTableCheckOptions, routeTableChecks } from './preflight.js';
import { DEFAULT_ROUTE_DEADLINE_MS, type RouteTableSpec } from './schema.js';
import { type AzureContext, AzureSession, nameOf, type Where } from './session.js';

/** Bounded so that ten tables × a few routes go out in one wave while staying far below ARM's write bucket. */
const PARALLEL_WRITES = 16;
const CONFIRM_FIRST_MS = 100;
const CONFIRM_MAX_MS = 1000;
/** Reads showing the peer's next hop, in a row, before a claim yields to it (the peer claimed after us). */
const PEER_READS_TO_YIELD = 2;

export interface RouteSlot {
  readonly table: string;
  readonly resource_group: string;
  readonly prefix: string;
  /** The existing route's name, or the one we create. */
  readonly route: string;
}

interface Prepared {
  readonly w: Where;
  readonly next_hop: string;
  readonly slots: readonly RouteSlot[];
}

/** One configured route as read: at us (`self`), at the peer, at something else, or missing (`none`). */
export interface SlotReading {
  readonly slot: RouteSlot;
  readonly target: Observation['target'];
  /** `VirtualAppliance 10.1.2.10`, or `missing`. */
  readonly seen: string;
  /** The existing route's name: it may differ from the slot's when it appeared after start-up. */
  readonly route: string | null;
  /** A VirtualAppliance route's next hop, whatever its provisioning state. */
  readonly next_hop: string | null;
}
type Reading = SlotReading;

/** The driver's spec; without a peer (pathwatch) no next hop reads as the peer's. */
export type RouteTableTarget = Omit<RouteTableSpec, 'peer_next_hop'> & { readonly peer_next_hop?: string };

export class AzureRouteTableAction implements Driver {
  readonly kind = 'azure-route-table';
  readonly name: string;
  readonly deadline_ms: number;
  readonly spec: RouteTableTarget;
  readonly #s: AzureSession;
  readonly #prepared = new Resolved<Prepared>();

  constructor(spec: RouteTableTarget, ctx: AzureContext) {
    this.spec = spec;
    this.name = spec.name ?? `azure-route-table ${spec.route_tables.map(nameOf).join(',')}`;
    this.deadline_ms = spec.deadline_ms ?? DEFAULT_ROUTE_DEADLINE_MS;
    this.#s = new AzureSession(spec, ctx);
  }

  prepare(b: CallBudget = budget(PREPARE_DEADLINE_MS, undefined, this.#s.retry)): Promise<Prepared> {
    return this.#prepared.get(() => this.#resolve(b));
  }

  close(): void {}

  preflight(ctx: ActionContext): Promise<readonly PreflightCheck[]> {
    return routeTableChecks(this.#s, this.spec, ctx);
  }

  /** The same checks with other write permissions and no own-NIC forwarding check (pathwatch's). */
  preflightWith(ctx: ActionContext, o: RouteTableCheckOptions): Promise<readonly PreflightCheck[]> {
    return routeTableChecks(this.#s, this.spec, ctx, o);
  }

  /** Every configured route, read once (pathwatch decides from these). Throws when they cannot be read. */
  async readings(ctx: ActionContext): Promise<SlotReading[]> {
    const b = budget(ctx.deadline_ms, ctx.signal, this.#s.retry);
    return this.#read(await this.prepare(b), b);
  }

  /** Points the routes `pick` chooses at our next hop (a fresh reading decides), then reads them back. */
  write(ctx: ActionContext, pick: (r: SlotReading) => boolean): Promise<ActionResult> {
    return runVerb(ctx, this.#s.retry, toActionError, async (b) => {
      const p = await this.prepare(b);
      const todo = (await this.#read(p, b)).filter(pick);
      await parallel(
        todo.map((r) => () => this.#write(p, { ...r.slot, route: r.route ?? r.slot.route }, b)),
        PARALLEL_WRITES,
      );
      const mine = (r: SlotReading): boolean => todo.some((t) => sameSlot(t.slot, r.slot));
      await this.#settle(p, b, (r) => !mine(r) || r.target === 'self', `at ${p.next_hop}`);
    });
  }

  /** Deletes the routes `pick` chooses (only ever ours), then reads until they are gone. */
  remove(ctx: ActionContext, pick: (r: SlotReading) => boolean): Promise<ActionResult> {
    return runVerb(ctx, this.#s.retry, toActionError, async (b) => {
      const p = await this.prepare(b);
      const todo = (await this.#read(p, b)).filter((r) => r.route !== null && pick(r));
      await parallel(
        todo.map((r) => () => this.#delete(p, r.slot, r.route!, b)),
        PARALLEL_WRITES,
      );
      const mine = (r: SlotReading): boolean => todo.some((t) => sameSlot(t.slot, r.slot));
      // Deleting: the route reads `other` (provisioning Deleting) until the operation completes.
      await this.#settle(p, b, (r) => !mine(r) || r.target === 'none', 'deleted');
    });
  }

  claim(ctx: ActionContext): Promise<ActionResult> {
    return runVerb(ctx, this.#s.retry, toActionError, async (b) => {
      const p = await this.prepare(b);
      // No read first: a rewrite of a route already at us is harmless, and a read would cost a round trip.
      ctx.progress?.({
        phase: 'routes-update',
        elapsed_ms: performance.now() - b.started_at_ms,
        detail: `${p.slots.length} route(s) → ${p.next_hop}`,
      });
      await parallel(
        p.slots.map((slot) => () => this.#write(p, slot, b)),
        PARALLEL_WRITES,
      );
      await this.#confirm(p, b);
      ctx.progress?.({ phase: 'confirmed', elapsed_ms: performance.now() - b.started_at_ms });
    });
  }

  /** Nothing to undo: the next active node rewrites the next hops (no gap, no fight). */
  release(ctx: ActionContext): Promise<ActionResult> {
    return runVerb(ctx, this.#s.retry, toActionError, async () => {});
  }

  async observe(ctx: ActionContext): Promise<Observation> {
    const b = budget(ctx.deadline_ms, ctx.signal, this.#s.retry);
    try {
      const readings = await this.#read(await this.prepare(b), b);
      return summarise(readings);
    } catch (err) {
      return { target: 'unknown', error: toActionError(err) };
    }
  }

  async #resolve(b: CallBudget): Promise<Prepared> {
    const w = await this.#s.where(b);
    const next_hop = this.spec.next_hop ?? (await this.#ownAddress(w, b));
    const tables = await Promise.all(this.spec.route_tables.map((t) => this.#table(w, t, b)));
    const slots = tables.flatMap(({ rg, table }) =>
      this.spec.prefixes.map((prefix) => ({
        table: table.name ?? '',
        resource_group: rg,
        prefix,
        route:
          (table.routes ?? []).find((r) => samePrefix(r.addressPrefix, prefix))?.name ?? routeNameFor(prefix),
      })),
    );
    return { w, next_hop, slots };
  }

  async #ownAddress(w: Where, b: CallBudget): Promise<string> {
    const nics = new Nics(this.#s);
    const nic = await withRetry('read our NIC', b, (signal) =>
      nics.get(w, { resource_group: w.resource_group, name: w.nic }, signal),
    );
    const ip = primaryOf(nic)?.privateIPAddress;
    if (!ip)
      throw new AzureError(
        'AZURE_DISCOVERY',
        'NoPrimary',
        `NIC ${w.nic} has no primary private IP; set next_hop`,
      );
    return ip;
  }

  #table(w: Where, ref: string, b: CallBudget): Promise<{ rg: string; table: RouteTable }> {
    const m = /\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/routeTables\/([^/]+)$/i.exec(ref);
    const rg = m?.[1] ?? w.resource_group;
    const name = m?.[2] ?? ref;
    return withRetry(`read route table ${name}`, b, async (signal) => ({
      rg,
      table: await w.client.routeTables.get(rg, name, this.#s.opts(signal)),
    }));
  }

  async #read(p: Prepared, b: CallBudget): Promise<Reading[]> {
    const byTable = new Map<string, RouteSlot[]>();
    for (const s of p.slots)
      byTable.set(`${s.resource_group}/${s.table}`, [
        ...(byTable.get(`${s.resource_group}/${s.table}`) ?? []),
        s,
      ]);
    const groups = await Promise.all(
      [...byTable.values()].map(async (slots) => {
        const first = slots[0]!;
        const table = await withRetry(`read route table ${first.table}`, b, (signal) =>
          p.w.client.routeTables.get(first.resource_group, first.table, this.#s.opts(signal)),
        );
        return slots.map((slot) => this.#reading(slot, table.routes ?? [], p.next_hop));
      }),
    );
    return groups.flat();
  }

  #reading(slot: RouteSlot, routes: readonly Route[], ours: string): Reading {
    const r =
      routes.find((x) => x.name === slot.route) ??
      routes.find((x) => samePrefix(x.addressPrefix, slot.prefix));
    if (!r) return { slot, target: 'none', seen: 'missing', route: null, next_hop: null };
    const hop = r.nextHopType === 'VirtualAppliance' ? r.nextHopIpAddress : undefined;
    const seen = `${r.nextHopType ?? '?'} ${hop ?? ''}`.trim();
    const found = { seen, route: r.name ?? null, next_hop: hop ?? null };
    // A route still Updating is not ours yet: the data plane uses it only once its operation succeeded.
    if (hop === ours)
      return { slot, target: r.provisioningState === 'Succeeded' ? 'self' : 'other', ...found };
    if (hop !== undefined && hop === this.spec.peer_next_hop) return { slot, target: 'peer', ...found };
    return { slot, target: 'other', ...found };
  }

  #write(p: Prepared, slot: RouteSlot, b: CallBudget): Promise<unknown> {
    const path = routePath(p, slot, slot.route);
    const body = {
      properties: {
        addressPrefix: slot.prefix,
        nextHopType: 'VirtualAppliance',
        nextHopIpAddress: p.next_hop,
      },
    };
    return withRetry(`route ${slot.prefix} in ${slot.table} → ${p.next_hop}`, b, (signal) =>
      armRequest(p.w.client, this.#s.endpoint, 'PUT', path, { body, signal, timeout_ms: this.#s.timeout_ms }),
    );
  }

  #delete(p: Prepared, slot: RouteSlot, route: string, b: CallBudget): Promise<unknown> {
    // A 404 is not retried by the classifier: the route is already gone, which is the end state.
    return withRetry(`delete route ${slot.prefix} in ${slot.table}`, b, (signal) =>
      armRequest(p.w.client, this.#s.endpoint, 'DELETE', routePath(p, slot, route), {
        signal,
        timeout_ms: this.#s.timeout_ms,
      }).catch((err: unknown) => {
        if ((err as { statusCode?: number }).statusCode === 404) return undefined;
        throw err;
      }),
    );
  }

  /** Reads until every route satisfies `done` (ARM applies a route write as an operation of its own). */
  async #settle(p: Prepared, b: CallBudget, done: (r: SlotReading) => boolean, what: string): Promise<void> {
    await confirm(b, {
      first_ms: CONFIRM_FIRST_MS,
      max_ms: CONFIRM_MAX_MS,
      read: () => this.#read(p, b),
      done: (readings) => readings.every(done),
      notConfirmed: (readings) =>
        new AzureError(
          'AZURE_NOT_CONFIRMED',
          'NotConfirmed',
          `routes not ${what} before the deadline: ${listed(readings.filter((r) => !done(r)))}`,
        ),
    });
  }

  async #confirm(p: Prepared, b: CallBudget): Promise<void> {
    let peerReads = 0;
    await confirm(b, {
      first_ms: CONFIRM_FIRST_MS,
      max_ms: CONFIRM_MAX_MS,
      read: () => this.#read(p, b),
      done: (readings) => {
        const pending = readings.filter((r) => r.target !== 'self');
        if (pending.length === 0) return true;
        peerReads = pending.some((r) => r.target === 'peer') ? peerReads + 1 : 0;
        if (peerReads >= PEER_READS_TO_YIELD)
          throw new AzureError(
            'AZURE_PEER_CLAIMED',
            'PeerClaimed',
            `the peer claimed after us: ${listed(pending)}`,
          );
        return false;
      },
      notConfirmed: (readings) =>
        new AzureError(
          'AZURE_NOT_CONFIRMED',
          'NotConfirmed',
          `routes not at ${p.next_hop} before the deadline: ${listed(readings.filter((r) => r.target !== 'self'))}`,
        ),
    });
  }
}

function routePath(p: Prepared, slot: RouteSlot, route: string): string {
  return (
    `/subscriptions/${p.w.subscription_id}/resourceGroups/${slot.resource_group}` +
    `/providers/Microsoft.Network/routeTables/${slot.table}/routes/${route}`
  );
}

function sameSlot(a: RouteSlot, b: RouteSlot): boolean {
  return a.resource_group === b.resource_group && a.table === b.table && a.prefix === b.prefix;
}

function summarise(readings: readonly Reading[]): Observation {
  if (readings.every((r) => r.target === 'self')) return { target: 'self' };
  if (readings.some((r) => r.target === 'peer')) return { target: 'peer' };
  const other = readings.find((r) => r.target === 'other');
  if (other) return { target: 'other', detail: `${other.slot.table} ${other.slot.prefix} → ${other.seen}` };
  return { target: 'none' };
}

function listed(readings: readonly Reading[]): string {
  return readings.map((r) => `${r.slot.table} ${r.slot.prefix} → ${r.seen}`).join('; ');
}

function samePrefix(a: string | undefined, b: string): boolean {
  const x = parseCidr(a ?? '');
  const y = parseCidr(b);
  return x.ok && y.ok && x.value.text === y.value.text;
}

/** `0.0.0.0/0` → `tandem-0.0.0.0-0`: route names allow letters, digits, `.`, `-` and `_`. */
export function routeNameFor(prefix: string): string {
  return `tandem-${prefix.replace('/', '-')}`;
}
