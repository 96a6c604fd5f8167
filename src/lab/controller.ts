// The lab's controller: the real one, in this process, on an SQLite file in the lab's folder, with a
// webhook receiver here too so that notifications are really delivered. The lab talks to it over its
// HTTP API like any operator would.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { type RunningController, startController } from '../controller/server.js';
import { REPORT_INTERVAL_MS } from './nodes.js';
import type { CloudSettings, LabTiming } from './types.js';

export interface SiteStatusView {
  readonly ready: boolean;
  readonly active: string;
  readonly split_brain: boolean;
}

export interface LabController {
  readonly url: string;
  readonly admin_token: string;
  readonly viewer_token: string;
  readonly site_id: string;
  readonly webhook_url: string;
  enrollment(role: 'primary' | 'secondary'): string;
  status(): Promise<SiteStatusView>;
  /** Events recorded for the site, oldest first. */
  events(): Promise<LabEvent[]>;
  /** Changes the site's cloud settings (what the nodes' managed `cloud` part follows); the new version. */
  patchCloud(cloud: CloudSettings): Promise<number>;
  /** POST /sites/:id/api-test: both nodes run their preflight; each node's verdict. */
  apiTest(): Promise<{ primary: string | null; secondary: string | null; complete: boolean }>;
  /** Deliveries of events up to `last_event_id`: sent, still pending; and what the receiver got in all. */
  notifications(last_event_id: number): Promise<{ sent: number; pending: number; received: number }>;
  close(): Promise<void>;
}

export interface LabEvent {
  readonly id: number;
  readonly type: string;
  readonly at: number;
  readonly details: Record<string, unknown>;
}

export interface LabSite {
  readonly kind: 'aws' | 'physical' | 'azure';
  readonly cloud?: CloudSettings;
  readonly nodes: Record<'primary' | 'secondary', { mgmt_ip: string; subnet: string }>;
}

export async function startLabController(
  dir: string,
  timing: LabTiming,
  site: LabSite,
): Promise<LabController> {
  const receiver = await startReceiver();
  // Scaled to the lab's interval: a killed node must go stale before its survivor claims, or the
  // controller would show both active for the whole stale time (30 s by default).
  // At least three report intervals, so that a live node never looks stale between two reports.
  const stale_after_ms = Math.max(3 * REPORT_INTERVAL_MS, 2 * timing.interval_ms);
  // The reference's 35 s, scaled down: the lab's failover lasts a few seconds and must be an event,
  // recorded once the survivor's claim is reported (an Azure floating IP takes over a second).
  const failover_after_ms = Math.max(3000, 5 * timing.interval_ms);
  let c: RunningController;
  try {
    c = await startController({
      store_url: join(dir, 'controller.sqlite'),
      settings: { stale_after_ms, failover_after_ms },
      sweep_interval_ms: Math.max(50, Math.round(timing.interval_ms / 4)),
      outbox: { poll_ms: 100, retry_base_ms: 200, retry_max_ms: 1000 },
    });
  } catch (err) {
    await closeServer(receiver.server);
    throw err;
  }
  const admin_token = c.admin_token ?? '';
  const api = async <T>(method: string, path: string, body?: unknown, timeout_ms = 5000): Promise<T> => {
    const res = await fetch(`${c.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${admin_token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeout_ms),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`controller ${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
    return (text === '' ? {} : JSON.parse(text)) as T;
  };
  try {
    const created = await api<{ id: string }>('POST', '/api/v1/sites', {
      name: 'lab-pair',
      kind: site.kind,
      ...site.cloud,
    });
    const site_id = created.id;
    const tokens: Record<string, string> = {};
    for (const role of ['primary', 'secondary'] as const) {
      const n = await api<{ enrollment_token: string }>('POST', `/api/v1/sites/${site_id}/nodes`, {
        role,
        model: 'lab-node',
        ...site.nodes[role],
      });
      tokens[role] = n.enrollment_token;
    }
    const viewer = await api<{ token: string }>('POST', '/api/v1/tokens', {
      name: 'lab viewer',
      scope: 'viewer',
    });
    const channel = await api<{ id: string }>('POST', '/api/v1/channels', {
      name: 'lab webhook',
      kind: 'webhook',
      url: receiver.url,
      secret: randomBytes(24).toString('base64url'),
    });
    await api('POST', '/api/v1/rules', {
      name: 'everything',
      event_types: [],
      site_ids: [],
      channel_id: channel.id,
    });
    return {
      url: c.url,
      admin_token,
      viewer_token: viewer.token,
      site_id,
      webhook_url: receiver.url,
      enrollment: (role) => tokens[role] ?? '',
      status: () => api<SiteStatusView>('GET', `/api/v1/sites/${site_id}/status`),
      events: async () => {
        const page = await api<{ events: LabEvent[] }>('GET', `/api/v1/events?site_id=${site_id}&limit=500`);
        return page.events.reverse();
      },
      patchCloud: async (cloud) =>
        (await api<{ settings_version: number }>('PATCH', `/api/v1/sites/${site_id}`, cloud))
          .settings_version,
      apiTest: async () => {
        type Node = { status: string } | null;
        const t = await api<{ complete: boolean; nodes: { primary: Node; secondary: Node } }>(
          'POST',
          `/api/v1/sites/${site_id}/api-test`,
          { wait_ms: 15_000 },
          20_000,
        );
        return {
          primary: t.nodes.primary?.status ?? null,
          secondary: t.nodes.secondary?.status ?? null,
          complete: t.complete,
        };
      },
      notifications: async (last_event_id) => {
        const d = await api<{ deliveries: { event_id: number; status: string }[] }>(
          'GET',
          '/api/v1/deliveries?limit=500',
        );
        const mine = d.deliveries.filter((x) => x.event_id <= last_event_id);
        return {
          sent: mine.filter((x) => x.status === 'sent').length,
          pending: mine.filter((x) => x.status === 'pending').length,
          received: receiver.count(),
        };
      },
      close: async () => {
        await c.close();
        await closeServer(receiver.server);
      },
    };
  } catch (err) {
    await c.close();
    await closeServer(receiver.server);
    throw err;
  }
}

/** A webhook endpoint that accepts and counts every notification. */
async function startReceiver(): Promise<{ server: Server; url: string; count(): number }> {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { server, url: `http://127.0.0.1:${port}/tandem-events`, count: () => received };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
