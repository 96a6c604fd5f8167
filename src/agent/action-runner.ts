// Carries out claim / release through every configured action, in parallel across actions and
// serialized per action: a release that arrives while a claim runs waits for it, and only the last
// intent that arrived meanwhile runs next (claim, release, claim ⇒ one more claim).
import type { Logger } from 'pino';
import type { Action, ActionError, ActionProgress, ActionResult } from '../actions/types.js';
import { labelValue } from '../obs/runtime-metrics.js';
import type { AgentMetrics } from './metrics.js';

/** A successful claim's latency, for the `action done` line. */
interface ClaimLatency {
  readonly claim_ms: number;
  readonly claim_at_ms: number;
}
export type Verb = 'claim' | 'release';

export interface ActionOutcome {
  readonly action: string;
  readonly kind: string;
  readonly verb: Verb;
  readonly ok: boolean;
  readonly duration_ms: number;
  readonly error: ActionError | null;
  /** Wall-clock time the outcome was known, for the status page. */
  readonly at: string;
  /** The phases a long verb reported, in order (an Azure floating-IP move: remove, add, confirmed). */
  readonly phases: readonly ActionProgress[];
}

/** A verb running now, at its latest phase: what a report says of a long operation while it lasts. */
export interface InFlight {
  readonly name: string;
  readonly verb: Verb;
  readonly phase: string;
  readonly elapsed_ms: number;
  readonly detail?: string;
}

/** Bound on the phases kept per verb; a driver reporting more keeps its first ones and its latest. */
const PHASES_MAX = 16;

function slotOf(action: Action): Slot {
  return {
    action,
    running: null,
    pending: null,
    controller: null,
    last: null,
    progress: null,
    phases: [],
    started_ms: 0,
    done: Promise.resolve(),
    claimed_ms: null,
    held_ms: null,
    onHeld: null,
    successors: [],
  };
}

interface Slot {
  readonly action: Action;
  running: Verb | null;
  pending: Verb | null;
  controller: AbortController | null;
  last: ActionOutcome | null;
  /** Where the running verb stands (phase, elapsed), for /status; null when idle. */
  progress: ActionProgress | null;
  /** Every phase of the running verb so far (bounded). */
  phases: ActionProgress[];
  started_ms: number;
  done: Promise<void>;
  /** When the latest claim was asked for (monotonic ms): its latency counts from there, queueing included. */
  claimed_ms: number | null;
  /** When the running claim said it holds the traffic (ActionContext.holding), before its bookkeeping. */
  held_ms: number | null;
  /** Tells intend('claim')'s `onHeld` that this slot's claim holds the traffic, or ended. */
  onHeld: (() => void) | null;
  /** A dropped action's successors (the actions configured now), told to its release. */
  successors: readonly Action[];
}

export class ActionRunner {
  #slots: Slot[];
  /** Actions dropped by a reload that are still releasing; settle() waits for them too. */
  readonly #retiring = new Set<Slot>();
  #deadline_ms: number;
  readonly #metrics: AgentMetrics;
  readonly #log: Logger;
  readonly #onOutcome: ((o: ActionOutcome) => void) | undefined;
  readonly #onPhase: (() => void) | undefined;

  constructor(
    actions: readonly Action[],
    deadline_ms: number,
    metrics: AgentMetrics,
    log: Logger,
    onOutcome?: (o: ActionOutcome) => void,
    /** A running verb entered a new phase (not called for a mere elapsed-time update). */
    onPhase?: () => void,
  ) {
    this.#slots = actions.map(slotOf);
    this.#deadline_ms = deadline_ms;
    this.#metrics = metrics;
    this.#log = log;
    this.#onOutcome = onOutcome;
    this.#onPhase = onPhase;
  }

  /** The actions in force now (a reconfiguration may have replaced them). */
  get actions(): readonly Action[] {
    return this.#slots.map((s) => s.action);
  }

  /**
   * Runs `verb` on every action (queued behind a verb still running). `onHeld` (a claim's) is called
   * once every claim started here holds the traffic (ActionContext.holding) or has ended: what the
   * shell waits for before its logs and reports, which are not on the traffic's critical path. It runs
   * as a microtask queued at that moment, so before anything the claims do after it (their
   * `action done` line follows the shell's `claiming the traffic`).
   */
  intend(verb: Verb, onHeld?: () => void): void {
    const now_ms = performance.now();
    let waiting = 1;
    const one = (): void => {
      waiting -= 1;
      if (waiting === 0 && onHeld !== undefined) queueMicrotask(onHeld);
    };
    for (const slot of this.#slots) {
      if (verb === 'claim') slot.claimed_ms = now_ms;
      if (slot.running !== null) {
        slot.pending = verb;
        continue;
      }
      if (verb === 'claim') {
        waiting += 1;
        slot.onHeld = one;
      }
      slot.done = this.#drain(slot, verb);
    }
    one();
  }

