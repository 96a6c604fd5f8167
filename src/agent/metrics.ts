// Prometheus metrics of one agent, on its own registry (tests run several agents in one process).
// Every labelled series the configuration implies exists from the start at zero, so that an alert on
// "no keepalive ever received" or "this check never passed" can fire before the first event.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { NODE_STATES, type NodeState, type NodeStatus } from '../core/index.js';
import { labelValue, registerRuntimeMetrics } from '../obs/runtime-metrics.js';
import { REJECT_REASONS } from '../wire/index.js';
import { UNKNOWN_SOURCE } from './transport.js';

/** What the scrape-time gauges read from the running agent. */
export interface MetricsView {
  /** The core's status now; null before the core started. */
  status(): NodeStatus | null;
  inState_ms(): number;
  /** Per path, seconds since the peer's last keepalive, or since the agent started when none was heard. */
  peerSilence(): Record<string, number>;
}

/** The names the configuration holds: each gets its series at zero. */
export interface Inventory {
  readonly paths: readonly string[];
  readonly actions: readonly string[];
  readonly monitors: readonly { readonly name: string; readonly kind: string }[];
}

export interface AgentMetrics {
  readonly registry: Registry;
  readonly state: Gauge<'state'>;
  readonly transitions: Counter<'from' | 'to'>;
  readonly sent: Counter<'path'>;
  readonly received: Counter<'path'>;
  readonly rejected: Counter<'path' | 'reason'>;
  readonly sendErrors: Counter<'path'>;
  readonly stalls: Counter;
  /** The deadline that made this node claim → the claim's start (seconds). */
  readonly claimLateness: Histogram;
  /** The claim's start → the action holding the traffic (seconds), by action. */
  readonly claimLatency: Histogram<'action'>;
  /** A claim or release finished (`code` when it failed). */
  actionDone(o: { action: string; verb: Verb; ok: boolean; duration_ms: number; code: string | null }): void;
  /** A long verb moved to `phase`; null: it is over (the action is idle again). */
  actionPhase(action: string, verb: Verb, phase: string | null, elapsed_ms: number): void;
  monitorReading(monitor: string, ok: boolean): void;
  /** A reload: series of removed names go, new names get theirs at zero, kept ones keep counting. */
  inventory(next: Inventory): void;
}

type Verb = 'claim' | 'release';
const VERBS: readonly Verb[] = ['claim', 'release'];
const OUTCOMES = ['ok', 'failed'] as const;
const INDICATORS = ['connected', 'keepalive', 'same_version'] as const;
const IDLE = 'idle';

export const EMPTY_INVENTORY: Inventory = { paths: [], actions: [], monitors: [] };

export interface MetricsOptions {
  /** Build info, process and event-loop metrics: once per process, so only a real agent asks for them. */
  readonly runtime?: boolean;
}

export function createMetrics(
  view: MetricsView,
  inventory: Inventory = EMPTY_INVENTORY,
  options: MetricsOptions = {},
): AgentMetrics {
  const registry = new Registry();
  if (options.runtime === true) registerRuntimeMetrics(registry);
  const m = families(registry);
  scrapeGauges(registry, view);
  let current: Inventory = EMPTY_INVENTORY;
  const monitorKinds = new Map<string, string>();

  const metrics: AgentMetrics = {
    registry,
    state: m.state,
    transitions: m.transitions,
    sent: m.sent,
    received: m.received,
    rejected: m.rejected,
    sendErrors: m.sendErrors,
    stalls: m.stalls,
    claimLateness: m.claimLateness,
    claimLatency: m.claimLatency,
    actionDone(o) {
      const action = labelValue(o.action);
      const outcome = o.ok ? 'ok' : 'failed';
      m.actions.inc({ action, verb: o.verb, outcome });
      m.duration.observe({ action, verb: o.verb, outcome }, o.duration_ms / 1000);
      if (!o.ok) m.failures.inc({ action, verb: o.verb, code: labelValue(o.code ?? 'UNKNOWN') });
    },
    actionPhase(name, verb, phase, elapsed_ms) {
      const action = labelValue(name);
      // One series per action and verb at a time: the previous phase's goes.
      for (const v of m.inFlightPhases.get(`${action}\0${verb}`) ?? [])
        m.inFlight.remove({ action, verb, phase: v });
      const now = phase === null ? IDLE : labelValue(phase);
      m.inFlightPhases.set(`${action}\0${verb}`, [now]);
      m.inFlight.set({ action, verb, phase: now }, phase === null ? 0 : elapsed_ms / 1000);
    },
    monitorReading(name, ok) {
      const kind = monitorKinds.get(name);
      if (kind === undefined) return;
      const monitor = labelValue(name);
      m.monitorUp.set({ monitor, kind }, ok ? 1 : 0);
      m.monitorReadings.inc({ monitor, kind, result: ok ? 'ok' : 'failed' });
    },
    inventory(next) {
      forget(m, current, next);
      monitorKinds.clear();
      for (const mon of next.monitors) monitorKinds.set(mon.name, labelValue(mon.kind));
      initialise(m, current, next);
      current = next;
    },
  };
  initialiseFixed(m, inventory.paths);
  metrics.inventory(inventory);
  return metrics;
}

