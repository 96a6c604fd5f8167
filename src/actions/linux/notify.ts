// User notify commands on every state change, keepalived-style, with the change in the environment:
//   TANDEM_STATE           the new state (init, standby, active, fault, maintenance, disabled)
//   TANDEM_PREVIOUS_STATE  the state before the change
//   TANDEM_ROLE            this node's configured role (primary, secondary)
//   TANDEM_PAIR            the pair name
//   TANDEM_NODE            this node's name
//   TANDEM_REASON          why the state changed (core's reason text)
// Commands run with /bin/sh -c, concurrently, each with a timeout that kills its process group.
// notify() never blocks the failover path: the agent fires it and reads the outcome later.
import { runCommand } from '../../monitors/run.js';

export interface NotifyIdentity {
  readonly pair: string;
  readonly node: string;
  readonly role: string;
}

export interface NotifyConfig extends NotifyIdentity {
  readonly commands: readonly string[];
  readonly timeout_ms?: number;
}

export interface StateChange {
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

export type NotifyOutcome =
  | { readonly command: string; readonly ok: true; readonly duration_ms: number }
  | {
      readonly command: string;
      readonly ok: false;
      readonly duration_ms: number;
      readonly code: 'NOTIFY_FAILED' | 'NOTIFY_TIMEOUT' | 'NOTIFY_SPAWN_FAILED' | 'NOTIFY_BUSY';
      readonly message: string;
    };

export const NOTIFY_DEFAULT_TIMEOUT_MS = 10_000;
/** A flapping pair must not fork without bound: past this many running commands, new ones are refused. */
const RUNNING_MAX = 16;

export function notifyEnv(id: NotifyIdentity, change: StateChange): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TANDEM_STATE: change.to,
    TANDEM_PREVIOUS_STATE: change.from,
    TANDEM_ROLE: id.role,
    TANDEM_PAIR: id.pair,
    TANDEM_NODE: id.node,
    TANDEM_REASON: change.reason,
  };
}

export class Notifier {
  private running = 0;

  constructor(private readonly config: NotifyConfig) {}

  /** Starts every command; the promise resolves (never rejects) when all have finished. */
  notify(change: StateChange): Promise<readonly NotifyOutcome[]> {
    const env = notifyEnv(this.config, change);
    const timeout_ms = this.config.timeout_ms ?? NOTIFY_DEFAULT_TIMEOUT_MS;
    return Promise.all(this.config.commands.map((command) => this.runOne(command, env, timeout_ms)));
  }

  private async runOne(command: string, env: NodeJS.ProcessEnv, timeout_ms: number): Promise<NotifyOutcome> {
    if (this.running >= RUNNING_MAX) {
      const message = `${RUNNING_MAX} notify commands still running; this one was skipped — make them faster`;
      return { command, ok: false, duration_ms: 0, code: 'NOTIFY_BUSY', message };
    }
    this.running += 1;
    try {
      const out = await runCommand(['/bin/sh', '-c', command], { timeout_ms, env });
      const duration_ms = out.duration_ms;
      if (out.spawn_error !== undefined) {
        return { command, ok: false, duration_ms, code: 'NOTIFY_SPAWN_FAILED', message: out.spawn_error };
      }
      if (out.timed_out) {
        const message = `killed after ${timeout_ms} ms; raise notify timeout_ms or make the command return`;
        return { command, ok: false, duration_ms, code: 'NOTIFY_TIMEOUT', message };
      }
      if (out.code === 0) return { command, ok: true, duration_ms };
      const message = `exit ${out.code ?? 'signal'}: ${out.stderr.trim().split('\n').at(-1) ?? ''}`;
      return { command, ok: false, duration_ms, code: 'NOTIFY_FAILED', message };
    } finally {
      this.running -= 1;
    }
  }
}
