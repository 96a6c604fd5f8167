// One write batch holding every kind of report at once: refused ones next to stored ones, a node's
// two reports in order, a resend, periodic reports that refresh the node row only when due.
import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { hashSecret } from '../../src/controller/auth.js';
import { ControllerError } from '../../src/controller/errors.js';
import {
  type ReportJob,
  type ReportResult,
  touchInterval,
  WriteFailed,
  writeBatch,
} from '../../src/controller/reports.js';
import type { Report } from '../../src/controller/schema.js';
import { DEFAULT_SETTINGS } from '../../src/controller/settings.js';
import { FakeClock, type Harness, harness, pairSite, report, STORES, Stores } from '../helpers/controller.js';

const settings = { ...DEFAULT_SETTINGS, stale_after_ms: 20_000 };

function codeOf(r: ReportResult): string {
  if (r instanceof ControllerError) return r.code;
  if (r instanceof WriteFailed) return `failed: ${String(r.cause)}`;
  return r.duplicate ? 'duplicate' : 'stored';
}

for (const kind of STORES) {
  describe(`a report batch on ${kind}`, () => {
    const stores = new Stores(kind);
    const clock = new FakeClock();
    let h: Harness;
    let a: Awaited<ReturnType<typeof pairSite>>;
    let b: Awaited<ReturnType<typeof pairSite>>;
    const job = (cred: string, node_id: string, r: Report): ReportJob => ({
      credential_hash: hashSecret(cred),
      node_id,
      report: r,
    });
    const apply = (jobs: ReportJob[]) => writeBatch(h.c.store, { settings, now_ms: clock.now() }, jobs);
    const node = (id: string) =>
      h.c.store.db.selectFrom('nodes').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const logged = async (id: string) =>
      (
        await h.c.store.db
          .selectFrom('reports')
          .select('report_id')
          .where('node_id', '=', id)
          .orderBy('id')
          .execute()
      ).map((r) => r.report_id);

    beforeEach(async () => {
      h = await harness(await stores.url(), { clock, settings });
      a = await pairSite(h.api, 'site-a');
      b = await pairSite(h.api, 'site-b');
      const removed = await h.api('DELETE', `/api/v1/sites/${b.site_id}/nodes/secondary`);
      assert.equal(removed.status, 200, JSON.stringify(removed.body));
    });
    afterEach(async () => h.c.close());
    after(() => stores.cleanup());

    test('refused reports fail alone; the rest are stored in order and judged once per site', async () => {
      const first = report({ state: 'active' });
      const second = report({ state: 'active', last_keepalive_at: 42 });
      const results = await apply([
        job(a.primary.cred, a.primary.id, first),
        job(a.secondary.cred, a.primary.id, report()),
        job('tdn_not-a-credential-of-anyone', a.primary.id, report()),
        job(b.secondary.cred, b.secondary.id, report()),
        job(a.primary.cred, a.primary.id, second),
        job(a.secondary.cred, a.secondary.id, report({ state: 'standby' })),
      ]);
      assert.deepEqual(results.map(codeOf), [
        'stored',
        'forbidden',
        'unauthenticated',
        'node-removed',
        'stored',
        'stored',
      ]);
      assert.deepEqual(await logged(a.primary.id), [first.id, second.id]);
      assert.deepEqual(await logged(b.secondary.id), []);
      const p = await node(a.primary.id);
      assert.equal(p.last_report_id, second.id, 'the later report is the latest');
      assert.equal(p.last_keepalive_at, 42);
      const status = (await h.api('GET', `/api/v1/sites/${a.site_id}/status`)).body;
      assert.equal(status.ready, true);
      assert.equal(status.active, 'primary');
      const events = (await h.api('GET', `/api/v1/events?site_id=${a.site_id}`)).body.events;
      // Both nodes came up in one batch: one `ready`, never a `not-ready` in between.
      assert.deepEqual(events.map((e: { type: string }) => e.type).sort(), [
        'node-enrolled',
        'node-enrolled',
        'ready',
        'state-change',
        'state-change',
      ]);

      const again = await apply([job(a.primary.cred, a.primary.id, second)]);
      assert.deepEqual(again.map(codeOf), ['duplicate']);
      assert.deepEqual(await logged(a.primary.id), [first.id, second.id]);
    });

    test("a pathwatch part from a pair site's node is refused (400), not stored; its plain report is", async () => {
      const pathwatch: NonNullable<Report['pathwatch']> = {
        active_path: 'primary',
        primary: { label: 'direct-connect', up: true, loss_pct: 0, rtt_ms: 3 },
        backup: null,
        routes: null,
        healthy_rounds: 0,
        failback_rounds: 10,
        failovers: 0,
        failbacks: 0,
        events: [],
      };
      const stray = report({ state: 'active', pathwatch });
      const plain = report({ state: 'active' });
      const results = await apply([
        job(a.primary.cred, a.primary.id, stray),
        job(a.primary.cred, a.primary.id, plain),
      ]);
      assert.deepEqual(results.map(codeOf), ['invalid-request', 'stored']);
      const refused = results[0] as ControllerError;
      assert.equal(refused.status, 400);
      assert.equal(refused.path, '/pathwatch');
      assert.match(refused.message, /site of kind pathwatch; this node's site is of kind aws/);
      assert.deepEqual(await logged(a.primary.id), [plain.id]);
      assert.equal((await node(a.primary.id)).pathwatch, null);
    });

    test('a periodic report is logged; it refreshes the node row only once the touch interval is due', async () => {
      const up = report({ state: 'active' });
      assert.deepEqual((await apply([job(a.primary.cred, a.primary.id, up)])).map(codeOf), ['stored']);
      const at = (await node(a.primary.id)).last_report_at;

      clock.advance(touchInterval(settings) - 1);
      const early = report({ state: 'active', last_keepalive_at: 7 });
      assert.deepEqual((await apply([job(a.primary.cred, a.primary.id, early)])).map(codeOf), ['stored']);
      let p = await node(a.primary.id);
      assert.equal(p.last_report_at, at, 'not due: the row is left alone');
      assert.equal(p.last_report_id, up.id);

      clock.advance(1);
      const due = report({
        state: 'active',
        last_keepalive_at: 9,
        indicators: { ...up.indicators, keepalive: false },
      });
      assert.deepEqual((await apply([job(a.primary.cred, a.primary.id, due)])).map(codeOf), ['stored']);
      p = await node(a.primary.id);
      assert.equal(p.last_report_at, clock.now());
      assert.equal(p.last_report_id, due.id);
      assert.equal(p.last_keepalive_at, 9);
      assert.deepEqual(JSON.parse(p.indicators ?? 'null'), due.indicators);
      assert.deepEqual(await logged(a.primary.id), [up.id, early.id, due.id]);
    });

    test('periodic reports batched with a change are written with it, each node once', async () => {
      const up = [report({ state: 'active' }), report({ state: 'standby' }), report({ state: 'active' })];
      const first = await apply([
        job(a.primary.cred, a.primary.id, up[0]!),
        job(a.secondary.cred, a.secondary.id, up[1]!),
        job(b.primary.cred, b.primary.id, up[2]!),
      ]);
      assert.deepEqual(first.map(codeOf), ['stored', 'stored', 'stored']);
      clock.advance(touchInterval(settings));
      // a's nodes repeat themselves (periodic, due a refresh); b's primary goes standby (a change).
      const next = [
        report({ state: 'active', last_keepalive_at: 11 }),
        report({ state: 'standby', last_keepalive_at: 12 }),
        report({ state: 'standby' }),
      ];
      const results = await apply([
        job(a.primary.cred, a.primary.id, next[0]!),
        job(b.primary.cred, b.primary.id, next[2]!),
        job(a.secondary.cred, a.secondary.id, next[1]!),
      ]);
      assert.deepEqual(results.map(codeOf), ['stored', 'stored', 'stored']);
      assert.deepEqual(await logged(a.primary.id), [up[0]!.id, next[0]!.id]);
      assert.deepEqual(await logged(a.secondary.id), [up[1]!.id, next[1]!.id]);
      assert.deepEqual(await logged(b.primary.id), [up[2]!.id, next[2]!.id]);
      assert.equal((await node(a.primary.id)).last_keepalive_at, 11);
      assert.equal((await node(a.secondary.id)).last_report_id, next[1]!.id);
      const bp = await node(b.primary.id);
      assert.equal(bp.state, 'standby');
      assert.equal(bp.last_report_at, clock.now());
      const events = (await h.api('GET', `/api/v1/events?site_id=${b.site_id}&type=state-change`)).body
        .events;
      assert.equal(events.length, 2, 'the change is judged; the periodic reports are not');
    });
  });
}
