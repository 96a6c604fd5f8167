// The agent's reports to the fleet controller: enroll (with retries, never blocking failover), report
// every change and a heartbeat, and keep working when the controller is away (the client queues, bounded).
// A report says what happened since the last one (claims and releases with their durations and error
// codes, preflights, command results) and what the node runs (settings version, config digest).
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ActionProgress } from '../actions/types.js';
import { VERSION } from '../cli/version.js';
import type {
  ActionInFlight,
  ActionPhase,
  ActionResult,
  CommandResult,
  PreflightResult,
  SettingsState,
} from '../controller/schema.js';
import type { NodeStatus, Readiness } from '../core/index.js';
import type { ActionOutcome, InFlight } from './action-runner.js';
import {
  ControllerClient,
  ControllerClientError,
  type NodeCredential,
  type NodeReport,
  type ReportReply,
} from './controller-client.js';
import type { StatusReporter } from './shell.js';

export interface ControllerSettings {
  readonly url: string;
  /** One-time token from the controller; unused once a credential is stored. */
  readonly enrollment_token: string | null;
  readonly credential_file: string;
  readonly report_interval_ms: number;
  /** PEM CA the controller's certificate must chain to; null: the system's. */
  readonly ca?: string | null;
  readonly allow_cleartext?: boolean;
  /**
   * A claim is reported once it has held this long (a step-down at once): a make-before-break handover
   * keeps both nodes active for one keepalive's travel, which the controller must not take for a split brain.
   */
  readonly settle_ms: number;
}

/** What a report reads from the running node when it is due: an agent's (reportOf) or a pathwatch's. */
export interface ReportSource {
  /** The node's facts; the results since the last report are added to it. */
  readonly report: Omit<NodeReport, 'action_results'>;
  readonly settings: SettingsState | undefined;
  /** Claims and releases running now (a floating-IP move), at their latest phase; a pathwatch has none. */
  readonly progress?: readonly InFlight[];
}

export interface ReportingEvents {
  enrolled?(cred: NodeCredential): void;
  reply?(reply: ReportReply): void;
  removed?(): void;
}

export interface ControllerReporting {
  readonly reporter: StatusReporter;
  readonly client: ControllerClient;
  /** Starts enrollment and the heartbeat; `current` reads the node when a report is due. */
  start(current: () => ReportSource, on?: ReportingEvents): void;
  /** A claim or release finished: reported at once. */
  actionDone(outcome: ActionOutcome): void;
  /** An arbiter repaired drift (the controller's `drift-repaired` event). */
  repairDone(repair: { action: string; detail: string; ok: boolean }): void;
  /** A preflight ran (at start or on demand); its failures become `preflight` action results. */
  preflightDone(result: PreflightResult): void;
  commandDone(result: CommandResult): void;
  /** Something the report shows changed (settings applied or refused): report now. */
  changed(): void;
  close(): void;
}

/** Enrollment retries back off to this; an unreachable controller must never stop the node. */
const ENROLL_BACKOFF_MAX_MS = 60_000;
/** Bound on results waiting for the next report (the schema's limit). */
const RESULTS_MAX = 32;

