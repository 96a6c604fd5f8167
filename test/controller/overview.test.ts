// The dashboard's API: the fleet at a glance (health per site, counts, filter, search, sort,
// offset paging), whoami, and the live stream of server-sent events with its bounds.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { EventTail } from '../../src/controller/live.js';
import { FakeClock, harness, pairSite, report, Stores } from '../helpers/controller.js';

/** Reads server-sent events from a fetch body until `done` says stop (or the stream ends). */
async function readFrames(
  res: Response,
  done: (frames: { event: string; data: unknown }[]) => boolean,
): Promise<{ event: string; data: unknown }[]> {
  const frames: { event: string; data: unknown }[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  while (!done(frames)) {
    const { value, done: end } = await reader.read();
    if (end) break;
    buffer += decoder.decode(value, { stream: true });
    for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event !== undefined && data !== undefined) frames.push({ event, data: JSON.parse(data) });
    }
  }
  await reader.cancel();
  return frames;
}

describe('dashboard API', () => {
  const stores = new Stores('sqlite');
  after(() => stores.cleanup());

  test('overview: one health word per site, counts over the fleet, filter, search, sort and offset paging', async () => {
    const clock = new FakeClock();
    const h = await harness(await stores.url(), { clock, settings: { failover_after_ms: 1000 } });
    try {
      const send = (n: { id: string; cred: string }, r: Parameters<typeof report>[0]) =>
        h.api('POST', `/api/v1/nodes/${n.id}/reports`, report(r), n.cred);
      const ready = await pairSite(h.api, 'a-ready');
      await send(ready.primary, { state: 'active' });
      await send(ready.secondary, { state: 'standby' });
      const down = await pairSite(h.api, 'b-wan-down', 'physical');
      await send(down.primary, { state: 'active', wan_ok: false, wan: [{ name: 'isp2', up: false }] });
      await send(down.secondary, { state: 'standby' });
      const split = await pairSite(h.api, 'c-split');
      await send(split.primary, { state: 'active' });
      await send(split.secondary, { state: 'active' });
      const silent = await pairSite(h.api, 'd-silent');
      await send(silent.primary, { state: 'active' });
      await send(silent.secondary, { state: 'standby' });
      await h.api('POST', '/api/v1/sites', { name: 'e-alone', kind: 'azure' });
      // Everyone but d-silent reports again after 34 s; d-silent is stale (30 s).
      clock.advance(34_000);
      type R = Parameters<typeof report>[0];
      const again: [typeof ready, R, R][] = [
        [ready, { state: 'active' }, { state: 'standby' }],
        [down, { state: 'active', wan_ok: false, wan: [{ name: 'isp2', up: false }] }, { state: 'standby' }],
        [split, { state: 'active' }, { state: 'active' }],
      ];
      for (const [site, p, q] of again) {
        await send(site.primary, p);
        await send(site.secondary, q);
      }
      await h.c.sweep();

      const all = await h.api('GET', '/api/v1/overview');
      assert.equal(all.status, 200);
      const health = Object.fromEntries(
        all.body.sites.map((s: { name: string; health: string }) => [s.name, s.health]),
      );
      assert.deepEqual(health, {
        'a-ready': 'ready',
        'b-wan-down': 'not-ready',
        'c-split': 'split-brain',
        'd-silent': 'stale',
        'e-alone': 'ha-off',
      });
      assert.deepEqual(all.body.counts, {
        'split-brain': 1,
        'not-ready': 1,
        stale: 1,
        'ha-off': 1,
        ready: 1,
      });
      const b = all.body.sites.find((s: { name: string }) => s.name === 'b-wan-down');
      assert.deepEqual(b.primary.wan_down, ['isp2']);
      assert.equal(b.active, 'primary');

      const notReady = await h.api('GET', '/api/v1/overview?health=not-ready');
      assert.deepEqual(
        notReady.body.sites.map((s: { name: string }) => s.name),
        ['b-wan-down'],
      );
      assert.equal(notReady.body.total, 1);
      assert.deepEqual(notReady.body.counts, all.body.counts);
      const physical = await h.api('GET', '/api/v1/overview?kind=physical');
      assert.deepEqual(
        physical.body.sites.map((s: { name: string }) => s.name),
        ['b-wan-down'],
      );
      const search = await h.api('GET', '/api/v1/overview?q=SPLI');
      assert.deepEqual(
        search.body.sites.map((s: { name: string }) => s.name),
        ['c-split'],
      );
      const byHealth = await h.api('GET', '/api/v1/overview?sort=health');
      assert.deepEqual(
        byHealth.body.sites.map((s: { health: string }) => s.health),
        ['split-brain', 'not-ready', 'stale', 'ha-off', 'ready'],
      );
      const desc = await h.api('GET', '/api/v1/overview?sort=name&order=desc&offset=1&limit=2');
      assert.deepEqual(
        desc.body.sites.map((s: { name: string }) => s.name),
        ['d-silent', 'c-split'],
      );
      assert.equal(desc.body.total, 5);
      const bad = await h.api('GET', '/api/v1/overview?health=fine');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'invalid-request');
      const node = await h.api('GET', '/api/v1/overview', undefined, ready.primary.cred);
      assert.equal(node.status, 403);
    } finally {
      await h.c.close();
    }
  });

  test('overview: HA off is a lone primary that is fine; a lone primary in trouble is Not Ready, not HA off', async () => {
    const h = await harness(await stores.url());
    try {
      const send = (n: { id: string; cred: string }, r: Parameters<typeof report>[0]) =>
        h.api('POST', `/api/v1/nodes/${n.id}/reports`, report(r), n.cred);
      const fine = await pairSite(h.api, 'alone-fine');
      const down = await pairSite(h.api, 'alone-down');
      for (const s of [fine, down])
        assert.equal((await h.api('DELETE', `/api/v1/sites/${s.site_id}/nodes/secondary`)).status, 200);
      await send(fine.primary, { state: 'active' });
      await send(down.primary, { state: 'fault' });
      const all = await h.api('GET', '/api/v1/overview');
      const health = Object.fromEntries(
        all.body.sites.map((s: { name: string; health: string }) => [s.name, s.health]),
      );
      assert.deepEqual(health, { 'alone-fine': 'ha-off', 'alone-down': 'not-ready' });
      const status = await h.api('GET', `/api/v1/sites/${fine.site_id}/status`);
      assert.equal(status.body.ready, true, 'HA off and Ready: the primary is heard, active, WAN up');
    } finally {
      await h.c.close();
    }
  });

  test('overview: back from idle it catches up on the events it missed; a whole read runs in the background and never holds an answer', async () => {
    const clock = new FakeClock();
    const url = await stores.url();
    const ADMIN = 'tdk_overview-idle-admin-0123456789abcdef';
    const live = { keep_ms: 1000, poll_ms: 20 };
    const h = await harness(url, { clock, admin_token: ADMIN, live });
    // Another controller on the same store: its writes reach this one only as events (or a whole read).
    const other = await harness(url, { clock, admin_token: ADMIN });
    try {
      const send = (n: { id: string; cred: string }, r: Parameters<typeof report>[0]) =>
        h.api('POST', `/api/v1/nodes/${n.id}/reports`, report(r), n.cred);
      const s = await pairSite(h.api, 'a-quiet');
      const t = (await h.api('POST', '/api/v1/sites', { name: 'b-still', kind: 'physical' })).body
        .id as string;
      await send(s.primary, { state: 'active' });
      await send(s.secondary, { state: 'standby' });
      const sites = async () =>
        (await h.api('GET', '/api/v1/overview')).body.sites as {
          site_id: string;
          name: string;
          health: string;
        }[];
      const quiet = async () => (await sites()).find((x) => x.site_id === s.site_id)!;
      const still = async () => (await sites()).find((x) => x.site_id === t)!;
      assert.equal((await quiet()).health, 'ready');
      // Nobody looks for longer than keep_ms: the feed stops (its next poll sees nobody wants it).
      clock.advance(2000);
      await new Promise((r) => setTimeout(r, 200));
      // Meanwhile a report that makes a site Not Ready (an event), and a rename elsewhere (no event).
      await send(s.primary, { state: 'active', wan_ok: false, wan: [{ name: 'isp1', up: false }] });
      assert.equal((await other.api('PATCH', `/api/v1/sites/${t}`, { name: 'b-renamed' })).status, 200);
      const back = await sites();
      assert.equal(
        back.find((x) => x.site_id === s.site_id)?.health,
        'not-ready',
        'the missed event was caught up',
      );
      assert.equal(back.find((x) => x.site_id === t)?.name, 'b-still', 'no whole read held the answer');
      // Past max age, an answer starts a whole read in the background; a later answer has its result.
      clock.advance(31_000);
      await sites();
      let name = '';
      for (let i = 0; i < 100 && name !== 'b-renamed'; i++) {
        name = (await still()).name;
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(name, 'b-renamed');
      // A write through this controller is in its very next answer.
      assert.equal((await h.api('PATCH', `/api/v1/sites/${t}`, { name: 'b-mine' })).status, 200);
      assert.equal((await still()).name, 'b-mine');
    } finally {
      await other.c.close();
      await h.c.close();
    }
  });

  test('overview: the last failover per site, and sorting by it', async () => {
    const clock = new FakeClock();
    const h = await harness(await stores.url(), { clock, settings: { failover_after_ms: 1000 } });
    try {
      const s = await pairSite(h.api, 'flip');
      await pairSite(h.api, 'calm');
      await h.api(
        'POST',
        `/api/v1/nodes/${s.primary.id}/reports`,
        report({ state: 'fault' }),
        s.primary.cred,
      );
      await h.api(
        'POST',
        `/api/v1/nodes/${s.secondary.id}/reports`,
        report({ state: 'active' }),
        s.secondary.cred,
      );
      clock.advance(2000);
      await h.c.sweep();
      const r = await h.api('GET', '/api/v1/overview?sort=last_failover');
      assert.deepEqual(
        r.body.sites.map((x: { name: string }) => x.name),
        ['flip', 'calm'],
      );
      assert.equal(r.body.sites[0].last_failover_at, clock.ms);
      assert.equal(r.body.sites[1].last_failover_at, null);
    } finally {
      await h.c.close();
    }
  });

  test('whoami tells the scope of the token; no token is 401', async () => {
    const h = await harness(await stores.url());
    try {
      const viewer = (await h.api('POST', '/api/v1/tokens', { name: 'wall', scope: 'viewer' })).body.token;
      assert.equal((await h.api('GET', '/api/v1/whoami')).body.scope, 'admin');
      const v = await h.api('GET', '/api/v1/whoami', undefined, viewer);
      assert.deepEqual([v.body.scope, v.body.name], ['viewer', 'wall']);
      assert.equal((await h.api('GET', '/api/v1/whoami', undefined, null)).status, 401);
    } finally {
      await h.c.close();
    }
  });

  test('live: a report that makes a site Not Ready reaches a viewer’s stream as the site’s new summary', async () => {
    const h = await harness(await stores.url(), { live: { poll_ms: 50 } });
    try {
      const viewer = (await h.api('POST', '/api/v1/tokens', { name: 'wall', scope: 'viewer' })).body.token;
      const s = await pairSite(h.api, 'edge');
      await h.api(
        'POST',
        `/api/v1/nodes/${s.primary.id}/reports`,
        report({ state: 'active' }),
        s.primary.cred,
      );
      await h.api(
        'POST',
        `/api/v1/nodes/${s.secondary.id}/reports`,
        report({ state: 'standby' }),
        s.secondary.cred,
      );
      assert.equal((await fetch(`${h.c.url}/api/v1/live`)).status, 401);
      const res = await fetch(`${h.c.url}/api/v1/live`, { headers: { authorization: `Bearer ${viewer}` } });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      const reading = readFrames(res, (f) =>
        f.some((x) => x.event === 'site' && (x.data as { health: string }).health === 'not-ready'),
      );
      // The stream is open (hello sent) before the change: only then is the change "live".
      await new Promise((r) => setTimeout(r, 200));
      await h.api(
        'POST',
        `/api/v1/nodes/${s.primary.id}/reports`,
        report({ state: 'active', wan_ok: false }),
        s.primary.cred,
      );
      const frames = await reading;
      assert.equal(frames[0]!.event, 'hello');
      // A feed already running may deliver the site's earlier summary (Ready) after the hello: the latest counts.
      const site = frames.filter((f) => f.event === 'site').at(-1)!.data as {
        name: string;
        health: string;
        site_id: string;
      };
      assert.deepEqual([site.name, site.health, site.site_id], ['edge', 'not-ready', s.site_id]);
      assert.ok(frames.some((f) => f.event === 'event' && (f.data as { type: string }).type === 'not-ready'));
    } finally {
      await h.c.close();
    }
  });

  test('live: streams per controller are bounded (429), and a revoked token’s stream ends', async () => {
    const h = await harness(await stores.url(), { live: { poll_ms: 50, max_clients: 1, heartbeat_ms: 100 } });
    try {
      const viewer = await h.api('POST', '/api/v1/tokens', { name: 'wall', scope: 'viewer' });
      const headers = { authorization: `Bearer ${viewer.body.token}` };
      const first = await fetch(`${h.c.url}/api/v1/live`, { headers });
      assert.equal(first.status, 200);
      const reading = readFrames(first, (f) => f.some((x) => x.event === 'end'));
      await new Promise((r) => setTimeout(r, 100));
      const second = await fetch(`${h.c.url}/api/v1/live`, { headers });
      assert.equal(second.status, 429);
      assert.equal(((await second.json()) as { error: { code: string } }).error.code, 'busy');
      await h.api('DELETE', `/api/v1/tokens/${viewer.body.id}`);
      const frames = await reading;
      assert.deepEqual(frames.at(-1), { event: 'end', data: { code: 'credential-revoked' } });
    } finally {
      await h.c.close();
    }
  });

  test('live: a browser’s queue is bounded: past it, the backlog is dropped and the browser told to resync', async () => {
    // One frame at most: any change (its site's summary and its event) overflows it.
    const h = await harness(await stores.url(), { live: { poll_ms: 50, queue_max: 1 } });
    try {
      const s = await pairSite(h.api, 'edge');
      const res = await fetch(`${h.c.url}/api/v1/live`, { headers: { authorization: `Bearer ${h.admin}` } });
      const reading = readFrames(res, (f) => f.some((x) => x.event === 'resync'));
      await new Promise((r) => setTimeout(r, 200));
      await h.api(
        'POST',
        `/api/v1/nodes/${s.primary.id}/reports`,
        report({ state: 'active' }),
        s.primary.cred,
      );
      const frames = await reading;
      assert.deepEqual(
        frames.map((f) => f.event),
        ['hello', 'resync'],
      );
    } finally {
      await h.c.close();
    }
  });

  test('live: the event tail waits for an id that commits late, and gives a hole up after gap_ms', async () => {
    const h = await harness(await stores.url());
    try {
      const db = h.c.store.db;
      const insert = (id: number, at: number) =>
        db
          .insertInto('events')
          .values({
            id,
            key: `k${id}`,
            site_id: null,
            node_id: null,
            type: 'stale',
            at,
            details: '{}',
          } as never)
          .execute();
      const base =
        (
          await db
            .selectFrom('events')
            .select((eb) => eb.fn.max('id').as('id'))
            .executeTakeFirst()
        )?.id ?? 0;
      const tail = new EventTail(db, 1000);
      await tail.start();
      await insert(Number(base) + 2, 1);
      assert.deepEqual(
        (await tail.next(0)).map((e) => e.id),
        [Number(base) + 2],
      );
      // The lower id commits later: still delivered, once.
      await insert(Number(base) + 1, 1);
      assert.deepEqual(
        (await tail.next(500)).map((e) => e.id),
        [Number(base) + 1],
      );
      assert.deepEqual(await tail.next(600), []);
      // A hole (base+3) that never fills is given up after gap_ms; nothing is delivered twice.
      await insert(Number(base) + 4, 1);
      assert.deepEqual(
        (await tail.next(700)).map((e) => e.id),
        [Number(base) + 4],
      );
      assert.deepEqual(await tail.next(1800), []);
      await insert(Number(base) + 5, 1);
      assert.deepEqual(
        (await tail.next(1900)).map((e) => e.id),
        [Number(base) + 5],
      );
    } finally {
      await h.c.close();
    }
  });
});
