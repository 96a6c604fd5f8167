// Announcing a claimed VIP to the LAN. IPv4: gratuitous ARP through iputils `arping`, which sends its
// packet at once but then lingers ~1 s waiting for replies. IPv6: an unsolicited neighbour
// advertisement (override flag, our MAC as target link-layer address, to all nodes) through `na6` of
// Debian's ipv6toolkit — arping is IPv4 only, Node has no raw ICMPv6 socket, and the kernel's own NA
// (`ndisc_notify`) did not announce a `nodad` address in our tests and is one packet, not a burst.
// Each announcement is its own short-lived process, started on our own spacing; the claim waits only
// for the first to start. The first can be armed ahead (armed.ts): the claim then only wakes it.
// A release cancels the rest: one sent after release would pull the traffic back to a node that no
// longer holds the address.
import { spawn } from 'node:child_process';
import { ArmedCommand } from './armed.js';
import { inNetns } from './command.js';

export type GarpMode = 'request' | 'reply' | 'both';

export interface GarpPlan {
  readonly ifname: string;
  readonly family: 4 | 6;
  readonly address: string;
  readonly count: number;
  readonly spacing_ms: number;
  readonly mode: GarpMode;
  readonly netns?: string;
}

/** What happened to one GARP, for the agent's log and metrics. */
export type GarpOutcome =
  | { readonly kind: 'sent'; readonly index: number; readonly mode: 'request' | 'reply' | 'na' }
  | { readonly kind: 'failed'; readonly index: number; readonly error: string };

/** arping needs ~1 s to exit after sending (na6 a few ms); beyond this it is stuck. */
const ARPING_LIFETIME_MS = 3000;

/** IPv6 all-nodes: where unsolicited neighbour advertisements go (RFC 4861 §7.2.6). */
const ALL_NODES = 'ff02::1';

interface Announcement {
  readonly tool: string;
  readonly pkg: string;
  readonly args: string[];
  readonly mode: 'request' | 'reply' | 'na';
}

function announcement(plan: GarpPlan, index: number): Announcement {
  if (plan.family === 6) {
    // -e: our MAC in the target link-layer option; -o: override, so caches holding the old MAC switch.
    const args = ['-i', plan.ifname, '-s', plan.address, '-d', ALL_NODES, '-t', plan.address, '-e', '-o'];
    return { tool: 'na6', pkg: 'ipv6toolkit', args, mode: 'na' };
  }
  const mode = plan.mode === 'both' ? (index % 2 === 0 ? 'request' : 'reply') : plan.mode;
  const flag = mode === 'request' ? '-U' : '-A';
  return {
    tool: 'arping',
    pkg: 'iputils-arping',
    args: [flag, '-c', '1', '-I', plan.ifname, plan.address],
    mode,
  };
}

/** The argv of one announcement, as spawned (inside the plan's netns when it names one). */
function argvOf(plan: GarpPlan, index: number): [string, string[]] {
  const { tool, args } = announcement(plan, index);
  return inNetns(plan.netns, tool, args);
}

export class GarpSender {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly children = new Set<{ kill(signal: 'SIGKILL'): unknown }>();
  /** The first announcement of the planned claim, waiting to be fired. */
  private armed: { readonly key: string; readonly command: ArmedCommand } | null = null;

  constructor(private readonly onOutcome: (o: GarpOutcome) => void = () => undefined) {}

  /** Starts the first announcement of `plan` ahead, so that a claim only has to wake it. */
  arm(plan: GarpPlan): void {
    if (plan.count === 0) return;
    const [file, args] = argvOf(plan, 0);
    const key = [file, ...args].join('\0');
    if (this.armed?.key === key) return;
    this.armed?.command.close();
    this.armed = { key, command: new ArmedCommand(file, args) };
    this.armed.command.arm();
  }

  /** Lets the armed announcement go; nothing is armed again. */
  close(): void {
    this.cancel();
    this.armed?.command.close();
    this.armed = null;
  }

  /** Starts the burst; resolves once the first arping is running (or failed to start). */
  start(plan: GarpPlan): Promise<{ ok: true } | { ok: false; error: string }> {
    this.cancel();
    if (plan.count === 0) return Promise.resolve({ ok: true });
    for (let i = 1; i < plan.count; i++) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        void this.sendOne(plan, i);
      }, i * plan.spacing_ms);
      this.timers.add(t);
    }
    return this.sendOne(plan, 0);
  }

  /** Stops pending announcements and kills running arping/na6 processes. */
  cancel(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.children) c.kill('SIGKILL');
    this.children.clear();
  }

  /** The armed first announcement, fired now; null when it is not armed for this very plan. */
  private fireArmed(plan: GarpPlan, index: number): { ok: true } | null {
    if (index !== 0 || this.armed === null) return null;
    const [file, args] = argvOf(plan, 0);
    if (this.armed.key !== [file, ...args].join('\0')) return null;
    const fired = this.armed.command.fire();
    if (fired === null) return null;
    const { tool, pkg, mode } = announcement(plan, index);
    this.children.add(fired);
    void fired.exited.then((out) => {
      this.children.delete(fired);
      if (out.code === 0) this.onOutcome({ kind: 'sent', index, mode });
      else if (out.spawn_error !== undefined)
        this.onOutcome({ kind: 'failed', index, error: `cannot run ${tool}: install ${pkg}` });
      else if (out.code !== null)
        this.onOutcome({ kind: 'failed', index, error: `${tool} exit ${out.code}: ${out.stderr.trim()}` });
    });
    return { ok: true };
  }

  private sendOne(plan: GarpPlan, index: number): Promise<{ ok: true } | { ok: false; error: string }> {
    const armed = this.fireArmed(plan, index);
    if (armed !== null) return Promise.resolve(armed);
    const { tool, pkg, mode } = announcement(plan, index);
    const [file, args] = argvOf(plan, index);
    return new Promise((resolve) => {
      const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      this.children.add(child);
      let stderr = '';
      child.stderr?.on('data', (b: Buffer) => {
        if (stderr.length < 1000) stderr += b.toString('utf8');
      });
      const killer = setTimeout(() => child.kill('SIGKILL'), ARPING_LIFETIME_MS);
      child.once('spawn', () => resolve({ ok: true }));
      child.once('error', (err) => {
        clearTimeout(killer);
        this.children.delete(child);
        const error = `cannot run ${tool}: ${err.message}; install ${pkg}`;
        this.onOutcome({ kind: 'failed', index, error });
        resolve({ ok: false, error });
      });
      child.once('exit', (code, signal) => {
        clearTimeout(killer);
        this.children.delete(child);
        if (code === 0) this.onOutcome({ kind: 'sent', index, mode });
        else if (signal === null && code !== null) {
          this.onOutcome({ kind: 'failed', index, error: `${tool} exit ${code}: ${stderr.trim()}` });
        }
      });
    });
  }
}
