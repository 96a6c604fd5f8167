// Two controllers on one PostgreSQL serve the same fleet: what one stores the other shows, and
// facts derived by both (events, notifications) are recorded and sent once.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, describe, test } from 'node:test';
import type { RunningController } from '../../src/controller/server.js';
import { startController } from '../../src/controller/server.js';
import { apiFor, FakeClock, pairSite, report, Stores } from '../helpers/controller.js';

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('two controllers on one PostgreSQL', () => {
  const stores = new Stores('postgres');
  const running: RunningController[] = [];
  after(async () => {
    for (const c of running) await c.close();
    stores.cleanup();
  });

  test('they migrate and bootstrap once, share reports, and never duplicate events or deliveries', async () => {
    const url = await stores.url();
    const clock = new FakeClock();
    const opts = {
      store_url: url,
      clock,
      sweep_interval_ms: 30,
      settings: { failover_after_ms: 35_000, split_brain_after_ms: 5000, stale_after_ms: 600_000 },
      outbox: { poll_ms: 30 },
    };
    const started = await Promise.allSettled([startController(opts), startController(opts)]);
    for (const s of started) if (s.status === 'fulfilled') running.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const [a, b] = running;
    const tokens = [a!.admin_token, b!.admin_token].filter((t) => t !== null);
    assert.equal(tokens.length, 1, 'exactly one bootstrap admin token');
    const admin = tokens[0]!;
    const A = apiFor(a!.url, admin);
    const B = apiFor(b!.url, admin);

    // Every event goes to a webhook; count deliveries by event id.
    const seen = new Map<number, number>();
    const rx = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        const id = JSON.parse(body).event.id as number;
        seen.set(id, (seen.get(id) ?? 0) + 1);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
    const rxPort = (rx.address() as { port: number }).port;
    const ch = await A('POST', '/api/v1/channels', {
      name: 'hook',
      kind: 'webhook',
      url: `http://127.0.0.1:${rxPort}/`,
      secret: 'shared-secret-for-both-controllers',
    });
    await B('POST', '/api/v1/rules', { name: 'all', channel_id: ch.body.id });

    const s = await pairSite(A, 'shared');
    const send = (api: typeof A, who: 'primary' | 'secondary', state: 'active' | 'standby' | 'fault') =>
      api('POST', `/api/v1/nodes/${s[who].id}/reports`, report({ state }), s[who].cred);

    // A report through one controller is seen through the other.
    assert.equal((await send(A, 'primary', 'active')).status, 200);
    assert.equal((await send(B, 'secondary', 'standby')).status, 200);
    const st = await B('GET', `/api/v1/sites/${s.site_id}/status`);
    assert.equal(st.body.ready, true);
    assert.equal(st.body.nodes.primary.state, 'active');

    // Both nodes active at once, reported through different controllers at the same time.
    await Promise.all([
      send(A, 'primary', 'active'),
      send(B, 'secondary', 'active'),
      send(A, 'secondary', 'active'),
      send(B, 'primary', 'active'),
    ]);
    // Both controllers sweep (every 30 ms); both nodes have been active 6 s on the shared clock.
    clock.advance(6_000);
    await eventually(
      async () =>
        (await B('GET', `/api/v1/events?site_id=${s.site_id}&type=split-brain`)).body.events.length > 0,
      'the split-brain event',
    );
    await new Promise((r) => setTimeout(r, 300)); // several more sweeps by both
    await send(A, 'primary', 'fault');
    // Both controllers sweep; the secondary has been active 40 s on the shared clock.
    clock.advance(40_000);
    await eventually(
      async () =>
        (await A('GET', `/api/v1/events?site_id=${s.site_id}&type=failover`)).body.events.length > 0,
      'the failover event',
    );
    await new Promise((r) => setTimeout(r, 300)); // several more sweeps by both
    const count = async (type: string) =>
      (await B('GET', `/api/v1/events?site_id=${s.site_id}&type=${type}&limit=500`)).body.events.length;
    assert.equal(await count('failover'), 1);
    assert.equal(await count('split-brain'), 1);
    assert.equal(await count('split-brain-resolved'), 1);

    const all = (await A('GET', '/api/v1/events?limit=500')).body.events as { id: number }[];
    await eventually(async () => all.every((e) => seen.has(e.id)), 'every event delivered');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(
      [...seen.values()].filter((n) => n !== 1),
      [],
      'no event delivered twice',
    );
    await new Promise<void>((r) => rx.close(() => r()));
  });
});