export function controllerReporting(settings: ControllerSettings, log: Logger): ControllerReporting {
  let events: ReportingEvents = {};
  const client = new ControllerClient({
    url: settings.url,
    credential_path: settings.credential_file,
    on: { reply: (r) => events.reply?.(r), removed: () => events.removed?.() },
    ca: settings.ca ?? null,
    allow_cleartext: settings.allow_cleartext ?? false,
  });
  let enrolled = false;
  let closed = false;
  let current: (() => ReportSource) | null = null;
  let settle: NodeJS.Timeout | null = null;
  let heartbeat: NodeJS.Timeout | null = null;
  let retry: NodeJS.Timeout | null = null;
  // What happened since the last report: it goes out with the next one (the client retries it in order).
  let actions: ActionResult[] = [];
  let commands: CommandResult[] = [];
  let preflight: PreflightResult | undefined;

  const send = (): void => {
    if (settle !== null) clearTimeout(settle);
    settle = null;
    if (!enrolled || current === null) return;
    const src = current();
    const extras = {
      ...(src.settings !== undefined ? { settings: src.settings } : {}),
      ...(preflight !== undefined ? { preflight } : {}),
      ...(commands.length > 0 ? { command_results: commands } : {}),
      ...(src.progress !== undefined && src.progress.length > 0
        ? { progress: src.progress.slice(0, 16).map(inFlightOf) }
        : {}),
    };
    client.report({ ...src.report, action_results: actions, ...extras });
    actions = [];
    commands = [];
    preflight = undefined;
  };

  const enroll = async (backoff_ms: number): Promise<void> => {
    try {
      const cred = await client.enroll(settings.enrollment_token);
      enrolled = true;
      log.info({ node_id: cred.node_id, site_id: cred.site_id }, 'enrolled with the controller');
      events.enrolled?.(cred);
      send();
    } catch (err) {
      const e = err instanceof ControllerClientError ? err.detail : null;
      if (e !== null && e.code !== 'unreachable') {
        // A refused or used token will not get better by asking again: say what to do, keep failing over.
        log.error({ code: e.code, err: e.message }, 'controller enrollment refused; running without reports');
        return;
      }
      log.warn({ err: (err as Error).message, retry_ms: backoff_ms }, 'controller unreachable; will retry');
      if (!closed) {
        retry = setTimeout(() => void enroll(Math.min(backoff_ms * 2, ENROLL_BACKOFF_MAX_MS)), backoff_ms);
        retry.unref();
      }
    }
  };

  const push = <T>(list: T[], item: T): T[] => [...list, item].slice(-RESULTS_MAX);

  return {
    client,
    reporter: {
      statusChanged: (status) => {
        if (status.state !== 'active') send();
        else if (settle === null) settle = setTimeout(send, settings.settle_ms);
      },
    },
    start(read, on = {}) {
      current = read;
      events = on;
      void enroll(1000);
      heartbeat = setInterval(() => {
        if (settle === null) send();
      }, settings.report_interval_ms);
      heartbeat.unref();
    },
    actionDone(o) {
      actions = push(actions, {
        id: randomUUID(),
        action: o.verb,
        ok: o.ok,
        name: o.action.slice(0, 256),
        ...(o.error !== null ? { code: o.error.code, message: o.error.message.slice(0, 2000) } : {}),
        duration_ms: o.duration_ms,
        ...(o.phases.length > 0 ? { phases: o.phases.map(phaseOf) } : {}),
        at: Date.parse(o.at),
      });
      // A claim is reported with the state it led to; the settle timer (if running) sends it.
      if (settle === null) send();
    },
    repairDone(r) {
      actions = push(actions, {
        id: randomUUID(),
        action: 'repair',
        ok: r.ok,
        name: r.action.slice(0, 256),
        message: r.detail.slice(0, 2000),
        at: Date.now(),
      });
      if (settle === null) send();
    },
    preflightDone(result) {
      preflight = result;
      const failed = result.actions.flatMap((a) =>
        a.checks.filter((c) => c.status !== 'ok').map((c) => `${a.action}: ${c.check}: ${c.status}`),
      );
      actions = push(actions, {
        id: randomUUID(),
        action: 'preflight',
        ok: failed.length === 0,
        ...(failed.length > 0 ? { message: failed.join('; ').slice(0, 2000) } : {}),
        at: result.at,
      });
      if (settle === null) send();
    },
    commandDone(result) {
      commands = push(commands, result).slice(-16);
      if (settle === null) send();
    },
    changed() {
      if (settle === null) send();
    },
    close() {
      closed = true;
      for (const t of [settle, retry]) if (t !== null) clearTimeout(t);
      if (heartbeat !== null) clearInterval(heartbeat);
      client.close();
    },
  };
}

/** A phase in the report's bounds (the driver's detail may be long). */
function phaseOf(p: ActionProgress): ActionPhase {
  return {
    phase: p.phase.slice(0, 64),
    elapsed_ms: Math.max(0, Math.round(p.elapsed_ms)),
    ...(p.detail !== undefined ? { detail: p.detail.slice(0, 500) } : {}),
  };
}

function inFlightOf(f: InFlight): ActionInFlight {
  return { name: f.name.slice(0, 256), verb: f.verb, ...phaseOf(f) };
}

/** The core's view of this node in the controller's report shape. */
export function reportOf(
  status: NodeStatus,
  readiness: Readiness | null,
  wan: readonly { name: string; up: boolean }[] = [],
  action_results: readonly ActionResult[] = [],
): NodeReport {
  const r = readiness ?? status.readiness;
  const seen = Object.values(status.peer.last_seen_ms).filter((t): t is number => t !== null);
  return {
    state: status.state,
    wan_ok: status.wan_ok,
    hears_peer: status.peer.alive,
    version: VERSION,
    indicators: { connected: r.connected, keepalive: r.keepalive, same_version: r.same_version },
    wan: wan.slice(0, 16).map((w) => ({ name: w.name.slice(0, 128), up: w.up })),
    // last_seen_ms is on the agent's monotonic clock; the controller wants epoch ms.
    last_keepalive_at:
      seen.length === 0 ? null : Math.round(Date.now() - (performance.now() - Math.max(...seen))),
    action_results: [...action_results],
  };
}
