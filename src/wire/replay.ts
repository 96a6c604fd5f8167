// Per-sender anti-replay state, after the IPsec sliding window (RFC 4303 §3.4.3), plus boot ids so
// that a recording of a peer's earlier life can neither be replayed nor keep a dead peer "alive", nor
// retire the life it is living now.
import type { Keepalive } from './types.js';

/** Packets a sender may be reordered by (several paths, redundant copies) and still be accepted. */
export const REPLAY_WINDOW = 64;
const WINDOW_MASK = (1n << BigInt(REPLAY_WINDOW)) - 1n;

export interface ReplayGuardLimits {
  /** Senders remembered; the least recently heard is forgotten first. A pair has one peer. */
  max_senders: number;
  /** Earlier boot ids remembered per sender, refused as 'replayed'. */
  max_retired_boot_ids: number;
}

export const DEFAULT_REPLAY_LIMITS: ReplayGuardLimits = { max_senders: 4, max_retired_boot_ids: 8 };

export interface Freshness {
  now_wall_ms: number;
  /** 0: a new boot id is accepted whatever its send time (recordings of an unseen boot then replay). */
  max_clock_skew_ms: number;
}

export type Admitted = Pick<Keepalive, 'node_id' | 'boot_id' | 'seq' | 'sent_at_ms'>;

export type AdmitVerdict =
  | { ok: true; kind: 'first-contact' | 'new-boot' | 'in-order' | 'reordered' }
  | { ok: false; reason: 'replayed' | 'stale'; detail: string };

export interface SenderSnapshot {
  node_id: number;
  boot_id: bigint;
  highest_seq: bigint;
  /** The latest send time accepted from the current boot (the sender's clock). */
  latest_sent_at_ms: number;
  /** Bit i set: seq highest_seq - i was accepted. */
  window: bigint;
  retired_boot_ids: bigint[];
}

interface Sender {
  boot_id: bigint;
  highest_seq: bigint;
  window: bigint;
  retired: bigint[];
  latest_sent_at_ms: number;
  /** Our wall clock when the current boot was last accepted. */
  heard_at_wall_ms: number;
}

export class ReplayGuard {
  readonly limits: ReplayGuardLimits;
  // Insertion order doubles as recency: an admitted sender is moved to the end.
  readonly #senders = new Map<number, Sender>();

  constructor(limits: Partial<ReplayGuardLimits> = {}) {
    this.limits = { ...DEFAULT_REPLAY_LIMITS, ...limits };
    for (const [name, value] of Object.entries(this.limits))
      if (!Number.isInteger(value) || value < 1 || value > 1024)
        throw new RangeError(`ReplayGuard: ${name} must be an integer in 1..1024, got ${value}`);
  }

  /** Accepts the packet and records it, or rejects it and changes nothing. Never throws. */
  admit(p: Admitted, fresh: Freshness): AdmitVerdict {
    const sender = this.#senders.get(p.node_id);
    if (sender === undefined) return this.#firstContact(p, fresh);
    if (sender.boot_id !== p.boot_id) return this.#newBoot(sender, p, fresh);
    const verdict = slide(sender, p.seq);
    if (verdict.ok) {
      sender.latest_sent_at_ms = Math.max(sender.latest_sent_at_ms, p.sent_at_ms);
      sender.heard_at_wall_ms = fresh.now_wall_ms;
      this.#touch(p.node_id, sender);
    }
    return verdict;
  }

  /** Drops what we know of a sender (e.g. a peer removed from the config). */
  forget(node_id: number): void {
    this.#senders.delete(node_id);
  }

