// The peer's silence counts from the first copy of its latest keepalive: a later copy of the same round
// (same boot and body, sent a few ms after) never re-arms the dead timer, so copies cannot stretch the
// dead interval past dead_multiplier × interval. A copy whose first was lost, a changed body, and the next
// round are heard as usual. Real sockets over loopback; the peer's packets are sealed here with chosen
// send times, as its transport would seal them.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, test } from 'node:test';
import { pino } from 'pino';
import type { PathConfig } from '../../src/agent/config.js';
import { createMetrics } from '../../src/agent/metrics.js';
import { Secret } from '../../src/agent/secret.js';
import { type Heard, isLaterCopy, Transport } from '../../src/agent/transport.js';
import {
  type Keepalive,
  type KeepaliveBody,
  KeepaliveSealer,
  nodeIdOf,
  pairIdOf,
} from '../../src/wire/index.js';
import { keepalive } from '../wire/fixtures.js';

const KEY_BYTES = Buffer.from('Y29waWVzLXRlc3QtcGFpci1rZXktMzItYnl0ZXMhISE=', 'base64');
const port = 30000 + Math.floor(Math.random() * 20000);
const INTERVAL_MS = 50;

/** The peer's keepalive body: the wire fixture's, as an active primary at INTERVAL_MS. */
function body(over: Partial<KeepaliveBody> = {}): KeepaliveBody {
  const { pair_id, node_id, boot_id, seq, sent_at_ms, ...rest } = keepalive({
    role: 'primary',
    state: 'active',
    priority: 200,
    interval_ms: INTERVAL_MS,
  });
  return { ...rest, ...over };
}

const view = { status: () => null, inState_ms: () => 0, peerSilence: () => ({}) };
const path: PathConfig = {
  name: 'lan',
  local_address: '127.0.0.1',
  peer_address: '127.0.0.2',
  port,
  multicast_group: null,
  family: 'ipv4',
};
const heard: Heard[] = [];
const metrics = createMetrics(view, { paths: ['lan'], actions: [], monitors: [] });
const receiver = await Transport.open(
  {
    pair: 'copies',
    node: 'a',
    paths: [path],
    key: new Secret(KEY_BYTES),
    copies: 2,
    spacing_ms: 2,
    max_clock_skew_ms: 60_000,
    metrics,
    log: pino({ level: 'silent' }),
  },
  (h) => heard.push(h),
);
const peer = createSocket('udp4');
await new Promise<void>((r) => peer.bind({ address: '127.0.0.2', port: 0 }, r));
after(async () => {
  peer.close();
  await receiver.close();
});

const sealer = new KeepaliveSealer(KEY_BYTES, { pair_id: pairIdOf('copies'), node_id: nodeIdOf('b') });
const t0 = Date.now();

/** Seals one packet sent at t0 + at_ms; `lost` seals it (it takes a seq) but never sends it. */
async function packet(at_ms: number, over: Partial<KeepaliveBody> = {}, lost = false): Promise<void> {
  const p = sealer.seal(body(over), t0 + at_ms);
  if (lost) return;
  await new Promise<void>((r, j) => peer.send(p, port, '127.0.0.1', (err) => (err ? j(err) : r())));
  // One loop turn apart at least, as copies ms apart are: each is its own burst.
  await new Promise((r) => setTimeout(r, 5));
}

async function received(): Promise<number> {
  const m = await metrics.received.get();
  return m.values.reduce((n, v) => n + v.value, 0);
}

test('a later copy of a round is received but does not count as hearing the peer again', async () => {
  await packet(0);
  await packet(2);
  assert.equal(await received(), 2, 'both copies were read and accepted');
  assert.deepEqual(
    heard.map((h) => h.advert.state),
    ['active'],
    'the core hears the round once, at its first copy',
  );
});

test('the next round, a changed body within the round, and a copy whose first was lost are heard', async () => {
  heard.length = 0;
  await packet(INTERVAL_MS);
  // The peer's state moves on a ms later: a new keepalive, not a copy, though the body is all that differs.
  await packet(INTERVAL_MS + 1, { state: 'disabled' });
  await packet(INTERVAL_MS + 3, { state: 'disabled' });
  // Next round: its first copy is lost, its second is the first the node hears of that round.
  await packet(2 * INTERVAL_MS, { state: 'disabled' }, true);
  await packet(2 * INTERVAL_MS + 2, { state: 'disabled' });
  assert.deepEqual(
    heard.map((h) => h.advert.state),
    ['active', 'disabled', 'disabled'],
  );
});

test('isLaterCopy: same boot and body, later seq, less than half an interval after', () => {
  const k = (over: Partial<Keepalive>): Keepalive =>
    keepalive({ ...body(), boot_id: 7n, seq: 10n, sent_at_ms: 1000, ...over });
  const round = k({});
  assert.equal(isLaterCopy(k({ seq: 11n, sent_at_ms: 1002 }), round), true);
  assert.equal(isLaterCopy(k({ seq: 11n, sent_at_ms: 1000 + INTERVAL_MS / 2 }), round), false, 'next round');
  assert.equal(isLaterCopy(k({ seq: 11n, sent_at_ms: 1002, boot_id: 8n }), round), false, 'another boot');
  assert.equal(isLaterCopy(k({ seq: 9n, sent_at_ms: 1002 }), round), false, 'an older seq');
  assert.equal(isLaterCopy(k({ seq: 11n, sent_at_ms: 999 }), round), false, 'sent before the round');
  assert.equal(isLaterCopy(k({ seq: 11n, sent_at_ms: 1002, priority: 100 }), round), false, 'another body');
  const flags = { ...round.flags, peer_heard: false };
  assert.equal(isLaterCopy(k({ seq: 11n, sent_at_ms: 1002, flags }), round), false, 'another flag');
});
