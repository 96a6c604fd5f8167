// The imperative shell around the pure core: it feeds inputs in, carries the effects out, keeps one
// timer on the monotonic clock, and never decides a role itself.
import type { Logger } from 'pino';
import {
  type AdminCommand,
  type Advert,
  type CoreConfig,
  type CoreEvent,
  type CoreState,
  describe,
  type Effect,
  type Input,
  initialState,
  type NodeState,
  type NodeStatus,
  type Readiness,
  type SwitchoverRefusal,
  step,
} from '../core/index.js';
import type { Verb } from './action-runner.js';
import { type AgentMetrics, setStateGauge } from './metrics.js';

/** A monotonic clock in ms (performance.now()); wall time never drives detection. */
export interface Clock {
  now_ms(): number;
}

export interface Timers {
  /** `exact`: fire to the sub-millisecond (a deadline that may claim); otherwise a plain timer will do. */
  set(fn: () => void, delay_ms: number, exact: boolean): unknown;
  clear(handle: unknown): void;
}

/** Called on every change of state or readiness; the controller client plugs in here. */
export interface StatusReporter {
  statusChanged(status: NodeStatus, readiness: Readiness | null): void;
  event?(event: CoreEvent): void;
}

export interface ShellOptions {
  readonly core: CoreConfig;
  readonly clock: Clock;
  readonly timers?: Timers;
  readonly send: (advert: Advert) => void;
  /**
   * Carries out a verb. A claim's `held` is to be called once the claim holds the traffic: the step's
   * logs and reports wait for it (at most HOLD_MAX_MS).
   */
  readonly act: (verb: Verb, held?: () => void) => void;
  readonly metrics: AgentMetrics;
  readonly log: Logger;
  readonly reporter?: StatusReporter;
  /**
   * Hands the core what was read but not yet delivered (the transport delivers once per burst of reads),
   * right before a tick judges the peer.
   */
  readonly settle?: () => void;
  /** Every event of the core, as it happens (not held with the logs); must return at once. */
  readonly onEvent?: (event: CoreEvent) => void;
  /** Every state change, for notify commands; must return at once. */
  readonly onStateChange?: (change: { from: NodeState; to: NodeState; reason: string }) => void;
}

/** The core's answer to an operator command, as `tandem switchover` prints it. */
export type AdminVerdict =
  | { readonly ok: true; readonly command: AdminCommand; readonly state: NodeState }
  | {
      readonly ok: false;
      readonly command: AdminCommand;
      readonly state: NodeState;
      readonly reason: SwitchoverRefusal;
    };

/**
 * Node's timers count whole milliseconds of a loop clock that is already stale when they are armed,
 * so a deadline fired 0.5–2 ms late; the claim must start within 2 ms of it. So the timer is armed
 * EARLY_MS ahead, and the rest is slept off exactly (a futex wait: no CPU, the loop blocked for at most
 * that long, and keepalives that arrived meanwhile are still read before the tick, see #arm). Only a
 * deadline that may claim is fired so (arm-timer's `exact`): when the keepalive sends were too, a send's
 * wait blocked the loop while a dead deadline came due, and a third of the claims started 1.1–1.6 ms
 * late (bench:failover). 4 ms: a timer sleeping long on an idle (virtual) CPU woke up to ~1.5 ms
 * after its whole-ms due time, and with 2 ms one claim in 40 still started 2.66 ms late.
 */
const EARLY_MS = 4;
/**
 * After a claim, the step's logs, metrics and reports wait until the claim holds the traffic, at most this
 * long: on one core's worth of event loop, that bookkeeping (~0.5 ms, more on its first run) would
 * otherwise delay reading `ip`'s answer, and so the announcement, by as much.
 */
export const HOLD_MAX_MS = 20;
const slept = new Int32Array(new SharedArrayBuffer(4));

function sleepUntil(due_ms: number): void {
  const left_ms = due_ms - performance.now();
  if (left_ms > 0) Atomics.wait(slept, 0, 0, Math.min(left_ms, 2 * EARLY_MS));
}

const realTimers: Timers = {
  set: (fn, delay_ms, exact) => {
    // A keepalive send is no deadline: blocking the loop for it hid a dead deadline due meanwhile. A
    // plain timer may fire up to 1 ms early (whole-ms loop clock), and a tick before the send is due
    // sends nothing and arms again: a spare tick per send (+1 % of a core at 50 ms); 1 ms late is harmless.
    if (!exact) return { timeout: setTimeout(fn, delay_ms + 1) };
    const due_ms = performance.now() + delay_ms;
    const fire = (): void => {
      sleepUntil(due_ms);
      fn();
    };
    // Due within EARLY_MS (armed by a tick just before it): no timer is that precise, and the shortest
    // one (1 ms) fired it late; the wait starts once this turn's I/O is read.
    if (delay_ms <= EARLY_MS) return { immediate: setImmediate(fire) };
    return { timeout: setTimeout(fire, delay_ms - EARLY_MS) };
  },
  clear: (handle) => {
    const h = handle as { timeout?: NodeJS.Timeout; immediate?: NodeJS.Immediate };
    if (h.timeout !== undefined) clearTimeout(h.timeout);
    if (h.immediate !== undefined) clearImmediate(h.immediate);
  },
};

