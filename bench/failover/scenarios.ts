// The scenarios, written once for every system: each starts a fresh rig, injects the fault at a seeded
// phase after a keepalive reached the standby, and measures from the client's point of view.
//
// Why the phase is taken from the wire: the outage is mostly the standby's wait from its last keepalive
// to its dead deadline, so the phase of the fault in the keepalive cycle decides most of it (a spread of
// one whole interval). Timed from an arbitrary moment, each system met its own random phases, and a
// 12-run median still moved by ±5 ms at 50 ms. Timed from the keepalive as the standby's interface reads
// it, every system meets the same phases (the seed's), and the comparison is paired.
import { IpBatch } from '../../src/actions/linux/ip-batch.js';
import { eventually, nft, setLink } from '../../test/helpers/netns.js';
import { macAt, watchFrames } from '../../test/helpers/wire.js';
import { nowMs } from './keepalived.js';
import { firstReplyFrom, longestGap, responderChanges } from './replies.js';
import { type Rig, startRig } from './rig.js';
import type { ClaimTiming, SystemUnderTest } from './system.js';

export type FaultScenario = 'kill' | 'linkdown';

export interface FaultResult {
  /** The claiming node's own timings (tandem), from the fault on. */
  readonly timings?: readonly ClaimTiming[];
  /** kill: from the kill to the first reply from b. linkdown: the client's longest outage. */
  readonly figure_ms: number;
  readonly outage_ms: number;
  /** When the fault came after the standby's interface read the last keepalive round (seeded, paired across systems). */
  readonly phase_ms: number;
}

export interface LossResult {
  readonly role_changes: number;
  /** Times a node became active during the loss window: each one is a false failover (nothing failed). */
  readonly failovers: number;
  readonly responder_changes: number;
  readonly outage_ms: number;
  /** The longest gap in a quiet window before the loss: the machine's own jitter, for comparison. */
  readonly baseline_outage_ms: number;
}

/** Quiet window before the loss starts, to measure the client's gaps without any fault. */
const BASELINE_MS = 5000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Seeded generator (mulberry32): a run prints its seed, and the same seed gives the same phases. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The fault comes at least this long after the keepalive: the bench hears of a frame ~0.5 ms after the
 * standby's interface read it, and must still be ahead of the moment it aims at.
 */
export const MIN_PHASE_MS = 2;

/** The keepalive rounds a sends b, as b's interface reads them: when each round's first frame came. */
interface Rounds {
  next(): Promise<number>;
  stop(): void;
}

async function keepaliveRounds(rig: Rig, interval_ms: number): Promise<Rounds> {
  const a = rig.lan.host('a').lan.mac;
  const b = rig.lan.host('b');
  let last = Number.NEGATIVE_INFINITY;
  let waiting: ((at_ms: number) => void)[] = [];
  // IPv4 from a to b: the keepalives (VRRP or tandem's UDP); the client's traffic to a never reaches b.
  const reader = await watchFrames(
    b.ns,
    b.lan.ifname,
    (f) => {
      if (f.bytes.length < 34 || f.bytes.readUInt16BE(12) !== 0x0800) return;
      if (macAt(f.bytes, 6) !== a || macAt(f.bytes, 0) !== b.lan.mac) return;
      // tandem's copies are ms apart: a round starts half an interval after the previous frame.
      const fresh = f.at_ms - last >= interval_ms / 2;
      last = f.at_ms;
      if (!fresh) return;
      const ready = waiting;
      waiting = [];
      for (const w of ready) w(f.at_ms);
    },
    { realtime: true },
  );
  return {
    next: () => new Promise((resolve) => waiting.push(resolve)),
    stop: () => reader.stop(),
  };
}

/** Sleeps until nowMs() reaches `at_ms`: a timer to within 2 ms, then short waits (the loop is ours). */
async function sleepUntil(at_ms: number): Promise<void> {
  await sleep(Math.max(0, at_ms - nowMs() - 2));
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (nowMs() < at_ms) Atomics.wait(cell, 0, 0, Math.min(0.2, at_ms - nowMs()));
}

/** Calls `fault` `phase_ms` after the next keepalive round b can still be timed from; returns when, and its phase. */
async function atPhase(
  rounds: Rounds,
  phase_ms: number,
  fault: () => void,
): Promise<{ t0: number; phase_ms: number }> {
  for (let tries = 0; tries < 50; tries++) {
    const round = await rounds.next();
    // Heard of this round too late to hit the phase (a loaded host): the next one.
    if (round + phase_ms - nowMs() < 0.3) continue;
    await sleepUntil(round + phase_ms);
    const t0 = nowMs();
    fault();
    return { t0, phase_ms: t0 - round };
  }
  throw new Error(`no keepalive round could be timed for a fault ${phase_ms.toFixed(1)} ms after it`);
}

