// Gratuitous ARP through iputils `arping`. arping sends its packet at once but then lingers ~1 s
// waiting for replies, so each GARP is its own short-lived process, started on our own spacing; the
// claim waits only for the first to start. A release cancels the rest: a GARP sent after release
// would pull the traffic back to a node that no longer holds the address.
import { type ChildProcess, spawn } from 'node:child_process';
import { inNetns } from './command.js';

export type GarpMode = 'request' | 'reply' | 'both';

export interface GarpPlan {
  readonly ifname: string;
  readonly address: string;
  readonly count: number;
  readonly spacing_ms: number;
  readonly mode: GarpMode;
  readonly netns?: string;
}

/** What happened to one GARP, for the agent's log and metrics. */
export type GarpOutcome =
  | { readonly kind: 'sent'; readonly index: number; readonly mode: 'request' | 'reply' }
  | { readonly kind: 'failed'; readonly index: number; readonly error: string };

/** arping needs ~1 s to exit after sending; beyond this it is stuck. */
const ARPING_LIFETIME_MS = 3000;

export class GarpSender {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly children = new Set<ChildProcess>();

  constructor(private readonly onOutcome: (o: GarpOutcome) => void = () => undefined) {}

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

  /** Stops pending GARPs and kills running arping processes. */
  cancel(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.children) c.kill('SIGKILL');
    this.children.clear();
  }

  private sendOne(plan: GarpPlan, index: number): Promise<{ ok: true } | { ok: false; error: string }> {
    const mode = plan.mode === 'both' ? (index % 2 === 0 ? 'request' : 'reply') : plan.mode;
    const flag = mode === 'request' ? '-U' : '-A';
    const [file, args] = inNetns(plan.netns, 'arping', [flag, '-c', '1', '-I', plan.ifname, plan.address]);
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
        const error = `cannot run arping: ${err.message}; install iputils-arping`;
        this.onOutcome({ kind: 'failed', index, error });
        resolve({ ok: false, error });
      });
      child.once('exit', (code, signal) => {
        clearTimeout(killer);
        this.children.delete(child);
        if (code === 0) this.onOutcome({ kind: 'sent', index, mode });
        else if (signal === null && code !== null) {
          this.onOutcome({ kind: 'failed', index, error: `arping exit ${code}: ${stderr.trim()}` });
        }
      });
    });
  }
}
