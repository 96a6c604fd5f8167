// Preemption: the primary returns and takes the role back; with a preempt delay, not before it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inLab, type LogLine, sleep } from './lab.js';

const wallOf = (line: LogLine | undefined): number => Number(line?.time);

test('the primary returns ⇒ it preempts; with a preempt delay, not before the delay', () =>
  inLab(async (lab) => {
    const b = lab.startAgent('b');
    await b.waitState('active');
    await lab.untilServedBy('b');

    const a = lab.startAgent('a');
    await a.waitState('active');
    await b.waitState('standby');
    await lab.untilServedBy('a');
    assert.equal(await lab.hasVip('b'), false);

    a.kill('SIGKILL');
    await a.exited;
    await b.waitState('active');

    const delay_ms = 2000;
    const late = lab.startAgent('a', { preempt_delay_ms: delay_ms });
    await late.waitState('standby');
    // Half-way through the delay the secondary must still serve.
    await sleep(delay_ms / 2);
    assert.equal(late.state, 'standby');
    assert.equal(b.state, 'active');
    await late.waitState('active');
    await b.waitState('standby');
    const standbyAt = wallOf(late.lines.find((l) => l.msg === 'state change' && l.to === 'standby'));
    const activeAt = wallOf(late.lines.find((l) => l.msg === 'state change' && l.to === 'active'));
    // The agent's own log times; 50 ms of slack between its monotonic timer and the wall clock.
    assert.ok(activeAt - standbyAt >= delay_ms - 50, `preempted ${activeAt - standbyAt} ms after standby`);
    await lab.untilServedBy('a');
  }));
