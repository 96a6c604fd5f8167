// The API test from the controller: both nodes run their preflight now (a command each, picked up
// from their next report reply) and the answer shows, per node and per check, the reference's
// distinctions. A node that is offline is shown as offline, never as a failed check.
import { randomUUID } from 'node:crypto';
import { PREREQUISITE } from '../../actions/kit/preflight-report.js';
import { ControllerError } from '../errors.js';
import type { ApiTestView, PreflightCheck, PreflightResult } from '../schema.js';
import { isStale } from '../status.js';
import type { CommandRow, NodeRow } from '../store/tables.js';
import { queueCommand, sleepPoll } from './commands.js';
import { type Ctx, inTransaction, type LoadedSite, loadSite } from './context.js';
import type { CloudSettings } from './network.js';

type NodeTest = NonNullable<ApiTestView['nodes']['primary']>;
type Prerequisite = ApiTestView['prerequisites'][number];

const PREREQUISITE_PREFIX = PREREQUISITE;

export async function startApiTest(ctx: Ctx, site_id: string, wait_ms: number): Promise<ApiTestView> {
  const test_id = randomUUID();
  await inTransaction(ctx, 'api test', async (trx) => {
    const s = await loadSite(trx, site_id, ctx.store);
    if (s.primary === null && s.secondary === null)
      throw new ControllerError('conflict', `site ${s.site.name} has no nodes to test; add them first`);
    const now = ctx.now();
    for (const node of [s.primary, s.secondary]) {
      if (node === null || isStale(node, now, ctx.settings)) continue;
      await queueCommand(trx, { site_id, node, kind: 'preflight', test_id, now });
    }
  });
  const end = Date.now() + wait_ms;
  for (;;) {
    const view = await apiTestView(ctx, site_id, test_id, ctx.now());
    if (view.complete || Date.now() >= end) return view;
    await sleepPoll();
  }
}

export async function loadApiTest(ctx: Ctx, site_id: string, test_id: string): Promise<ApiTestView> {
  return apiTestView(ctx, site_id, test_id, ctx.now());
}

async function apiTestView(ctx: Ctx, site_id: string, test_id: string, now: number): Promise<ApiTestView> {
  const s = await loadSite(ctx.store.db, site_id);
  const rows = await ctx.store.db
    .selectFrom('commands')
    .selectAll()
    .where('test_id', '=', test_id)
    .where('site_id', '=', site_id)
    .execute();
  const created = await ctx.store.db
    .selectFrom('commands')
    .select('created_at')
    .where('test_id', '=', test_id)
    .executeTakeFirst();
  if (rows.length === 0 && created === undefined && !allOffline(s, now, ctx)) {
    throw new ControllerError('not-found', `site ${site_id} has no API test ${test_id}`);
  }
  const primary = nodeTest(s.primary, rows, now);
  const secondary = nodeTest(s.secondary, rows, now);
  const complete = [primary, secondary].every((n) => n === null || n.status !== 'pending');
  return {
    id: test_id,
    site_id,
    complete,
    created_at: rows[0]?.created_at ?? now,
    nodes: { primary, secondary },
    prerequisites: prerequisites(s, [primary, secondary]),
  };
}

function allOffline(s: LoadedSite, now: number, ctx: Ctx): boolean {
  return [s.primary, s.secondary].every((n) => n === null || isStale(n, now, ctx.settings));
}

/**
 * AWS: a subnet lives in one availability zone, so a pair that survives a zone needs one subnet per node.
 * Azure: the floating IP is a secondary ipConfiguration that must share the subnet of the NIC it moves to,
 * so with a floating IP both nodes use the same subnet (the reference: "use the same subnets").
 */
function subnetRule(s: LoadedSite): Prerequisite | null {
  const [p, q] = [s.primary, s.secondary];
  if (p === null || q === null) return null;
  if (s.site.kind === 'aws') {
    const ok = p.subnet !== q.subnet;
    return {
      check: 'the two nodes are on separate subnets',
      status: ok ? 'ok' : 'failed',
      ...(ok
        ? {}
        : {
            detail: `both nodes are on ${p.subnet}`,
            fix: 'put each node in its own subnet (one per availability zone) and update the node in the controller',
          }),
    };
  }
  const floating = (JSON.parse(s.site.cloud) as CloudSettings).azure?.floating_ip ?? null;
  if (s.site.kind !== 'azure' || floating === null) return null;
  const ok = p.subnet === q.subnet;
  return {
    check: `the two nodes share one subnet (the floating IP ${floating} moves between their NICs)`,
    status: ok ? 'ok' : 'failed',
    ...(ok
      ? {}
      : {
          detail: `the primary is on ${p.subnet}, the secondary on ${q.subnet}`,
          fix: "put both nodes' LAN NICs in the floating IP's subnet and update the nodes in the controller",
        }),
  };
}

function nodeTest(node: NodeRow | null, rows: readonly CommandRow[], now: number): NodeTest | null {
  if (node === null) return null;
  const row = rows.find((r) => r.node_id === node.id);
  if (row === undefined) return { node_id: node.id, status: 'offline', checks: [], at: null };
  if (row.status === 'pending') {
    // Never picked up: the node went silent after the test started.
    const status = row.expires_at <= now ? 'offline' : 'pending';
    return { node_id: node.id, status, checks: [], at: null };
  }
  const result = row.result === null ? null : (JSON.parse(row.result) as PreflightResult);
  const checks = (result?.actions ?? []).flatMap((a) => a.checks.map((c) => ({ ...c, action: a.action })));
  const ok = row.status === 'done' && checks.every((c) => c.status === 'ok');
  return { node_id: node.id, status: ok ? 'ok' : 'failed', checks, at: row.done_at };
}

/**
 * The prerequisites users most often get wrong. The nodes check what only they can see (AWS: their ENI's
 * source/destination check and their subnet's route table association; Azure: IP forwarding on their NIC and
 * a subnet on each route table) in their preflight; the controller checks what the site says (the subnets).
 */
function prerequisites(s: LoadedSite, nodes: readonly (NodeTest | null)[]): Prerequisite[] {
  const out: Prerequisite[] = [];
  const subnets = subnetRule(s);
  if (subnets !== null) out.push(subnets);
  for (const n of nodes) {
    if (n === null) continue;
    const role = n.node_id === s.primary?.id ? 'primary' : 'secondary';
    for (const c of n.checks.filter((x: PreflightCheck) => x.check.startsWith(PREREQUISITE_PREFIX))) {
      const check = `${role}: ${c.check.slice(PREREQUISITE_PREFIX.length)}`;
      // Two actions on one NIC check its IP forwarding twice: the prerequisite is listed once.
      if (out.some((p) => p.check === check)) continue;
      out.push({
        check,
        status: c.status === 'ok' ? 'ok' : 'failed',
        ...(c.detail !== undefined ? { detail: c.detail } : {}),
        ...(c.fix !== undefined ? { fix: c.fix } : {}),
      });
    }
    if (n.status === 'offline' || n.status === 'pending')
      out.push({
        check: `${role}: checks on the node`,
        status: 'unknown',
        detail: `the node is ${n.status}`,
      });
  }
  return out;
}
