// Group commit: reports that arrive together are written in one batch and each is answered only
// once its batch has committed. A batch the store cannot take (busy, unreachable) answers every
// member with the failure (503 over HTTP) and stores none of them; a failure that may be one
// report's fault sends the others through alone, each stored exactly once.
import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import pino from 'pino';
import { hashSecret } from '../../src/controller/auth.js';
import { type ReportJob, ReportWriter } from '../../src/controller/reports.js';
import type { Report } from '../../src/controller/schema.js';
import { DEFAULT_SETTINGS } from '../../src/controller/settings.js';
import type { Store } from '../../src/controller/store/open.js';
import { isStoreUnavailable } from '../../src/controller/store/unavailable.js';
import { FakeClock, type Harness, harness, pairSite, report, STORES, Stores } from '../helpers/controller.js';

type Node = { id: string; cred: string };

for (const kind of STORES) {
  describe(`group commit on ${kind}`, () => {
    const stores = new Stores(kind);
    const clock = new FakeClock();
    let url: string;
    let h: Harness;
    let nodes: Node[];

    /** The store, with every batch's first read (one per batch) counted. */
    const counted = (store: Store, batches: number[]): Store => ({
      ...store,
      batch: {
        ...store.batch,
        nodesByCredential: (db, hashes) => {
          batches.push(hashes.length);
          return store.batch.nodesByCredential(db, hashes);
        },
      },
    });
    const writer = (store: Store) =>
      new ReportWriter({
        store,
        settings: DEFAULT_SETTINGS,
        now: () => clock.now(),
        log: pino({ level: 'silent' }),
      });
    const job = (n: Node, r: Report): ReportJob => ({
      credential_hash: hashSecret(n.cred),
      node_id: n.id,
      report: r,
    });
    const logged = async (ids: readonly string[]): Promise<string[]> =>
      (
        await h.c.store.db
          .selectFrom('reports')
          .select('report_id')
          .where('report_id', 'in', [...ids])
          .execute()
      ).map((r) => r.report_id);
    const postReport = (n: Node, r: Report) =>
      fetch(`${h.c.url}/api/v1/nodes/${n.id}/reports`, {
        method: 'POST',
        headers: { authorization: `Bearer ${n.cred}`, 'content-type': 'application/json' },
        body: JSON.stringify(r),
      });

    beforeEach(async () => {
      url = await stores.url();
      h = await harness(url, { clock, busy_ms: 200 });
      nodes = [];
      for (let i = 0; i < 6; i++) {
        const site = await pairSite(h.api, `site-${i}`);
        nodes.push(site.primary, site.secondary);
      }
      // Each node's first report is a change; the ones the tests send after it are periodic.
      for (const n of nodes) assert.equal((await postReport(n, report())).status, 200);
    });
    afterEach(async () => h.c.close());
    after(() => stores.cleanup());

    test('reports submitted together are one batch; each is answered once stored', async () => {
      const batches: number[] = [];
      const w = writer(counted(h.c.store, batches));
      const sent = nodes.map((n, i) => job(n, report(i % 3 === 0 ? { state: 'active' } : {})));
      const outcomes = await Promise.all(sent.map((j) => w.submit(j)));
      assert.deepEqual(batches, [nodes.length], 'one batch, one read for all of them');
      assert.ok(outcomes.every((o) => o.duplicate === false));
      const ids = sent.map((j) => j.report.id);
      assert.deepEqual((await logged(ids)).sort(), [...ids].sort());
    });

    test('concurrent HTTP reports are all stored and acknowledged', async () => {
      const sent = nodes.map((n) => ({ n, r: report() }));
      const answers = await Promise.all(sent.map(({ n, r }) => postReport(n, r)));
      assert.deepEqual(
        answers.map((a) => a.status),
        sent.map(() => 200),
      );
      const ids = sent.map((s) => s.r.id);
      assert.deepEqual((await logged(ids)).sort(), [...ids].sort());
    });

    test('a batch the store cannot take answers 503 to every member and stores none of them', async () => {
      const fail = await storeRefusesWrites(kind, url, h.c.store);
      const sent = nodes.map((n, i) => ({ n, r: report(i === 0 ? { state: 'active' } : {}) }));
      let answers: Response[];
      try {
        answers = await Promise.all(sent.map(({ n, r }) => postReport(n, r)));
      } finally {
        await fail.restore();
      }
      for (const a of answers) {
        assert.equal(a.status, 503);
        assert.equal(a.headers.get('retry-after'), '1');
        assert.equal(((await a.json()) as { error: { code: string } }).error.code, 'unavailable');
      }
      assert.deepEqual(await logged(sent.map((s) => s.r.id)), []);
      // The same reports, sent again, are stored once each.
      const again = await Promise.all(sent.map(({ n, r }) => postReport(n, r)));
      assert.deepEqual(
        again.map((a) => a.status),
        sent.map(() => 200),
      );
      assert.equal((await logged(sent.map((s) => s.r.id))).length, sent.length);
    });

    test('the writer answers a whole failed batch at once with the store failure', async () => {
      const batches: number[] = [];
      const w = writer(counted(h.c.store, batches));
      const fail = await storeRefusesWrites(kind, url, h.c.store);
      const sent = nodes.map((n) => job(n, report()));
      let results: PromiseSettledResult<unknown>[];
      try {
        results = await Promise.allSettled(sent.map((j) => w.submit(j)));
      } finally {
        await fail.restore();
      }
      assert.deepEqual(batches, [nodes.length], 'one attempt for the batch, none alone');
      for (const r of results) {
        assert.equal(r.status, 'rejected');
        assert.ok(isStoreUnavailable(r.reason), String(r.reason));
      }
      assert.deepEqual(await logged(sent.map((j) => j.report.id)), []);
    });

    test('a failure that may be one report’s fault: the others go through alone, each stored once', async () => {
      const batches: number[] = [];
      const w = writer(counted(h.c.store, batches));
      const poison = report({ id: 'poison-report' });
      const restore = await refuseReport(kind, h.c.store, poison.id);
      const sent = nodes.map((n, i) => job(n, i === 3 ? poison : report()));
      let results: PromiseSettledResult<unknown>[];
      try {
        results = await Promise.allSettled(sent.map((j) => w.submit(j)));
      } finally {
        await restore();
      }
      assert.equal(results[3]!.status, 'rejected');
      const others = results.filter((_, i) => i !== 3);
      assert.ok(others.every((r) => r.status === 'fulfilled'));
      assert.equal(batches[0], nodes.length, 'first as one batch');
      const ids = sent.filter((_, i) => i !== 3).map((j) => j.report.id);
      const stored = await logged(ids);
      assert.deepEqual([...stored].sort(), [...ids].sort(), 'each of the others exactly once');
      assert.deepEqual(await logged([poison.id]), []);
    });
  });
}

