// The cloud as arbiter: while this node is active, read the cloud back on an interval. A third target (hand edit,
// blackhole) or a missing route is repaired with one claim and logged; the peer's claim is never fought over —
// it is reported as split brain, and core decides (docs/aws.md "arbitration"). Wraps any driver's four verbs.
import type { Logger } from 'pino';
import type { Action, ActionContext, ActionResult, Observation, PreflightCheck } from '../types.js';
import type { ArbiterReport } from './session.js';

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

/** An AWS driver: the four verbs plus start-up resolution and a way to let go of its client. */
export interface AwsDriver extends Action {
  prepare(): Promise<unknown>;
  close(): void;
}

export interface ArbiterOptions {
  readonly interval_ms: number;
  readonly log: Logger;
  readonly report: (report: ArbiterReport) => void;
  /** For each observe and repair. */
  readonly deadline_ms: number;
}

export class Arbiter implements AwsDriver {
  readonly name: string;
  readonly kind: string;
  readonly #driver: AwsDriver;
  readonly #opts: ArbiterOptions;
  #watching = false;
  #busy = false;
  #streak = 0;
  #splitReported = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(driver: AwsDriver, opts: ArbiterOptions) {
    this.#driver = driver;
    this.#opts = opts;
    this.name = driver.name;
    this.kind = driver.kind;
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
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (!this.#watching || this.#opts.interval_ms <= 0) return;
    this.#timer = setTimeout(() => void this.#tick(), this.#opts.interval_ms);
    this.#timer.unref();
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
    switch (verdict.kind) {
      case 'hold':
        this.#streak = 0;
        this.#splitReported = false;
        return;
      case 'wait':
        this.#streak = verdict.streak;
        return;
      case 'unknown':
        if (obs.target === 'unknown') {
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
        const result = await this.#driver.claim(ctx).finally(() => {
          this.#busy = false;
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
