// Where the VIP is, as the kernel reports it: `ip -ts monitor address` in each node's namespace. The
// end-to-end tests assert "never both nodes hold the VIP" from this, not from the agents' logs.
import { type Spawned, spawnInNs } from '../helpers/netns.js';
import type { Lab, NodeName } from './lab.js';

export interface AddressEvent {
  readonly at_ms: number;
  readonly node: NodeName;
  readonly holds: boolean;
}

/** Follows the VIP on one node's LAN interface from the kernel's own notifications, timestamped by `ip`. */
export class VipWatch {
  readonly events: AddressEvent[] = [];
  readonly #procs: Spawned[] = [];

  /** `lab`: a Lab, or any LAN that names each node's namespace and the VIP (bench:failover's rig). */
  constructor(lab: Pick<Lab, 'ns' | 'vip'>, nodes: readonly NodeName[]) {
    for (const node of nodes) {
      // Real-time priority, above the agents' own: `ip` stamps each event when it reads it.
      const proc = spawnInNs(lab.ns(node), ['chrt', '-f', '90', 'ip', '-ts', '-o', 'monitor', 'address']);
      proc.onLine((line) => this.#onLine(lab.vip, node, line));
      this.#procs.push(proc);
    }
  }

  #onLine(vip: string, node: NodeName, line: string): void {
    const m = /^\[([^\]]+)\]\s*(Deleted\s+)?.*\binet6?\s+([0-9a-f.:]+)\//i.exec(line);
    if (m === null || m[3] !== vip) return;
    this.events.push({ at_ms: Date.parse(m[1]!), node, holds: m[2] === undefined });
  }

  /** Started before the agents: lets `ip monitor` subscribe before anything can change. */
  async ready(): Promise<void> {
    await new Promise((r) => setTimeout(r, 300));
  }

  stop(): void {
    for (const p of this.#procs) p.kill('SIGTERM');
  }

  /** The longest time both nodes held the VIP at once (0: never), from the kernel's own order of events. */
  overlap_ms(): number {
    const holds = new Map<NodeName, boolean>();
    let both_since: number | null = null;
    let worst = 0;
    for (const e of [...this.events].sort((x, y) => x.at_ms - y.at_ms)) {
      holds.set(e.node, e.holds);
      const both = holds.get('a') === true && holds.get('b') === true;
      if (both && both_since === null) both_since = e.at_ms;
      if (!both && both_since !== null) {
        worst = Math.max(worst, e.at_ms - both_since || 0.001);
        both_since = null;
      }
    }
    if (both_since !== null) worst = Number.POSITIVE_INFINITY;
    return worst;
  }

  /** When `node` last gained the VIP. */
  lastGain(node: NodeName): number | undefined {
    return this.events.filter((e) => e.node === node && e.holds).at(-1)?.at_ms;
  }

  /**
   * How long after `since_ms` (wall clock, taken before the port or link came back) `node` last gained
   * the VIP; Infinity if it never did.
   */
  backAfter(node: NodeName, since_ms: number): number {
    return (this.lastGain(node) ?? Number.POSITIVE_INFINITY) - since_ms;
  }
}
