// Shared builders for the wire tests (not a test file itself).
import { createHmac } from 'node:crypto';
import { type DecodeContext, type Keepalive, nodeIdOf, pairIdOf, ReplayGuard } from '../../src/wire/index.js';

export const KEY = new Uint8Array(
  Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex'),
);
export const WRONG_KEY = new Uint8Array(
  Buffer.from('ff112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex'),
);
export const PAIR = pairIdOf('berlin-edge');
export const SELF = nodeIdOf('node-a');
export const PEER = nodeIdOf('node-b');
export const NOW_MS = 1_790_000_000_000;
export const SKEW_MS = 5_000;

/** MAC offset and size of format version 1 (docs/wire.md). */
export const MAC_OFFSET = 60;

export function keepalive(over: Partial<Keepalive> = {}): Keepalive {
  return {
    pair_id: PAIR,
    node_id: PEER,
    role: 'secondary',
    state: 'standby',
    priority: 100,
    flags: {
      relinquish: false,
      wan_ok: true,
      ha_port_ok: true,
      fit: true,
      takeover_request: false,
      peer_heard: true,
    },
    version: { major: 1, minor: 4, patch: 2 },
    interval_ms: 1_000,
    boot_id: 0x1234_5678_9abc_def0n,
    seq: 1n,
    sent_at_ms: NOW_MS,
    ...over,
  };
}

export function context(over: Partial<DecodeContext> = {}): DecodeContext {
  return {
    key: KEY,
    pair_id: PAIR,
    self_node_id: SELF,
    now_wall_ms: NOW_MS,
    max_clock_skew_ms: SKEW_MS,
    guard: new ReplayGuard(),
    ...over,
  };
}

/** Recomputes the MAC after a test edited the signed bytes: what a key holder with a bug would send. */
export function resign(buf: Buffer, key: Uint8Array = KEY): Buffer {
  const out = Buffer.from(buf);
  createHmac('sha256', key).update(out.subarray(0, MAC_OFFSET)).digest().copy(out, MAC_OFFSET, 0, 16);
  return out;
}
