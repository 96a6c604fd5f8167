// Pathwatch's Azure routes through @azure/arm-network against the simulator over HTTPS: the user-defined route
// to the VPN appliance overrides the gateway's BGP route and deleting it hands the traffic back; several tables
// and prefixes at once; foreign routes reported, not overwritten unless configured; 429 retried; the preflight
// tells the generated role from a reader's; and the managed identity comes from the VM's simulated IMDS.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { AzurePathRoutes } from '../../src/pathwatch/azure-routes.js';
import type { AzureRouteSpec } from '../../src/pathwatch/config-schema.js';
import { createPathRoutes } from '../../src/pathwatch/registry.js';
import { runAll, viewAll } from '../../src/pathwatch/routes.js';
import type { Sim } from '../../src/sim/server.js';
import { simCredential } from '../sim/helpers.js';
import {
  azureRoutes,
  caFileOf,
  effectiveAzure,
  FIREWALL_IP,
  ONPREM,
  ONPREM_2,
  RT_1,
  RT_2,
  startAzureSim,
  udrs,
  VPN_IP,
} from './azure-fixtures.js';
import { FAST_RETRY } from './fixtures.js';

const CTX = { deadline_ms: 10_000 };
const log = pino({ level: process.env.TANDEM_TEST_LOG ?? 'silent' });
const VIA_VPN = `VirtualAppliance ${VPN_IP}`;

