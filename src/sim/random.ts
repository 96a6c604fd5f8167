// Seeded randomness: ids, jitter and error rates replay exactly for a given seed.

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  hex(chars: number): string;
}

/** mulberry32: tiny, fast, good enough for simulation decisions (not for secrets). */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const hex = (chars: number): string => {
    let out = '';
    while (out.length < chars)
      out += Math.floor(next() * 0x10000)
        .toString(16)
        .padStart(4, '0');
    return out.slice(0, chars);
  };
  return { next, hex };
}
