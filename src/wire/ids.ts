import { createHash, randomBytes } from 'node:crypto';

/** u64 pair id: the first 8 bytes of SHA-256("tandem-pair:" + name), big-endian. */
export function pairIdOf(name: string): bigint {
  return sha256(`tandem-pair:${name}`).readBigUInt64BE(0);
}

/** u32 node id: the first 4 bytes of SHA-256("tandem-node:" + name), big-endian. */
export function nodeIdOf(name: string): number {
  return sha256(`tandem-node:${name}`).readUInt32BE(0);
}

/**
 * A fresh u64 boot id. It must be unpredictable and unique per process start: the replay guard
 * tells a restarted peer from a recording of its previous life by it. Tests may inject bytes.
 */
export function newBootId(random: (size: number) => Uint8Array = randomBytes): bigint {
  const bytes = random(8);
  if (bytes.length !== 8) throw new RangeError(`newBootId: the generator gave ${bytes.length} bytes, not 8`);
  return Buffer.from(bytes).readBigUInt64BE(0);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
