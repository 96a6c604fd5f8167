// The claim latency the runner reports (log `claim_ms`, tandem_claim_latency_seconds) ends where the
// action says it holds the traffic (ActionContext.holding), not after the bookkeeping that follows;
// an action that never says so is measured to the verb's end.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import type { Action, ActionContext, ActionResult } from '../../src/actions/types.js';
import { ActionRunner } from '../../src/agent/action-runner.js';
import { createMetrics } from '../../src/agent/metrics.js';

const view = { status: () => null, inState_ms: () => 0, peerSilence: () => ({}) };
/** What the claim does after it holds the traffic (a release of the announcer, the log, ...). */
const AFTER_HOLDING_MS = 60;

function fakeAction(name: string, says_holding: boolean): Action {
  const done = async (ctx: ActionContext): Promise<ActionResult> => {
    if (says_holding) ctx.holding?.();
    await new Promise((r) => setTimeout(r, AFTER_HOLDING_MS));
    return { ok: true, duration_ms: AFTER_HOLDING_MS, calls: 1 };
  };
  return {
    name,
    kind: 'fake',
    preflight: async () => [],
    claim: done,
    release: async () => ({ ok: true, duration_ms: 0, calls: 0 }),
    observe: async () => ({ target: 'none' }),
  };
}

function capture(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l !== '') lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

test('a claim that says it holds the traffic is measured to that moment, not to its end', async () => {
  const { log, lines } = capture();
  const metrics = createMetrics(view, { paths: [], actions: ['early', 'late'], monitors: [] });
  const runner = new ActionRunner([fakeAction('early', true), fakeAction('late', false)], 2000, metrics, log);
  const before_ms = Date.now();
  runner.intend('claim');
  const after_ms = Date.now();
  assert.equal(await runner.settle(5000), true);
  const done = (name: string) => lines.find((l) => l.msg === 'action done' && l.action === name);
  const early = done('early')?.claim_ms;
  const late = done('late')?.claim_ms;
  assert.equal(typeof early, 'number');
  assert.equal(typeof late, 'number');
  // Both verbs took AFTER_HOLDING_MS or more; only the one that never said so counts it.
  assert.ok((early as number) < AFTER_HOLDING_MS, `early claim_ms ${early}`);
  assert.ok((late as number) >= AFTER_HOLDING_MS, `late claim_ms ${late}`);
  // When the claim was asked for, on the host clock (bench:failover compares it with the wire).
  const at = done('early')?.claim_at_ms as number;
  assert.ok(
    at >= before_ms - 1 && at <= after_ms + 1,
    `claim_at_ms ${at} within [${before_ms}, ${after_ms}]`,
  );
  const text = await metrics.registry.getSingleMetricAsString('tandem_claim_latency_seconds');
  assert.match(text, /tandem_claim_latency_seconds_count\{action="early"\} 1/);
  assert.match(text, /tandem_claim_latency_seconds_count\{action="late"\} 1/);
});

test("intend('claim') calls onHeld once every claim holds the traffic or has ended, before their own bookkeeping", async () => {
  const { log, lines } = capture();
  const metrics = createMetrics(view, { paths: [], actions: ['early', 'late'], monitors: [] });
  let heldLate = false;
  const late: Action = {
    ...fakeAction('late', false),
    claim: async (ctx) => {
      await new Promise((r) => setTimeout(r, 10));
      heldLate = true;
      ctx.holding?.();
      return { ok: true, duration_ms: 10, calls: 1 };
    },
  };
  const runner = new ActionRunner([fakeAction('early', true), late], 2000, metrics, log);
  const seen: string[] = [];
  let held = 0;
  const done = new Promise<void>((resolve) =>
    runner.intend('claim', () => {
      held += 1;
      // What the claims logged by now: `late` said it holds, and its `action done` is still to come.
      seen.push(...lines.map((l) => `${l.msg} ${l.action}`));
      resolve();
    }),
  );
  await new Promise((r) => setImmediate(r));
  assert.equal(held, 0, 'one claim does not hold the traffic yet');
  await done;
  assert.equal(heldLate, true);
  assert.ok(!seen.includes('action done late'), seen.join(', '));
  assert.equal(await runner.settle(5000), true);
  assert.equal(held, 1, 'called once');
  assert.ok(lines.some((l) => l.msg === 'action done' && l.action === 'late'));
  // A claim that fails without ever holding calls it too: nobody waits on it for ever.
  const failing: Action = {
    ...fakeAction('failing', false),
    claim: async () => ({
      ok: false,
      duration_ms: 1,
      calls: 1,
      error: { code: 'X', message: 'refused', retryable: false },
    }),
  };
  const lone = new ActionRunner([failing], 2000, metrics, log);
  await new Promise<void>((resolve) => lone.intend('claim', resolve));
  await lone.settle(5000);
  // With no action to claim, there is nothing to wait for.
  await new Promise<void>((resolve) => new ActionRunner([], 2000, metrics, log).intend('claim', resolve));
});
