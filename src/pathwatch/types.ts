// Path failover's vocabulary: probe rounds in, route effects and events out. No I/O here.

/** The primary path (Direct Connect) carries traffic by default; the backup (a VPN appliance) on failover. */
export type PathName = 'primary' | 'backup';

/** Where the traffic goes, as the route tables say; `unknown` until they have been read once. */
export type ActivePath = PathName | 'unknown';

/** One target's share of a probe round: `sent` probes, `received` answers and their round-trip times. */
export interface TargetRound {
  readonly target: string;
  readonly sent: number;
  readonly received: number;
  readonly rtt_ms: readonly number[];
}

export interface Round {
  readonly path: PathName;
  readonly targets: readonly TargetRound[];
}

/**
 * When a path counts as down after a round. A target fails a round when none of its probes is answered
 * (the reference's `ping -c 3` with no reply).
 */
export type Rule =
  /** Every target failed (the reference, with one target). */
  | { readonly kind: 'all' }
  /** At least one target failed. */
  | { readonly kind: 'any' }
  /** Lost probes over the last `window_rounds` rounds exceed `percent`. */
  | { readonly kind: 'loss'; readonly percent: number; readonly window_rounds: number };

export interface WatchConfig {
  readonly primary_rule: Rule;
  /** Null: no watcher on the backup path, failover is never vetoed. */
  readonly backup_rule: Rule | null;
  /** Consecutive down rounds of the primary before failover (the reference: 1). */
  readonly failover_rounds: number;
  /** Consecutive healthy rounds of the primary before failback (the reference: 10). */
  readonly failback_rounds: number;
  /** Least time on the backup path before failback, whatever the rounds say. */
  readonly min_backup_ms: number;
}

/** Where the configured failover routes stand, read from the route tables. */
export interface RouteView {
  /** Routes that point at our backup target. */
  readonly ours: number;
  /** Routes that do not exist (the propagated primary route carries the traffic). */
  readonly missing: number;
  /** Routes that point somewhere else: reported, never overwritten unless configured. */
  readonly conflicts: readonly string[];
}

export type Input =
  | { readonly kind: 'round'; readonly round: Round }
  /** A reading of the routes: at start-up, periodically, or `error` when it could not be made. */
  | { readonly kind: 'observed'; readonly routes: RouteView | null; readonly error?: string }
  /** A failover or failback effect finished; `routes` is the reading made right after it. */
  | {
      readonly kind: 'switched';
      readonly op: SwitchOp;
      readonly ok: boolean;
      readonly routes: RouteView | null;
      readonly error?: string;
      /** From the first write to the reading after the last. */
      readonly duration_ms?: number;
    };

export type SwitchOp = 'failover' | 'failback';

export interface PathVerdict {
  readonly up: boolean;
  /** Lost probes of this round, 0..100. */
  readonly loss_pct: number;
  /** Mean round-trip time of this round's answers; null when none came. */
  readonly rtt_ms: number | null;
  /** Targets that failed this round. */
  readonly failed: readonly string[];
}

export type PathEvent =
  | {
      readonly kind: 'probe';
      readonly path: PathName;
      readonly reachable: boolean;
      readonly loss_pct: number;
      readonly rtt_ms: number | null;
      readonly failed: readonly string[];
      readonly active_path: ActivePath;
    }
  | { readonly kind: 'path-down' | 'path-up'; readonly path: PathName }
  | { readonly kind: 'resumed'; readonly active_path: PathName; readonly routes: RouteView }
  | {
      readonly kind: 'routes-changed';
      readonly from: PathName;
      readonly to: PathName;
      readonly routes: RouteView;
    }
  | { readonly kind: 'observe-failed'; readonly error: string }
  | { readonly kind: 'failover-started'; readonly down_rounds: number }
  | { readonly kind: 'failover-vetoed'; readonly reason: string }
  | {
      readonly kind: 'failback-started';
      readonly healthy_rounds: number;
      readonly on_backup_ms: number;
    }
  | {
      readonly kind: 'switch-done';
      readonly op: SwitchOp;
      readonly ok: boolean;
      readonly active_path: ActivePath;
      readonly error?: string;
      readonly duration_ms?: number;
    }
  | { readonly kind: 'route-conflict'; readonly conflicts: readonly string[] };

export type Effect =
  /** Read the routes and feed back an `observed` input. */
  | { readonly kind: 'observe' }
  /** Create the static routes to the backup target, then feed back `switched`. */
  | { readonly kind: 'failover' }
  /** Delete the routes that point at our backup target, then feed back `switched`. */
  | { readonly kind: 'failback' }
  | { readonly kind: 'event'; readonly event: PathEvent };

export interface Step<S> {
  readonly state: S;
  readonly effects: readonly Effect[];
}
