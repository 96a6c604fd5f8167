// Shared bits for controller tests: a store per test on SQLite or PostgreSQL, a JSON client,
// a fake clock and a report builder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../../src/controller/schema.js';
import {
  type ControllerOptions,
  type RunningController,
  startController,
} from '../../src/controller/server.js';
import { type PgServer, startPostgres } from './postgres.js';

export type StoreKind = 'sqlite' | 'postgres';
export const STORES: readonly StoreKind[] = ['sqlite', 'postgres'];

export class FakeClock {
  constructor(public ms = 1_700_000_000_000) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** One per test file and store kind: hands out fresh store URLs and cleans them all up. */
export class Stores {
  private pg: PgServer | null = null;
  private readonly dirs: string[] = [];
  constructor(readonly kind: StoreKind) {}

  async url(): Promise<string> {
    if (this.kind === 'postgres') {
      this.pg ??= await startPostgres({ fsync: false });
      return this.pg.createDatabase();
    }
    const dir = mkdtempSync(join(tmpdir(), 'tdctl-db-'));
    this.dirs.push(dir);
    return join(dir, 'controller.db');
  }

  cleanup(): void {
    this.pg?.stop();
    this.pg = null;
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}

export type Api = (
  method: string,
  path: string,
  body?: unknown,
  token?: string | null,
  // biome-ignore lint/suspicious/noExplicitAny: tests read JSON answers field by field and assert each one
) => Promise<{ status: number; body: any }>;

export function apiFor(base: string, default_token: string | null): Api {
  return async (method, path, body, token) => {
    const t = token === undefined ? default_token : token;
    const headers: Record<string, string> = {};
    if (t !== null) headers.authorization = `Bearer ${t}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? null : JSON.parse(text) };
  };
}

export interface Harness {
  readonly c: RunningController;
  readonly api: Api;
  readonly admin: string;
}

export async function harness(url: string, extra: Partial<ControllerOptions> = {}): Promise<Harness> {
  const c = await startController({ store_url: url, sweep_interval_ms: 0, ...extra });
  if (c.admin_token === null && extra.admin_token === undefined) throw new Error('expected a fresh store');
  const admin = extra.admin_token ?? c.admin_token!;
  return { c, api: apiFor(c.url, admin), admin };
}

let reportSeq = 0;
export function report(overrides: Partial<Report> = {}): Report {
  return {
    id: `r-${process.pid}-${++reportSeq}`,
    state: 'standby',
    wan_ok: true,
    hears_peer: true,
    version: '1.4.2',
    indicators: { connected: true, keepalive: true, same_version: true },
    wan: [{ name: 'wan1', up: true }],
    last_keepalive_at: null,
    action_results: [],
    ...overrides,
  };
}

/** A site with both nodes enrolled; returns the node ids and credentials. */
export async function pairSite(
  api: Api,
  name: string,
  kind: 'physical' | 'aws' | 'azure' = 'aws',
): Promise<{
  site_id: string;
  primary: { id: string; cred: string };
  secondary: { id: string; cred: string };
}> {
  const site = await api('POST', '/api/v1/sites', { name, kind });
  if (site.status !== 201) throw new Error(`site: ${JSON.stringify(site.body)}`);
  const site_id = site.body.id as string;
  const p = await api('POST', `/api/v1/sites/${site_id}/nodes`, {
    role: 'primary',
    model: 'v1',
    mgmt_ip: '10.0.3.10',
    subnet: '10.0.3.0/24',
  });
  const s = await api('POST', `/api/v1/sites/${site_id}/nodes`, {
    role: 'secondary',
    model: 'v1',
    mgmt_ip: '10.0.17.10',
    subnet: '10.0.17.0/24',
  });
  if (p.status !== 201 || s.status !== 201) throw new Error(`nodes: ${JSON.stringify([p.body, s.body])}`);
  const ep = await api('POST', '/api/v1/enroll', { enrollment_token: p.body.enrollment_token }, null);
  const es = await api('POST', '/api/v1/enroll', { enrollment_token: s.body.enrollment_token }, null);
  return {
    site_id,
    primary: { id: ep.body.node_id, cred: ep.body.credential },
    secondary: { id: es.body.node_id, cred: es.body.credential },
  };
}
