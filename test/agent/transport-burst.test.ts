// The transport hands the core a burst of reads, not packets one by one: packets read together that
// start with `disabled` and end with `active` reach the core as `active` only, a backlog longer than one
// turn's reads too; after a stall, the backlog is read to its end and dropped. Two real transports over loopback UDP (127.0.0.1 ↔ 127.0.0.2).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { pino } from 'pino';
import type { PathConfig } from '../../src/agent/config.js';
import { createMetrics } from '../../src/agent/metrics.js';
import { Secret } from '../../src/agent/secret.js';
import { type Heard, Transport, type TransportOptions } from '../../src/agent/transport.js';
import type { Advert, NodeState } from '../../src/core/types.js';
import { peerAdvert } from '../core/fixture.js';

const KEY = new Secret(Buffer.from('bG9vcGJhY2stdGVzdC1wYWlyLWtleS0zMi1ieXRlcyEh', 'base64'));
const port = 30000 + Math.floor(Math.random() * 20000);
const open: Transport[] = [];
after(async () => {
  await Promise.all(open.map((t) => t.close()));
});

const view = { status: () => null, inState_ms: () => 0, peerSilence: () => ({}) };

function options(node: 'a' | 'b', stalled: () => boolean): TransportOptions {
  const self = node === 'a' ? '127.0.0.1' : '127.0.0.2';
  const peer = node === 'a' ? '127.0.0.2' : '127.0.0.1';
  const path: PathConfig = {
    name: 'lan',
    local_address: self,
    peer_address: peer,
    port,
    multicast_group: null,
    family: 'ipv4',
  };
  return {
    pair: 'burst',
    node,
    paths: [path],
    key: KEY,
    copies: 1,
    spacing_ms: 2,
    max_clock_skew_ms: 60_000,
    metrics: createMetrics(view, { paths: ['lan'], actions: [], monitors: [] }),
    log: pino({ level: 'silent' }),
    stalled,
  };
}

function advert(state: NodeState): Advert {
  return peerAdvert({
    role: 'primary',
    state,
    priority: 200,
    interval_ms: 50,
    version: { major: 1, minor: 0, patch: 0 },
  });
}

/** The sends leave in process.nextTick callbacks: all are in the kernel before the loop next polls. */
async function backlog(sender: Transport, states: readonly NodeState[]): Promise<void> {
  for (const s of states) sender.send(advert(s));
  await new Promise((r) => process.nextTick(r));
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

let stalled = false;
const heard: Heard[] = [];

test('a backlog read in one turn reaches the core once, with its newest advert', async () => {
  const a = await Transport.open(
    options('a', () => stalled),
    (h) => heard.push(h),
  );
  open.push(a);
  const b = await Transport.open(
    options('b', () => false),
    () => {},
  );
  open.push(b);
  await backlog(b, ['disabled', 'init', 'active']);
  await until(() => heard.length > 0);
  // One more turn or two: nothing else may arrive.
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(
    heard.map((h) => [h.path, h.advert.state]),
    [['lan', 'active']],
  );
});

test('a backlog longer than one turn reads is read to its end before the core hears it', async () => {
  heard.length = 0;
  const b = open[1]!;
  // libuv reads at most 32 datagrams a socket a turn: 40 span two turns at least.
  await backlog(b, [...Array<NodeState>(36).fill('disabled'), 'init', 'active', 'active', 'active']);
  await until(() => heard.length > 0);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(
    heard.map((h) => [h.path, h.advert.state]),
    [['lan', 'active']],
  );
});

test('after a stall, the backlog is read to its end and dropped; the next packet is heard', async () => {
  heard.length = 0;
  stalled = true;
  const b = open[1]!;
  // libuv reads at most 32 datagrams a socket a turn: 40 span two turns at least. The kernel may have
  // dropped the newest of a longer pause: even the backlog's last advert says where the peer was.
  await backlog(b, [...Array<NodeState>(36).fill('disabled'), 'init', 'active', 'active', 'disabled']);
  await new Promise((r) => setTimeout(r, 100));
  stalled = false;
  assert.equal(heard.length, 0, 'nothing of the backlog reaches the core');
  b.send(advert('active'));
  await until(() => heard.length > 0);
  assert.deepEqual(
    heard.map((h) => [h.path, h.advert.state]),
    [['lan', 'active']],
  );
});

test('once the stall is over, each packet is heard as it comes', async () => {
  heard.length = 0;
  const b = open[1]!;
  // Half an interval after the last test's `active`: a new keepalive, not a later copy of that one.
  await new Promise((r) => setTimeout(r, 30));
  b.send(advert('active'));
  await until(() => heard.length === 1);
  b.send(advert('disabled'));
  await until(() => heard.length === 2);
  assert.deepEqual(
    heard.map((h) => h.advert.state),
    ['active', 'disabled'],
  );
});
