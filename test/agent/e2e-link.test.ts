// Link failures: the active node's LAN link down fails over (and its return converges to one active);
// in `switch` mode a standby whose own HA port is down assumes a local fault and never takes over.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inLab, sleep, until } from './lab.js';

test("the active node's LAN link down: the standby takes over; link back: one active again", () =>
  inLab(async (lab) => {
    const a = lab.startAgent('a');
    const b = lab.startAgent('b');
    await a.waitState('active');
    await b.waitState('standby');

    await lab.link('a', false);
    await b.waitState('active');
    await lab.untilServedBy('b');

    await lab.link('a', true);
    // Both were active; the primary keeps the role, the secondary releases.
    await until('exactly one active (a)', () => a.state === 'active' && b.state === 'standby');
    await until('VIP only on a', async () => (await lab.hasVip('a')) && !(await lab.hasVip('b')));
    await lab.untilServedBy('a');
  }));

test("switch mode: the standby's own HA port down ⇒ it does not take over; the active's port down ⇒ it does", () =>
  inLab(async (lab) => {
    const sw = {
      ha_link: 'switch',
      ha_port_monitor: 'ha-port',
      monitors: [{ kind: 'link', name: 'ha-port', interface: lab.ifname }],
    };
    const a = lab.startAgent('a', sw);
    const b = lab.startAgent('b', sw);
    await a.waitState('active');
    await b.waitState('standby');

    const mark = b.lines.length;
    await lab.link('b', false);
    await b.waitState('fault');
    // Many dead intervals (5 × 100 ms) of peer silence: a takeover would have happened long ago.
    await sleep(2000);
    assert.deepEqual(
      b.changesSince(mark).map((l) => l.to),
      ['fault'],
    );
    assert.equal(await lab.hasVip('b'), false);
    assert.equal(a.state, 'active');
    await lab.untilServedBy('a');

    await lab.link('b', true);
    await b.waitState('standby');
    await lab.link('a', false);
    await b.waitState('active');
    await lab.untilServedBy('b');
  }));
