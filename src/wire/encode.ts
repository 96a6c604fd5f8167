import { checkKeyLength, macOf } from './key.js';
import {
  FLAG_BITS,
  FLAG_NAMES,
  FORMAT_VERSION,
  MAGIC,
  OFF,
  PACKET_BYTES_V1,
  ROLE_CODES,
  STATE_CODES,
  U16_MAX,
  U32_MAX,
  U64_MAX,
} from './layout.js';
import type { Keepalive, WireFlags } from './types.js';

/** A keepalive field out of range: a bug in the caller, never a network condition. */
export class WireEncodeError extends Error {
  readonly code = 'WIRE_FIELD_INVALID';
  constructor(field: string, expected: string, got: unknown) {
    super(`keepalive field ${field} must be ${expected}, got ${String(got)}`);
    this.name = 'WireEncodeError';
  }
}

/** Encodes and signs one keepalive (version 1). Throws WireEncodeError / PairKeyError on a bad argument. */
export function encodeKeepalive(k: Keepalive, key: Uint8Array): Buffer {
  checkKeyLength(key);
  checkFields(k);
  const buf = Buffer.alloc(PACKET_BYTES_V1);
  buf.writeUInt32BE(MAGIC, OFF.magic);
  buf.writeUInt8(FORMAT_VERSION, OFF.format_version);
  buf.writeUInt16BE(PACKET_BYTES_V1, OFF.length);
  buf.writeBigUInt64BE(k.pair_id, OFF.pair_id);
  buf.writeUInt32BE(k.node_id, OFF.node_id);
  buf.writeUInt8(ROLE_CODES[k.role], OFF.role);
  buf.writeUInt8(STATE_CODES[k.state], OFF.state);
  buf.writeUInt8(k.priority, OFF.priority);
  buf.writeUInt16BE(flagsWord(k.flags), OFF.flags);
  buf.writeUInt16BE(k.version.major, OFF.version_major);
  buf.writeUInt16BE(k.version.minor, OFF.version_minor);
  buf.writeUInt16BE(k.version.patch, OFF.version_patch);
  buf.writeUInt32BE(k.interval_ms, OFF.interval_ms);
  buf.writeBigUInt64BE(k.boot_id, OFF.boot_id);
  buf.writeBigUInt64BE(k.seq, OFF.seq);
  buf.writeBigUInt64BE(BigInt(k.sent_at_ms), OFF.sent_at_ms);
  macOf(key, buf.subarray(0, OFF.mac)).copy(buf, OFF.mac);
  return buf;
}

function flagsWord(flags: WireFlags): number {
  return FLAG_NAMES.reduce((word, name) => (flags[name] === true ? word | (1 << FLAG_BITS[name]) : word), 0);
}

function checkFields(k: Keepalive): void {
  checkU64('pair_id', k.pair_id);
  checkInt('node_id', k.node_id, 0, U32_MAX);
  if (!Object.hasOwn(ROLE_CODES, k.role))
    throw new WireEncodeError('role', `one of ${Object.keys(ROLE_CODES).join(', ')}`, k.role);
  if (!Object.hasOwn(STATE_CODES, k.state))
    throw new WireEncodeError('state', `one of ${Object.keys(STATE_CODES).join(', ')}`, k.state);
  checkInt('priority', k.priority, 0, 255);
  for (const name of FLAG_NAMES)
    if (typeof k.flags[name] !== 'boolean')
      throw new WireEncodeError(`flags.${name}`, 'a boolean', k.flags[name]);
  checkInt('version.major', k.version.major, 0, U16_MAX);
  checkInt('version.minor', k.version.minor, 0, U16_MAX);
  checkInt('version.patch', k.version.patch, 0, U16_MAX);
  checkInt('interval_ms', k.interval_ms, 1, U32_MAX);
  checkU64('boot_id', k.boot_id);
  checkU64('seq', k.seq);
  checkInt('sent_at_ms', k.sent_at_ms, 0, Number.MAX_SAFE_INTEGER);
}

function checkInt(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new WireEncodeError(field, `an integer in ${min}..${max}`, value);
}

function checkU64(field: string, value: bigint): void {
  if (typeof value !== 'bigint' || value < 0n || value > U64_MAX)
    throw new WireEncodeError(field, 'a bigint in 0..2^64-1', value);
}