  snapshot(): SenderSnapshot[] {
    return [...this.#senders].map(([node_id, s]) => ({
      node_id,
      boot_id: s.boot_id,
      highest_seq: s.highest_seq,
      latest_sent_at_ms: s.latest_sent_at_ms,
      window: s.window,
      retired_boot_ids: [...s.retired],
    }));
  }

  #firstContact(p: Admitted, fresh: Freshness): AdmitVerdict {
    const late = staleness(p, fresh);
    if (late !== null) return { ok: false, reason: 'stale', detail: `first packet from this sender ${late}` };
    if (this.#senders.size >= this.limits.max_senders) {
      const oldest = this.#senders.keys().next();
      if (oldest.done !== true) this.#senders.delete(oldest.value);
    }
    this.#senders.set(p.node_id, {
      boot_id: p.boot_id,
      highest_seq: p.seq,
      window: 1n,
      retired: [],
      latest_sent_at_ms: p.sent_at_ms,
      heard_at_wall_ms: fresh.now_wall_ms,
    });
    return { ok: true, kind: 'first-contact' };
  }

  #newBoot(sender: Sender, p: Admitted, fresh: Freshness): AdmitVerdict {
    if (sender.retired.includes(p.boot_id))
      return { ok: false, reason: 'replayed', detail: 'boot id of an earlier life of this sender' };
    const late = staleness(p, fresh);
    if (late !== null) return { ok: false, reason: 'stale', detail: `new boot id ${late}` };
    const older = olderBoot(sender, p, fresh);
    if (older !== null) return { ok: false, reason: 'replayed', detail: older };
    sender.retired.push(sender.boot_id);
    if (sender.retired.length > this.limits.max_retired_boot_ids) sender.retired.shift();
    sender.boot_id = p.boot_id;
    sender.highest_seq = p.seq;
    sender.window = 1n;
    sender.latest_sent_at_ms = p.sent_at_ms;
    sender.heard_at_wall_ms = fresh.now_wall_ms;
    this.#touch(p.node_id, sender);
    return { ok: true, kind: 'new-boot' };
  }

  #touch(node_id: number, sender: Sender): void {
    this.#senders.delete(node_id);
    this.#senders.set(node_id, sender);
  }
}

/**
 * A new boot id must have been sent after the current boot's latest packet (both on the sender's own
 * clock): a recording of an earlier life, replayed within the skew allowance, must never retire the
 * life the sender is living now. Once the current boot has been silent longer than the skew allowance
 * it gives way to any fresh boot (a sender whose clock stepped back across its restart), since a
 * recording older than its last packet is then refused as stale anyway.
 */
function olderBoot(s: Sender, p: Admitted, fresh: Freshness): string | null {
  if (p.sent_at_ms > s.latest_sent_at_ms) return null;
  if (fresh.now_wall_ms - s.heard_at_wall_ms > fresh.max_clock_skew_ms) return null;
  return `new boot id sent at ${p.sent_at_ms}, not after the current boot's ${s.latest_sent_at_ms}: a recording`;
}

/** Null when the send time is within the allowed skew, else why not. */
function staleness(p: Admitted, fresh: Freshness): string | null {
  if (fresh.max_clock_skew_ms === 0) return null;
  const skew_ms = Math.abs(fresh.now_wall_ms - p.sent_at_ms);
  // Written so that NaN or a negative allowance fails closed.
  if (skew_ms <= fresh.max_clock_skew_ms) return null;
  return `sent ${skew_ms} ms away from our clock (allowed ${fresh.max_clock_skew_ms} ms)`;
}

/** The sliding window for a packet of the sender's current boot; mutates only on acceptance. */
function slide(s: Sender, seq: bigint): AdmitVerdict {
  if (seq > s.highest_seq) {
    const shift = seq - s.highest_seq;
    s.window = shift >= BigInt(REPLAY_WINDOW) ? 1n : ((s.window << shift) | 1n) & WINDOW_MASK;
    s.highest_seq = seq;
    return { ok: true, kind: 'in-order' };
  }
  const behind = s.highest_seq - seq;
  if (behind >= BigInt(REPLAY_WINDOW))
    return { ok: false, reason: 'stale', detail: `seq ${behind} behind the highest, outside the window` };
  const bit = 1n << behind;
  if ((s.window & bit) !== 0n) return { ok: false, reason: 'replayed', detail: 'seq already accepted' };
  s.window |= bit;
  return { ok: true, kind: 'reordered' };
}
