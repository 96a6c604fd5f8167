// The kernel's neighbour entry for the peer's address (ARP on IPv4, neighbour discovery on IPv6). When
// our own link was down, or the peer was unreachable, the entry is left INCOMPLETE or FAILED: our
// keepalives then wait in its queue until the kernel's next probe, up to retrans_time (1 s) later,
// while we may hear the peer already. A returning primary's takeover request waited that long in the
// lab, twice its dead interval. Deleting the stuck entry makes our next keepalive resolve it at once.
import { runTool, type ToolOutcome } from './run-tool.js';

/** States in which the kernel holds our packets, or drops them, instead of sending them. */
const STUCK = new Set(['INCOMPLETE', 'FAILED']);

export interface StuckEntry {
  readonly dev: string;
  readonly state: string;
}

export type RunIp = (args: readonly string[]) => Promise<ToolOutcome>;

const runIp: RunIp = (args) => runTool('ip', args);

/** `ip` failed: missing, not permitted, or an answer we cannot read. */
export class NeighbourError extends Error {
  readonly code = 'NEIGHBOUR_CHECK_FAILED';
  constructor(what: string, out: ToolOutcome) {
    super(`${what}: ${out.spawn_error ?? (out.stderr.trim() || `exit ${out.code}`)}`);
    this.name = 'NeighbourError';
  }
}

/**
 * Deletes every stuck entry for `address` (one a device) and says which it deleted; entries that
 * resolved (REACHABLE, STALE, …) are left alone, so a healthy path costs one `ip` read.
 */
export async function unstickNeighbour(address: string, run: RunIp = runIp): Promise<StuckEntry[]> {
  const shown = await run(['-j', 'neigh', 'show', 'to', address]);
  if (shown.code !== 0) throw new NeighbourError(`ip neigh show to ${address}`, shown);
  let entries: { dev?: unknown; state?: unknown }[];
  try {
    entries = JSON.parse(shown.stdout.trim() || '[]') as typeof entries;
  } catch {
    throw new NeighbourError(`ip neigh show to ${address}`, { ...shown, stderr: 'not JSON' });
  }
  const stuck: StuckEntry[] = [];
  for (const e of entries) {
    const state = Array.isArray(e.state) ? e.state.find((s) => STUCK.has(String(s))) : undefined;
    if (typeof e.dev !== 'string' || state === undefined) continue;
    const del = await run(['neigh', 'del', address, 'dev', e.dev]);
    // Gone meanwhile (the kernel resolved or garbage-collected it): nothing left to unstick.
    if (del.code !== 0 && !/No such file/i.test(del.stderr))
      throw new NeighbourError(`ip neigh del ${address} dev ${e.dev}`, del);
    stuck.push({ dev: e.dev, state: String(state) });
  }
  return stuck;
}
