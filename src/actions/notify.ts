// User notify commands on every state change, keepalived-style. Each command line is run as
//   /bin/sh -c '<command>' tandem-notify <state> <previous state> <pair> <node>
// so $1..$4 hold the change (a script takes them with `/etc/tandem/notify.sh "$@"`), and the
// environment holds it too:
//   TANDEM_STATE           the new state (init, standby, active, fault, maintenance, disabled, stopped)
//   TANDEM_PREVIOUS_STATE  the state before the change
//   TANDEM_ROLE            this node's configured role (primary, secondary)
//   TANDEM_PAIR            the pair name
//   TANDEM_NODE            this node's name
//   TANDEM_REASON          why the state changed (core's reason text)
// The commands of one change run concurrently, each with a timeout that kills its process group; the
// changes run one after another, in order, so a script never sees `standby` after `active` out of turn.
// notify() never blocks the failover path: the agent fires it and the outcome is logged when known.
import { runCommand } from '../monitors/run.js';

export interface NotifyIdentity {
  readonly pair: string;
  readonly node: string;
  readonly role: string;
}

export interface NotifyConfig extends NotifyIdentity {
  readonly commands: readonly string[];
  readonly timeout_ms?: number;
  /** Only these new states are notified; all when absent. */
  readonly states?: readonly string[];
  /** Run the commands as this uid/gid (the agent runs as root; a script needs no such power). */
  readonly uid?: number;
  readonly gid?: number;
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
/** A flapping pair must not queue without bound: past this many waiting changes, new ones are refused. */
export const NOTIFY_QUEUE_MAX = 32;

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
  readonly #config: NotifyConfig;
  #tail: Promise<unknown> = Promise.resolve();
  #waiting = 0;

  constructor(config: NotifyConfig) {
    this.#config = config;
  }

  /** Whether a change to `state` runs the commands at all. */
  wants(state: string): boolean {
    return this.#config.commands.length > 0 && (this.#config.states?.includes(state) ?? true);
  }

  /**
   * Queues the change behind the earlier ones and returns at once; the promise resolves (never
   * rejects) with each command's outcome once they have run.
   */
  notify(change: StateChange): Promise<readonly NotifyOutcome[]> {
    if (this.#waiting >= NOTIFY_QUEUE_MAX) {
      const message = `${NOTIFY_QUEUE_MAX} state changes still waiting for notify commands; this one was skipped — make them faster`;
      return Promise.resolve(
        this.#config.commands.map((command) => ({
          command,
          ok: false as const,
          duration_ms: 0,
          code: 'NOTIFY_BUSY' as const,
          message,
        })),
      );
    }
    this.#waiting += 1;
    const run = this.#tail.then(() => this.#runAll(change));
    this.#tail = run.finally(() => {
      this.#waiting -= 1;
    });
    return run;
  }

  /** Resolves when every queued change has run, or after `timeout_ms`; true if all ran. */
  async drain(timeout_ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((r) => {
      timer = setTimeout(() => r(false), timeout_ms);
    });
    const done = await Promise.race([this.#tail.then(() => true as const), late]);
    clearTimeout(timer);
    return done;
  }

  #runAll(change: StateChange): Promise<readonly NotifyOutcome[]> {
    const env = notifyEnv(this.#config, change);
    const args = [change.to, change.from, this.#config.pair, this.#config.node];
    return Promise.all(this.#config.commands.map((command) => this.#runOne(command, args, env)));
  }

  async #runOne(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<NotifyOutcome> {
    const timeout_ms = this.#config.timeout_ms ?? NOTIFY_DEFAULT_TIMEOUT_MS;
    const { uid, gid } = this.#config;
    const out = await runCommand(['/bin/sh', '-c', command, 'tandem-notify', ...args], {
      timeout_ms,
      env,
      ...(uid === undefined ? {} : { uid }),
      ...(gid === undefined ? {} : { gid }),
    });
    const duration_ms = Math.round(out.duration_ms);
    if (out.spawn_error !== undefined)
      return { command, ok: false, duration_ms, code: 'NOTIFY_SPAWN_FAILED', message: out.spawn_error };
    if (out.timed_out) {
      const message = `killed after ${timeout_ms} ms; raise notify.timeout_ms or make the command return`;
      return { command, ok: false, duration_ms, code: 'NOTIFY_TIMEOUT', message };
    }
    if (out.code === 0) return { command, ok: true, duration_ms };
    const message = `exit ${out.code ?? 'signal'}: ${out.stderr.trim().split('\n').at(-1) ?? ''}`;
    return { command, ok: false, duration_ms, code: 'NOTIFY_FAILED', message };
  }
}
