// `tandem agent` with a controller: two real agents enroll with one-time tokens, report, and the site
// shows Ready with the primary active. The controller then goes away during a failover: the pair
// fails over regardless, and when the controller is back the queued reports show the survivor active.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningController, startController } from '../../src/controller/server.js';
import type { Sim } from '../../src/sim/server.js';
import { ENI_B, startTestSim } from '../actions/aws/fixtures.js';
import { allAt, Pair, until } from '../actions/aws/pair-harness.js';

const ADMIN = randomBytes(24).toString('hex');
const TABLES = 2;

describe('tandem agent with a controller (real agents, real controller, simulated EC2)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tda-ctl-'));
  const store_url = join(dir, 'controller.db');
  let sim: Sim;
  let controller: RunningController;
  let port = 0;
  let site_id = '';
  let pair: Pair;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${controller.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return (await res.json()) as Record<string, unknown> & { [k: string]: never };
  };
  const status = async () =>
    (await api('GET', `/api/v1/sites/${site_id}/status`)) as unknown as {
      ready: boolean;
      active: string;
    };
  const open = async () => {
    controller = await startController({
      store_url,
      admin_token: ADMIN,
      listen: { host: '127.0.0.1', port },
      sweep_interval_ms: 200,
    });
    port = Number(new URL(controller.url).port);
  };

  before(async () => {
    sim = await startTestSim(TABLES);
    await open();
    const site = (await api('POST', '/api/v1/sites', { name: 'hq', kind: 'aws' })) as unknown as {
      id: string;
    };
    site_id = site.id;
    const tokens: Record<'a' | 'b', string> = { a: '', b: '' };
    for (const [node, role, ip] of [
      ['a', 'primary', '10.0.1.10'],
      ['b', 'secondary', '10.0.2.10'],
    ] as const) {
      const added = (await api('POST', `/api/v1/sites/${site_id}/nodes`, {
        role,
        model: 'vm',
        mgmt_ip: ip,
        subnet: `${ip.split('.').slice(0, 3).join('.')}.0/24`,
      })) as unknown as { enrollment_token: string };
      tokens[node] = added.enrollment_token;
    }
    pair = new Pair({
      sim,
      tables: TABLES,
      interval_ms: 200,
      dead_multiplier: 3,
      controller: { url: controller.url, tokens },
    });
  });

  after(async () => {
    await pair?.stop();
    await controller?.close();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('enrolls both nodes with their tokens and shows the site Ready with the primary active', async () => {
    const a = pair.start('a');
    pair.start('b');
    await until('the site is Ready', async () => (await status()).ready, 30_000);
    assert.equal((await status()).active, 'primary');
    assert.ok(a.logged('enrolled with the controller').length === 1);
  });

  it('fails over while the controller is down; the queued reports show the survivor once it is back', async () => {
    await controller.close();
    pair.nodes.a?.kill('SIGKILL');
    await until('every route at node b', () => allAt(sim, TABLES, pair.destinations, ENI_B), 20_000);
    assert.equal(await pair.nodes.b?.state(), 'active');
    await open();
    await until(
      'the controller shows the secondary active',
      async () => (await status()).active === 'secondary',
      30_000,
    );
    assert.equal((await status()).ready, false, 'one node is gone: Not Ready');
  });
});
