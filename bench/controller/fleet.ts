// The bench's fleet: N/2 sites, each a pair. A model pair is created and enrolled through the
// controller's own model functions (the code behind POST /sites, POST /sites/:id/nodes and POST
// /enroll), and its rows are read twice: fresh (never heard from), and after each node's first
// report went through the report path. The other pairs are copies of those rows with their own ids,
// names and credentials, written in a few bulk inserts: the first `fresh` agents as never heard from
// (their first report is a change: the boot storm), the rest as already reporting (the steady state
// of a running fleet). Going through the API for all of them (25,000 calls for 10,000 agents) took
// minutes on a shared two-core host; copying a real pair's rows keeps their shape exactly.
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { hashSecret, newSecret } from '../../src/controller/auth.js';
import type { Ctx } from '../../src/controller/model/context.js';
import { addNode, enroll } from '../../src/controller/model/nodes.js';
import { createSite } from '../../src/controller/model/sites.js';
import { writeBatch } from '../../src/controller/reports.js';
import type { Report } from '../../src/controller/schema.js';
import { DEFAULT_SETTINGS } from '../../src/controller/settings.js';
import { openStore } from '../../src/controller/store/open.js';

export interface BenchNode {
  readonly id: string;
  readonly credential: string;
  readonly state: 'active' | 'standby';
}

/** What every bench agent reports: always the same facts, so all but its first report are periodic. */
export function benchReport(id: string, state: BenchNode['state']): Report {
  return {
    id,
    state,
    wan_ok: true,
    hears_peer: true,
    version: '1.4.2',
    indicators: { connected: true, keepalive: true, same_version: true },
    wan: [
      { name: 'wan1', up: true },
      { name: 'wan2', up: true },
    ],
    last_keepalive_at: Date.now(),
    action_results: [],
  };
}

/** Rows per bulk insert: well inside SQLite's and PostgreSQL's bound on parameters per statement. */
const CHUNK = 400;

/** `agents` in all; the first `fresh` of them never heard from. */
export async function seedFleet(store_url: string, agents: number, fresh: number): Promise<BenchNode[]> {
  const store = await openStore({ url: store_url });
  const ctx: Ctx = { store, settings: DEFAULT_SETTINGS, now: Date.now, log: pino({ level: 'silent' }) };
  try {
    const model = await createSite(ctx, { name: 'site-0', kind: 'aws' });
    const first: BenchNode[] = [];
    for (const [role, net] of [
      ['primary', 3],
      ['secondary', 17],
    ] as const) {
      const added = await addNode(ctx, model.id, {
        role,
        model: 'vm',
        mgmt_ip: `10.0.${net}.10`,
        subnet: `10.0.${net}.0/24`,
      });
      const e = await enroll(ctx, added.enrollment_token);
      first.push({
        id: e.node_id,
        credential: e.credential,
        state: role === 'primary' ? 'active' : 'standby',
      });
    }
    const db = store.db;
    const snapshot = async () => ({
      site: await db.selectFrom('sites').selectAll().where('id', '=', model.id).executeTakeFirstOrThrow(),
      pair: await db
        .selectFrom('nodes')
        .selectAll()
        .where('site_id', '=', model.id)
        .orderBy('role')
        .execute(),
    });
    const never = await snapshot();
    const hashes = new Map(never.pair.map((n) => [n.id, n.credential_hash!]));
    const results = await writeBatch(
      store,
      { settings: DEFAULT_SETTINGS, now_ms: Date.now() },
      first.map((n) => ({
        credential_hash: hashes.get(n.id)!,
        node_id: n.id,
        report: benchReport(`seed-${n.id}`, n.state),
      })),
    );
    if (results.some((r) => r instanceof Error))
      throw new Error(`seeding report refused: ${String(results)}`);
    const reporting = await snapshot();
    const nodes = [...first];
    const sites = [];
    const rows = [];
    for (let i = 1; i < Math.ceil(agents / 2); i++) {
      const { site, pair } = 2 * i <= fresh ? never : reporting;
      const site_id = randomUUID();
      const ids = pair.map(() => randomUUID());
      sites.push({
        ...site,
        id: site_id,
        name: `site-${i}`,
        primary_node_id: ids[0]!,
        secondary_node_id: ids[1]!,
      });
      for (const [k, node] of pair.entries()) {
        const credential = newSecret('node');
        rows.push({ ...node, id: ids[k]!, site_id, credential_hash: hashSecret(credential) });
        nodes.push({ id: ids[k]!, credential, state: node.role === 'primary' ? 'active' : 'standby' });
      }
    }
    for (let i = 0; i < sites.length; i += CHUNK) {
      await db
        .insertInto('sites')
        .values(sites.slice(i, i + CHUNK))
        .execute();
    }
    for (let i = 0; i < rows.length; i += CHUNK) {
      await db
        .insertInto('nodes')
        .values(rows.slice(i, i + CHUNK))
        .execute();
    }
    return nodes.slice(0, agents);
  } finally {
    await store.close();
  }
}
