// Effective Linux capabilities of this process, from /proc (no native module needed).
import { readFile } from 'node:fs/promises';

export const CAP_NET_ADMIN = 12;
export const CAP_NET_RAW = 13;

export async function hasCapability(cap: number): Promise<boolean> {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  if (hex === undefined) return false;
  return ((BigInt(`0x${hex}`) >> BigInt(cap)) & 1n) === 1n;
}
