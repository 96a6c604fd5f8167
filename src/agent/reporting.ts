// The agent's reports to the fleet controller: enroll (with retries, never blocking failover), report
// every change and a heartbeat, and keep working when the controller is away (the client queues, bounded).
import type { Logger } from 'pino';
import { VERSION } from '../cli/version.js';
import type { NodeStatus, Readiness } from '../core/index.js';
import { ControllerClient, ControllerClientError, type NodeReport } from './controller-client.js';
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

export interface ControllerReporting {
  readonly reporter: StatusReporter;
  /** Starts enrollment and the heartbeat; `current` reads the node's status when a report is due. */
  start(current: () => { status: NodeStatus; readiness: Readiness | null }): void;
  close(): void;
}

/** Enrollment retries back off to this; an unreachable controller must never stop the node. */
const ENROLL_BACKOFF_MAX_MS = 60_000;

export function controllerReporting(settings: ControllerSettings, log: Logger): ControllerReporting {
  const client = new ControllerClient({
    url: settings.url,
    credential_path: settings.credential_file,
    ca: settings.ca ?? null,
    allow_cleartext: settings.allow_cleartext ?? false,
  });
  let enrolled = false;
  let closed = false;
  let current: (() => { status: NodeStatus; readiness: Readiness | null }) | null = null;
  let settle: NodeJS.Timeout | null = null;
  let heartbeat: NodeJS.Timeout | null = null;
  let retry: NodeJS.Timeout | null = null;

  const send = (): void => {
    if (settle !== null) clearTimeout(settle);
    settle = null;
    if (!enrolled || current === null) return;
    const { status, readiness } = current();
    client.report(reportOf(status, readiness));
  };

  const enroll = async (backoff_ms: number): Promise<void> => {
    try {
      const cred = await client.enroll(settings.enrollment_token);
      enrolled = true;
      log.info({ node_id: cred.node_id, site_id: cred.site_id }, 'enrolled with the controller');
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

  return {
    reporter: {
      statusChanged: (status) => {
        if (status.state !== 'active') send();
        else if (settle === null) settle = setTimeout(send, settings.settle_ms);
      },
    },
    start(read) {
      current = read;
      void enroll(1000);
      heartbeat = setInterval(() => {
        if (settle === null) send();
      }, settings.report_interval_ms);
      heartbeat.unref();
    },
    close() {
      closed = true;
      for (const t of [settle, retry]) if (t !== null) clearTimeout(t);
      if (heartbeat !== null) clearInterval(heartbeat);
      client.close();
    },
  };
}

/** The core's view of this node in the controller's report shape. */
export function reportOf(status: NodeStatus, readiness: Readiness | null): NodeReport {
  const r = readiness ?? status.readiness;
  const seen = Object.values(status.peer.last_seen_ms).filter((t): t is number => t !== null);
  return {
    state: status.state,
    wan_ok: status.wan_ok,
    hears_peer: status.peer.alive,
    version: VERSION,
    indicators: { connected: r.connected, keepalive: r.keepalive, same_version: r.same_version },
    wan: [],
    // last_seen_ms is on the agent's monotonic clock; the controller wants epoch ms.
    last_keepalive_at:
      seen.length === 0 ? null : Math.round(Date.now() - (performance.now() - Math.max(...seen))),
    action_results: [],
  };
}