export class Shell {
  readonly #opts: ShellOptions;
  readonly #timers: Timers;
  #state: CoreState;
  #timer: unknown = null;
  #timerAt_ms: number | null = null;
  #timerExact = false;
  #readiness: Readiness | null = null;
  #stopped = false;
  /** Monotonic time of the last state change (or of the start), for "time in state". */
  #since_ms: number;
  /** The deadline whose tick is being stepped, so that a claim it causes can say how late it started. */
  #tickDue_ms: number | null = null;
  /** Set when our own timer fired a dead interval late: we were stalled or stopped since then. */
  #deafSince_ms: number | null = null;
  /** The bookkeeping held back while a claim gets to hold the traffic, in order; null when none is. */
  #held: (() => void)[] | null = null;
  /** Which claim the held bookkeeping waits for: only the latest one's hold releases it. */
  #holdToken = 0;

  constructor(opts: ShellOptions) {
    this.#opts = opts;
    this.#timers = opts.timers ?? realTimers;
    this.#state = initialState(opts.core);
    this.#since_ms = opts.clock.now_ms();
    setStateGauge(opts.metrics, describe(this.#state, opts.clock.now_ms()).state);
  }

  /** Steps the core with one input and carries out what it asks, in order. */
  input(input: Input): void {
    this.#step(input);
  }

  #step(input: Input): readonly Effect[] {
    if (this.#stopped) return [];
    const now_ms = this.#opts.clock.now_ms();
    this.#noticeStall(now_ms);
    const result = step(this.#state, input, now_ms);
    this.#state = result.state;
    // A claim goes first: the logs, reports and notifications of the step that caused it are not on
    // the traffic's critical path (everything else keeps the core's order).
    const claim = result.effects.find((e) => e.kind === 'claim');
    if (claim !== undefined) this.#apply(claim);
    for (const effect of result.effects) if (effect !== claim) this.#apply(effect);
    return result.effects;
  }

  /** An operator command, stepped at once; the verdict is what the core said in that step. */
  admin(command: AdminCommand): AdminVerdict {
    let refusal: SwitchoverRefusal | null = null;
    this.#onRefusal = (reason) => {
      refusal = reason;
    };
    try {
      this.input({ kind: 'admin', command });
    } finally {
      this.#onRefusal = null;
    }
    const state = this.status().state;
    return refusal === null ? { ok: true, command, state } : { ok: false, command, state, reason: refusal };
  }

  #onRefusal: ((reason: SwitchoverRefusal) => void) | null = null;

  status(): NodeStatus {
    return describe(this.#state, this.#opts.clock.now_ms());
  }

  /** How long this node has been in its current state. */
  inState_ms(): number {
    return Math.round(this.#opts.clock.now_ms() - this.#since_ms);
  }

  get readiness(): Readiness | null {
    return this.#readiness;
  }

  /** Stops the timer; further inputs are ignored. */
  stop(): void {
    this.#stopped = true;
    this.#clearTimer();
    this.#release();
  }

  /**
   * Holds the bookkeeping that follows until the returned function is called (or HOLD_MAX_MS pass); a
   * later claim's hold replaces it, and only that one's call releases.
   */
  #hold(): () => void {
    this.#held ??= [];
    const token = ++this.#holdToken;
    const release = (): void => {
      if (token === this.#holdToken) this.#release();
    };
    setTimeout(release, HOLD_MAX_MS).unref?.();
    return release;
  }

  #release(): void {
    const held = this.#held;
    this.#held = null;
    for (const fn of held ?? []) fn();
  }

  /** Now, or after the claim under way holds the traffic. */
  #later(fn: () => void): void {
    if (this.#held === null) fn();
    else this.#held.push(fn);
  }

  #apply(effect: Effect): void {
    switch (effect.kind) {
      case 'send-keepalive':
        this.#opts.send(effect.advert);
        return;
      case 'arm-timer':
        this.#arm(effect.at_ms, effect.exact);
        return;
      case 'claim':
        this.#claim();
        return;
      case 'release':
        this.#opts.log.info({ verb: effect.kind }, 'releasing the traffic');
        this.#opts.act(effect.kind);
        return;
      case 'event':
        this.#onEvent(effect.event);
        return;
      case 'indicators': {
        this.#readiness = effect.readiness;
        const status = this.status();
        this.#later(() => {
          this.#opts.log.info({ readiness: effect.readiness }, 'readiness');
          this.#opts.reporter?.statusChanged(status, effect.readiness);
        });
        return;
      }
    }
  }