export function setStateGauge(metrics: AgentMetrics, current: NodeState): void {
  for (const s of NODE_STATES) metrics.state.set({ state: s }, s === current ? 1 : 0);
}

type Families = ReturnType<typeof families>;

/** Sub-millisecond to seconds: the LAN goal is 2 ms to start a claim and 5 ms to announce it. */
const CLAIM_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1, 5, 30, 120];

function families(registry: Registry) {
  const registers = [registry];
  return {
    claimLateness: new Histogram({
      name: 'tandem_claim_lateness_seconds',
      help: 'From the deadline that made this node claim (the peer silent a dead interval) to the claim start',
      buckets: CLAIM_BUCKETS,
      registers,
    }),
    claimLatency: new Histogram({
      name: 'tandem_claim_latency_seconds',
      help: 'From the claim start to the action holding the traffic (a VIP: added and its first announcement out)',
      labelNames: ['action'],
      buckets: CLAIM_BUCKETS,
      registers,
    }),
    state: new Gauge({
      name: 'tandem_state',
      help: '1 for the state this node is in',
      labelNames: ['state'],
      registers,
    }),
    transitions: new Counter({
      name: 'tandem_transitions_total',
      help: 'State changes of this node',
      labelNames: ['from', 'to'],
      registers,
    }),
    sent: new Counter({
      name: 'tandem_keepalives_sent_total',
      help: 'Keepalive packets sent',
      labelNames: ['path'],
      registers,
    }),
    received: new Counter({
      name: 'tandem_keepalives_received_total',
      help: 'Keepalive packets accepted',
      labelNames: ['path'],
      registers,
    }),
    rejected: new Counter({
      name: 'tandem_keepalives_rejected_total',
      help: 'Packets refused, by reason (bad-mac, replayed, unknown-source, ...)',
      labelNames: ['path', 'reason'],
      registers,
    }),
    sendErrors: new Counter({
      name: 'tandem_keepalive_send_errors_total',
      help: 'Keepalives the socket refused to send',
      labelNames: ['path'],
      registers,
    }),
    stalls: new Counter({
      name: 'tandem_event_loop_stalls_total',
      help: 'Times our own timer fired a dead interval late (a paused process): deaf meanwhile',
      registers,
    }),
    actions: new Counter({
      name: 'tandem_actions_total',
      help: 'Claims and releases finished, per action, by outcome (ok, failed)',
      labelNames: ['action', 'verb', 'outcome'],
      registers,
    }),
    duration: new Histogram({
      name: 'tandem_action_duration_seconds',
      help: 'Time a claim or release took, per action',
      labelNames: ['action', 'verb', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
      registers,
    }),
    failures: new Counter({
      name: 'tandem_action_failures_total',
      help: 'Claims and releases that failed, by error code (a code appears with its first failure)',
      labelNames: ['action', 'verb', 'code'],
      registers,
    }),
    inFlight: new Gauge({
      name: 'tandem_action_in_flight_seconds',
      help: 'How long the running claim or release has taken so far, by phase; 0 with phase="idle" when none runs',
      labelNames: ['action', 'verb', 'phase'],
      registers,
    }),
    /** The phase each action/verb's in-flight series carries now, to remove it when the phase changes. */
    inFlightPhases: new Map<string, string[]>(),
    monitorUp: new Gauge({
      name: 'tandem_monitor_up',
      help: "1 when the monitor's latest reading passed; 0 when it failed or none came yet",
      labelNames: ['monitor', 'kind'],
      registers,
    }),
    monitorReadings: new Counter({
      name: 'tandem_monitor_readings_total',
      help: 'Readings of each monitor, by result (ok, failed)',
      labelNames: ['monitor', 'kind', 'result'],
      registers,
    }),
  };
}

/** Gauges computed when scraped, from the core's own status: never stale, nothing to keep in step. */
function scrapeGauges(registry: Registry, view: MetricsView): void {
  const registers = [registry];
  const flag = (name: string, help: string, read: (s: NodeStatus) => boolean): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        const s = view.status();
        this.set(s !== null && read(s) ? 1 : 0);
      },
    });
  };
  flag(
    'tandem_ready',
    '1 when the pair is Ready: connected, keepalive and same version',
    (s) => s.readiness.ready,
  );
  flag(
    'tandem_fit',
    '1 when this node is fit to be active (checks, HA port, not in maintenance)',
    (s) => s.fit,
  );
  flag('tandem_wan_ok', "1 when this node's WAN probes pass (or none are configured)", (s) => s.wan_ok);
  flag(
    'tandem_peer_alive',
    "1 while the peer's keepalives are heard within the dead interval",
    (s) => s.peer.alive,
  );
  flag('tandem_split_brain', '1 while both nodes are seen active', (s) => s.split_brain);
  new Gauge({
    name: 'tandem_readiness',
    help: '1 for each readiness indicator that is OK (connected, keepalive, same_version)',
    labelNames: ['indicator'],
    registers,
    collect() {
      const r = view.status()?.readiness;
      for (const indicator of INDICATORS) this.set({ indicator }, r?.[indicator] === true ? 1 : 0);
    },
  });
  new Gauge({
    name: 'tandem_in_state_seconds',
    help: 'Time since this node entered its current state',
    registers,
    collect() {
      this.set(view.inState_ms() / 1000);
    },
  });
  new Gauge({
    name: 'tandem_peer_silence_seconds',
    help: "Seconds since the peer's last keepalive per path, or since the agent started when none was heard",
    labelNames: ['path'],
    registers,
    collect() {
      for (const [path, seconds] of Object.entries(view.peerSilence())) this.set({ path }, seconds);
    },
  });
}

