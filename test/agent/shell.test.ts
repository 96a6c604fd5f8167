// The shell's own duty: a timer that fires far too late (a stopped process, a stalled event loop) is
// told to core as deafness before anything else, so the silence slept through never makes it claim.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { createMetrics } from '../../src/agent/metrics.js';
import { HOLD_MAX_MS, Shell, type Timers } from '../../src/agent/shell.js';
import type { Advert, CoreConfig, CoreEvent } from '../../src/core/index.js';

const SECONDARY: CoreConfig = {
  node_id: 2,
  role: 'secondary',
  priority: 100,
  interval_ms: 50,
  dead_multiplier: 3,
  preempt: true,
  preempt_delay_ms: 0,
  ha_link: 'switch',
  wan_loss_relinquish_ms: 10_000,
  paths: ['lan'],
  version: { major: 1, minor: 0, patch: 0 },
};

const ACTIVE_PRIMARY: Advert = {
  node_id: 1,
  role: 'primary',
  state: 'active',
  priority: 200,
  relinquish: false,
  wan_ok: true,
  ha_port_ok: true,
  fit: true,
  takeover_request: false,
  peer_heard: true,
  interval_ms: 50,
  version: { major: 1, minor: 0, patch: 0 },
};

/** A hand-driven clock and one pending timer, fired when the test says (late, if it likes). */
function harness(core: CoreConfig = SECONDARY, settle?: () => void) {
  let now = 0;
  let pending: { fn: () => void; at: number } | null = null;
  const timers: Timers = {
    set: (fn, delay_ms) => {
      pending = { fn, at: now + delay_ms };
      return pending;
    },
    clear: () => {
      pending = null;
    },
  };
  const verbs: string[] = [];
  const events: CoreEvent[] = [];
  const metrics = createMetrics({ status: () => null, inState_ms: () => 0, peerSilence: () => ({}) });
  const shell = new Shell({
    core,
    clock: { now_ms: () => now },
    timers,
    send: () => {},
    act: (verb) => {
      verbs.push(verb);
    },
    metrics,
    log: pino({ level: 'silent' }),
    onEvent: (e) => events.push(e),
    ...(settle ? { settle } : {}),
  });
  /** Fires the armed timer at `at` (≥ its due time) and lets the tick the shell defers run. */
  const fireAt = async (at: number): Promise<void> => {
    const p = pending as { fn: () => void; at: number } | null;
    assert.ok(p !== null, 'a timer is armed');
    now = Math.max(at, p.at);
    pending = null;
    p.fn();
    await new Promise((r) => setImmediate(r));
  };
  return {
    shell,
    verbs,
    events,
    metrics,
    fireAt,
    dueAt: () => (pending as { at: number } | null)?.at ?? null,
    setNow: (t: number) => {
      now = t;
    },
  };
}

async function standbyHearingPrimary(h: ReturnType<typeof harness>): Promise<void> {
  h.shell.input({ kind: 'start' });
  for (let t = 0; t <= 500; t += 50) {
    h.setNow(t);
    h.shell.input({ kind: 'keepalive', path: 'lan', advert: ACTIVE_PRIMARY });
  }
  assert.equal(h.shell.status().state, 'standby');
}

describe('shell: a stalled process is deaf, not a witness of the peer death', () => {
  test('a timer fired on time at the dead deadline takes over (the control case)', async () => {
    const h = harness();
    await standbyHearingPrimary(h);
    while (h.shell.status().state === 'standby') await h.fireAt(h.dueAt() ?? 0);
    assert.deepEqual(h.verbs, ['claim']);
    assert.equal(await h.metrics.stalls.get().then((m) => m.values[0]?.value ?? 0), 0);
  });

  test('the end of deafness reaches onEvent at once (the transport re-resolves the peer on it)', async () => {
    const h = harness();
    await standbyHearingPrimary(h);
    h.shell.input({ kind: 'ha-link', up: false });
    assert.equal(h.shell.status().state, 'fault');
    assert.ok(!h.events.some((e) => e.kind === 'deaf'), 'no deafness event while the port is down');
    h.shell.input({ kind: 'ha-link', up: true });
    assert.deepEqual(
      h.events.filter((e) => e.kind === 'deaf').map((e) => (e as { cause: string }).cause),
      ['ha-port-down'],
    );
  });

  test('a timer fired seconds late (SIGSTOP) claims nothing until a dead interval has been heard', async () => {
    const h = harness();
    await standbyHearingPrimary(h);
    const due = h.dueAt() ?? 0;
    await h.fireAt(due + 5000);
    assert.equal(h.shell.status().state, 'standby');
    assert.deepEqual(h.verbs, []);
    assert.equal((await h.metrics.stalls.get()).values[0]?.value, 1);
    // The primary answers again: the standby stays where it is.
    h.shell.input({ kind: 'keepalive', path: 'lan', advert: ACTIVE_PRIMARY });
    assert.equal(h.shell.status().state, 'standby');
  });

  test('after a stall with the peer really gone it takes over one dead interval later', async () => {
    const h = harness();
    await standbyHearingPrimary(h);
    const resumed = (h.dueAt() ?? 0) + 5000;
    await h.fireAt(resumed);
    let claimed_at = resumed;
    while (h.shell.status().state === 'standby') {
      claimed_at = h.dueAt() ?? 0;
      await h.fireAt(claimed_at);
    }
    assert.deepEqual(h.verbs, ['claim']);
    assert.equal(claimed_at, resumed + 150, 'a whole dead interval after resuming, not before');
  });

  test('woken a dead interval late it is stalled at once, and the late tick hears what was read first', async () => {
    const settled: string[] = [];
    const h = harness(SECONDARY, () => settled.push(h.shell.status().state));
    await standbyHearingPrimary(h);
    assert.equal(h.shell.stalled, false);
    const due = h.dueAt() ?? 0;
    // After SIGCONT the loop reads the socket before its late timer fires: the transport asks then.
    h.setNow(due + 5000);
    assert.equal(h.shell.stalled, true, 'behind its own deadline by a dead interval');
    await h.fireAt(due + 5000);
    assert.deepEqual(settled, ['standby'], 'what was read is handed over before the tick');
    assert.equal(h.shell.stalled, false, 'the tick armed the next deadline');
    assert.deepEqual(h.verbs, []);
  });

  test('input arriving before the late timer (a packet read first) is preceded by the deafness', async () => {
    const h = harness();
    await standbyHearingPrimary(h);
    h.setNow((h.dueAt() ?? 0) + 5000);
    h.shell.input({ kind: 'wan', ok: true });
    assert.equal(h.shell.status().state, 'standby', 'a monitor reading after the stall does not claim');
    assert.equal((await h.metrics.stalls.get()).values[0]?.value, 1);
  });

  test('a stall is measured against the timers in force: shortened by a reload, a shorter stall is deaf too', async () => {
    const h = harness({ ...SECONDARY, interval_ms: 1000 });
    await standbyHearingPrimary(h);
    // The controller's new interval: 50 ms, as the primary already advertises, so a dead interval of 150.
    h.shell.input({ kind: 'reconfigure', config: { ...SECONDARY, interval_ms: 50 } });
    h.shell.input({ kind: 'keepalive', path: 'lan', advert: ACTIVE_PRIMARY });
    const due = h.dueAt() ?? 0;
    // Half a second late: no stall at the old timers (3 s), a stall of three dead intervals at the new.
    await h.fireAt(due + 500);
    assert.equal(h.shell.status().state, 'standby');
    assert.deepEqual(h.verbs, []);
    assert.equal((await h.metrics.stalls.get()).values[0]?.value, 1);
  });
});