describe('pathwatch azure routes', () => {
  let sim: Sim;
  let ca: string;
  const sets: AzurePathRoutes[] = [];
  before(async () => {
    sim = await startAzureSim();
    ca = caFileOf(sim);
  });
  after(async () => {
    for (const s of sets) s.close();
    await sim.close();
  });
  beforeEach(() => {
    sim.faults.clear();
    // Back to the start: no failover route anywhere (the spoke route in rt-app-1 is not ours and stays).
    for (const t of Object.values(sim.state.azure.data.route_tables))
      t.routes = t.routes.filter((r) => r.name === 'spoke');
  });
  const routes = (extra: Partial<AzureRouteSpec> = {}, identity = 'pathwatch'): AzurePathRoutes => {
    const s = new AzurePathRoutes(azureRoutes(sim, ca, extra), {
      log,
      credential: simCredential(sim, identity),
      retry: { ...FAST_RETRY, attempts_max: 40 },
      poll_ms: 50,
    });
    sets.push(s);
    return s;
  };
  const foreign = (table: string, prefix: string, ip: string): void => {
    const t = Object.values(sim.state.azure.data.route_tables).find((x) => x.name === table)!;
    const spec = { address_prefix: prefix, next_hop_type: 'VirtualAppliance', next_hop_ip: ip };
    t.routes.push({
      id: `${t.id}/routes/manual`,
      name: 'manual',
      etag: 'W/"manual"',
      ...spec,
      provisioning_state: 'Succeeded',
      operation_id: undefined,
      applied: spec,
    });
  };

  it('failover writes a route per table and prefix at the VPN, beating BGP; failback deletes only those', async () => {
    const r = routes();
    assert.deepEqual(await r.view(CTX), { ours: 0, missing: 4, conflicts: [] });
    for (const t of [RT_1, RT_2]) assert.equal(effectiveAzure(sim, t), 'bgp');
    const claimed = await r.claim(CTX);
    assert.equal(claimed.ok, true, JSON.stringify(claimed));
    assert.deepEqual(await r.view(CTX), { ours: 4, missing: 0, conflicts: [] });
    for (const t of [RT_1, RT_2]) {
      assert.equal(effectiveAzure(sim, t), VIA_VPN, t);
      assert.equal(effectiveAzure(sim, t, '172.20.1.1'), VIA_VPN, t);
    }
    const released = await r.release(CTX);
    assert.equal(released.ok, true, JSON.stringify(released));
    for (const t of [RT_1, RT_2]) assert.equal(effectiveAzure(sim, t), 'bgp', t);
    assert.deepEqual(udrs(sim, RT_1), { '10.50.0.0/16': `VirtualAppliance ${FIREWALL_IP}` });
    assert.deepEqual(udrs(sim, RT_2), {});
  });

  it('routes already at the VPN count as done: a second failover writes nothing', async () => {
    const r = routes();
    assert.equal((await r.claim(CTX)).ok, true);
    const mark = sim.calls.last_seq();
    assert.equal((await r.claim(CTX)).ok, true);
    const writes = sim.calls.list({ since_seq: mark }).filter((c) => /write|delete/.test(c.action));
    assert.deepEqual(writes, []);
  });

  it('a route at another appliance is reported and left alone, and failback keeps it; overwrite replaces it', async () => {
    foreign(RT_2, ONPREM, FIREWALL_IP);
    const r = routes();
    const view = await r.view(CTX);
    assert.equal(view.ours, 0);
    assert.equal(view.missing, 3);
    assert.deepEqual(view.conflicts, [`${RT_2} ${ONPREM} → VirtualAppliance ${FIREWALL_IP}`]);
    assert.equal((await r.claim(CTX)).ok, true);
    assert.equal(udrs(sim, RT_2)[ONPREM], `VirtualAppliance ${FIREWALL_IP}`, 'not overwritten');
    assert.equal(udrs(sim, RT_2)[ONPREM_2], VIA_VPN);
    assert.equal((await r.release(CTX)).ok, true);
    assert.equal(udrs(sim, RT_2)[ONPREM], `VirtualAppliance ${FIREWALL_IP}`, 'not deleted');
    const o = routes({ on_conflict: 'overwrite' });
    assert.deepEqual((await o.view(CTX)).conflicts, []);
    assert.equal((await o.claim(CTX)).ok, true);
    assert.equal(udrs(sim, RT_2)[ONPREM], VIA_VPN, 'overwritten');
    assert.deepEqual(await o.view(CTX), { ours: 4, missing: 0, conflicts: [] });
  });

  it('429 (Retry-After) on the writes and the deletes is retried until every route lands and leaves', async () => {
    const r = routes();
    for (const [action, verb] of [
      ['Microsoft.Network/routeTables/routes/write', 'claim'],
      ['Microsoft.Network/routeTables/routes/delete', 'release'],
    ] as const) {
      sim.faults.set({
        action,
        error_rate: 0.5,
        error_status: 429,
        error_code: 'TooManyRequests',
        retry_after_s: 0,
      });
      const mark = sim.calls.last_seq();
      const result = await r[verb](CTX);
      sim.faults.clear();
      assert.equal(result.ok, true, `${verb}: ${JSON.stringify(result)}`);
      assert.ok(
        sim.calls.list({ since_seq: mark }).some((c) => c.status === 429),
        `${verb} saw a 429`,
      );
    }
    for (const t of [RT_1, RT_2]) assert.equal(effectiveAzure(sim, t), 'bgp');
  });

  it('preflight: the generated role passes; a reader is told which route permissions it lacks', async () => {
    const ok = await routes().preflight(CTX);
    assert.deepEqual(
      ok.filter((c) => c.status !== 'ok'),
      [],
      JSON.stringify(ok),
    );
    assert.ok(ok.some((c) => c.check.startsWith('permissions for the writes')));
    assert.ok(!ok.some((c) => c.check.includes('IP forwarding')), 'our own NIC need not forward');
    const denied = await routes({}, 'reader').preflight(CTX);
    const perm = denied.find((c) => c.status === 'missing-permission');
    assert.ok(perm, JSON.stringify(denied));
    assert.match(perm.detail ?? '', /routeTables\/routes\/delete/);
    assert.match(perm.detail ?? '', /routeTables\/routes\/write/);
    assert.match(perm.fix ?? '', /azure-role/);
  });

  it('as the CLI builds it: two route entries, the managed identity from the VM’s IMDS, summed readings', async () => {
    const sets = await createPathRoutes(
      [
        azureRoutes(sim, ca, { route_tables: [RT_1], destinations: [ONPREM] }),
        azureRoutes(sim, ca, { route_tables: [RT_2], destinations: [ONPREM, ONPREM_2] }),
      ],
      { azure: { log } },
    );
    try {
      assert.deepEqual(await viewAll(sets, CTX), { view: { ours: 0, missing: 3, conflicts: [] } });
      assert.equal((await runAll(sets, 'claim', CTX)).ok, true);
      assert.deepEqual(await viewAll(sets, CTX), { view: { ours: 3, missing: 0, conflicts: [] } });
      assert.equal(effectiveAzure(sim, RT_1), VIA_VPN);
      assert.equal(effectiveAzure(sim, RT_2, '172.20.1.1'), VIA_VPN);
      assert.equal((await runAll(sets, 'release', CTX)).ok, true);
      assert.equal(effectiveAzure(sim, RT_1), 'bgp');
      assert.equal(effectiveAzure(sim, RT_2, '172.20.1.1'), 'bgp');
    } finally {
      for (const s of sets) s.close();
    }
  });
});
