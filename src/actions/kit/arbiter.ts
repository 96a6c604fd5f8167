// The cloud as arbiter: while this node is active, read the cloud back on an interval. A third target (hand edit,
// blackhole) or a missing route is repaired with one claim and logged; the peer's claim is never fought over —
// it is reported as split brain, and core decides (docs/aws.md "arbitration"). Wraps any cloud driver's verbs.
import type { Logger } from 'pino';
import type {
  Action,
  ActionContext,
  ActionError,
  ActionResult,
  Observation,
  PreflightCheck,
} from '../types.js';

/** What an arbiter tells the agent; the agent turns it into a core input (docs/aws.md "arbitration"). */
export type ArbiterReport =
  | { readonly kind: 'split-brain'; readonly action: string; readonly detail: string }
  /** The traffic points at us again after a reported split brain: the episode is over. */
  | { readonly kind: 'held'; readonly action: string }
  | {
      readonly kind: 'drift-repaired';
      readonly action: string;
      readonly detail: string;
      readonly ok: boolean;
    }
  | { readonly kind: 'observe-failed'; readonly action: string; readonly error: ActionError };

/** Reads in a row that must agree before drift is repaired: one read may be stale (CLOUD.md §1.7). */
export const DRIFT_READS = 2;

export type Verdict =
  | { readonly kind: 'hold' }
  | { readonly kind: 'wait'; readonly streak: number }
  | { readonly kind: 'repair'; readonly detail: string }
  | { readonly kind: 'split-brain' }
  | { readonly kind: 'unknown' };

/** Pure: what to do about one observation, given how many drift reads came just before it. */
export function judge(obs: Observation, streak: number): Verdict {
  switch (obs.target) {
    case 'self':
      return { kind: 'hold' };
    case 'peer':
      return { kind: 'split-brain' };
    case 'unknown':
      return { kind: 'unknown' };
    case 'other':
    case 'none': {
      const next = streak + 1;
      if (next < DRIFT_READS) return { kind: 'wait', streak: next };
      return { kind: 'repair', detail: obs.target === 'other' ? obs.detail : 'missing' };
    }
  }
}

/** A cloud driver: the four verbs plus start-up resolution and a way to let go of its client. */
export interface Driver extends Action {
  prepare(): Promise<unknown>;
  close(): void;
}

export interface ArbiterOptions {
  readonly interval_ms: number;
  readonly log: Logger;
  readonly report: (report: ArbiterReport) => void;
  /** For each observe and repair. */
  readonly deadline_ms: number;
  /** Injected so a simulation can drive the watch; default setTimeout (unref'd: never holds the process). */
  readonly timers?: Timers;
}

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class Arbiter implements Driver {
  readonly name: string;
  readonly kind: string;
  readonly deadline_ms?: number;
  readonly #driver: Driver;
  readonly #opts: ArbiterOptions;
  #watching = false;
  #busy = false;
  /** The repair in flight, so that a release can cancel it and wait: a demoted node must not write late. */
  #repair: { abort: AbortController; done: Promise<unknown> } | null = null;
  #streak = 0;
  #splitReported = false;
  #failureReported = false;
  #timer: unknown = null;

  constructor(driver: Driver, opts: ArbiterOptions) {
    this.#driver = driver;
    this.#opts = opts;
    this.name = driver.name;
    this.kind = driver.kind;
    if (driver.deadline_ms !== undefined) this.deadline_ms = driver.deadline_ms;
  }

  get watching(): boolean {
    return this.#watching;
  }

  preflight(ctx: ActionContext): Promise<readonly PreflightCheck[]> {
    return this.#driver.preflight(ctx);
  }

  observe(ctx: ActionContext): Promise<Observation> {
    return this.#driver.observe(ctx);
  }

  /** An explicit claim (core made us active, or decided a split brain for us) overwrites whatever is there. */
  async claim(ctx: ActionContext): Promise<ActionResult> {
    this.#busy = true;
    try {
      return await this.#driver.claim(ctx);
    } finally {
      this.#busy = false;
      // Watch even after a failed claim: the next drift read retries it.
      this.#watching = true;
      this.#streak = 0;
      this.#splitReported = false;
      this.#schedule();
    }
  }

  async release(ctx: ActionContext): Promise<ActionResult> {
    this.stop();
    const repair = this.#repair;
    if (repair) {
      repair.abort.abort();
      await repair.done;
    }
    this.#busy = true;
    try {
      return await this.#driver.release(ctx);
    } finally {
      this.#busy = false;
    }
  }

  prepare(): Promise<unknown> {
    return this.#driver.prepare();
  }

  close(): void {
    this.stop();
    this.#driver.close();
  }

  /** Stops watching (shutdown); does not release. */
  stop(): void {
    this.#watching = false;
    if (this.#timer !== null) this.#timers.clear(this.#timer);
    this.#timer = null;
  }

  get #timers(): Timers {
    return this.#opts.timers ?? realTimers;
  }

  #schedule(): void {
    if (this.#timer !== null) this.#timers.clear(this.#timer);
    this.#timer = null;
    if (!this.#watching || this.#opts.interval_ms <= 0) return;
    this.#timer = this.#timers.set(() => void this.#tick(), this.#opts.interval_ms);
  }

  async #tick(): Promise<void> {
    this.#timer = null;
    if (!this.#watching) return;
    if (!this.#busy) await this.#check();
    this.#schedule();
  }

  async #check(): Promise<void> {
    const ctx = { deadline_ms: this.#opts.deadline_ms };
    const obs = await this.#driver.observe(ctx);
    if (!this.#watching || this.#busy) return;
    const verdict = judge(obs, this.#streak);
    const log = this.#opts.log;
    if (verdict.kind !== 'unknown') this.#failureReported = false;
    switch (verdict.kind) {
      case 'hold':
        this.#streak = 0;
        if (this.#splitReported) this.#opts.report({ kind: 'held', action: this.name });
        this.#splitReported = false;
        return;
      case 'wait':
        this.#streak = verdict.streak;
        return;
      case 'unknown':
        // Once per episode: an API outage must not flood the log at every interval.
        if (obs.target === 'unknown' && !this.#failureReported) {
          this.#failureReported = true;
          log.warn({ action: this.name, error: obs.error }, 'observe failed');
          this.#opts.report({ kind: 'observe-failed', action: this.name, error: obs.error });
        }
        return;
      case 'split-brain':
        this.#streak = 0;
        if (this.#splitReported) return;
        this.#splitReported = true;
        log.warn(
          { action: this.name },
          'traffic points at the peer while we are active: split brain, not fighting',
        );
        this.#opts.report({ kind: 'split-brain', action: this.name, detail: 'the peer holds the target' });
        return;
      case 'repair': {
        this.#streak = 0;
        this.#busy = true;
        const abort = new AbortController();
        const done = this.#driver.claim({ ...ctx, signal: abort.signal });
        this.#repair = { abort, done };
        const result = await done.finally(() => {
          this.#busy = false;
          this.#repair = null;
        });
        log.warn(
          { action: this.name, drift: verdict.detail, ok: result.ok, calls: result.calls },
          'drift repaired',
        );
        this.#opts.report({
          kind: 'drift-repaired',
          action: this.name,
          detail: verdict.detail,
          ok: result.ok,
        });
      }
    }
  }
}
