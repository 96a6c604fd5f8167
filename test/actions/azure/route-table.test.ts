// azure-route-table through the SDK's client pipeline against the simulator over HTTPS: next hops rewritten in
// parallel and read back, a new route for a missing prefix, 409/429/5xx, drift repair, no fight with the peer.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { ArbiterReport } from '../../../src/actions/kit/arbiter.js';
import type { Sim } from '../../../src/sim/server.js';
import { startTestSim } from '../../sim/helpers.js';
import { A_IP, B_IP, caFile, driver, nextHops, routeSpec } from './fixtures.js';

const CTX = { deadline_ms: 30_000 };
const PREFIXES = ['0.0.0.0/0', '192.168.50.0/24'];

describe('azure-route-table', () => {
  let sim: Sim;
  let ca: string;
  before(async () => {
    sim = await startTestSim();
    ca = caFile(sim);
  });
  after(() => sim.close());

  it('points every configured prefix at our primary IP (creating a missing route), reads it back, and back again', async () => {
    const b = driver(sim, 'node-b', routeSpec(sim, 'node-b', ca));
    const a = driver(sim, 'node-a', routeSpec(sim, 'node-a', ca));
    assert.equal((await b.observe(CTX)).target, 'peer', 'the default route is at node-a');
    const phases: string[] = [];
    const result = await b.claim({ ...CTX, progress: (p) => phases.push(p.phase) });
    assert.equal(result.ok, true, JSON.stringify(result));
    const hops = nextHops(sim);
    for (const p of PREFIXES) assert.equal(hops[p], B_IP, p);
    assert.deepEqual(phases, ['routes-update', 'confirmed']);
    assert.equal((await b.observe(CTX)).target, 'self');
    assert.equal((await a.observe(CTX)).target, 'peer');
    assert.equal((await a.claim(CTX)).ok, true);
    for (const p of PREFIXES) assert.equal(nextHops(sim)[p], A_IP, p);
  });

  it('409, 429 (Retry-After) and 5xx on the route writes are retried; every route lands', async () => {
    const write = 'Microsoft.Network/routeTables/routes/write';
    for (const [node, ip, c] of [
      ['node-b', B_IP, { error_status: 409, error_code: 'AnotherOperationInProgress' }],
      ['node-a', A_IP, { error_status: 429, error_code: 'TooManyRequests', retry_after_s: 0 }],
      ['node-b', B_IP, { error_status: 503, error_code: 'ServiceUnavailable' }],
    ] as const) {
      sim.faults.set({ action: write, error_rate: 0.5, ...c });
      const mark = sim.calls.last_seq();
      const result = await driver(sim, node, routeSpec(sim, node, ca)).claim(CTX);
      sim.faults.clear();
      assert.equal(result.ok, true, `${c.error_code}: ${JSON.stringify(result)}`);
      assert.ok(
        sim.calls.list({ since_seq: mark }).some((x) => x.status === c.error_status),
        c.error_code,
      );
      for (const p of PREFIXES) assert.equal(nextHops(sim)[p], ip, `${c.error_code} ${p}`);
    }
  });

  it('a missing permission fails at once with AZURE_FORBIDDEN', async () => {
    const result = await driver(sim, 'readonly', routeSpec(sim, 'node-a', ca)).claim(CTX);
    assert.equal(!result.ok && result.error.code, 'AZURE_FORBIDDEN');
  });

  it('while active: a third party’s next hop is repaired; the peer’s claim is reported as split brain, not fought', async () => {
    const reports: ArbiterReport[] = [];
    const b = driver(sim, 'node-b', routeSpec(sim, 'node-b', ca, { observe_interval_ms: 200 }), {
      log: pino({ level: 'silent' }),
      report: (r) => reports.push(r),
    });
    assert.equal((await b.claim(CTX)).ok, true);
    const table = Object.values(sim.state.azure.data.route_tables).find((t) => t.name === 'rt-lan')!;
    const route = table.routes.find((r) => r.address_prefix === '0.0.0.0/0')!;
    route.next_hop_ip = '10.1.1.50';
    route.applied = { ...route.applied!, next_hop_ip: '10.1.1.50' };
    const until = async (what: string, ok: () => boolean): Promise<void> => {
      for (let i = 0; i < 300 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(ok(), what);
    };
    await until('drift repaired', () => reports.some((r) => r.kind === 'drift-repaired' && r.ok));
    assert.equal(nextHops(sim)['0.0.0.0/0'], B_IP);
    const a = driver(sim, 'node-a', routeSpec(sim, 'node-a', ca));
    assert.equal((await a.claim(CTX)).ok, true);
    await until('split brain reported', () => reports.some((r) => r.kind === 'split-brain'));
    await new Promise((r) => setTimeout(r, 1000));
    for (const p of PREFIXES) assert.equal(nextHops(sim)[p], A_IP, 'node-b did not fight');
    b.close();
  });
});
