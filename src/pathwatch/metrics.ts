// Prometheus metrics of one pathwatch, on its own registry: loss and RTT per path, the active path, switches.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { labelValue } from '../obs/runtime-metrics.js';
import type { ProbePlan } from './config.js';
import { targetName } from './probe.js';
import type { ActivePath, PathName, PathVerdict, Round, SwitchOp } from './types.js';

export interface PathMetrics {
  readonly registry: Registry;
  round(round: Round, verdict: PathVerdict | null): void;
  active(path: ActivePath): void;
  switched(op: SwitchOp, ok: boolean, seconds: number): void;
  routes(conflicts: number, healthy_rounds: number): void;
}

const ACTIVE: readonly ActivePath[] = ['primary', 'backup', 'unknown'];

const OPS: readonly SwitchOp[] = ['failover', 'failback'];

/** The paths and targets configured: their series exist from the start at zero. */
export interface PathPlans {
  readonly primary: ProbePlan;
  readonly backup: ProbePlan | null;
}

export function createPathMetrics(plans?: PathPlans): PathMetrics {
  const registry = new Registry();
  const registers = [registry];
  const up = new Gauge({
    name: 'tandem_pathwatch_path_up',
    help: '1 when the last round of the path passed its rule',
    labelNames: ['path'],
    registers,
  });
  const loss = new Gauge({
    name: 'tandem_pathwatch_loss_ratio',
    help: 'Share of the last round’s probes that got no answer (0..1)',
    labelNames: ['path'],
    registers,
  });
  const rtt = new Gauge({
    name: 'tandem_pathwatch_rtt_seconds',
    help: 'Mean round-trip time of the last round’s answers',
    labelNames: ['path'],
    registers,
  });
  const sent = new Counter({
    name: 'tandem_pathwatch_probes_sent_total',
    help: 'Probes sent',
    labelNames: ['path', 'target'],
    registers,
  });
  const lost = new Counter({
    name: 'tandem_pathwatch_probes_lost_total',
    help: 'Probes that got no answer',
    labelNames: ['path', 'target'],
    registers,
  });
  const activePath = new Gauge({
    name: 'tandem_pathwatch_active_path',
    help: '1 for the path the route tables send traffic over',
    labelNames: ['path'],
    registers,
  });
  const switches = new Counter({
    name: 'tandem_pathwatch_switches_total',
    help: 'Failovers and failbacks, by outcome',
    labelNames: ['op', 'outcome'],
    registers,
  });
  const switchSeconds = new Histogram({
    name: 'tandem_pathwatch_switch_seconds',
    help: 'Time to write and confirm the routes of one switch',
    labelNames: ['op'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers,
  });
  const conflicts = new Gauge({
    name: 'tandem_pathwatch_route_conflicts',
    help: 'Routes that point at something else and are left alone',
    registers,
  });
  const healthy = new Gauge({
    name: 'tandem_pathwatch_healthy_rounds',
    help: 'Consecutive healthy primary rounds while on the backup path (failback at the configured count)',
    registers,
  });
  const paths: [PathName, ProbePlan | null][] = [
    ['primary', plans?.primary ?? null],
    ['backup', plans?.backup ?? null],
  ];
  for (const [path, plan] of paths) {
    if (plan === null) continue;
    up.set({ path }, 0);
    loss.set({ path }, 0);
    for (const t of plan.targets) {
      sent.inc({ path, target: labelValue(targetName(t)) }, 0);
      lost.inc({ path, target: labelValue(targetName(t)) }, 0);
    }
  }
  for (const op of OPS) {
    for (const outcome of ['ok', 'failed']) switches.inc({ op, outcome }, 0);
    switchSeconds.zero({ op });
  }
  return {
    registry,
    round(r, v) {
      for (const t of r.targets) {
        sent.inc({ path: r.path, target: labelValue(t.target) }, t.sent);
        lost.inc({ path: r.path, target: labelValue(t.target) }, t.sent - t.received);
      }
      if (v === null) return;
      up.set({ path: r.path }, v.up ? 1 : 0);
      loss.set({ path: r.path }, v.loss_pct / 100);
      if (v.rtt_ms !== null) rtt.set({ path: r.path }, v.rtt_ms / 1000);
    },
    active(path) {
      for (const p of ACTIVE) activePath.set({ path: p }, p === path ? 1 : 0);
    },
    switched(op, ok, seconds) {
      switches.inc({ op, outcome: ok ? 'ok' : 'failed' });
      switchSeconds.observe({ op }, seconds);
    },
    routes(n, h) {
      conflicts.set(n);
      healthy.set(h);
    },
  };
}
