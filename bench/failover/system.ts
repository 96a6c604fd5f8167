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

export interface NodeHandle {
  readonly name: string;
  roleChanges(): readonly RoleChange[];
  role(): BenchRole | 'init';
  /** Graceful stop (SIGTERM). */
  stop(): Promise<void>;
  /** SIGKILL to every process of the node. */
  kill9(): Promise<void>;
}

export interface SystemUnderTest {
  readonly name: string;
  /** undefined when the system can run here, else why not (missing package, no agent yet). */
  unavailable(): Promise<string | undefined>;
  startNode(plan: NodePlan): Promise<NodeHandle>;
}
