// An IPv6 pair end to end: the VIP is IPv6, the keepalives run over IPv6, the client speaks IPv6. The
// active primary's switch port goes down: the secondary claims the VIP and its unsolicited neighbour
// advertisement repoints the client's neighbour entry (the client sends nothing meanwhile, so nothing
// else could); the port comes back and the primary takes the VIP back the same way. At no moment do
// both nodes hold the VIP, as the kernel reports it in both namespaces, and the primary is back within
// one dead interval (the preempt delay is 0) of its port returning.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { neighbourMac, setLink } from '../helpers/netns.js';
import { DEAD_INTERVAL_MS, inLab, type Lab, type NodeName, until } from './lab.js';
import { VipWatch } from './vip-watch.js';

const SWITCHED = (lab: Lab) => ({
  ha_link: 'switch',
  ha_port_monitor: 'lan-port',
  monitors: [{ kind: 'link', name: 'lan-port', interface: lab.ifname }],
});

/** Waits, without any traffic from the client, until its neighbour entry for the VIP is `node`'s MAC. */
async function clientPointsAt(lab: Lab, node: NodeName): Promise<void> {
  const mac = lab.lan.host(node).lan.mac;
  await until(
    `client's neighbour entry for ${lab.vip} → ${node} (${mac})`,
    async () => (await neighbourMac(lab.ns('client'), lab.vip)) === mac,
    10_000,
  );
}

async function cutAndRestore(lab: Lab, cut: (up: boolean) => Promise<void>): Promise<void> {
  const watch = new VipWatch(lab, ['a', 'b']);
  try {
    await watch.ready();
    const a = lab.startAgent('a', SWITCHED(lab));
    const b = lab.startAgent('b', SWITCHED(lab));
    await a.waitState('active');
    await b.waitState('standby');
    await until('VIP on a', () => lab.hasVip('a'));
    await until('client reaches a on the IPv6 VIP', async () => (await lab.vipServedBy()) === 'a', 20_000);
    assert.equal(await neighbourMac(lab.ns('client'), lab.vip), lab.lan.host('a').lan.mac);
    // The pair hears each other over IPv6: b stays standby only because a's keepalives arrive.
    const status = (await lab.statusOf('b')) as {
      status?: { state?: string; peer?: { alive?: boolean } };
      counters?: { received?: { lan?: number } };
    };
    assert.equal(status.status?.state, 'standby', JSON.stringify(status));
    assert.equal(status.status?.peer?.alive, true, JSON.stringify(status));
    assert.ok((status.counters?.received?.lan ?? 0) > 0, 'keepalives received on the IPv6 path');

    await cut(false);
    await b.waitState('active');
    await until('VIP on b only', async () => (await lab.hasVip('b')) && !(await lab.hasVip('a')));
    await clientPointsAt(lab, 'b');
    await until('client reaches b on the IPv6 VIP', async () => (await lab.vipServedBy()) === 'b', 20_000);

    const restored_ms = Date.now();
    await cut(true);
    await until('a active, b standby', () => a.state === 'active' && b.state === 'standby', 20_000);
    await until('VIP on a only', async () => (await lab.hasVip('a')) && !(await lab.hasVip('b')));
    await clientPointsAt(lab, 'a');
    await until('client reaches a again', async () => (await lab.vipServedBy()) === 'a', 20_000);

    await new Promise((r) => setTimeout(r, 300));
    assert.equal(watch.overlap_ms(), 0, `both held the VIP: ${JSON.stringify(watch.events)}`);
    assert.ok(watch.events.filter((e) => e.holds).length >= 3, 'the watch saw a, b and a again');
    const back_ms = watch.backAfter('a', restored_ms);
    console.log(`primary back ${back_ms} ms after its link returned`);
    assert.ok(
      back_ms <= DEAD_INTERVAL_MS,
      `primary back ${back_ms} ms after its link returned, over one dead interval (${DEAD_INTERVAL_MS} ms)`,
    );
  } finally {
    watch.stop();
  }
}

test('IPv6 VIP and IPv6 keepalives: the port down then up moves the VIP and the client with it, never on both', () =>
  inLab((lab) => cutAndRestore(lab, (up) => lab.link('a', up)), { ipv6: true }));

test('IPv6 VIP and IPv6 keepalives: the own link down then up, the same', () =>
  inLab((lab) => cutAndRestore(lab, (up) => setLink(lab.lan, 'a', up ? 'up' : 'down', 'host')), {
    ipv6: true,
  }));
