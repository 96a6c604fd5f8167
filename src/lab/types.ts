// The lab's plug points. A cloud builds the world a pair runs in and says where the traffic points; a
// scenario breaks something and checks that the pair recovers. Each is one module plus one line in
// registry.ts.
import type { ChildProcess } from 'node:child_process';
import type { LabAgent, NodeName } from './agents.js';
import type { LabController } from './controller.js';
import type { Timeline } from './timeline.js';

export type { NodeName };

/** What the traffic points at now: a node, nobody (missing/blackhole/unanswered), or a mix. */
export type TrafficOwner = NodeName | 'none' | 'mixed';

export interface LabTiming {
  readonly interval_ms: number;
  readonly dead_multiplier: number;
  /** interval × multiplier: silence after which the standby takes over. */
  readonly dead_ms: number;
  readonly wan_loss_relinquish_ms: number;
  readonly api_latency_ms: number;
}

export interface LabOptions {
  readonly cloud: string;
  readonly scenario: string;
  readonly interval_ms: number;
  readonly api_latency_ms: number;
  readonly keep: boolean;
  readonly json: boolean;
  /** Every step's deadline is multiplied by this (a slow machine: 2). */
  readonly deadline_scale: number;
}

export interface StartContext {
  readonly dir: string;
  readonly timing: LabTiming;
  readonly timeline: Timeline;
  /** Monitors the scenario needs on each node. */
  readonly monitors: readonly ('link' | 'wan')[];
}

/** The pieces of a node's config that depend on the cloud (everything else is the lab's). */
export interface NodeParts {
  readonly paths: readonly Record<string, unknown>[];
  readonly actions: readonly Record<string, unknown>[];
  readonly monitors: readonly Record<string, unknown>[];
  /** Extra environment of the agent process (credentials, metadata endpoint). */
  readonly env: Readonly<Record<string, string>>;
  /** The node's LAN address and range, as the controller records it. */
  readonly mgmt_ip: string;
  readonly subnet: string;
  /** Where the status server listens (default 127.0.0.1:0). */
  readonly status_listen?: string;
}

export interface SpawnedProcess {
  readonly child: ChildProcess;
  kill(signal: NodeJS.Signals): void;
  readonly exited: Promise<void>;
}

/** A controller site's cloud settings by settings key (`aws`, `azure`): the nodes take them as managed. */
export type CloudSettings = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

export interface LabSiteSettings {
  readonly kind: 'aws' | 'physical' | 'azure';
  /** The site's cloud settings; when set, the nodes' YAML says `managed: [cloud]`. */
  readonly cloud?: CloudSettings;
  /** The settings change the lab times from the controller to both agents: what it says, the new settings. */
  readonly change?: { readonly what: string; readonly cloud: CloudSettings };
}

/** A running world: the cloud's side of one lab run. */
export interface CloudRig {
  /** The controller site this world is (`aws`, `physical`, `azure`). */
  readonly site: LabSiteSettings;
  /** The cloud API the summary names (`EC2`, `ARM`); null when there is none (a physical LAN). */
  readonly api_name: string | null;
  /** `routes_confirmed_ms` (AWS) or `vip_moved_ms` (physical): the figure's name in the summary. */
  readonly traffic_figure: string;
  /** "every route at node-b's ENI", "the client's probe answered by node-b". */
  trafficText(node: NodeName): string;
  /** One line per part, printed before the scenario starts. */
  readonly describe: readonly string[];
  nodeParts(node: NodeName): NodeParts;
  /** Starts `argv` as node's process, where that node lives (loopback, or its namespace). */
  spawn(node: NodeName, argv: readonly string[], env: NodeJS.ProcessEnv): SpawnedProcess;
  /** The controller's URL as a node sees it, and the unix socket that reaches it from another namespace. */
  controllerAccess(url: string): { readonly url: string; readonly socket: string | null };
  /** Read from the cloud itself (the simulator's route tables, the client's probe). */
  observeTraffic(): Promise<TrafficOwner>;
  /** Cut (or restore) the keepalive path to and from one node, or between both. */
  setKeepalives(node: NodeName | 'both', up: boolean): Promise<void>;
  /** The node's LAN link down / up (what its link or health monitor sees). */
  setLink(node: NodeName, up: boolean): Promise<void>;
  /** The node's WAN probe target answers / stops answering. */
  setWan(node: NodeName, up: boolean): Promise<void>;
  /** API faults during a failover: throttling and 5xx. Undefined when the cloud has no API. */
  readonly apiFaults?: { set(on: boolean): void; errors(): number };
  /** Calls to the cloud's API so far (null when it has none). */
  apiCalls(): number | null;
  /** Route writes so far (split brain: the arbiter must not flap). Null when not applicable. */
  trafficWrites(): number | null;
  stop(): Promise<void>;
}

export interface LabCloud {
  readonly name: string;
  readonly summary: string;
  /** Null when it can run here; otherwise why not (e.g. needs root). */
  unavailable(): string | null;
  start(ctx: StartContext): Promise<CloudRig>;
}

/** What a scenario can touch. */
export interface ScenarioContext {
  readonly rig: CloudRig;
  readonly agents: Readonly<Record<NodeName, LabAgent>>;
  readonly controller: LabController;
  readonly timeline: Timeline;
  readonly timing: LabTiming;
  /** Restarts a node's agent (after a kill). */
  restart(node: NodeName): Promise<void>;
  /** Runs `tandem switchover` against a node's status endpoint. */
  switchover(node: NodeName): Promise<void>;
  /** Waits until `check` holds, or fails the step named `name` after `deadline_ms`. Returns epoch ms. */
  until(name: string, deadline_ms: number, check: () => boolean | Promise<boolean>): Promise<number>;
  /** Records a figure for the summary (ms and counts). */
  figure(name: string, value: number): void;
  /** Logs an action the lab takes, returning its epoch ms. */
  act(text: string): number;
}

export interface LabScenario {
  readonly name: string;
  readonly summary: string;
  /** Monitors the nodes need for this scenario (a LAN health check, a WAN probe). */
  readonly monitors?: readonly ('link' | 'wan')[];
  supports(cloud: string): boolean;
  run(ctx: ScenarioContext): Promise<void>;
}
