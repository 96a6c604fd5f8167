// The shell around the path state machine: probe rounds in, route effects out through the route sets,
// every event logged as a structured line and counted in the metrics. The machine decides; this only runs.
import type { Logger } from 'pino';
import type { PathwatchConfig, ProbePlan } from './config.js';
import { initialState, start, step, type WatchState } from './machine.js';
import { createPathMetrics, type PathMetrics } from './metrics.js';
import { type Rounds, startRounds } from './probe.js';
import { type PathRoutes, runAll, viewAll } from './routes.js';
import type { ActivePath, Effect, Input, PathEvent, RouteView, SwitchOp } from './types.js';

export interface WatcherOptions {
  readonly log: Logger;
  readonly routes: readonly PathRoutes[];
  /** Monotonic ms; injected so that tests and the bench can read the machine's time. */
  readonly now?: () => number;
  /** Every event, after it is logged (the controller reports take the switches from here). */
  readonly onEvent?: (event: PathEvent) => void;
}

export interface PathStatus {
  readonly label: string;
  readonly up: boolean | null;
  readonly loss_pct: number | null;
  readonly rtt_ms: number | null;
  readonly down_rounds: number;
  readonly up_rounds: number;
}

export interface PathwatchStatus {
  readonly name: string;
  readonly active_path: ActivePath;
  /** The active path's label (`direct-connect`, `vpn`), as the logs show it. */
  readonly active_label: string;
  readonly pending: WatchState['pending'];
  readonly primary: PathStatus;
  readonly backup: PathStatus | null;
  readonly healthy_rounds: number;
  readonly failback_rounds: number;
  readonly routes: RouteView | null;
  readonly failovers: number;
  readonly failbacks: number;
}

export class Watcher {
  readonly metrics: PathMetrics;
  #s: WatchState;
  readonly #cfg: PathwatchConfig;
  readonly #o: WatcherOptions;
  readonly #now: () => number;
  readonly #rounds: Rounds[] = [];
  #observeTimer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** Effects in flight, awaited by stop() so that a switch is never cut in half. */
  readonly #inFlight = new Set<Promise<void>>();

  constructor(cfg: PathwatchConfig, o: WatcherOptions) {
    this.#cfg = cfg;
    this.metrics = createPathMetrics(cfg);
    this.#o = o;
    this.#now = o.now ?? (() => performance.now());
    this.#s = initialState(cfg.watch);
  }