export async function runFault(
  sut: SystemUnderTest,
  scenario: FaultScenario,
  interval_ms: number,
  random: () => number,
): Promise<FaultResult> {
  const rig = await startRig(sut, interval_ms);
  // The switch port goes down through an ip batch started ahead: a fresh `ip` took 3.5–7 ms to do it.
  const cut = new IpBatch(rig.lan.switch_ns);
  let rounds: Rounds | null = null;
  try {
    cut.start();
    rounds = await keepaliveRounds(rig, interval_ms);
    // Let the standby hear a few keepalives, then hit the seeded point of the keepalive cycle.
    await sleep(3 * interval_ms + 200);
    if (!(await cut.ping())) throw new Error('the ip batch for the fault did not answer');
    const port = rig.lan.host('a').lan.switch_port;
    let down: Promise<unknown> | null = null;
    const { t0, phase_ms } = await atPhase(
      rounds,
      MIN_PHASE_MS + random() * (interval_ms - MIN_PHASE_MS),
      scenario === 'kill'
        ? () => {
            down = rig.a.kill9();
          }
        : () => {
            down = cut.run(['link', 'set', port, 'down']) ?? setLink(rig.lan, 'a', 'down', 'switch');
          },
    );
    await down;
    const deadline_ms = 20 * interval_ms + 15_000;
    await eventually(
      () => firstReplyFrom(rig.replies, 'b', t0) !== undefined,
      deadline_ms,
      `${sut.name} ${scenario}: b serves`,
    );
    await sleep(Math.max(200, 2 * interval_ms));
    const first = firstReplyFrom(rig.replies, 'b', t0);
    const outage_ms = longestGap(rig.replies, t0, nowMs());
    const figure_ms = scenario === 'kill' ? (first?.t ?? Number.NaN) - t0 : outage_ms;
    const b_mac = rig.lan.host('b').lan.mac;
    const seen = rig.wire.announcements().filter((w) => w.mac === b_mac);
    const timings = rig.b
      .claimTimings?.()
      .filter((t) => t.t_ms >= t0)
      .map((t) =>
        withWire(
          t,
          seen.map((w) => w.at_ms),
        ),
      );
    return { figure_ms, outage_ms, phase_ms, ...(timings ? { timings } : {}) };
  } finally {
    rounds?.stop();
    cut.close();
    await rig.destroy();
  }
}

/** The claim's first announcement on the wire: the first one the client saw from the node after it claimed. */
function withWire(t: ClaimTiming, seen_ms: readonly number[]): ClaimTiming {
  const at = t.claim_at_ms;
  if (at === undefined) return t;
  const first = seen_ms.find((s) => s >= at);
  return first === undefined ? t : { ...t, wire_ms: Math.round((first - at) * 100) / 100 };
}

export async function runLoss(
  sut: SystemUnderTest,
  interval_ms: number,
  duration_ms: number,
  loss_percent: number,
): Promise<LossResult> {
  const rig = await startRig(sut, interval_ms);
  try {
    await sleep(3 * interval_ms + 200);
    const quiet0 = nowMs();
    await sleep(BASELINE_MS);
    const baseline_outage_ms = longestGap(rig.replies, quiet0, nowMs());
    // Loss on every packet a node receives: keepalives both ways, and the client's datagrams.
    const rules = [
      await nft.randomLoss(rig.lan.host('a').ns, loss_percent, 'in'),
      await nft.randomLoss(rig.lan.host('b').ns, loss_percent, 'in'),
    ];
    const t0 = nowMs();
    await sleep(duration_ms);
    const t1 = nowMs();
    for (const r of rules) await r.remove();
    const inWindow = (c: { t_ms: number }): boolean => c.t_ms > t0 && c.t_ms <= t1;
    const changes = [...rig.a.roleChanges(), ...rig.b.roleChanges()].filter(inWindow);
    return {
      role_changes: changes.length,
      failovers: changes.filter((c) => c.role === 'active').length,
      responder_changes: responderChanges(rig.replies, t0, t1),
      outage_ms: longestGap(rig.replies, t0, t1),
      baseline_outage_ms,
    };
  } finally {
    await rig.destroy();
  }
}

export interface RecoveryResult {
  /** The longest time both nodes held the VIP at once, from `ip monitor address` in both namespaces. */
  readonly overlap_ms: number;
  /** From the port coming back up to the primary holding the VIP again (kernel's timestamps). */
  readonly back_ms: number;
  /** The client's longest gap over the whole cycle (down, failover, up, preemption). */
  readonly outage_ms: number;
}

/**
 * The active primary's switch port goes down, the standby takes over, the port comes back and the
 * primary takes the role back (preempt): who holds the VIP is read from the kernel of both nodes.
 */
export async function runPortCycle(
  sut: SystemUnderTest,
  interval_ms: number,
  random: () => number,
): Promise<RecoveryResult> {
  const rig = await startRig(sut, interval_ms, true, true);
  const watch = rig.vipWatch;
  try {
    if (watch === undefined) throw new Error('the rig was started without its VIP watch');
    await sleep(3 * interval_ms + 200 + random() * interval_ms);
    const t0 = nowMs();
    await setLink(rig.lan, 'a', 'down', 'switch');
    const deadline_ms = 20 * interval_ms + 15_000;
    await eventually(
      () => firstReplyFrom(rig.replies, 'b', t0) !== undefined,
      deadline_ms,
      `${sut.name} port down: b serves`,
    );
    // Down long enough for the pair to settle on b, as after a real port flap.
    await sleep(Math.max(500, 4 * interval_ms));
    // `ip -ts` stamps events with the wall clock.
    const up = Date.now();
    await setLink(rig.lan, 'a', 'up', 'switch');
    await eventually(
      () => (watch.lastGain('a') ?? 0) > up,
      deadline_ms,
      `${sut.name} port up: a holds the VIP again`,
    );
    // Any overlap (the old holder letting go late) shows up within this.
    await sleep(Math.max(500, 10 * interval_ms));
    return {
      overlap_ms: watch.overlap_ms(),
      back_ms: watch.backAfter('a', up),
      outage_ms: longestGap(rig.replies, t0, nowMs()),
    };
  } finally {
    await rig.destroy();
  }
}
