// What the failover benchmark needs from a system under test (keepalived, tandem): start a node in
// a namespace, kill or stop it, and tell its role changes. Scenarios are written once against this.

export type BenchRole = 'active' | 'standby' | 'fault';

export interface RoleChange {
  readonly t_ms: number;
  readonly role: BenchRole;
}

/** One node of the pair as the scenario lays it out; the system maps it to its own config. */
export interface NodePlan {
  readonly name: string;
  readonly role: 'primary' | 'secondary';
  readonly ns: string;
  readonly ifname: string;
  readonly address: string;
  readonly peer_address: string;
  /** A second path (HA link 2) when the LAN has one; a system may use it for keepalives. */
  readonly ha?: { readonly ifname: string; readonly address: string; readonly peer_address: string };
  readonly vip: string;
  readonly prefix: number;
  readonly interval_ms: number;
  readonly preempt: boolean;
  /** A private temp directory for configs, pidfiles and logs. */
  readonly dir: string;
}

/** How fast a tandem node claimed: from the deadline to the claim's start, and from there to the VIP announced. */
export interface ClaimTiming {
  readonly t_ms: number;
  readonly deadline_late_ms?: number;
  /** The agent's own figure: claim → it holds the traffic (address added, first frame written). */
  readonly claim_ms?: number;
  /** When the claim was asked for, on the host clock (epoch ms). */
  readonly claim_at_ms?: number;
  /** claim_at_ms → the first announcement from the claiming node seen on the wire by the client. */
  readonly wire_ms?: number;
}

export interface NodeHandle {
  readonly name: string;
  /** Each claim's timing from the node's own log (tandem only). */
  claimTimings?(): readonly ClaimTiming[];
  roleChanges(): readonly RoleChange[];
  role(): BenchRole | 'init';
  /** Graceful stop (SIGTERM). */
  stop(): Promise<void>;
  /** SIGKILL to every process of the node. */
  kill9(): Promise<void>;
}

export interface SystemUnderTest {
  readonly name: string;
  /** Keepalives on a second link too (the LAN is built with one); false: one LAN link per node. */
  readonly second_link: boolean;
  /** undefined when the system can run here, else why not (missing package, no agent yet). */
  unavailable(): Promise<string | undefined>;
  startNode(plan: NodePlan): Promise<NodeHandle>;
}