/** Once, at creation: the series of the states and the paths (a reload cannot change the paths). */
function initialiseFixed(m: Families, paths: readonly string[]): void {
  for (const from of NODE_STATES) {
    m.state.set({ state: from }, 0);
    for (const to of NODE_STATES) if (from !== to) m.transitions.inc({ from, to }, 0);
  }
  for (const path of paths) {
    m.sent.inc({ path }, 0);
    m.received.inc({ path }, 0);
    m.sendErrors.inc({ path }, 0);
    for (const reason of [...REJECT_REASONS, UNKNOWN_SOURCE]) m.rejected.inc({ path, reason }, 0);
  }
}

/** The series of actions and monitors that `was` did not have (kept ones keep their values). */
function initialise(m: Families, was: Inventory, inv: Inventory): void {
  for (const name of inv.actions.filter((a) => !was.actions.includes(a)))
    for (const verb of VERBS) {
      const action = labelValue(name);
      for (const outcome of OUTCOMES) {
        m.actions.inc({ action, verb, outcome }, 0);
        m.duration.zero({ action, verb, outcome });
      }
      if (!m.inFlightPhases.has(`${action}\0${verb}`)) {
        m.inFlightPhases.set(`${action}\0${verb}`, [IDLE]);
        m.inFlight.set({ action, verb, phase: IDLE }, 0);
      }
    }
  const had = was.monitors.map((x) => `${x.name}\0${x.kind}`);
  for (const mon of inv.monitors.filter((x) => !had.includes(`${x.name}\0${x.kind}`))) {
    const monitor = labelValue(mon.name);
    const kind = labelValue(mon.kind);
    m.monitorUp.set({ monitor, kind }, 0);
    for (const result of OUTCOMES) m.monitorReadings.inc({ monitor, kind, result }, 0);
  }
}

function forget(m: Families, was: Inventory, next: Inventory): void {
  const gone = (a: readonly string[], b: readonly string[]) => a.filter((x) => !b.includes(x));
  for (const name of gone(was.actions, next.actions))
    for (const verb of VERBS) {
      const action = labelValue(name);
      for (const outcome of OUTCOMES) {
        m.actions.remove({ action, verb, outcome });
        m.duration.remove({ action, verb, outcome });
      }
      for (const phase of m.inFlightPhases.get(`${action}\0${verb}`) ?? [])
        m.inFlight.remove({ action, verb, phase });
      m.inFlightPhases.delete(`${action}\0${verb}`);
    }
  const nextMonitors = next.monitors.map((x) => `${x.name}\0${x.kind}`);
  for (const mon of was.monitors.filter((x) => !nextMonitors.includes(`${x.name}\0${x.kind}`))) {
    const labels = { monitor: labelValue(mon.name), kind: labelValue(mon.kind) };
    m.monitorUp.remove(labels);
    for (const result of OUTCOMES) m.monitorReadings.remove({ ...labels, result });
  }
}
