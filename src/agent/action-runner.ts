// Carries out claim / release through every configured action, in parallel across actions and
// serialized per action: a release that arrives while a claim runs waits for it, and only the last
// intent that arrived meanwhile runs next (claim, release, claim ⇒ one more claim).
import type { Logger } from 'pino';
import type { Action, ActionError, ActionProgress, ActionResult } from '../actions/types.js';
import type { AgentMetrics } from './metrics.js';

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
}

function slotOf(action: Action): Slot {
  return {
    action,
    running: null,
    pending: null,
    controller: null,
    last: null,
    progress: null,
    done: Promise.resolve(),
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
  done: Promise<void>;
}

export class ActionRunner {
  #slots: Slot[];
  /** Actions dropped by a reload that are still releasing; settle() waits for them too. */
  readonly #retiring = new Set<Slot>();
  #deadline_ms: number;
  readonly #metrics: AgentMetrics;
  readonly #log: Logger;
  readonly #onOutcome: ((o: ActionOutcome) => void) | undefined;

  constructor(
    actions: readonly Action[],
    deadline_ms: number,
    metrics: AgentMetrics,
    log: Logger,
    onOutcome?: (o: ActionOutcome) => void,
  ) {
    this.#slots = actions.map(slotOf);
    this.#deadline_ms = deadline_ms;
    this.#metrics = metrics;
    this.#log = log;
    this.#onOutcome = onOutcome;
  }

  /** The actions in force now (a reconfiguration may have replaced them). */
  get actions(): readonly Action[] {
    return this.#slots.map((s) => s.action);
  }

  intend(verb: Verb): void {
    for (const slot of this.#slots) {
      if (slot.running !== null) {
        slot.pending = verb;
        continue;
      }
      slot.done = this.#drain(slot, verb);
    }
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
      if (slot.running !== null) slot.pending = 'release';
      else if (holding) slot.done = this.#drain(slot, 'release');
      else continue;
      this.#retiring.add(slot);
      void slot.done.then(() => this.#retiring.delete(slot));
    }
    if (holding)
      for (const slot of this.#slots.filter((s) => !old.includes(s))) slot.done = this.#drain(slot, 'claim');
  }

  async #drain(slot: Slot, first: Verb): Promise<void> {
    let verb: Verb | null = first;
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
    let result: ActionResult;
    try {
      // An action that needs longer than the agent-wide deadline (an Azure NIC update) says so itself.
      result = await action[verb]({
        deadline_ms: action.deadline_ms ?? this.#deadline_ms,
        signal: slot.controller.signal,
        progress: (p) => this.#progress(slot, verb, p),
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
    };
    slot.last = outcome;
    this.#record(outcome);
    this.#onOutcome?.(outcome);
    return outcome;
  }

  /** Progress of a long verb: logged, on /status and as a gauge. Never awaited by the driver. */
  #progress(slot: Slot, verb: Verb, p: ActionProgress): void {
    const name = slot.action.name;
    slot.progress = p;
    this.#metrics.actionPhase(name, verb, p.phase, p.elapsed_ms);
    this.#log.info(
      { action: name, verb, phase: p.phase, elapsed_ms: Math.round(p.elapsed_ms), detail: p.detail },
      'action progress',
    );
  }

  #record(o: ActionOutcome): void {
    this.#metrics.actionDone({
      action: o.action,
      verb: o.verb,
      ok: o.ok,
      duration_ms: o.duration_ms,
      code: o.error?.code ?? null,
    });
    if (o.ok) this.#log.info({ action: o.action, verb: o.verb, duration_ms: o.duration_ms }, 'action done');
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
