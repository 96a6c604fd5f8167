import { macMatches, PAIR_KEY_MIN_BYTES } from './key.js';
import {
  FLAG_BITS,
  FLAG_NAMES,
  FORMAT_VERSION,
  HEADER_BYTES,
  KNOWN_FLAGS_MASK,
  MAGIC,
  OFF,
  PACKET_BYTES_V1,
  ROLE_BY_CODE,
  STATE_BY_CODE,
} from './layout.js';
import type { ReplayGuard } from './replay.js';
import type { DecodeResult, Keepalive, RejectReason, WireFlags } from './types.js';

export interface DecodeContext {
  key: Uint8Array;
  /** Ours: a packet of another pair sharing the key or the segment is refused. */
  pair_id: bigint;
  self_node_id: number;
  now_wall_ms: number;
  /** How far a new boot id's send time may be from now_wall_ms; 0 disables the check (see docs/wire.md). */
  max_clock_skew_ms: number;
  guard: ReplayGuard;
}

type Rejection = { ok: false; reason: RejectReason; detail?: string };

/**
 * Verifies and decodes one keepalive. Never throws: every malformed, unauthenticated, replayed or
 * stale packet comes back as a reason. The guard changes only for a packet that is accepted.
 */
export function decodeKeepalive(buf: Uint8Array, ctx: DecodeContext): DecodeResult {
  const framing = checkFraming(buf);
  if (framing !== null) return framing;
  if (ctx.key.length < PAIR_KEY_MIN_BYTES)
    return reject('bad-mac', `our pair key is shorter than ${PAIR_KEY_MIN_BYTES} bytes`);
  if (!macMatches(ctx.key, buf.subarray(0, OFF.mac), buf.subarray(OFF.mac, PACKET_BYTES_V1)))
    return reject('bad-mac');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const pair_id = view.getBigUint64(OFF.pair_id);
  if (pair_id !== ctx.pair_id) return reject('wrong-pair', `pair id ${pair_id}`);
  if (view.getUint32(OFF.node_id) === ctx.self_node_id) return reject('own-packet');
  const fields = readFields(view);
  if (!fields.ok) return fields;
  const verdict = ctx.guard.admit(fields.packet, {
    now_wall_ms: ctx.now_wall_ms,
    max_clock_skew_ms: ctx.max_clock_skew_ms,
  });
  if (!verdict.ok) return reject(verdict.reason, verdict.detail);
  return fields;
}

/** Header checks, before any cryptography: cheap to reject noise. */
function checkFraming(buf: Uint8Array): Rejection | null {
  if (buf.length < HEADER_BYTES) return reject('truncated', `${buf.length} bytes`);
  const view = new DataView(buf.buffer, buf.byteOffset, HEADER_BYTES);
  if (view.getUint32(OFF.magic) !== MAGIC) return reject('bad-magic');
  const version = view.getUint8(OFF.format_version);
  if (version !== FORMAT_VERSION) return reject('unsupported-version', `format version ${version}`);
  const declared = view.getUint16(OFF.length);
  if (declared !== PACKET_BYTES_V1)
    return reject('bad-length', `declares ${declared} bytes, version 1 is ${PACKET_BYTES_V1}`);
  if (buf.length < declared) return reject('truncated', `${buf.length} of ${declared} bytes`);
  if (buf.length > declared) return reject('bad-length', `${buf.length - declared} bytes after the packet`);
  return null;
}

/** Field ranges of an authenticated packet (a sender with the key but a bug, or a newer minor format). */
function readFields(view: DataView): { ok: true; packet: Keepalive } | Rejection {
  if (view.getUint8(OFF.reserved_a) !== 0 || view.getUint8(OFF.reserved_b) !== 0)
    return reject('bad-field', 'reserved byte set');
  const role = ROLE_BY_CODE.get(view.getUint8(OFF.role));
  if (role === undefined) return reject('bad-field', `role code ${view.getUint8(OFF.role)}`);
  const state = STATE_BY_CODE.get(view.getUint8(OFF.state));
  if (state === undefined) return reject('bad-field', `state code ${view.getUint8(OFF.state)}`);
  const word = view.getUint16(OFF.flags);
  if ((word & ~KNOWN_FLAGS_MASK) !== 0)
    return reject('bad-field', `unknown flag bits 0x${word.toString(16)}`);
  const interval_ms = view.getUint32(OFF.interval_ms);
  if (interval_ms === 0) return reject('bad-field', 'interval_ms 0');
  const sent_at = view.getBigUint64(OFF.sent_at_ms);
  if (sent_at > BigInt(Number.MAX_SAFE_INTEGER)) return reject('bad-field', 'sent_at_ms beyond 2^53');
  return {
    ok: true,
    packet: {
      pair_id: view.getBigUint64(OFF.pair_id),
      node_id: view.getUint32(OFF.node_id),
      role,
      state,
      priority: view.getUint8(OFF.priority),
      flags: flagsOf(word),
      version: {
        major: view.getUint16(OFF.version_major),
        minor: view.getUint16(OFF.version_minor),
        patch: view.getUint16(OFF.version_patch),
      },
      interval_ms,
      boot_id: view.getBigUint64(OFF.boot_id),
      seq: view.getBigUint64(OFF.seq),
      sent_at_ms: Number(sent_at),
    },
  };
}

function flagsOf(word: number): WireFlags {
  const flags = {} as WireFlags;
  for (const name of FLAG_NAMES) flags[name] = (word & (1 << FLAG_BITS[name])) !== 0;
  return flags;
}

function reject(reason: RejectReason, detail?: string): Rejection {
  return detail === undefined ? { ok: false, reason } : { ok: false, reason, detail };
}
