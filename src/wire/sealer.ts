import { encodeKeepalive } from './encode.js';
import { newBootId } from './ids.js';
import { checkKeyLength } from './key.js';
import type { Keepalive } from './types.js';

export interface SealerIdentity {
  pair_id: bigint;
  node_id: number;
  /** Injected in tests; a real process takes a fresh random one. */
  boot_id?: bigint;
}

/** What the caller decides per packet; the sealer owns identity, boot id, sequence and send time. */
export type KeepaliveBody = Omit<Keepalive, 'pair_id' | 'node_id' | 'boot_id' | 'seq' | 'sent_at_ms'>;

/** Signs keepalives for one process lifetime: one boot id, seq 1, 2, 3, … */
export class KeepaliveSealer {
  readonly pair_id: bigint;
  readonly node_id: number;
  readonly boot_id: bigint;
  #key: Uint8Array;
  #last_seq = 0n;

  constructor(key: Uint8Array, identity: SealerIdentity) {
    checkKeyLength(key);
    this.#key = Uint8Array.from(key);
    this.pair_id = identity.pair_id;
    this.node_id = identity.node_id;
    this.boot_id = identity.boot_id ?? newBootId();
  }

  /** The seq of the last packet sealed; 0 before the first. */
  get last_seq(): bigint {
    return this.#last_seq;
  }

  /** A key rotation: the next packets are signed with `key`; boot id and seq go on, so no replay window resets. */
  rekey(key: Uint8Array): void {
    checkKeyLength(key);
    this.#key = Uint8Array.from(key);
  }

  seal(body: KeepaliveBody, now_wall_ms: number): Buffer {
    const seq = this.#last_seq + 1n;
    const packet = encodeKeepalive(
      {
        ...body,
        pair_id: this.pair_id,
        node_id: this.node_id,
        boot_id: this.boot_id,
        seq,
        sent_at_ms: now_wall_ms,
      },
      this.#key,
    );
    // Only a packet that encoded consumes a seq, so a bad field never leaves a gap.
    this.#last_seq = seq;
    return packet;
  }
}
