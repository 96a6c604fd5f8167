// Ready / Not Ready, the 5 s split-brain rule, stale, the 35 s failover rule and the event log, with a fake clock.
import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import type { Report } from '../../src/controller/schema.js';
import { DEFAULT_SETTINGS } from '../../src/controller/settings.js';
import { dropOldReports } from '../../src/controller/sweep.js';
import { FakeClock, type Harness, harness, pairSite, report, STORES, Stores } from '../helpers/controller.js';

for (const kind of STORES) {
  describe(`site status and events on ${kind}`, () => {
    const stores = new Stores(kind);
    const clock = new FakeClock();
    let h: Harness;
    let s: Awaited<ReturnType<typeof pairSite>>;
    const send = async (who: 'primary' | 'secondary', r: Partial<Report>) => {
      const n = s[who];
      const res = await h.api('POST', `/api/v1/nodes/${n.id}/reports`, report(r), n.cred);
      assert.equal(res.status, 200, JSON.stringify(res.body));
    };
    const status = async () => (await h.api('GET', `/api/v1/sites/${s.site_id}/status`)).body;
    const events = async (type: string) =>
      (await h.api('GET', `/api/v1/events?site_id=${s.site_id}&type=${type}`)).body.events;

    beforeEach(async () => {
      h = await harness(await stores.url(), {
        clock,
        settings: { stale_after_ms: 10_000, failover_after_ms: 35_000, split_brain_after_ms: 5000 },
      });
      s = await pairSite(h.api, 'site-a');
    });
    afterEach(async () => h.c.close());
    after(() => stores.cleanup());

    test('Ready only when every indicator is OK; the active node is shown', async () => {
      assert.equal((await status()).ready, false);
      await send('primary', { state: 'active' });
      assert.equal((await status()).ready, false, 'one node heard is not ready');
      await send('secondary', { state: 'standby' });
      const st = await status();
      assert.equal(st.ready, true);
      assert.equal(st.active, 'primary');
      assert.deepEqual(st.indicators, { connected: true, keepalive: true, same_version: true });
      await send('secondary', { state: 'standby', version: '2.0.0' });
      const mixed = await status();
      assert.equal(mixed.ready, false);
      assert.equal(mixed.indicators.same_version, false);
      await send('secondary', { state: 'standby', version: '1.9.9', wan_ok: false });
      const noWan = await status();
      assert.deepEqual(noWan.indicators, { connected: false, keepalive: true, same_version: true });
      assert.equal((await events('ready')).length, 1);
      assert.equal((await events('not-ready')).length, 1, 'not-ready recorded on the transition only');
    });

    /** A rule sending split-brain events to a channel, and the deliveries it made so far. */
    const splitBrainRule = async () => {
      // No SMTP server: the deliveries fail, but a delivery row exists exactly when a notification was due.
      const ch = await h.api('POST', '/api/v1/channels', {
        name: 'noc',
        kind: 'email',
        to: ['noc@example.test'],
      });
      assert.equal(ch.status, 201);
      const rule = await h.api('POST', '/api/v1/rules', {
        name: 'split brains',
        event_types: ['split-brain', 'split-brain-resolved'],
        channel_id: ch.body.id,
      });
      assert.equal(rule.status, 201);
      return async () =>
        (
          (await h.api('GET', '/api/v1/deliveries?limit=500')).body.deliveries as {
            channel_id: string;
            event_id: number;
          }[]
        ).filter((d) => d.channel_id === ch.body.id);
    };

    test('a make-before-break handover (both active 1 s) is no split brain and notifies nobody', async () => {
      await send('primary', { state: 'active' });
      await send('secondary', { state: 'standby' });
      const deliveries = await splitBrainRule();
      await send('secondary', { state: 'active' });
      const overlap = await status();
      assert.equal(overlap.active, 'both', 'both active is the truth of the moment');
      assert.equal(overlap.split_brain, false, 'not a split brain before the threshold');
      clock.advance(1000);
      await h.c.sweep();
      await send('primary', { state: 'standby' });
      clock.advance(6000);
      await send('primary', { state: 'standby' });
      await send('secondary', { state: 'active' });
      await h.c.sweep();
      const st = await status();
      assert.equal(st.active, 'secondary');
      assert.equal(st.split_brain, false);
      assert.deepEqual(await events('split-brain'), []);
      assert.deepEqual(await events('split-brain-resolved'), []);
      const changes = (await events('state-change')).map(
        (e: { details: { role: string; to: string } }) => `${e.details.role}:${e.details.to}`,
      );
      assert.ok(changes.includes('secondary:active') && changes.includes('primary:standby'), changes.join());
      assert.deepEqual(await deliveries(), [], 'no notification');
    });

    test('both active 6 s is one split brain, recorded by the next report, and its end too', async () => {
      await send('primary', { state: 'active' });
      await send('secondary', { state: 'standby' });
      const deliveries = await splitBrainRule();
      await send('secondary', { state: 'active', hears_peer: false });
      clock.advance(5000);
      await send('secondary', { state: 'active', hears_peer: false });
      await h.c.sweep();
      assert.deepEqual(await events('split-brain'), [], 'exactly 5 s is not longer than 5 s');
      assert.equal((await status()).split_brain, false);
      clock.advance(1000);
      // A report that changes something evaluates the site: the overlap is past the threshold now.
      await send('primary', { state: 'active', hears_peer: false });
      const sb = await events('split-brain');
      assert.equal(sb.length, 1);
      assert.equal(sb[0].details.active_for_ms, 6000);
      const st = await status();
      assert.equal(st.split_brain, true);
      assert.equal(st.active, 'both');
      assert.equal(st.ready, false);
      await h.c.sweep();
      await send('secondary', { state: 'active', hears_peer: true });
      assert.equal((await events('split-brain')).length, 1, 'recorded once');
      clock.advance(2000);
      await send('secondary', { state: 'standby' });
      assert.equal((await status()).split_brain, false);
      const resolved = await events('split-brain-resolved');
      assert.equal(resolved.length, 1);
      assert.equal(resolved[0].details.lasted_ms, 8000, 'measured from when both became active');
      const sent = await deliveries();
      assert.equal(
        sent.filter((d) => d.event_id === sb[0].id).length,
        1,
        'one notification of the split brain',
      );
      assert.equal(sent.filter((d) => d.event_id === resolved[0].id).length, 1);
      assert.equal(sent.length, 2);
    });

    test('the sweep alone records a split brain when no report follows', async () => {
      await send('primary', { state: 'active' });
      await send('secondary', { state: 'active' });
      clock.advance(3000);
      await h.c.sweep();
      assert.deepEqual(await events('split-brain'), []);
      clock.advance(3000);
      await h.c.sweep();
      await h.c.sweep();
      const sb = await events('split-brain');
      assert.equal(sb.length, 1);
      assert.equal(sb[0].details.active_for_ms, 6000);
      assert.equal((await status()).split_brain, true);
    });

    test('a split brain ended by a node going silent is resolved by the sweep', async () => {
      await send('primary', { state: 'active' });
      await send('secondary', { state: 'active' });
      clock.advance(6000);
      await send('primary', { state: 'active' });
      await h.c.sweep();
      assert.equal((await events('split-brain')).length, 1);
      clock.advance(5000); // the secondary's last report is 11 s old: stale
      await h.c.sweep();
      const st = await status();
      assert.equal(st.active, 'primary');
      assert.equal(st.split_brain, false);
      const resolved = await events('split-brain-resolved');
      assert.equal(resolved.length, 1);
      assert.equal(resolved[0].details.lasted_ms, 11_000);
    });

    test('a node silent longer than the stale time is stale and the site Not Ready', async () => {
      await send('primary', { state: 'active' });
      await send('secondary', { state: 'standby' });
      clock.advance(9_000);
      await h.c.sweep();
      assert.equal((await status()).ready, true);
      await send('primary', { state: 'active' });
      clock.advance(2_000);
      await h.c.sweep();
      const st = await status();
      assert.equal(st.nodes.secondary.stale, true);
      assert.equal(st.nodes.primary.stale, false);
      assert.equal(st.ready, false);
      const stale = await events('stale');
      assert.equal(stale.length, 1);
      assert.equal(stale[0].node_id, s.secondary.id);
      assert.equal((await events('not-ready')).length, 1);
      await h.c.sweep();
      assert.equal((await events('stale')).length, 1, 'stale recorded once');
      await send('secondary', { state: 'standby' });
      assert.equal((await status()).ready, true);
    });

    test('a 20 s stint of the secondary (a primary upgrade) produces no failover event', async () => {
      await send('primary', { state: 'active' });
      await send('secondary', { state: 'standby' });
      await send('primary', { state: 'init' });
      await send('secondary', { state: 'active' });
      for (let t = 0; t < 20; t += 5) {
        clock.advance(5_000);
        await send('secondary', { state: 'active' });
        await h.c.sweep();
      }
      await send('primary', { state: 'active' });
      await send('secondary', { state: 'standby' });
      clock.advance(60_000);
      await send('primary', { state: 'active' });
      await send('secondary', { state: 'standby' });
      await h.c.sweep();
      assert.deepEqual(await events('failover'), []);
      assert.ok((await events('state-change')).length >= 6, 'every state change is still logged');
    });

    test('a 40 s stint of the secondary produces exactly one failover event', async () => {
      await send('primary', { state: 'active' });
      await send('secondary', { state: 'standby' });
      await send('primary', { state: 'fault' });
      await send('secondary', {
        state: 'active',
        action_results: [{ id: 'claim-1', action: 'claim', ok: true, duration_ms: 850, at: clock.now() }],
      });
      clock.advance(35_000);
      await send('secondary', { state: 'active' });
      await h.c.sweep();
      assert.deepEqual(await events('failover'), [], 'exactly 35 s is not longer than 35 s');
      clock.advance(5_000);
      await send('secondary', { state: 'active' });
      await h.c.sweep();
      await h.c.sweep();
      const fo = await events('failover');
      assert.equal(fo.length, 1);
      assert.equal(fo[0].node_id, s.secondary.id);
      assert.equal(fo[0].details.to, 'secondary');
      assert.equal(fo[0].details.active_for_ms, 40_000);
      assert.equal(fo[0].details.claim_ms, 850);
    });

    test('the failover event waits for a claim still running and then carries its confirmed time', async () => {
      const move = { name: 'floating-ip', verb: 'claim' as const };
      await send('primary', { state: 'active' });
      await send('secondary', { state: 'standby' });
      await send('primary', { state: 'fault' });
      await send('secondary', {
        state: 'active',
        action_results: [
          { id: 'rt-1', action: 'claim', name: 'routes', ok: true, duration_ms: 900, at: clock.now() },
        ],
        progress: [{ ...move, phase: 'peer-nic-update', elapsed_ms: 1000 }],
      });
      for (let i = 0; i < 5; i++) {
        clock.advance(9_000);
        await send('secondary', {
          state: 'active',
          progress: [{ ...move, phase: 'own-nic-update', elapsed_ms: 0 }],
        });
        await h.c.sweep();
      }
      assert.deepEqual(await events('failover'), [], 'past 35 s, but the move is still running');
      clock.advance(1000);
      await send('secondary', {
        state: 'active',
        action_results: [
          {
            id: 'fip-1',
            action: 'claim',
            name: 'floating-ip',
            ok: true,
            duration_ms: 61_000,
            phases: [
              { phase: 'peer-nic-update', elapsed_ms: 200 },
              { phase: 'own-nic-update', elapsed_ms: 30_500 },
              { phase: 'confirmed', elapsed_ms: 60_900 },
            ],
            at: clock.now(),
          },
        ],
      });
      await h.c.sweep();
      const fo = await events('failover');
      assert.equal(fo.length, 1);
      assert.equal(fo[0].details.claim_ms, 61_000, 'until all the traffic pointed at the secondary');
      assert.deepEqual(
        fo[0].details.claims.map((c: { name: string; confirmed_ms: number | null }) => [
          c.name,
          c.confirmed_ms,
        ]),
        [
          ['routes', null],
          ['floating-ip', 60_900],
        ],
      );
      assert.deepEqual(fo[0].details.claims_running, []);
    });

    test('a claim that never ends holds the failover event back only for failover_claim_wait_ms', async () => {
      await h.c.close();
      h = await harness(await stores.url(), {
        clock,
        settings: { stale_after_ms: 120_000, failover_after_ms: 35_000, failover_claim_wait_ms: 60_000 },
      });
      s = await pairSite(h.api, 'site-w');
      const stuck = [{ name: 'floating-ip', verb: 'claim' as const, phase: 'own-nic-update', elapsed_ms: 5 }];
      await send('primary', { state: 'active' });
      await send('secondary', { state: 'standby' });
      await send('secondary', { state: 'active', progress: stuck });
      clock.advance(90_000);
      await h.c.sweep();
      assert.deepEqual(await events('failover'), []);
      clock.advance(6_000);
      await h.c.sweep();
      const fo = await events('failover');
      assert.equal(fo.length, 1);
      assert.equal(fo[0].details.claims_running[0].name, 'floating-ip');
      assert.equal(fo[0].details.claim_ms, null);
    });

    test('the sweep alone records the failover when the secondary goes quiet about it', async () => {
      const h2settings = { stale_after_ms: 120_000 };
      await h.c.close();
      h = await harness(await stores.url(), {
        clock,
        settings: { ...h2settings, failover_after_ms: 35_000 },
      });
      s = await pairSite(h.api, 'site-b');
      await send('primary', { state: 'active' });
      await send('secondary', { state: 'standby' });
      await send('secondary', { state: 'active' });
      clock.advance(40_000);
      await h.c.sweep();
      assert.equal((await events('failover')).length, 1);
    });

    test('the sweep drops reports older than the retention time, and nothing newer', async () => {
      await h.c.close();
      h = await harness(await stores.url(), {
        clock,
        settings: { report_retention_ms: 60_000, stale_after_ms: 600_000 },
      });
      s = await pairSite(h.api, 'site-r');
      await send('primary', { state: 'active' });
      clock.advance(61_000);
      await send('primary', { state: 'active' });
      await h.c.sweep();
      const left = (await h.api('GET', `/api/v1/nodes/${s.primary.id}/reports`)).body.reports;
      assert.equal(left.length, 1);
      assert.equal(left[0].received_at, clock.now());
    });

    test('old reports are dropped in short statements, the event loop free between them', async () => {
      const settings = { ...DEFAULT_SETTINGS, report_retention_ms: 60_000 };
      s = await pairSite(h.api, 'site-d');
      const row = (i: number, received_at: number) => ({
        node_id: s.primary.id,
        report_id: `bulk-${i}`,
        received_at,
        body: '{}',
      });
      const old = Array.from({ length: 1200 }, (_, i) => row(i, clock.now() - 120_000));
      for (let i = 0; i < old.length; i += 400)
        await h.c.store.db
          .insertInto('reports')
          .values(old.slice(i, i + 400))
          .execute();
      await h.c.store.db.insertInto('reports').values(row(9999, clock.now())).execute();
      let pauses = 0;
      const dropped = await dropOldReports(h.c.store, settings, clock.now(), async () => {
        pauses++;
      });
      assert.equal(dropped, 1200);
      assert.equal(pauses, 2, 'three statements of at most 500 rows, a pause after each full one');
      const left = await h.c.store.db
        .selectFrom('reports')
        .select('report_id')
        .where('report_id', 'like', 'bulk-%')
        .execute();
      assert.deepEqual(
        left.map((r) => r.report_id),
        ['bulk-9999'],
      );
    });

    test('preflight failures and repaired drift from action results are events', async () => {
      await send('primary', {
        state: 'active',
        action_results: [
          { id: 'pf-1', action: 'preflight', ok: false, message: 'ec2:ReplaceRoute denied', at: clock.now() },
          {
            id: 'rp-1',
            action: 'repair',
            ok: true,
            message: 'route 0.0.0.0/0 pointed back at eni-1',
            at: clock.now(),
          },
          { id: 'pf-2', action: 'preflight', ok: true, at: clock.now() },
        ],
      });
      const pf = await events('preflight-failure');
      assert.equal(pf.length, 1);
      assert.equal(pf[0].details.message, 'ec2:ReplaceRoute denied');
      assert.equal((await events('drift-repaired')).length, 1);
    });

    test('a preflight with every verdict an agent gives is stored and shown on the site (none refused by the schema)', async () => {
      const statuses = [
        'ok',
        'cannot-authenticate',
        'missing-permission',
        'wrong-id',
        'wrong-setting',
        'unreachable',
        'error',
      ] as const;
      const preflight = {
        at: clock.now(),
        actions: [
          {
            action: 'fip',
            kind: 'azure-floating-ip',
            checks: statuses.map((status) => ({ check: status, status })),
          },
        ],
      };
      await send('primary', { state: 'active', preflight });
      const site = await h.api('GET', `/api/v1/sites/${s.site_id}`);
      const stored = site.body.nodes.primary.preflight.actions[0].checks.map(
        (c: { status: string }) => c.status,
      );
      assert.deepEqual(stored, [...statuses]);
    });

    test('events are filtered by type, node and time and paged newest first', async () => {
      for (let i = 0; i < 6; i++) {
        clock.advance(1000);
        await send('primary', { state: i % 2 === 0 ? 'active' : 'standby' });
      }
      const all = (await h.api('GET', `/api/v1/events?node_id=${s.primary.id}&type=state-change`)).body
        .events;
      assert.equal(all.length, 6);
      const page1 = await h.api('GET', `/api/v1/events?node_id=${s.primary.id}&type=state-change&limit=4`);
      assert.equal(page1.body.events.length, 4);
      const page2 = await h.api(
        'GET',
        `/api/v1/events?node_id=${s.primary.id}&type=state-change&limit=4&cursor=${page1.body.next_cursor}`,
      );
      assert.equal(page2.body.events.length, 2);
      assert.equal(page2.body.next_cursor, null);
      const ids = [...page1.body.events, ...page2.body.events].map((e: { id: number }) => e.id);
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => b - a),
      );
      const since = all[2].at;
      const recent = await h.api(
        'GET',
        `/api/v1/events?node_id=${s.primary.id}&type=state-change&since=${since}`,
      );
      assert.equal(recent.body.events.length, 3);
      const until = await h.api(
        'GET',
        `/api/v1/events?node_id=${s.primary.id}&type=state-change&until=${since}`,
      );
      assert.equal(until.body.events.length, 3);
      const badType = await h.api('GET', '/api/v1/events?type=party');
      assert.equal(badType.status, 400);
    });
  });
}
