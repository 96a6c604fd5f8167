// The scenarios, written once for every system: each starts a fresh rig, waits a random phase of the
// keepalive interval, injects the fault and measures from the client's point of view.
import { eventually, nft, setLink } from '../../test/helpers/netns.js';
import { nowMs } from './keepalived.js';
import { firstReplyFrom, longestGap, responderChanges } from './replies.js';
import { startRig } from './rig.js';
import type { ClaimTiming, SystemUnderTest } from './system.js';

export type FaultScenario = 'kill' | 'linkdown';

export interface FaultResult {
  /** The claiming node's own timings (tandem), from the fault on. */
  readonly timings?: readonly ClaimTiming[];
  /** kill: from the kill to the first reply from b. linkdown: the client's longest outage. */
  readonly figure_ms: number;
  readonly outage_ms: number;
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

export async function runFault(
  sut: SystemUnderTest,
  scenario: FaultScenario,
  interval_ms: number,
  random: () => number,
): Promise<FaultResult> {
  const rig = await startRig(sut, interval_ms);
  try {
    // Let the standby hear a few keepalives, then hit a random point of the timer cycle.
    await sleep(3 * interval_ms + 200);
    const phase_ms = random() * interval_ms;
    await sleep(phase_ms);
    const t0 = nowMs();
    if (scenario === 'kill') await rig.a.kill9();
    else await setLink(rig.lan, 'a', 'down', 'switch');
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
      back_ms: (watch.lastGain('a') ?? Number.NaN) - up,
      outage_ms: longestGap(rig.replies, t0, nowMs()),
    };
  } finally {
    await rig.destroy();
  }
}
