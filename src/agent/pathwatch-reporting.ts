// `tandem pathwatch`'s reports to the fleet controller, through the agent's reporting (enrollment with a
// one-time token, the stored credential, the bounded queue, the heartbeat): only the report differs. A
// pathwatch is the one node of a site of kind `pathwatch`; its report says which path carries the traffic,
// each path's health (loss, RTT) and the switches since the last report, which the controller records as events.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { VERSION } from '../cli/version.js';
import type { PathwatchEvent, PathwatchReport } from '../controller/schema.js';
import type { ControllerPlan } from '../pathwatch/config.js';
import type { PathEvent } from '../pathwatch/types.js';
import type { PathStatus, PathwatchStatus } from '../pathwatch/watcher.js';
import type { NodeReport } from './controller-client.js';
import { type ControllerReporting, controllerReporting } from './reporting.js';

/** Events waiting for the next report: the schema's bound. */
const EVENTS_MAX = 32;
/** Command ids already answered (a reply repeats a command until the node's answer is stored). */
const ANSWERED_MAX = 64;

export interface PathwatchReporting {
  /** Every watcher event; the reportable ones go out at once. */
  event(ev: PathEvent): void;
  start(status: () => PathwatchStatus): void;
  close(): void;
  readonly reporting: ControllerReporting;
}

export function pathwatchReporting(
  plan: ControllerPlan,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): PathwatchReporting {
  const reporting = controllerReporting(
    {
      url: plan.url,
      enrollment_token: enrollmentToken(plan, env),
      credential_file: plan.credential_file,
      report_interval_ms: plan.report_interval_ms,
      ca: plan.ca_file === null ? null : readFileSync(plan.ca_file, 'utf8'),
      allow_cleartext: plan.allow_cleartext,
      // A pathwatch has no make-before-break handover to wait out.
      settle_ms: 0,
    },
    log,
  );
  let pending: PathwatchEvent[] = [];
  const answered = new Set<string>();
  let current: (() => PathwatchStatus) | null = null;
  return {
    reporting,
    event(ev) {
      const status = current?.();
      const reported = status === undefined ? null : reportable(ev, status);
      if (reported === null) return;
      pending = [...pending, reported].slice(-EVENTS_MAX);
      reporting.changed();
    },
    start(status) {
      current = status;
      reporting.start(
        () => {
          const events = pending;
          pending = [];
          return { report: pathwatchReport(status(), events), settings: undefined };
        },
        {
          // The controller's commands (API test, switchover, maintenance) are a pair's: refused, not left pending.
          reply: (r) => {
            for (const cmd of r.commands) {
              if (answered.has(cmd.id)) continue;
              answered.add(cmd.id);
              if (answered.size > ANSWERED_MAX) answered.delete(answered.values().next().value as string);
              reporting.commandDone({
                id: cmd.id,
                kind: cmd.kind,
                outcome: 'refused',
                reason: 'not-supported-by-pathwatch',
                at: Date.now(),
              });
            }
          },
        },
      );
    },
    close() {
      reporting.close();
    },
  };
}

/** Never logged, never on a command line: read from the file or the variable the config names. */
function enrollmentToken(plan: ControllerPlan, env: NodeJS.ProcessEnv): string | null {
  let token: string | undefined;
  if (plan.enrollment_token_file !== null) {
    try {
      token = readFileSync(plan.enrollment_token_file, 'utf8');
    } catch {
      token = undefined; // Already enrolled: the credential file is used instead.
    }
  } else if (plan.enrollment_token_env !== null) token = env[plan.enrollment_token_env];
  return token?.trim() || null;
}

function pathOf(p: PathStatus): PathwatchReport['primary'] {
  return {
    label: p.label,
    up: p.up,
    loss_pct: p.loss_pct,
    rtt_ms: p.rtt_ms === null ? null : Math.round(p.rtt_ms * 1000) / 1000,
  };
}

/** The pair fields say what they can of a node without a peer: active while the route tables are known. */
export function pathwatchReport(
  s: PathwatchStatus,
  events: readonly PathwatchEvent[],
): Omit<NodeReport, 'action_results'> {
  const paths = [s.primary, s.backup].filter((p): p is PathStatus => p !== null && p.up !== null);
  return {
    state: s.active_path === 'unknown' ? 'fault' : 'active',
    wan_ok: s.primary.up === true,
    hears_peer: false,
    version: VERSION,
    indicators: { connected: false, keepalive: false, same_version: true },
    wan: paths.map((p) => ({ name: p.label, up: p.up === true })),
    last_keepalive_at: null,
    pathwatch: {
      active_path: s.active_path,
      primary: pathOf(s.primary),
      backup: s.backup === null ? null : pathOf(s.backup),
      routes:
        s.routes === null
          ? null
          : {
              ours: s.routes.ours,
              missing: s.routes.missing,
              conflicts: s.routes.conflicts.slice(0, 50).map((c) => c.slice(0, 500)),
            },
      healthy_rounds: s.healthy_rounds,
      failback_rounds: s.failback_rounds,
      failovers: s.failovers,
      failbacks: s.failbacks,
      events: [...events],
    },
  };
}

/** The events an operator is told about: switches (done or failed), refusals, hand edits, conflicts. */
function reportable(ev: PathEvent, s: PathwatchStatus): PathwatchEvent | null {
  const base = { id: randomUUID(), at: Date.now(), active_path: s.active_path };
  switch (ev.kind) {
    case 'switch-done':
      return {
        ...base,
        kind: ev.op,
        active_path: ev.active_path,
        ok: ev.ok,
        ...(ev.duration_ms === undefined ? {} : { duration_ms: Math.round(ev.duration_ms) }),
        ...(ev.error === undefined ? {} : { message: ev.error.slice(0, 2000) }),
      };
    case 'failover-vetoed':
      return { ...base, kind: 'failover-vetoed', message: ev.reason };
    case 'routes-changed':
      return { ...base, kind: 'routes-changed', active_path: ev.to, message: `${ev.from} → ${ev.to}` };
    case 'route-conflict':
      return { ...base, kind: 'route-conflict', message: ev.conflicts.join('; ').slice(0, 2000) };
    default:
      return null;
  }
}