describe('shell: a claim goes out before the bookkeeping of its step', () => {
  /** A standby whose act('claim') calls `held` when `holds` settles (never, if it never does); every log line in order. */
  function holding(holds: Promise<void>) {
    const lines: string[] = [];
    const reports: string[] = [];
    let now = 0;
    let pending: { fn: () => void; at: number } | null = null;
    const shell = new Shell({
      core: SECONDARY,
      clock: { now_ms: () => now },
      timers: {
        set: (fn, delay_ms) => {
          pending = { fn, at: now + delay_ms };
          return pending;
        },
        clear: () => {
          pending = null;
        },
      },
      send: () => {},
      act: (verb, held) => {
        lines.push(`act ${verb}`);
        if (held !== undefined) void holds.then(held);
      },
      metrics: createMetrics({ status: () => null, inState_ms: () => 0, peerSilence: () => ({}) }),
      log: pino(
        { level: 'info' },
        { write: (l: string) => void lines.push((JSON.parse(l) as { msg: string }).msg) },
      ),
      reporter: { statusChanged: (s) => void reports.push(s.state) },
    });
    shell.input({ kind: 'start' });
    for (let t = 0; t <= 500; t += 50) {
      now = t;
      shell.input({ kind: 'keepalive', path: 'lan', advert: ACTIVE_PRIMARY });
    }
    const claimNow = async (): Promise<void> => {
      // Each deadline on time (a path's, then the peer's): the standby claims.
      for (let i = 0; i < 10 && shell.status().state === 'standby'; i++) {
        const p = pending as { fn: () => void; at: number } | null;
        assert.ok(p !== null, 'a timer is armed');
        now = p.at;
        p.fn();
        await new Promise((r) => setImmediate(r));
      }
    };
    return { shell, lines, reports, claimNow };
  }

  test('its logs and reports wait until the claim holds the traffic, then follow in order', async () => {
    let resolve: () => void = () => {};
    const h = holding(new Promise<void>((r) => (resolve = r)));
    h.lines.length = 0;
    h.reports.length = 0;
    await h.claimNow();
    assert.equal(h.shell.status().state, 'active', 'the state itself is current at once');
    assert.deepEqual(h.lines, ['act claim'], 'nothing logged before the claim holds');
    assert.deepEqual(h.reports, []);
    resolve();
    await new Promise((r) => setImmediate(r));
    assert.equal(h.lines[0], 'act claim');
    assert.deepEqual(h.lines.slice(1, 2), ['claiming the traffic']);
    assert.ok(h.lines.includes('state change'));
    assert.ok(h.lines.indexOf('peer-dead') < h.lines.indexOf('state change'), h.lines.join(', '));
    assert.deepEqual(h.reports.slice(0, 1), ['active'], 'the report says the state of the step');
  });

  test('a claim that never says it holds releases them after HOLD_MAX_MS', async () => {
    const h = holding(new Promise<void>(() => {}));
    h.lines.length = 0;
    await h.claimNow();
    assert.deepEqual(h.lines, ['act claim']);
    await new Promise((r) => setTimeout(r, HOLD_MAX_MS + 10));
    assert.ok(h.lines.includes('state change'), h.lines.join(', '));
  });

  test('stopping the shell releases what it holds', async () => {
    const h = holding(new Promise<void>(() => {}));
    h.lines.length = 0;
    await h.claimNow();
    h.shell.stop();
    assert.ok(h.lines.includes('claiming the traffic'), h.lines.join(', '));
  });
});