  start(): void {
    const first = start(this.#s);
    this.#apply(first.state, first.effects);
    this.#rounds.push(
      startRounds('primary', this.#cfg.primary, (r) => this.feed({ kind: 'round', round: r })),
    );
    if (this.#cfg.backup !== null)
      this.#rounds.push(
        startRounds('backup', this.#cfg.backup, (r) => this.feed({ kind: 'round', round: r })),
      );
    // A periodic reading catches hand edits; it never races a switch (the machine ignores it meanwhile).
    this.#observeTimer = setInterval(() => {
      if (this.#s.pending === null) this.#run({ kind: 'observe' });
    }, this.#cfg.observe_interval_ms);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#observeTimer !== undefined) clearInterval(this.#observeTimer);
    await Promise.all(this.#rounds.map((r) => r.stop()));
    await Promise.all([...this.#inFlight]);
    for (const r of this.#o.routes) r.close();
  }

  feed(input: Input): void {
    if (this.#stopped) return;
    if (input.kind === 'round') {
      const before = this.#s[input.round.path].verdict;
      const r = step(this.#s, input, this.#now());
      this.metrics.round(input.round, r.state[input.round.path].verdict ?? before);
      this.#apply(r.state, r.effects);
      return;
    }
    const r = step(this.#s, input, this.#now());
    this.#apply(r.state, r.effects);
  }

  #apply(state: WatchState, effects: readonly Effect[]): void {
    this.#s = state;
    this.metrics.active(state.active);
    this.metrics.routes(state.routes?.conflicts.length ?? 0, state.healthy_rounds);
    for (const e of effects) this.#run(e);
  }

  #run(e: Effect): void {
    switch (e.kind) {
      case 'event':
        this.#logEvent(e.event);
        this.#o.onEvent?.(e.event);
        return;
      case 'observe':
        this.#track(this.#observe());
        return;
      case 'failover':
      case 'failback':
        this.#track(this.#switch(e.kind));
        return;
    }
  }

  #track(p: Promise<void>): void {
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }

  async #observe(): Promise<void> {
    const r = await viewAll(this.#o.routes, { deadline_ms: this.#cfg.action_deadline_ms });
    this.feed(
      'view' in r ? { kind: 'observed', routes: r.view } : { kind: 'observed', routes: null, error: r.error },
    );
  }

  async #switch(op: SwitchOp): Promise<void> {
    const started = performance.now();
    const deadline_ms = this.#cfg.action_deadline_ms;
    const outcome = await runAll(this.#o.routes, op === 'failover' ? 'claim' : 'release', { deadline_ms });
    // The reading after the writes is what the machine adopts: partial successes included.
    const read = await viewAll(this.#o.routes, { deadline_ms });
    const duration_ms = performance.now() - started;
    this.metrics.switched(op, outcome.ok, duration_ms / 1000);
    this.feed({
      kind: 'switched',
      op,
      ok: outcome.ok,
      duration_ms,
      routes: 'view' in read ? read.view : null,
      ...(outcome.error === undefined ? {} : { error: outcome.error }),
    });
  }

  #label(path: ActivePath): string {
    if (path === 'primary') return this.#cfg.primary.label;
    if (path === 'backup') return this.#cfg.backup?.label ?? 'backup';
    return 'unknown';
  }

  #logEvent(ev: PathEvent): void {
    const log = this.#o.log;
    const fields = { event: ev.kind, ...ev, kind: undefined };
    switch (ev.kind) {
      case 'probe': {
        // The reference's line: `probe_ip: unreachable – active_path: vpn`.
        const plan = ev.path === 'primary' ? this.#cfg.primary : this.#cfg.backup;
        const msg = `${targetsText(plan)}: ${ev.reachable ? 'reachable' : 'unreachable'} – active_path: ${this.#label(ev.active_path)}`;
        const quiet = ev.reachable && ev.path === 'backup';
        if (quiet) log.debug(fields, msg);
        else log.info(fields, msg);
        return;
      }
      case 'path-down':
        log.warn(fields, `${this.#label(ev.path)} path down`);
        return;
      case 'path-up':
        log.info(fields, `${this.#label(ev.path)} path up`);
        return;
      case 'resumed':
        log.info(fields, `resumed: the route tables send traffic over ${this.#label(ev.active_path)}`);
        return;
      case 'routes-changed':
        log.warn(fields, `the routes changed outside pathwatch: now ${this.#label(ev.to)}`);
        return;
      case 'observe-failed':
        log.warn(fields, 'cannot read the routes; will try again at the next round');
        return;
      case 'failover-started':
        log.warn(fields, `${this.#label('primary')} failed: failing over to ${this.#label('backup')}`);
        return;
      case 'failover-vetoed':
        log.error(
          fields,
          `${this.#label('primary')} failed, but ${this.#label('backup')} is down too: no failover`,
        );
        return;
      case 'failback-started':
        log.info(fields, `failing back to ${this.#label('primary')}`);
        return;
      case 'switch-done':
        if (ev.ok) log.info(fields, `${ev.op} done: active_path: ${this.#label(ev.active_path)}`);
        else
          log.error(
            fields,
            `${ev.op} failed (will try again at the next round): ${ev.error ?? 'unknown error'}`,
          );
        return;
      case 'route-conflict':
        log.warn(
          fields,
          'routes point somewhere else; left alone (set on_conflict: overwrite to replace them)',
        );
        return;
    }
  }

  status(): PathwatchStatus {
    const s = this.#s;
    const path = (plan: ProbePlan, p: WatchState['primary']): PathStatus => ({
      label: plan.label,
      up: p.verdict?.up ?? null,
      loss_pct: p.verdict?.loss_pct ?? null,
      rtt_ms: p.verdict?.rtt_ms ?? null,
      down_rounds: p.down_rounds,
      up_rounds: p.up_rounds,
    });
    return {
      name: this.#cfg.name,
      active_path: s.active,
      active_label: this.#label(s.active),
      pending: s.pending,
      primary: path(this.#cfg.primary, s.primary),
      backup: this.#cfg.backup === null ? null : path(this.#cfg.backup, s.backup),
      healthy_rounds: s.healthy_rounds,
      failback_rounds: s.config.failback_rounds,
      routes: s.routes,
      failovers: s.failovers,
      failbacks: s.failbacks,
    };
  }
}

function targetsText(plan: ProbePlan | null): string {
  if (plan === null) return 'probe';
  return plan.targets.map((t) => (t.kind === 'http' ? t.url : t.address)).join(',');
}