/**
 * Makes the store refuse writes as when it is busy or going away: on SQLite another connection
 * holds the write lock (past the controller's 200 ms budget); on PostgreSQL every insert into the
 * report log fails with 57P03 (cannot connect now), as a database shutting down answers.
 */
async function storeRefusesWrites(
  kind: 'sqlite' | 'postgres',
  url: string,
  store: Store,
): Promise<{ restore(): Promise<void> }> {
  if (kind === 'sqlite') {
    const other = new BetterSqlite3(url);
    other.exec('BEGIN IMMEDIATE');
    return {
      async restore() {
        other.exec('ROLLBACK');
        other.close();
      },
    };
  }
  await sql`CREATE FUNCTION refuse_reports() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'the database system is shutting down' USING ERRCODE = '57P03'; END $$`.execute(
    store.db,
  );
  await sql`CREATE TRIGGER refuse_reports BEFORE INSERT ON reports
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_reports()`.execute(store.db);
  return {
    async restore() {
      await sql`DROP TRIGGER refuse_reports ON reports`.execute(store.db);
      await sql`DROP FUNCTION refuse_reports()`.execute(store.db);
    },
  };
}

/** Makes the store fail (not as unavailable: a plain error) on inserting one report. */
async function refuseReport(kind: 'sqlite' | 'postgres', store: Store, report_id: string) {
  if (kind === 'sqlite') {
    await sql`CREATE TRIGGER refuse_one BEFORE INSERT ON reports
      WHEN NEW.report_id = ${sql.lit(report_id)} BEGIN SELECT RAISE(ABORT, 'refused'); END`.execute(store.db);
    return async () => {
      await sql`DROP TRIGGER refuse_one`.execute(store.db);
    };
  }
  await sql`CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.report_id = ${sql.lit(report_id)} THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$`.execute(
    store.db,
  );
  await sql`CREATE TRIGGER refuse_one BEFORE INSERT ON reports
    FOR EACH ROW EXECUTE FUNCTION refuse_one()`.execute(store.db);
  return async () => {
    await sql`DROP TRIGGER refuse_one ON reports`.execute(store.db);
    await sql`DROP FUNCTION refuse_one()`.execute(store.db);
  };
}
