// Version 1 of the keepalive: fixed size, big-endian. docs/wire.md has the byte table; keep both in step.
import type { WireFlags, WireRole, WireState } from './types.js';

/** "TNDM" */
export const MAGIC = 0x544e444d;
export const FORMAT_VERSION = 1;

export const OFF = {
  magic: 0,
  format_version: 4,
  reserved_a: 5,
  length: 6,
  pair_id: 8,
  node_id: 16,
  role: 20,
  state: 21,
  priority: 22,
  reserved_b: 23,
  flags: 24,
  version_major: 26,
  version_minor: 28,
  version_patch: 30,
  interval_ms: 32,
  boot_id: 36,
  seq: 44,
  sent_at_ms: 52,
  mac: 60,
} as const;

/** magic + format version + reserved + length: enough to know how to read the rest. */
export const HEADER_BYTES = 8;
/** HMAC-SHA-256 truncated to 128 bits (RFC 2104 §5 allows truncation to ≥ half the hash). */
export const MAC_BYTES = 16;
export const PACKET_BYTES_V1 = OFF.mac + MAC_BYTES;

export const U16_MAX = 0xffff;
export const U32_MAX = 0xffff_ffff;
export const U64_MAX = (1n << 64n) - 1n;

export const ROLE_CODES: Readonly<Record<WireRole, number>> = { primary: 1, secondary: 2 };
export const STATE_CODES: Readonly<Record<WireState, number>> = {
  init: 1,
  standby: 2,
  active: 3,
  fault: 4,
  maintenance: 5,
  disabled: 6,
};

export const ROLE_BY_CODE: ReadonlyMap<number, WireRole> = invert(ROLE_CODES);
export const STATE_BY_CODE: ReadonlyMap<number, WireState> = invert(STATE_CODES);

/** Bit i of the u16 flags field; bits 6..15 are reserved and must be 0 in version 1. */
export const FLAG_BITS: Readonly<Record<keyof WireFlags, number>> = {
  relinquish: 0,
  wan_ok: 1,
  ha_port_ok: 2,
  fit: 3,
  takeover_request: 4,
  peer_heard: 5,
};
export const FLAG_NAMES = Object.keys(FLAG_BITS) as (keyof WireFlags)[];
export const KNOWN_FLAGS_MASK = FLAG_NAMES.reduce((mask, name) => mask | (1 << FLAG_BITS[name]), 0);

function invert<K extends string>(codes: Readonly<Record<K, number>>): ReadonlyMap<number, K> {
  return new Map(Object.entries<number>(codes).map(([name, code]) => [code, name as K]));
}
