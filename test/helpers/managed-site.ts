// A real controller on a store file, with one site whose two nodes are added and hold enrollment tokens: the
// set-up of every test that runs real `tandem agent` processes against a controller (managed settings,
// the controller end to end, the dashboard's operations). The controller can be closed and opened again
// on the same port and store, as an outage.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  type ControllerOptions,
  type RunningController,
  startController,
} from '../../src/controller/server.js';
import { until } from '../actions/aws/pair-harness.js';

export interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** One node's place on the site: its management address and native range. */
export interface NodeSlot {
  readonly mgmt_ip: string;
  readonly subnet: string;
}

export class TestController {
  readonly admin = randomBytes(24).toString('hex');
  #running: RunningController | null = null;
  #port = 0;

  constructor(
    readonly dir: string,
    private readonly options: Partial<ControllerOptions> = {},
  ) {}

  get url(): string {
    if (this.#running === null) throw new Error('the controller is not running');
    return this.#running.url;
  }

  /** Starts it on its previous port (any free one the first time) and store. */
  async open(): Promise<void> {
    this.#running = await startController({
      store_url: join(this.dir, 'controller.db'),
      admin_token: this.admin,
      listen: { host: '127.0.0.1', port: this.#port },
      sweep_interval_ms: 200,
      ...this.options,
    });
    this.#port = Number(new URL(this.#running.url).port);
  }

  async close(): Promise<void> {
    await this.#running?.close();
    this.#running = null;
  }

  /** An API call as the admin (or `token`); a generous timeout, as the host may be loaded. */
  async call(method: string, path: string, body?: unknown, token = this.admin): Promise<Reply> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(40_000),
    });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> };
  }

  /** Creates the site and adds node a as primary and b as secondary: the site's id and their tokens. */
  async sitePair(
    site: Record<string, unknown>,
    nodes: Readonly<Record<'a' | 'b', NodeSlot>>,
    model = 'vm',
  ): Promise<{ site_id: string; tokens: Record<'a' | 'b', string> }> {
    const created = await this.call('POST', '/api/v1/sites', site);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const site_id = String(created.body.id);
    const tokens = { a: '', b: '' };
    for (const [node, role] of [
      ['a', 'primary'],
      ['b', 'secondary'],
    ] as const) {
      const added = await this.call('POST', `/api/v1/sites/${site_id}/nodes`, {
        role,
        model,
        ...nodes[node],
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      tokens[node] = String(added.body.enrollment_token);
    }
    return { site_id, tokens };
  }

  /** Waits until both nodes report running the site's settings `version`. */
  async bothApplied(site_id: string, version: number): Promise<void> {
    type Node = { settings: { applied_version: number | null } | null } | null;
    await until(
      `both nodes run settings v${version}`,
      async () => {
        const nodes = (await this.call('GET', `/api/v1/sites/${site_id}`)).body.nodes as Record<string, Node>;
        return [nodes.primary, nodes.secondary].every((n) => n?.settings?.applied_version === version);
      },
      30_000,
    );
  }
}

/** Node a in 10.0.1.0/24 and b in 10.0.2.0/24, as the simulated EC2's two subnets. */
export const TWO_SUBNETS: Readonly<Record<'a' | 'b', NodeSlot>> = {
  a: { mgmt_ip: '10.0.1.10', subnet: '10.0.1.0/24' },
  b: { mgmt_ip: '10.0.2.10', subnet: '10.0.2.0/24' },
};
