// One LAN link per node, through a switch: the active primary's port (or its own link) goes down and
// comes back. The silence it measured while cut off is no evidence of the peer's death, so it never
// claims before hearing the peer, and preemption asks the peer to step down first: at no moment do
// both nodes hold the VIP — as the kernel reports it (`ip monitor address` in both namespaces).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Spawned, setLink, spawnInNs } from '../helpers/netns.js';
import { inLab, type Lab, type NodeName, until } from './lab.js';

interface AddressEvent {
  readonly at_ms: number;
  readonly node: NodeName;
  readonly holds: boolean;
}

/** Follows the VIP on one node's LAN interface from the kernel's own notifications, timestamped by `ip`. */
class VipWatch {
  readonly events: AddressEvent[] = [];
  readonly #procs: Spawned[] = [];

  constructor(lab: Lab, nodes: readonly NodeName[]) {
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
}

const SWITCHED = (lab: Lab) => ({
  ha_link: 'switch',
  ha_port_monitor: 'lan-port',
  monitors: [{ kind: 'link', name: 'lan-port', interface: lab.ifname }],
});

async function cutAndRestore(lab: Lab, cut: (up: boolean) => Promise<void>): Promise<void> {
  const watch = new VipWatch(lab, ['a', 'b']);
  try {
    await watch.ready();
    const a = lab.startAgent('a', SWITCHED(lab));
    const b = lab.startAgent('b', SWITCHED(lab));
    await a.waitState('active');
    await b.waitState('standby');
    await until('VIP on a', () => lab.hasVip('a'));

    await cut(false);
    await b.waitState('active');
    await until('VIP on b only', async () => (await lab.hasVip('b')) && !(await lab.hasVip('a')));

    const restored_ms = Date.now();
    await cut(true);
    await until('a active, b standby', () => a.state === 'active' && b.state === 'standby', 20_000);
    await until('VIP on a only', async () => (await lab.hasVip('a')) && !(await lab.hasVip('b')));
    // Generous: on a loaded host the client's first tries may time out.
    await until('client reaches a on the VIP', async () => (await lab.vipServedBy()) === 'a', 30_000);
    await new Promise((r) => setTimeout(r, 300));
    const reasons = a.lines
      .filter((l) => l.msg === 'state change')
      .map((l) => `${l.from}→${l.to} (${l.reason})`);
    console.log(
      `primary back ${(watch.lastGain('a') ?? Number.NaN) - restored_ms} ms after its link returned; ${reasons.join(', ')}`,
    );
    assert.ok(
      !reasons.some((r) => r.includes('peer dead') && r.startsWith('fault')),
      'never fault → active on silence',
    );
    assert.equal(watch.overlap_ms(), 0, `both held the VIP: ${JSON.stringify(watch.events)}`);
    assert.ok(watch.events.filter((e) => e.holds).length >= 3, 'the watch saw a, b and a again');
  } finally {
    watch.stop();
  }
}

test("the active primary's switch port down then up: never both holding the VIP", () =>
  inLab((lab) => cutAndRestore(lab, (up) => lab.link('a', up))));

test("the active primary's own link down then up: never both holding the VIP", () =>
  inLab((lab) => cutAndRestore(lab, (up) => setLink(lab.lan, 'a', up ? 'up' : 'down', 'host'))));
