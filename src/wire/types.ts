// The keepalive as the rest of tandem sees it. The byte layout lives in layout.ts and docs/wire.md.

export type WireRole = 'primary' | 'secondary';
export type WireState = 'init' | 'standby' | 'active' | 'fault' | 'maintenance' | 'disabled';

export interface WireFlags {
  /** "Please take over": WAN lost past the threshold, a switchover, or maintenance. */
  relinquish: boolean;
  wan_ok: boolean;
  ha_port_ok: boolean;
  /** Every user check passes and the sender may serve. */
  fit: boolean;
  /** A standby asks the active node to hand the role over. */
  takeover_request: boolean;
  /** The sender hears our keepalives. */
  peer_heard: boolean;
}

export interface WireVersion {
  major: number;
  minor: number;
  patch: number;
}

export interface Keepalive {
  /** u64: pairIdOf(pairName). */
  pair_id: bigint;
  /** u32: nodeIdOf(nodeName). */
  node_id: number;
  role: WireRole;
  state: WireState;
  /** 0..255 */
  priority: number;
  flags: WireFlags;
  /** u16 each. */
  version: WireVersion;
  /** u32, ≥ 1: the sender's keepalive interval. */
  interval_ms: number;
  /** u64, random per process start (newBootId()). */
  boot_id: bigint;
  /** u64, +1 per packet sent within a boot. */
  seq: bigint;
  /** The sender's wall clock, ms since the epoch (u64 on the wire, ≤ Number.MAX_SAFE_INTEGER). */
  sent_at_ms: number;
}

export type RejectReason =
  | 'truncated'
  | 'bad-magic'
  | 'unsupported-version'
  | 'bad-length'
  | 'bad-field'
  | 'bad-mac'
  | 'wrong-pair'
  | 'own-packet'
  | 'replayed'
  | 'stale';

/** In the order the decoder checks them. */
export const REJECT_REASONS: readonly RejectReason[] = [
  'truncated',
  'bad-magic',
  'unsupported-version',
  'bad-length',
  'bad-mac',
  'wrong-pair',
  'own-packet',
  'bad-field',
  'replayed',
  'stale',
];

export type DecodeResult =
  | { ok: true; packet: Keepalive }
  | { ok: false; reason: RejectReason; detail?: string };
