// One LAN link per node, through a switch: the active primary's port (or its own link) goes down and
// comes back. The silence it measured while cut off is no evidence of the peer's death, so it never
// claims before hearing the peer, and preemption asks the peer to step down first: at no moment do
// both nodes hold the VIP — as the kernel reports it (`ip monitor address` in both namespaces). And it
// is back within one dead interval (plus the preempt delay, 0 here) of its link returning.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setLink } from '../helpers/netns.js';
import { DEAD_INTERVAL_MS, inLab, type Lab, until } from './lab.js';
import { VipWatch } from './vip-watch.js';

const SWITCHED = (lab: Lab) => ({
  ha_link: 'switch',
  ha_port_monitor: 'lan-port',
  monitors: [{ kind: 'link', name: 'lan-port', interface: lab.ifname }],
});

async function cutAndRestore(lab: Lab, cut: (up: boolean) => Promise<void>): Promise<void> {
  const watch = new VipWatch(lab, ['a', 'b']);
  try {
    await watch.ready();
    const a = lab.startAgent('a', SWITCHED(lab));
    const b = lab.startAgent('b', SWITCHED(lab));
    await a.waitState('active');
    await b.waitState('standby');
    await until('VIP on a', () => lab.hasVip('a'));

    await cut(false);
    await b.waitState('active');
    await until('VIP on b only', async () => (await lab.hasVip('b')) && !(await lab.hasVip('a')));

    const restored_ms = Date.now();
    await cut(true);
    await until('a active, b standby', () => a.state === 'active' && b.state === 'standby', 20_000);
    await until('VIP on a only', async () => (await lab.hasVip('a')) && !(await lab.hasVip('b')));
    // Generous: on a loaded host the client's first tries may time out.
    await until('client reaches a on the VIP', async () => (await lab.vipServedBy()) === 'a', 30_000);
    await new Promise((r) => setTimeout(r, 300));
    const reasons = a.lines
      .filter((l) => l.msg === 'state change')
      .map((l) => `${l.from}→${l.to} (${l.reason})`);
    const back_ms = watch.backAfter('a', restored_ms);
    console.log(`primary back ${back_ms} ms after its link returned; ${reasons.join(', ')}`);
    assert.ok(
      !reasons.some((r) => r.includes('peer dead') && r.startsWith('fault')),
      'never fault → active on silence',
    );
    assert.equal(watch.overlap_ms(), 0, `both held the VIP: ${JSON.stringify(watch.events)}`);
    assert.ok(watch.events.filter((e) => e.holds).length >= 3, 'the watch saw a, b and a again');
    assert.ok(
      back_ms <= DEAD_INTERVAL_MS,
      `primary back ${back_ms} ms after its link returned, over one dead interval (${DEAD_INTERVAL_MS} ms)`,
    );
  } finally {
    watch.stop();
  }
}

test("the active primary's switch port down then up: never both holding the VIP", () =>
  inLab((lab) => cutAndRestore(lab, (up) => lab.link('a', up))));

test("the active primary's own link down then up: never both holding the VIP", () =>
  inLab((lab) => cutAndRestore(lab, (up) => setLink(lab.lan, 'a', up ? 'up' : 'down', 'host'))));
