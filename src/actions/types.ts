// The one contract every failover driver implements. Drivers move traffic; they never decide when.

/** Who the traffic points at right now, as the network or the cloud says. */
export type Observation =
  | { readonly target: 'self' }
  | { readonly target: 'peer' }
  /** Something else: a hand edit, a blackhole, a third appliance. */
  | { readonly target: 'other'; readonly detail: string }
  | { readonly target: 'none' }
  | { readonly target: 'unknown'; readonly error: ActionError };

export type PreflightStatus =
  | 'ok'
  /** No credential, or the cloud refused it: fix the identity, not the ids. */
  | 'cannot-authenticate'
  | 'missing-permission'
  | 'wrong-id'
  /** The resource exists but is set up wrong (IP forwarding off, address outside the subnet or reserved). */
  | 'wrong-setting'
  | 'unreachable'
  | 'error';

export interface PreflightCheck {
  /** What was checked, e.g. `ec2:ReplaceRoute on rtb-0abc` or `interface eth1 exists`. */
  readonly check: string;
  readonly status: PreflightStatus;
  readonly detail?: string;
  /** What to do about it, e.g. the IAM statement to add. */
  readonly fix?: string;
}

export interface ActionError {
  /** Stable, machine-readable: `AWS_THROTTLED`, `VIP_ADD_FAILED`, ... */
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
}

export type ActionResult =
  | { readonly ok: true; readonly duration_ms: number; readonly calls: number }
  | { readonly ok: false; readonly duration_ms: number; readonly calls: number; readonly error: ActionError };

/** Where a long operation stands (an Azure NIC update takes tens of seconds): for the log, /status, metrics. */
export interface ActionProgress {
  /** Short and stable, e.g. `peer-nic-update`, `own-nic-update`, `confirm`. */
  readonly phase: string;
  /** Since the verb started. */
  readonly elapsed_ms: number;
  readonly detail?: string;
}

export interface ActionContext {
  /** Give up (and report failure) after this many ms; the driver retries with backoff until then. */
  readonly deadline_ms: number;
  readonly signal?: AbortSignal;
  /** Called as a long verb moves from phase to phase; never awaited, so it must not block. */
  readonly progress?: (p: ActionProgress) => void;
  /**
   * A claim's end state is reached before the verb returns (a VIP: the address is on the interface and
   * its first announcement is under way; what follows is bookkeeping): the claim's latency counts to the
   * first call of this, or else to the verb's end.
   */
  readonly holding?: () => void;
  /**
   * A release of an action a reload dropped: the actions now configured in its place. What one of them
   * holds too (a routed range kept across a managed change) is theirs, and this release leaves it alone.
   */
  readonly successors?: readonly Action[];
}

export interface Action {
  /** Kind and target, for logs and metrics: `vip eth1 192.0.2.10/24`, `aws-route-table rtb-1`. */
  readonly name: string;
  readonly kind: string;
  preflight(ctx: ActionContext): Promise<readonly PreflightCheck[]>;
  /** Point the traffic at this node; resolves once the end state is confirmed (or the deadline passed). */
  claim(ctx: ActionContext): Promise<ActionResult>;
  release(ctx: ActionContext): Promise<ActionResult>;
  observe(ctx: ActionContext): Promise<Observation>;
  /**
   * The deadline this action needs for claim and release when it exceeds the agent-wide `action_deadline_ms`
   * (an Azure NIC update routinely takes a minute).
   */
  readonly deadline_ms?: number;
  /** Start-up resolution (ids, our interface), so that a failover never has to; may fail and is retried. */
  prepare?(): Promise<unknown>;
  /** Lets go of clients and timers (shutdown, or a dry run). */
  close?(): void;
}
