// The seeded world of the decoder fuzz test: one genuine peer, an attacker with recordings, noise.
import {
  type DecodeContext,
  encodeKeepalive,
  type Keepalive,
  type KeepaliveBody,
  KeepaliveSealer,
  type RejectReason,
  ReplayGuard,
  type WireRole,
  type WireState,
} from '../../src/wire/index.js';
import { KEY, NOW_MS, PAIR, PEER, resign, SELF, SKEW_MS, WRONG_KEY } from './fixtures.js';

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  next(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(below: number): number {
    return Math.floor(this.next() * below);
  }
  bool(): boolean {
    return this.next() < 0.5;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i += 1) b[i] = this.int(256);
    return b;
  }
  u64(): bigint {
    return this.bytes(8).readBigUInt64BE(0);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** What a case must produce: accepted as exactly this packet, one of some reasons, or anything but acceptance. */
export type Expect =
  | { kind: 'accept'; packet: Keepalive }
  | { kind: 'reject'; reasons: readonly RejectReason[] }
  | { kind: 'not-accepted' };

export interface FuzzCase {
  name: string;
  bytes: Uint8Array;
  expect: Expect;
}

const ROLES: WireRole[] = ['primary', 'secondary'];
const STATES: WireState[] = ['init', 'standby', 'active', 'fault', 'maintenance', 'disabled'];
const HISTORY_MAX = 4096;

export class FuzzWorld {
  readonly ctx: DecodeContext;
  #sealer: KeepaliveSealer;
  readonly #history: Buffer[] = [];
  #historyNext = 0;

  constructor(readonly rng: Rng) {
    this.ctx = {
      key: KEY,
      pair_id: PAIR,
      self_node_id: SELF,
      now_wall_ms: NOW_MS,
      max_clock_skew_ms: SKEW_MS,
      guard: new ReplayGuard(),
    };
    this.#sealer = this.#newSealer();
  }

  tick(): void {
    this.ctx.now_wall_ms += this.rng.int(40);
  }

  /** The peer restarts: a new boot id from the seeded generator. */
  restart(): void {
    // A restart takes time: its first packet is sent after the last one of the life before.
    this.ctx.now_wall_ms += 1 + this.rng.int(1000);
    this.#sealer = this.#newSealer();
  }

  /** 1–4 fresh packets of the genuine peer, delivered in a random order (several paths). */
  genuineBatch(): FuzzCase[] {
    const batch = Array.from({ length: 1 + this.rng.int(4) }, () => this.#genuine());
    for (let i = batch.length - 1; i > 0; i -= 1) {
      const j = this.rng.int(i + 1);
      [batch[i], batch[j]] = [batch[j]!, batch[i]!];
    }
    return batch;
  }

  random(): FuzzCase {
    return { name: 'random', bytes: this.rng.bytes(this.rng.int(100)), expect: { kind: 'not-accepted' } };
  }

  /** A well-framed header followed by noise: it reaches the MAC check. */
  randomFramed(): FuzzCase {
    const b = this.rng.bytes(76);
    Buffer.from([0x54, 0x4e, 0x44, 0x4d, 1, 0, 0, 76]).copy(b, 0);
    return { name: 'random-framed', bytes: b, expect: { kind: 'reject', reasons: ['bad-mac'] } };
  }

  mutated(): FuzzCase | null {
    const original = this.#recorded();
    if (original === null) return null;
    let b: Buffer = Buffer.from(original);
    for (let n = 1 + this.rng.int(3); n > 0; n -= 1) b = this.#mutate(b);
    return { name: 'mutated', bytes: b, expect: { kind: 'not-accepted' } };
  }

  replay(): FuzzCase | null {
    const original = this.#recorded();
    if (original === null) return null;
    return { name: 'replay', bytes: original, expect: { kind: 'reject', reasons: ['replayed', 'stale'] } };
  }

  /** A fresh, well-formed packet signed with a key that is not the pair's. */
  wrongKey(): FuzzCase {
    const b = encodeKeepalive(this.#unsent(), WRONG_KEY);
    return { name: 'wrong-key', bytes: b, expect: { kind: 'reject', reasons: ['bad-mac'] } };
  }

  /** Correctly signed but unacceptable: another pair, our own, an out-of-range field, a stale new boot. */
  keyedInvalid(): FuzzCase {
    const k = this.#unsent();
    switch (this.rng.int(4)) {
      case 0:
        return this.#keyed(
          'wrong-pair',
          encodeKeepalive({ ...k, pair_id: k.pair_id ^ (1n + this.rng.u64()) }, KEY),
        );
      case 1:
        return this.#keyed('own-packet', encodeKeepalive({ ...k, node_id: SELF }, KEY));
      case 2:
        return this.#keyed('bad-field', this.#badField(encodeKeepalive(k, KEY)));
      default: {
        const sent_at_ms = this.ctx.now_wall_ms - SKEW_MS - 1 - this.rng.int(10_000_000);
        return this.#keyed('stale', encodeKeepalive({ ...k, boot_id: this.rng.u64(), sent_at_ms }, KEY));
      }
    }
  }

  #keyed(reason: RejectReason, bytes: Buffer): FuzzCase {
    return { name: `keyed-${reason}`, bytes, expect: { kind: 'reject', reasons: [reason] } };
  }

  #badField(b: Buffer): Buffer {
    switch (this.rng.int(5)) {
      case 0:
        b[20] = this.rng.pick([0, 3, 255]);
        break;
      case 1:
        b[21] = 7 + this.rng.int(249);
        break;
      case 2:
        b.writeUInt16BE(b.readUInt16BE(24) | (1 << (6 + this.rng.int(10))), 24);
        break;
      case 3:
        b[this.rng.pick([5, 23])] = 1 + this.rng.int(255);
        break;
      default:
        b.writeUInt32BE(0, 32);
    }
    return resign(b);
  }

  #mutate(b: Buffer): Buffer {
    switch (this.rng.int(5)) {
      case 0: {
        const out = Buffer.from(b);
        if (out.length > 0) out[this.rng.int(out.length)]! ^= 1 << this.rng.int(8);
        return out;
      }
      case 1:
        return b.subarray(0, this.rng.int(b.length + 1));
      case 2:
        return Buffer.concat([b, this.rng.bytes(1 + this.rng.int(20))]);
      case 3: {
        const out = Buffer.from(b);
        if (out.length > 0) out[this.rng.int(Math.min(out.length, 8))] = this.rng.int(256);
        return out;
      }
      default: {
        // Splice: the header and body of one recording with the MAC of another.
        const other = this.#recorded() ?? b;
        return Buffer.concat([b.subarray(0, 60), other.subarray(60)]);
      }
    }
  }

  #genuine(): FuzzCase {
    const bytes = this.#sealer.seal(this.#body(), this.ctx.now_wall_ms);
    const packet: Keepalive = {
      ...this.#lastBody,
      pair_id: PAIR,
      node_id: PEER,
      boot_id: this.#sealer.boot_id,
      seq: this.#sealer.last_seq,
      sent_at_ms: this.ctx.now_wall_ms,
    };
    this.#record(bytes);
    return { name: 'genuine', bytes, expect: { kind: 'accept', packet } };
  }

  /** The next packet the peer would send, without sending it. */
  #unsent(): Keepalive {
    return {
      ...this.#body(),
      pair_id: PAIR,
      node_id: PEER,
      boot_id: this.#sealer.boot_id,
      seq: this.#sealer.last_seq + 1n,
      sent_at_ms: this.ctx.now_wall_ms,
    };
  }

  #lastBody!: KeepaliveBody;
  #body(): KeepaliveBody {
    const r = this.rng;
    this.#lastBody = {
      role: r.pick(ROLES),
      state: r.pick(STATES),
      priority: r.int(256),
      flags: {
        relinquish: r.bool(),
        wan_ok: r.bool(),
        ha_port_ok: r.bool(),
        fit: r.bool(),
        takeover_request: r.bool(),
        peer_heard: r.bool(),
      },
      version: { major: r.int(65536), minor: r.int(65536), patch: r.int(65536) },
      interval_ms: 1 + r.int(0xffff_fffe),
    };
    return this.#lastBody;
  }

  #newSealer(): KeepaliveSealer {
    return new KeepaliveSealer(KEY, { pair_id: PAIR, node_id: PEER, boot_id: this.rng.u64() });
  }

  #record(b: Buffer): void {
    this.#history[this.#historyNext] = b;
    this.#historyNext = (this.#historyNext + 1) % HISTORY_MAX;
  }

  #recorded(): Buffer | null {
    return this.#history.length === 0 ? null : this.rng.pick(this.#history);
  }
}