  /** The claim under way holds the traffic, or is over: whoever waits on it may go on. */
  #held(slot: Slot): void {
    const resolve = slot.onHeld;
    slot.onHeld = null;
    resolve?.();
  }

  /**
   * A reload: `next` are the actions now configured (an unchanged one is the same object). While we hold
   * the traffic (`holding`), a dropped action releases and a new one claims; kept ones are not touched,
   * so a reload never makes the traffic blink.
   */
  reconcile(next: readonly Action[], holding: boolean, deadline_ms: number): void {
    this.#deadline_ms = deadline_ms;
    const old = this.#slots;
    this.#slots = next.map((action) => old.find((s) => s.action === action) ?? slotOf(action));
    for (const slot of old.filter((s) => !next.includes(s.action))) {
      slot.successors = next;
      if (slot.running !== null) slot.pending = 'release';
      else if (holding) slot.done = this.#drain(slot, 'release');
      else continue;
      this.#retiring.add(slot);
      void slot.done.then(() => this.#retiring.delete(slot));
    }
    // A new action may hold what a dropped one holds (a route kept across a managed change of the ranges,
    // a VIP with new GARP options): it claims once the releases are done, or the release would undo it.
    const released = Promise.all([...this.#retiring].map((s) => s.done));
    if (holding)
      for (const slot of this.#slots.filter((s) => !old.includes(s)))
        slot.done = this.#drain(slot, 'claim', released);
  }

  async #drain(slot: Slot, first: Verb, after?: Promise<unknown>): Promise<void> {
    let verb: Verb | null = first;
    if (after !== undefined) {
      // Running from now on: an intent that arrives while we wait queues behind this verb.
      slot.running = first;
      await after;
    }
    while (verb !== null) {
      slot.running = verb;
      const outcome = await this.#run(slot, verb);
      slot.running = null;
      const next: Verb | null = slot.pending;
      slot.pending = null;
      // The same intent again after a success is already true; after a failure it is worth retrying once.
      verb = next === verb && outcome.ok ? null : next;
    }
  }

  async #run(slot: Slot, verb: Verb): Promise<ActionOutcome> {
    const { action } = slot;
    slot.controller = new AbortController();
    const started = performance.now();
    slot.started_ms = started;
    slot.phases = [];
    slot.held_ms = null;
    let result: ActionResult;
    try {
      // An action that needs longer than the agent-wide deadline (an Azure NIC update) says so itself.
      result = await action[verb]({
        deadline_ms: action.deadline_ms ?? this.#deadline_ms,
        signal: slot.controller.signal,
        progress: (p) => this.#progress(slot, verb, p),
        holding: () => {
          slot.held_ms ??= performance.now();
          this.#held(slot);
        },
        ...(verb === 'release' && slot.successors.length > 0 ? { successors: slot.successors } : {}),
      });
    } catch (err) {
      // A driver should resolve with an error, not throw; a throw is still a failed attempt, not a crash.
      const message = err instanceof Error ? err.message : String(err);
      result = {
        ok: false,
        duration_ms: performance.now() - started,
        calls: 0,
        error: { code: 'ACTION_THREW', message, retryable: false },
      };
    }
    slot.controller = null;
    this.#held(slot);
    if (slot.progress !== null) this.#metrics.actionPhase(action.name, verb, null, 0);
    slot.progress = null;
    const outcome: ActionOutcome = {
      action: action.name,
      kind: action.kind,
      verb,
      ok: result.ok,
      duration_ms: Math.round(result.duration_ms),
      error: result.ok ? null : result.error,
      at: new Date().toISOString(),
      phases: slot.phases,
    };
    slot.phases = [];
    slot.last = outcome;
    this.#record(outcome, verb === 'claim' ? this.#claimLatency(slot, result.ok) : undefined);
    this.#onOutcome?.(outcome);
    return outcome;
  }

  /** Progress of a long verb: logged, on /status and as a gauge. Never awaited by the driver. */
  #progress(slot: Slot, verb: Verb, p: ActionProgress): void {
    const name = slot.action.name;
    const fresh = slot.progress?.phase !== p.phase;
    slot.progress = p;
    if (fresh) {
      if (slot.phases.length >= PHASES_MAX) slot.phases.pop();
      slot.phases.push(p);
    }
    this.#metrics.actionPhase(name, verb, p.phase, p.elapsed_ms);
    this.#log.info(
      { action: name, verb, phase: p.phase, elapsed_ms: Math.round(p.elapsed_ms), detail: p.detail },
      'action progress',
    );
    if (fresh) this.#onPhase?.();
  }

  /** The verbs running now with their latest phase (elapsed counted to now), for the controller's report. */
  inFlight(): InFlight[] {
    const now = performance.now();
    return this.#slots
      .filter((s) => s.running !== null)
      .map((s) => ({
        name: s.action.name,
        verb: s.running!,
        phase: s.progress?.phase ?? 'started',
        elapsed_ms: Math.round(now - s.started_ms),
        ...(s.progress?.detail !== undefined ? { detail: s.progress.detail } : {}),
      }));
  }

  /**
   * From the claim's intent to its end state (said by holding(), else the verb's end), when it
   * succeeded (ms, 0.01 precision); with the intent's time on the host clock (epoch ms, 0.001
   * precision), which bench:failover compares with the first announcement seen on the wire.
   */
  #claimLatency(slot: Slot, ok: boolean): ClaimLatency | undefined {
    const since = slot.claimed_ms;
    const held = slot.held_ms;
    slot.claimed_ms = null;
    slot.held_ms = null;
    if (!ok || since === null) return undefined;
    const ms = (held ?? performance.now()) - since;
    this.#metrics.claimLatency.observe({ action: labelValue(slot.action.name) }, ms / 1000);
    return {
      claim_ms: Math.round(ms * 100) / 100,
      claim_at_ms: Math.round((performance.timeOrigin + since) * 1000) / 1000,
    };
  }

  #record(o: ActionOutcome, latency: ClaimLatency | undefined): void {
    this.#metrics.actionDone({
      action: o.action,
      verb: o.verb,
      ok: o.ok,
      duration_ms: o.duration_ms,
      code: o.error?.code ?? null,
    });
    if (o.ok)
      this.#log.info(
        { action: o.action, verb: o.verb, duration_ms: o.duration_ms, ...latency },
        'action done',
      );
    else {
      this.#log.error(
        { action: o.action, verb: o.verb, duration_ms: o.duration_ms, error: o.error },
        'action failed',
      );
    }
  }

  /** Resolves when every action is idle, or after `timeout_ms` (then the running ones are aborted). */
  async settle(timeout_ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((r) => {
      timer = setTimeout(() => r(false), timeout_ms);
    });
    const idle = this.#idle().then(() => true as const);
    const settled = await Promise.race([idle, timedOut]);
    clearTimeout(timer);
    if (!settled) for (const slot of [...this.#slots, ...this.#retiring]) slot.controller?.abort();
    return settled;
  }

  async #idle(): Promise<void> {
    // A drain may start another one (a pending intent), so wait until nothing is running.
    const all = (): Slot[] => [...this.#slots, ...this.#retiring];
    while (all().some((s) => s.running !== null)) await Promise.all(all().map((s) => s.done));
  }

  outcomes(): readonly (
    | (ActionOutcome & { running?: { verb: Verb; progress: ActionProgress | null } })
    | { action: string; kind: string; verb: null; running?: { verb: Verb; progress: ActionProgress | null } }
  )[] {
    return this.#slots.map((s) => {
      const last = s.last ?? { action: s.action.name, kind: s.action.kind, verb: null };
      return s.running === null ? last : { ...last, running: { verb: s.running, progress: s.progress } };
    });
  }

  /** A release is running or waiting to run on some action. */
  get releasing(): boolean {
    return this.#slots.some((s) => s.running === 'release' || s.pending === 'release');
  }

  /** Resolves once no action is running, or after `timeout_ms`, whichever comes first (never aborts). */
  async idle(timeout_ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((r) => {
      timer = setTimeout(r, timeout_ms);
    });
    await Promise.race([this.#idle(), timedOut]);
    clearTimeout(timer);
  }

  get busy(): boolean {
    return this.#slots.some((s) => s.running !== null);
  }
}
