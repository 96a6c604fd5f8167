// End to end: two `tandem agent` processes with azure-route-table and azure-floating-ip against the simulator
// (ARM over HTTPS, managed identity and metadata from the simulated IMDS). Kill the active: the next hops
// switch first and the floating IP follows; preemption moves both back.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Sim } from '../../../src/sim/server.js';
import { startTestSim, testScenario } from '../../sim/helpers.js';
import { type NodeName, Pair, until } from '../aws/pair-harness.js';
import { A_IP, B_IP, caFile, FLOAT, holders, nextHops } from './fixtures.js';

const PREFIXES = ['0.0.0.0/0', '192.168.50.0/24'];

describe('azure pair end to end (two agent processes, simulated ARM)', () => {
  let sim: Sim;
  let pair: Pair;
  before(async () => {
    sim = await startTestSim({
      scenario: testScenario((s) => {
        // Long enough that the order (routes first, floating IP after) is plain on a loaded host.
        s.azure!.nic_update_delay_ms = 2500;
        s.azure!.route_update_delay_ms = 100;
      }),
    });
    const ca = caFile(sim);
    const conn = (node: NodeName) => ({
      arm_endpoint: sim.azure_url,
      arm_ca_file: ca,
      imds_url: sim.imds_urls[`azure/node-${node}`],
      observe_interval_ms: 1000,
    });
    pair = new Pair({
      sim,
      tables: 0,
      interval_ms: 200,
      dead_multiplier: 3,
      actions: (node) => [
        {
          kind: 'azure-route-table',
          name: 'lan-routes',
          route_tables: ['rt-lan'],
          prefixes: PREFIXES,
          peer_next_hop: node === 'a' ? B_IP : A_IP,
          ...conn(node),
        },
        {
          kind: 'azure-floating-ip',
          name: 'floating-ip',
          address: FLOAT,
          peer_nic: node === 'a' ? 'node-b-nic' : 'node-a-nic',
          ...conn(node),
        },
      ],
    });
  });
  after(async () => {
    await pair.stop();
    await sim.close();
  });

  const routesAt = (ip: string): boolean => PREFIXES.every((p) => nextHops(sim)[p] === ip);
  const floatAt = (nic: string): boolean => holders(sim, FLOAT).join() === nic;

  it('kill the active: next hops switch first, the floating IP follows; preemption moves both back', async () => {
    const a = pair.start('a');
    const b = pair.start('b');
    await until('node a active', async () => (await a.state()) === 'active', 45_000);
    await until('node b standby', async () => (await b.state()) === 'standby', 30_000);
    await until('routes and floating IP at node a', () => routesAt(A_IP) && floatAt('node-a-nic'), 30_000);

    a.kill('SIGKILL');
    await a.exited;
    let routes_ms = 0;
    let float_ms = 0;
    const t0 = performance.now();
    await until(
      'routes and floating IP at node b',
      () => {
        if (routes_ms === 0 && routesAt(B_IP)) routes_ms = performance.now() - t0;
        if (float_ms === 0 && floatAt('node-b-nic')) float_ms = performance.now() - t0;
        return routes_ms > 0 && float_ms > 0;
      },
      60_000,
    );
    assert.ok(
      routes_ms < float_ms,
      `routes first (${Math.round(routes_ms)} ms), then the floating IP (${Math.round(float_ms)} ms)`,
    );
    assert.equal(await b.state(), 'active');
    // The survivor's progress was logged while the NIC updates ran, and its calls carry its managed identity.
    assert.ok(b.logged('action progress').some((l) => l.phase === 'peer-nic-update'));
    const writers = new Set(
      sim.calls.list({ action: 'Microsoft.Network/networkInterfaces/write' }).map((c) => c.identity),
    );
    assert.ok(writers.has('node-b'), [...writers].join(','));

    const a2 = pair.start('a');
    await until('node a active again (preemption)', async () => (await a2.state()) === 'active', 45_000);
    await until(
      'routes and floating IP back at node a',
      () => routesAt(A_IP) && floatAt('node-a-nic'),
      60_000,
    );
    await until('node b standby again', async () => (await b.state()) === 'standby', 10_000);
    const since = sim.calls.last_seq();
    await new Promise((r) => setTimeout(r, 2500));
    assert.ok(routesAt(A_IP) && floatAt('node-a-nic'), 'and they stay');
    const writes = sim.calls.list({ since_seq: since }).filter((c) => c.action.endsWith('/write'));
    assert.equal(writes.length, 0, JSON.stringify(writes));
  });
});
