// A store created before 0002 gains `both_active_since` when a newer controller opens it, and the
// split-brain rule works on its existing sites.
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, type Migration, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { RunningController } from '../../src/controller/server.js';
import { migrations } from '../../src/controller/store/migrations.js';
import { apiFor, FakeClock, harness, report, STORES, type StoreKind, Stores } from '../helpers/controller.js';

const ADMIN = 'tdk_migration-test-admin-token-0123';

/** Creates the store as the first release did: migration 0001 only. */
async function storeAt0001(kind: StoreKind, url: string): Promise<void> {
  const db = new Kysely<unknown>({
    dialect:
      kind === 'postgres'
        ? new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) })
        : new SqliteDialect({ database: new BetterSqlite3(url) }),
  });
  try {
    const only = { '0001_initial': migrations(kind)['0001_initial']! };
    const migrator = new Migrator({
      db,
      provider: { getMigrations: async (): Promise<Record<string, Migration>> => only },
    });
    const { error } = await migrator.migrateToLatest();
    if (error) throw error;
  } finally {
    await db.destroy();
  }
}

for (const kind of STORES) {
  describe(`store migrations on ${kind}`, () => {
    const stores = new Stores(kind);
    let c: RunningController | null = null;
    afterEach(async () => {
      await c?.close();
      c = null;
    });
    after(() => stores.cleanup());

    test('0002 adds both_active_since to an existing store; its sites follow the split-brain rule', async () => {
      const url = await stores.url();
      await storeAt0001(kind, url);
      const clock = new FakeClock();
      const h = await harness(url, { clock, admin_token: ADMIN });
      c = h.c;
      const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
        h.c.store.db,
      );
      assert.deepEqual(
        applied.rows.map((r) => r.name),
        [
          '0001_initial',
          '0002_both_active_since',
          '0003_managed',
          '0004_pathwatch',
          '0005_progress',
          '0006_tunables',
        ],
      );
      const api = apiFor(h.c.url, ADMIN);
      const site = await api('POST', '/api/v1/sites', { name: 'old', kind: 'physical' });
      const ids: { id: string; cred: string }[] = [];
      for (const [role, ip] of [
        ['primary', '10.0.3.10'],
        ['secondary', '10.0.3.11'],
      ] as const) {
        const n = await api('POST', `/api/v1/sites/${site.body.id}/nodes`, {
          role,
          model: 'v1',
          mgmt_ip: ip,
          subnet: '10.0.3.0/24',
        });
        const e = await api('POST', '/api/v1/enroll', { enrollment_token: n.body.enrollment_token }, null);
        ids.push({ id: e.body.node_id, cred: e.body.credential });
      }
      for (const n of ids)
        await api('POST', `/api/v1/nodes/${n.id}/reports`, report({ state: 'active' }), n.cred);
      const row = await h.c.store.db
        .selectFrom('sites')
        .select('both_active_since')
        .where('id', '=', site.body.id)
        .executeTakeFirstOrThrow();
      assert.equal(
        row.both_active_since,
        clock.now(),
        'an epoch-ms value round-trips (bigint on PostgreSQL)',
      );
      clock.advance(6000);
      await h.c.sweep();
      const sb = await api('GET', `/api/v1/events?site_id=${site.body.id}&type=split-brain`);
      assert.equal(sb.body.events.length, 1);
    });
  });
}
