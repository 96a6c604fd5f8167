// The vocabulary of the HA state machine. Everything here is plain data: the machine is
// `step(state, input, now_ms) → { state, effects }` and owns no clock, timer or socket.

export type Role = 'primary' | 'secondary';

/**
 * init: listening for one dead interval after boot, never claims.
 * standby: ready to take over. active: owns the traffic.
 * fault: unfit (a user check failed, or the HA port is down in `switch` mode); never claims.
 * maintenance: drained by the operator; hands the role over, never claims.
 * disabled: HA switched off by the operator; releases at once, never claims.
 */
export type NodeState = 'init' | 'standby' | 'active' | 'fault' | 'maintenance' | 'disabled';

export const NODE_STATES: readonly NodeState[] = [
  'init',
  'standby',
  'active',
  'fault',
  'maintenance',
  'disabled',
];

export type HaLinkMode = 'direct' | 'switch';

export interface SemVer {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

export interface CoreConfig {
  /** This node's id on the wire (a hash of its name); the last tie-break between equal nodes. */
  readonly node_id: number;
  readonly role: Role;
  /** 0–255; a tie-break after the role (two nodes configured with the same role). */
  readonly priority: number;
  readonly interval_ms: number;
  /** The peer is dead after interval_ms × dead_multiplier without a keepalive on every path. */
  readonly dead_multiplier: number;
  readonly preempt: boolean;
  /** A recovered primary waits this long, continuously fit, before it takes the role back. */
  readonly preempt_delay_ms: number;
  readonly ha_link: HaLinkMode;
  /** The active node announces relinquish once every WAN probe has failed for longer than this. */
  readonly wan_loss_relinquish_ms: number;
  /** Keepalive path names; the peer is dead only when it is silent on all of them. */
  readonly paths: readonly string[];
  readonly version: SemVer;
}

/** What a node announces in each keepalive (the wire adds identity, boot id, sequence and MAC). */
export interface Advert {
  readonly node_id: number;
  readonly role: Role;
  readonly state: NodeState;
  readonly priority: number;
  /** "Please take over": WAN lost for longer than the threshold, a switchover, or maintenance. */
  readonly relinquish: boolean;
  readonly wan_ok: boolean;
  readonly ha_port_ok: boolean;
  /** Every user check passes and the node may serve. */
  readonly fit: boolean;
  /** A standby asks the active node to hand the role over (an operator's switchover). */
  readonly takeover_request: boolean;
  /** The sender hears our keepalives: used for the Keepalive readiness indicator. */
  readonly peer_heard: boolean;
  readonly interval_ms: number;
  readonly version: SemVer;
}

export type AdminCommand = 'switchover' | 'maintenance-on' | 'maintenance-off' | 'disable' | 'enable';

export type Input =
  | { readonly kind: 'start' }
  | { readonly kind: 'tick' }
  | { readonly kind: 'keepalive'; readonly path: string; readonly advert: Advert }
  | { readonly kind: 'ha-link'; readonly up: boolean }
  /**
   * The node could not have heard anything from since_ms until now (its process was paused, its
   * event loop stalled): that silence is no evidence of the peer's death.
   */
  | { readonly kind: 'deaf'; readonly since_ms: number }
  /**
   * A keepalive path's local address is gone (deaf: true), or back. An admin link down flushes IPv6
   * addresses (keep_addr_on_down=0): the socket is still bound, but nothing can reach it.
   */
  | { readonly kind: 'path-deaf'; readonly path: string; readonly deaf: boolean }
  /** ok=false when every WAN probe is failing right now; the machine applies the 10 s rule. */
  | { readonly kind: 'wan'; readonly ok: boolean }
  | { readonly kind: 'check'; readonly name: string; readonly ok: boolean }
  | { readonly kind: 'admin'; readonly command: AdminCommand }
  /**
   * A reloaded config (SIGHUP): timers, priority, preemption and paths change; the role held does not.
   * Identity (node id, role) must not change: the agent refuses such a reload before it reaches here.
   */
  | { readonly kind: 'reconfigure'; readonly config: CoreConfig }
  /**
   * Who the traffic points at, as an action read it back from the network or the cloud while we are
   * active. `peer` means both nodes have claimed (a partition): core decides who keeps it.
   */
  | { readonly kind: 'observed'; readonly target: 'self' | 'peer' | 'other' | 'none' };

export type SwitchoverRefusal =
  | 'peer-silent'
  | 'peer-unfit'
  | 'peer-wan-down'
  | 'self-unfit'
  | 'self-wan-down'
  | 'not-in-a-pair-state'
  | 'already-in-progress';

/** Why a node could not have heard its peer for a while. */
export type DeafCause = 'ha-port-down' | 'fault' | 'paused' | 'address-gone';

export type CoreEvent =
  | {
      readonly kind: 'state-change';
      readonly from: NodeState;
      readonly to: NodeState;
      readonly reason: string;
    }
  | { readonly kind: 'peer-dead'; readonly silent_ms: number }
  /** The node was deaf (port down, fault, paused); it hears the peer or listens until until_ms. */
  | { readonly kind: 'deaf'; readonly cause: DeafCause; readonly until_ms: number }
  | { readonly kind: 'peer-alive'; readonly path: string }
  | { readonly kind: 'path-down'; readonly path: string }
  | { readonly kind: 'path-up'; readonly path: string }
  | { readonly kind: 'split-brain'; readonly winner: 'self' | 'peer' }
  | { readonly kind: 'relinquish'; readonly reason: 'wan-lost' | 'switchover' | 'maintenance' }
  | { readonly kind: 'preempt-scheduled'; readonly at_ms: number }
  | { readonly kind: 'switchover-accepted' }
  | { readonly kind: 'switchover-refused'; readonly reason: SwitchoverRefusal }
  | { readonly kind: 'version-mismatch'; readonly self: SemVer; readonly peer: SemVer };

export type Effect =
  | { readonly kind: 'send-keepalive'; readonly advert: Advert }
  /** The machine wants a `tick` no later than at_ms; each step gives the one deadline that matters. */
  | {
      readonly kind: 'arm-timer';
      readonly at_ms: number;
      /**
       * A deadline that may make the node claim (the peer's silence, the end of a listen, a preemption),
       * not only the next keepalive send: the shell fires it to the sub-millisecond.
       */
      readonly exact: boolean;
    }
  | { readonly kind: 'claim' }
  | { readonly kind: 'release' }
  | { readonly kind: 'event'; readonly event: CoreEvent }
  | { readonly kind: 'indicators'; readonly readiness: Readiness };

export type ActiveNode = 'primary' | 'secondary' | 'none' | 'both';

/** The site's readiness, computed the same way by the agent and the controller. */
export interface Readiness {
  /** Both nodes have WAN / cloud connectivity. */
  readonly connected: boolean;
  /** One active and one standby, keepalives arriving. */
  readonly keepalive: boolean;
  /** Same major version; a mismatch is shown but never blocks failover. */
  readonly same_version: boolean;
  readonly ready: boolean;
  readonly active: ActiveNode;
}

export interface Step<S> {
  readonly state: S;
  readonly effects: readonly Effect[];
}
