// A stuck neighbour entry for the peer, made the way a port down makes it (our sends while the link
// has no carrier), on real namespaces: unstickNeighbour deletes it, so the next send resolves the peer
// at once; an entry that resolved is left alone. Then the transport: a stuck entry found when the peer
// is heard again makes it send its last advert on that path at once.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { createMetrics } from '../../src/agent/metrics.js';
import { Secret } from '../../src/agent/secret.js';
import { Transport } from '../../src/agent/transport.js';
import { unstickNeighbour } from '../../src/net/neighbour.js';
import { runTool } from '../../src/net/run-tool.js';
import { peerAdvert } from '../core/fixture.js';
import { createLan, eventually, type Lan, nsExec, setLink } from '../helpers/netns.js';

let lan: Lan;
before(async () => {
  lan = await createLan({ hosts: ['a', 'b'] });
});
after(async () => {
  await lan?.destroy();
});

const inA = (args: readonly string[]) => runTool('ip', ['-n', lan.host('a').ns, ...args]);

async function stateOf(address: string): Promise<string> {
  const out = await nsExec(lan.host('a').ns, ['ip', '-j', 'neigh', 'show', 'to', address]);
  const [entry] = JSON.parse(out.stdout.trim() || '[]') as { state?: string[] }[];
  return entry?.state?.join(',') ?? 'none';
}

/** One UDP datagram from a to `address` (it resolves the address, or waits in its entry's queue). */
async function sendFromA(address: string): Promise<void> {
  const script = `require('node:dgram').createSocket('udp4').send('x', 9, ${JSON.stringify(address)}, (e) => process.exit(e ? 1 : 0))`;
  await nsExec(lan.host('a').ns, [process.execPath, '-e', script]);
}

test("a's entry for b, stuck INCOMPLETE by a port down, is deleted; the next send resolves b at once", async () => {
  const b = lan.host('b').lan.address;
  await setLink(lan, 'a', 'down', 'switch');
  try {
    await sendFromA(b);
    assert.equal(await stateOf(b), 'INCOMPLETE');
  } finally {
    await setLink(lan, 'a', 'up', 'switch');
  }
  // The port is back, but the kernel would probe again only at its retransmit timer (1 s).
  assert.deepEqual(await unstickNeighbour(b, inA), [{ dev: lan.host('a').lan.ifname, state: 'INCOMPLETE' }]);
  assert.equal(await stateOf(b), 'none');
  await sendFromA(b);
  await eventually(async () => (await stateOf(b)) === 'REACHABLE', 500, 'b resolved');

  // A resolved entry is healthy: nothing is deleted.
  assert.deepEqual(await unstickNeighbour(b, inA), []);
  assert.equal(await stateOf(b), 'REACHABLE');
});

test('no entry at all: nothing to do; a missing ip is an error, not a crash', async () => {
  assert.deepEqual(await unstickNeighbour('10.77.0.250', inA), []);
  await assert.rejects(
    unstickNeighbour('10.77.0.250', () => runTool('no-such-ip-tool', [])),
    /NEIGHBOUR|no-such-ip-tool: ENOENT/,
  );
});

test('the transport sends its last advert again on a path whose stuck entry it deleted', async () => {
  const port = 30000 + Math.floor(Math.random() * 20000);
  const peer = createSocket('udp4');
  let received = 0;
  peer.on('message', () => {
    received += 1;
  });
  await new Promise<void>((r) => peer.bind({ address: '127.0.0.2', port }, r));
  const unstuck: string[] = [];
  let stuck = true;
  const transport = await Transport.open(
    {
      pair: 'neigh',
      node: 'a',
      paths: [
        {
          name: 'lan',
          local_address: '127.0.0.1',
          peer_address: '127.0.0.2',
          port,
          multicast_group: null,
          family: 'ipv4',
        },
      ],
      key: new Secret(Buffer.alloc(32, 7)),
      copies: 1,
      spacing_ms: 0,
      max_clock_skew_ms: 60_000,
      metrics: createMetrics(
        { status: () => null, inState_ms: () => 0, peerSilence: () => ({}) },
        { paths: ['lan'], actions: [], monitors: [] },
      ),
      log: pino({ level: 'silent' }),
      unstick: async (address) => {
        unstuck.push(address);
        return stuck ? [{ dev: 'lo', state: 'INCOMPLETE' }] : [];
      },
    },
    () => undefined,
  );
  try {
    transport.send(peerAdvert());
    await eventually(() => received === 1, 1000, 'the advert arrives');
    transport.reresolve();
    assert.deepEqual(unstuck, [], 'not checked in the turn that asked: a claim may be under way');
    await eventually(() => received === 2, 1000, 'sent again after the stuck entry went');
    assert.deepEqual(unstuck, ['127.0.0.2']);
    // A healthy entry: checked, nothing sent.
    stuck = false;
    transport.reresolve();
    await eventually(() => unstuck.length === 2, 1000, 'checked again');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(received, 2);
  } finally {
    await transport.close();
    peer.close();
  }
});
