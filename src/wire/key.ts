import { createHmac, timingSafeEqual } from 'node:crypto';
import { MAC_BYTES } from './layout.js';

/** Below 128 bits a key is guessable offline from one captured packet. */
export const PAIR_KEY_MIN_BYTES = 16;
/** A bound on what we accept from a config file; HMAC hashes longer keys down anyway. */
export const PAIR_KEY_MAX_BYTES = 1024;

export class PairKeyError extends Error {
  readonly code = 'PAIR_KEY_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'PairKeyError';
  }
}

const EXPECTED =
  `expected ${PAIR_KEY_MIN_BYTES} to ${PAIR_KEY_MAX_BYTES} bytes as base64 or hex ` +
  '(optionally prefixed "base64:" or "hex:"); make one with `openssl rand -base64 32`';

/**
 * Parses the pair key from config text: base64 (standard or URL-safe, padding optional) or hex.
 * A string of hex digits is read as hex; prefix "base64:" to force base64. Never echoes the key.
 */
export function parsePairKey(text: string): Uint8Array {
  const compact = text.replace(/\s+/g, '');
  const bytes = decodeKeyText(compact);
  if (bytes === null) throw new PairKeyError(`pair key is neither valid base64 nor hex: ${EXPECTED}`);
  checkKeyLength(bytes);
  return bytes;
}

export function checkKeyLength(key: Uint8Array): void {
  if (key.length < PAIR_KEY_MIN_BYTES)
    throw new PairKeyError(`pair key decodes to ${key.length} bytes, too short: ${EXPECTED}`);
  if (key.length > PAIR_KEY_MAX_BYTES)
    throw new PairKeyError(`pair key decodes to ${key.length} bytes, too long: ${EXPECTED}`);
}

function decodeKeyText(s: string): Uint8Array | null {
  if (s.startsWith('hex:')) return decodeHex(s.slice(4));
  if (s.startsWith('base64:')) return decodeBase64(s.slice(7));
  return decodeHex(s) ?? decodeBase64(s);
}

function decodeHex(s: string): Uint8Array | null {
  if (s.length === 0 || s.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(s)) return null;
  return new Uint8Array(Buffer.from(s, 'hex'));
}

function decodeBase64(s: string): Uint8Array | null {
  // Buffer.from(…, 'base64') skips bad characters silently, so the alphabet is checked first.
  const standard = /^[A-Za-z0-9+/]+={0,2}$/.test(s);
  const urlSafe = /^[A-Za-z0-9_-]+={0,2}$/.test(s);
  const body = s.replace(/=+$/, '');
  if ((!standard && !urlSafe) || body.length % 4 === 1) return null;
  if (s.length !== body.length && s.length % 4 !== 0) return null;
  return new Uint8Array(Buffer.from(body, urlSafe ? 'base64url' : 'base64'));
}

/** HMAC-SHA-256 over `signed`, truncated to MAC_BYTES. */
export function macOf(key: Uint8Array, signed: Uint8Array): Buffer {
  return createHmac('sha256', key).update(signed).digest().subarray(0, MAC_BYTES);
}

export function macMatches(key: Uint8Array, signed: Uint8Array, tag: Uint8Array): boolean {
  const expected = macOf(key, signed);
  return tag.length === expected.length && timingSafeEqual(expected, tag);
}
