// SIGTERM on the active agent: it removes its VIP and announces relinquish, and the standby takes over
// within one keepalive interval, without waiting out the dead interval.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inLab } from './lab.js';

test('SIGTERM on the active ⇒ the standby takes over within one interval; the VIP left with the agent', () =>
  inLab(async (lab) => {
    // interval 1 s, dead interval 3 s: a takeover within one interval cannot be detection.
    const slow = { interval_ms: 1000, dead_multiplier: 3 };
    const a = lab.startAgent('a', slow);
    const b = lab.startAgent('b', slow);
    await a.waitState('active');
    await b.waitState('standby');
    await lab.untilServedBy('a');

    a.kill('SIGTERM');
    const { code } = await a.exited;
    assert.equal(code, 0);
    assert.equal(await lab.hasVip('a'), false, 'the VIP was removed on the way out');
    await b.waitState('active');
    const signalled = Number(a.lines.find((l) => l.msg === 'signal')?.time);
    const tookOver = Number(b.lines.find((l) => l.msg === 'state change' && l.to === 'active')?.time);
    assert.ok(tookOver - signalled < 1000, `takeover ${tookOver - signalled} ms after SIGTERM`);
    await lab.untilServedBy('b');
  }));
