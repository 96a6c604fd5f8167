// step(state, input, now) → { state, effects }: the whole path-failover decision, with no I/O.
//
// The reference (Direct Connect → VPN): a round of 3 pings every 2 s; when all fail while on the primary
// path, create a static route to the backup appliance's ENI; after 10 consecutive healthy rounds delete it.
// Here the rounds and the rule are configurable, failback also waits a minimum time on the backup path, an
// optional backup watcher vetoes failover onto a dead path, and the active path is always what the route
// tables say (read at start-up): a restart never forgets a failover.
import { judge, type Tally } from './rule.js';
import type {
  ActivePath,
  Effect,
  Input,
  PathEvent,
  PathName,
  PathVerdict,
  Round,
  RouteView,
  Step,
  SwitchOp,
  WatchConfig,
} from './types.js';

export interface PathState {
  /** Null until the first round. */
  readonly verdict: PathVerdict | null;
  readonly down_rounds: number;
  readonly up_rounds: number;
  readonly window: readonly Tally[];
}

export interface WatchState {
  readonly config: WatchConfig;
  readonly active: ActivePath;
  /** The route effect in flight (one at a time), or an observation asked for. */
  readonly pending: SwitchOp | 'observe' | null;
  readonly primary: PathState;
  readonly backup: PathState;
  /** Consecutive healthy primary rounds since traffic went to the backup path. */
  readonly healthy_rounds: number;
  /** When traffic was last seen going to the backup path (failover done, or found there at start-up). */
  readonly backup_since_ms: number | null;
  readonly routes: RouteView | null;
  /** A failover was refused because the backup path is down; reported once per episode. */
  readonly vetoed: boolean;
  readonly failovers: number;
  readonly failbacks: number;
}

const FRESH: PathState = { verdict: null, down_rounds: 0, up_rounds: 0, window: [] };

export function initialState(config: WatchConfig): WatchState {
  assertConfig(config);
  return {
    config,
    active: 'unknown',
    pending: null,
    primary: FRESH,
    backup: FRESH,
    healthy_rounds: 0,
    backup_since_ms: null,
    routes: null,
    vetoed: false,
    failovers: 0,
    failbacks: 0,
  };
}

function assertConfig(c: WatchConfig): void {
  const problems: string[] = [];
  if (!(c.failover_rounds >= 1)) problems.push(`failover_rounds must be ≥ 1, got ${c.failover_rounds}`);
  if (!(c.failback_rounds >= 1)) problems.push(`failback_rounds must be ≥ 1, got ${c.failback_rounds}`);
  if (!(c.min_backup_ms >= 0)) problems.push(`min_backup_ms must be ≥ 0, got ${c.min_backup_ms}`);
  if (problems.length > 0) throw new Error(`invalid pathwatch config: ${problems.join('; ')}`);
}

/** The first step: read the route tables before any decision. */
export function start(s: WatchState): Step<WatchState> {
  return { state: { ...s, pending: 'observe' }, effects: [{ kind: 'observe' }] };
}

export function step(s: WatchState, input: Input, now_ms: number): Step<WatchState> {
  const out: Effect[] = [];
  switch (input.kind) {
    case 'round':
      s = applyRound(s, input.round, out);
      break;
    case 'observed':
      s = applyObserved(s, input.routes, input.error, now_ms, out);
      break;
    case 'switched':
      s = applySwitched(s, input, now_ms, out);
      break;
  }
  // Decisions follow a round or a fresh reading, never a failure: a failed call waits for the next round
  // (the round interval bounds the retry rate).
  const decides = input.kind === 'round' || (input.kind === 'observed' && input.routes !== null);
  if (decides) s = decide(s, now_ms, out);
  return { state: s, effects: out };
}

function emit(out: Effect[], event: PathEvent): void {
  out.push({ kind: 'event', event });
}

function applyRound(s: WatchState, round: Round, out: Effect[]): WatchState {
  const rule = round.path === 'primary' ? s.config.primary_rule : s.config.backup_rule;
  if (rule === null) return s;
  const before = s[round.path];
  const { verdict, window } = judge(rule, round, before.window);
  const path: PathState = {
    verdict,
    window,
    down_rounds: verdict.up ? 0 : before.down_rounds + 1,
    up_rounds: verdict.up ? before.up_rounds + 1 : 0,
  };
  emit(out, {
    kind: 'probe',
    path: round.path,
    reachable: verdict.up,
    loss_pct: verdict.loss_pct,
    rtt_ms: verdict.rtt_ms,
    failed: verdict.failed,
    active_path: s.active,
  });
  if (before.verdict?.up !== verdict.up)
    emit(out, { kind: verdict.up ? 'path-up' : 'path-down', path: round.path });
  let next: WatchState = { ...s, [round.path]: path };
  if (round.path === 'primary' && s.active === 'backup')
    next = { ...next, healthy_rounds: verdict.up ? s.healthy_rounds + 1 : 0 };
  // A healthy backup (or a healthy primary) ends a veto episode: the next refusal is news again.
  if (verdict.up && next.vetoed) next = { ...next, vetoed: false };
  return next;
}

