// Prometheus metrics of one agent, on its own registry (tests run several agents in one process).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { NODE_STATES, type NodeState } from '../core/index.js';

export interface AgentMetrics {
  readonly registry: Registry;
  readonly state: Gauge<'state'>;
  readonly transitions: Counter<'from' | 'to'>;
  readonly sent: Counter<'path'>;
  readonly received: Counter<'path'>;
  readonly rejected: Counter<'path' | 'reason'>;
  readonly sendErrors: Counter<'path'>;
  readonly actionDuration: Histogram<'action' | 'verb' | 'outcome'>;
  readonly actionFailures: Counter<'action' | 'verb' | 'code'>;
  readonly actionInFlight: Gauge<'action' | 'verb' | 'phase'>;
  readonly stalls: Counter;
  readonly claimLateness: Histogram;
  readonly claimLatency: Histogram<'action'>;
}

/** Sub-millisecond to seconds: the LAN goal is 2 ms to start a claim and 5 ms to announce it. */
const CLAIM_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1, 5, 30, 120];

/** `peerSilence` gives, per path, seconds since the peer's last keepalive (null: never heard). */
export function createMetrics(peerSilence: () => Record<string, number | null>): AgentMetrics {
  const registry = new Registry();
  const opts = { registers: [registry] };
  const metrics: AgentMetrics = {
    registry,
    state: new Gauge({
      name: 'tandem_state',
      help: '1 for the state this node is in',
      labelNames: ['state'],
      ...opts,
    }),
    transitions: new Counter({
      name: 'tandem_transitions_total',
      help: 'State changes of this node',
      labelNames: ['from', 'to'],
      ...opts,
    }),
    sent: new Counter({
      name: 'tandem_keepalives_sent_total',
      help: 'Keepalive packets sent',
      labelNames: ['path'],
      ...opts,
    }),
    received: new Counter({
      name: 'tandem_keepalives_received_total',
      help: 'Keepalive packets accepted',
      labelNames: ['path'],
      ...opts,
    }),
    rejected: new Counter({
      name: 'tandem_keepalives_rejected_total',
      help: 'Packets refused, by reason (bad-mac, replayed, unknown-source, ...)',
      labelNames: ['path', 'reason'],
      ...opts,
    }),
    sendErrors: new Counter({
      name: 'tandem_keepalive_send_errors_total',
      help: 'Keepalives the socket refused to send',
      labelNames: ['path'],
      ...opts,
    }),
    actionDuration: new Histogram({
      name: 'tandem_action_duration_seconds',
      help: 'Time a claim or release took, per action',
      labelNames: ['action', 'verb', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
      ...opts,
    }),
    actionInFlight: new Gauge({
      name: 'tandem_action_in_flight_seconds',
      help: 'How long the running claim or release has taken so far, by phase (long cloud operations)',
      labelNames: ['action', 'verb', 'phase'],
      ...opts,
    }),
    stalls: new Counter({
      name: 'tandem_event_loop_stalls_total',
      help: 'Times our own timer fired a dead interval late (a paused process): deaf meanwhile',
      ...opts,
    }),
    claimLateness: new Histogram({
      name: 'tandem_claim_lateness_seconds',
      help: 'From the deadline that made this node claim (the peer silent a dead interval) to the claim start',
      buckets: CLAIM_BUCKETS,
      ...opts,
    }),
    claimLatency: new Histogram({
      name: 'tandem_claim_latency_seconds',
      help: 'From the claim start to the action holding the traffic (a VIP: added and its first announcement out)',
      labelNames: ['action'],
      buckets: CLAIM_BUCKETS,
      ...opts,
    }),
    actionFailures: new Counter({
      name: 'tandem_action_failures_total',
      help: 'Claims and releases that failed, by error code',
      labelNames: ['action', 'verb', 'code'],
      ...opts,
    }),
  };
  new Gauge({
    name: 'tandem_peer_silence_seconds',
    help: 'Seconds since the last keepalive from the peer, per path (absent until first heard)',
    labelNames: ['path'],
    ...opts,
    collect() {
      this.reset();
      for (const [path, seconds] of Object.entries(peerSilence()))
        if (seconds !== null) this.set({ path }, seconds);
    },
  });
  return metrics;
}

export function setStateGauge(metrics: AgentMetrics, current: NodeState): void {
  for (const s of NODE_STATES) metrics.state.set({ state: s }, s === current ? 1 : 0);
}
