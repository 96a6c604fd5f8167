// kill -9 of the active agent: the standby detects the silence, claims the VIP, and the client's traffic
// reaches it; the killed node, restarted, removes the VIP it left behind before anything else.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inLab, until } from './lab.js';

test('kill -9 of the active node: the standby owns the VIP and serves the client; a restart removes the stale VIP', () =>
  inLab(async (lab) => {
    const a = lab.startAgent('a');
    const b = lab.startAgent('b');
    await a.waitState('active');
    await b.waitState('standby');
    await lab.untilServedBy('a');

    a.kill('SIGKILL');
    await a.exited;
    assert.ok(await lab.hasVip('a'), 'a SIGKILLed agent cannot remove its VIP');
    await b.waitState('active');
    await until('b holds the VIP', () => lab.hasVip('b'));
    await lab.untilServedBy('b');

    // Without preemption the restarted primary stays standby: only the start-up cleanup removes its VIP.
    const again = lab.startAgent('a', { preempt: false });
    await again.waitState('standby');
    assert.equal(await lab.hasVip('a'), false, 'the restarted agent removed its stale VIP');
    assert.ok(again.lines.some((l) => l.msg === 'removed a stale VIP left by a previous run'));
    assert.equal(b.state, 'active');
    await lab.untilServedBy('b');
  }));