  /** Starts the claim first, then says how long after its deadline it started (when a deadline caused it). */
  #claim(): void {
    const due = this.#tickDue_ms;
    const late_ms = due === null ? undefined : this.#opts.clock.now_ms() - due;
    this.#opts.act('claim', this.#hold());
    this.#later(() => {
      if (late_ms !== undefined) this.#opts.metrics.claimLateness.observe(Math.max(0, late_ms) / 1000);
      this.#opts.log.info(
        {
          verb: 'claim',
          ...(late_ms === undefined ? {} : { deadline_late_ms: Math.round(late_ms * 100) / 100 }),
        },
        'claiming the traffic',
      );
    });
  }

  /**
   * A timer a whole dead interval late: whatever the peer's silence says, we could not have heard it. The
   * timers in force, not those at start: a reload or the controller may have shortened them since.
   */
  get #stall_ms(): number {
    return this.#state.config.interval_ms * this.#state.config.dead_multiplier;
  }

  /** Tells core it was deaf before anything else reaches it, so that no input is judged on that silence. */
  #noticeStall(now_ms: number): void {
    const due = this.#timerAt_ms;
    if (this.#deafSince_ms === null && due !== null && now_ms - due >= this.#stall_ms)
      this.#deafSince_ms = due;
    const since_ms = this.#deafSince_ms;
    if (since_ms === null) return;
    this.#deafSince_ms = null;
    this.#opts.log.warn(
      { since_ms, late_ms: Math.round(now_ms - since_ms) },
      'event loop stalled: deaf meanwhile',
    );
    this.#opts.metrics.stalls.inc();
    const result = step(this.#state, { kind: 'deaf', since_ms }, now_ms);
    this.#state = result.state;
    for (const effect of result.effects) this.#apply(effect);
  }

  /**
   * Behind our own clock by a dead interval (a pause, a stalled loop): the socket may hold a backlog. True
   * from the moment the loop wakes, before the late timer has fired (after SIGCONT, I/O is read first).
   */
  get stalled(): boolean {
    const due = this.#timerAt_ms;
    if (this.#deafSince_ms !== null) return true;
    return due !== null && this.#opts.clock.now_ms() - due >= this.#stall_ms;
  }

  #arm(at_ms: number, exact: boolean): void {
    // Every keepalive heard steps the core, which mostly asks for the deadline already armed: keep it.
    if (this.#timer !== null && this.#timerAt_ms === at_ms && this.#timerExact === exact) return;
    this.#clearTimer();
    this.#timerAt_ms = at_ms;
    this.#timerExact = exact;
    // A deadline that may claim is stepped once ahead, and the answer dropped (the core is pure): the
    // code of the step that takes over is compiled now, not on the deadline (0.25–0.4 ms of the claim).
    if (exact) step(this.#state, { kind: 'tick' }, at_ms);
    const delay_ms = Math.max(0, at_ms - this.#opts.clock.now_ms());
    this.#timer = this.#timers.set(
      () => {
        this.#timer = null;
        this.#timerAt_ms = null;
        if (this.#opts.clock.now_ms() - at_ms >= this.#stall_ms) this.#deafSince_ms ??= at_ms;
        // Timers run before I/O in an event-loop turn: after a stall (a busy host), keepalives that arrived
        // meanwhile still sit in the socket. Read them first (setImmediate runs after the poll phase), so
        // that our own lateness is never taken for the peer's silence.
        setImmediate(() => {
          this.#opts.settle?.();
          this.#tickDue_ms = at_ms;
          try {
            this.input({ kind: 'tick' });
          } finally {
            this.#tickDue_ms = null;
          }
        });
      },
      delay_ms,
      exact,
    );
  }

  #clearTimer(): void {
    if (this.#timer !== null) this.#timers.clear(this.#timer);
    this.#timer = null;
    this.#timerAt_ms = null;
  }

  /** The deadline of the one armed timer, for tests and the status page. */
  get timerAt_ms(): number | null {
    return this.#timerAt_ms;
  }

  #onEvent(event: CoreEvent): void {
    // What the shell itself answers from stays current; what others are told may wait (#later).
    if (event.kind === 'switchover-refused') this.#onRefusal?.(event.reason);
    this.#opts.onEvent?.(event);
    if (event.kind !== 'state-change') {
      this.#later(() => this.#tell(event));
      return;
    }
    this.#since_ms = this.#opts.clock.now_ms();
    // The report says the node as it was at this step, however late it goes out.
    const status = this.status();
    const readiness = this.#readiness;
    this.#later(() => this.#tell(event, status, readiness));
  }

  #tell(event: CoreEvent, status?: NodeStatus, readiness?: Readiness | null): void {
    const { log, metrics } = this.#opts;
    if (event.kind === 'state-change') {
      metrics.transitions.inc({ from: event.from, to: event.to });
      setStateGauge(metrics, event.to);
      log.info({ event: event.kind, from: event.from, to: event.to, reason: event.reason }, 'state change');
      if (status !== undefined) this.#opts.reporter?.statusChanged(status, readiness ?? null);
      this.#opts.onStateChange?.({ from: event.from, to: event.to, reason: event.reason });
    } else if (event.kind === 'switchover-refused') {
      log.warn({ event: event.kind, reason: event.reason }, event.kind);
    } else if (
      event.kind === 'peer-dead' ||
      event.kind === 'split-brain' ||
      event.kind === 'version-mismatch'
    ) {
      log.warn({ event: event.kind, ...event }, event.kind);
    } else {
      log.info({ event: event.kind, ...event }, event.kind);
    }
    this.#opts.reporter?.event?.(event);
  }
}