function activeOf(routes: RouteView): PathName {
  return routes.ours > 0 ? 'backup' : 'primary';
}

/** The route tables are the truth: the active path follows what they say. */
function adopt(
  s: WatchState,
  routes: RouteView,
  now_ms: number,
  out: Effect[],
  expected = false,
): WatchState {
  const active = activeOf(routes);
  if (conflictsChanged(s.routes, routes) && routes.conflicts.length > 0)
    emit(out, { kind: 'route-conflict', conflicts: routes.conflicts });
  if (s.active === 'unknown') emit(out, { kind: 'resumed', active_path: active, routes });
  else if (s.active !== active && !expected)
    emit(out, { kind: 'routes-changed', from: s.active, to: active, routes });
  const arrived = active === 'backup' && s.active !== 'backup';
  return {
    ...s,
    active,
    routes,
    // Found on the backup path (start-up, a hand edit): the hysteresis starts from here, never from zero time.
    ...(arrived ? { healthy_rounds: 0, backup_since_ms: now_ms } : {}),
    ...(active === 'primary' ? { backup_since_ms: null, healthy_rounds: 0 } : {}),
  };
}

function conflictsChanged(a: RouteView | null, b: RouteView): boolean {
  const x = a?.conflicts ?? [];
  return x.length !== b.conflicts.length || x.some((c, i) => c !== b.conflicts[i]);
}

function applyObserved(
  s: WatchState,
  routes: RouteView | null,
  error: string | undefined,
  now_ms: number,
  out: Effect[],
): WatchState {
  // A reading that arrives while a switch is in flight is stale by the switch's own reading.
  if (s.pending === 'failover' || s.pending === 'failback') return s;
  if (routes === null) {
    emit(out, { kind: 'observe-failed', error: error ?? 'no reading' });
    return { ...s, pending: null };
  }
  return adopt({ ...s, pending: null }, routes, now_ms, out);
}

function applySwitched(
  s: WatchState,
  input: Extract<Input, { kind: 'switched' }>,
  now_ms: number,
  out: Effect[],
): WatchState {
  if (s.pending !== input.op) return s;
  let next: WatchState = { ...s, pending: null };
  if (input.routes !== null) next = adopt(next, input.routes, now_ms, out, true);
  emit(out, {
    kind: 'switch-done',
    op: input.op,
    ok: input.ok,
    active_path: next.active,
    ...(input.error === undefined ? {} : { error: input.error }),
    ...(input.duration_ms === undefined ? {} : { duration_ms: input.duration_ms }),
  });
  if (input.ok && input.op === 'failover') next = { ...next, failovers: next.failovers + 1 };
  if (input.ok && input.op === 'failback') next = { ...next, failbacks: next.failbacks + 1 };
  // Without a reading we cannot tell what the failed call left behind: ask, decide afterwards.
  if (input.routes === null) {
    out.push({ kind: 'observe' });
    next = { ...next, pending: 'observe' };
  }
  return next;
}

/** The decisions, in one place. A failed switch is tried again at the next round that still wants it. */
function decide(s: WatchState, now_ms: number, out: Effect[]): WatchState {
  if (s.pending !== null) return s;
  if (s.active === 'unknown') {
    // Every round retries the reading until one succeeds; no route is touched blind.
    out.push({ kind: 'observe' });
    return { ...s, pending: 'observe' };
  }
  const c = s.config;
  const primaryDown = s.primary.down_rounds >= c.failover_rounds;
  // Only missing routes are ours to create: routes at a foreign target were reported and are left alone.
  const missing = (s.routes?.missing ?? 0) > 0;
  if (primaryDown && missing) return failover(s, out);
  if (s.active === 'backup' && s.healthy_rounds >= c.failback_rounds) {
    const on_backup_ms = now_ms - (s.backup_since_ms ?? now_ms);
    if (on_backup_ms < c.min_backup_ms) return s;
    emit(out, { kind: 'failback-started', healthy_rounds: s.healthy_rounds, on_backup_ms });
    out.push({ kind: 'failback' });
    return { ...s, pending: 'failback' };
  }
  return s;
}

function failover(s: WatchState, out: Effect[]): WatchState {
  const backupDown = s.config.backup_rule !== null && s.backup.verdict?.up === false;
  if (backupDown) {
    if (!s.vetoed) emit(out, { kind: 'failover-vetoed', reason: 'the backup path is down too' });
    return { ...s, vetoed: true };
  }
  emit(out, { kind: 'failover-started', down_rounds: s.primary.down_rounds });
  out.push({ kind: 'failover' });
  return { ...s, pending: 'failover' };
}
