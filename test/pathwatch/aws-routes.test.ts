// Pathwatch's AWS routes through @aws-sdk/client-ec2 against the simulator: the static route overrides the
// propagated one and deleting it hands the traffic back; foreign routes are reported, not overwritten.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { AwsPathRoutes } from '../../src/pathwatch/aws-routes.js';
import type { AwsRouteSpec } from '../../src/pathwatch/config-schema.js';
import type { Sim } from '../../src/sim/server.js';
import {
  awsRoutes,
  ENI_OTHER,
  ENI_VPN,
  effective,
  FAST_RETRY,
  keysOf,
  ONPREM,
  RTB_1,
  RTB_2,
  startPathSim,
  VGW,
} from './fixtures.js';

const CTX = { deadline_ms: 5000 };

describe('pathwatch aws routes', () => {
  let sim: Sim;
  let sets: AwsPathRoutes[];
  beforeEach(async () => {
    sim = await startPathSim([awsRoutes(), awsRoutes({ on_conflict: 'overwrite' })]);
    sets = [];
  });
  afterEach(async () => {
    for (const s of sets) s.close();
    await sim.close();
  });
  const routes = (extra: Partial<AwsRouteSpec> = {}, identity = 'pathwatch'): AwsPathRoutes => {
    const s = new AwsPathRoutes(
      { ...awsRoutes(extra), endpoint: sim.aws_url },
      { retry: FAST_RETRY, credentials: keysOf(sim, identity) },
    );
    sets.push(s);
    return s;
  };

  it('failover creates the static route beside the propagated one, which it overrides; failback deletes only ours', async () => {
    const r = routes();
    assert.deepEqual(await r.view(CTX), { ours: 0, missing: 2, conflicts: [] });
    assert.equal(effective(sim, RTB_1), `${VGW} EnableVgwRoutePropagation`);
    const claimed = await r.claim(CTX);
    assert.equal(claimed.ok, true, JSON.stringify(claimed));
    assert.deepEqual(await r.view(CTX), { ours: 2, missing: 0, conflicts: [] });
    for (const t of [RTB_1, RTB_2]) assert.equal(effective(sim, t), `${ENI_VPN} CreateRoute`);
    // Both entries are listed, with different origins.
    const origins = sim.state
      .routeTable(RTB_1)
      .route_views.filter((v) => v.destination === ONPREM)
      .map((v) => v.origin);
    assert.deepEqual(origins.sort(), ['CreateRoute', 'EnableVgwRoutePropagation']);
    const released = await r.release(CTX);
    assert.equal(released.ok, true, JSON.stringify(released));
    for (const t of [RTB_1, RTB_2]) assert.equal(effective(sim, t), `${VGW} EnableVgwRoutePropagation`);
  });

  it('several remote networks in several tables: every route created, then every one deleted', async () => {
    const SECOND = '172.20.0.0/16';
    const r = routes({ destinations: [ONPREM, SECOND] });
    assert.deepEqual(await r.view(CTX), { ours: 0, missing: 4, conflicts: [] });
    assert.equal((await r.claim(CTX)).ok, true);
    for (const t of [RTB_1, RTB_2]) {
      assert.equal(effective(sim, t), `${ENI_VPN} CreateRoute`, t);
      assert.equal(effective(sim, t, '172.20.1.1'), `${ENI_VPN} CreateRoute`, t);
    }
    assert.equal((await r.release(CTX)).ok, true);
    for (const t of [RTB_1, RTB_2]) {
      assert.equal(effective(sim, t), `${VGW} EnableVgwRoutePropagation`, t);
      assert.equal(effective(sim, t, '172.20.1.1'), 'none', t);
    }
  });

  it('a route already at our ENI counts as done: a second failover writes nothing', async () => {
    const r = routes();
    await r.claim(CTX);
    const since = sim.calls.last_seq();
    assert.equal((await r.claim(CTX)).ok, true);
    const writes = sim.calls.list({ since_seq: since }).filter((c) => c.action !== 'DescribeRouteTables');
    assert.deepEqual(writes, []);
  });

  it('a static route to another appliance is reported and left alone; failback does not delete it', async () => {
    sim.state.aws.routeTable(RTB_2).routes.push({
      destination: ONPREM,
      target_kind: 'network-interface',
      target_id: ENI_OTHER,
      origin: 'CreateRoute',
    });
    const r = routes();
    assert.deepEqual(await r.view(CTX), {
      ours: 0,
      missing: 1,
      conflicts: [`${RTB_2} ${ONPREM} → ${ENI_OTHER}`],
    });
    assert.equal((await r.claim(CTX)).ok, true);
    assert.equal(effective(sim, RTB_1), `${ENI_VPN} CreateRoute`);
    assert.equal(effective(sim, RTB_2), `${ENI_OTHER} CreateRoute`);
    assert.equal((await r.release(CTX)).ok, true);
    assert.equal(effective(sim, RTB_2), `${ENI_OTHER} CreateRoute`);
  });

  it('with on_conflict: overwrite the foreign route is replaced (ReplaceRoute, which the policy then grants)', async () => {
    sim.state.aws.routeTable(RTB_2).routes.push({
      destination: ONPREM,
      target_kind: 'network-interface',
      target_id: ENI_OTHER,
      origin: 'CreateRoute',
    });
    const r = routes({ on_conflict: 'overwrite' });
    assert.deepEqual(await r.view(CTX), { ours: 0, missing: 2, conflicts: [] });
    const since = sim.calls.last_seq();
    assert.equal((await r.claim(CTX)).ok, true);
    const writes = sim.calls
      .list({ since_seq: since })
      .filter((c) => c.action !== 'DescribeRouteTables')
      .map((c) => c.action)
      .sort();
    assert.deepEqual(writes, ['CreateRoute', 'ReplaceRoute']);
    assert.equal(effective(sim, RTB_2), `${ENI_VPN} CreateRoute`);
  });

  it('throttling and server errors are retried until the route is confirmed', async () => {
    const r = routes();
    sim.faults.set({
      action: 'CreateRoute',
      error_rate: 0.6,
      error_status: 503,
      error_code: 'RequestLimitExceeded',
    });
    sim.faults.set({ action: 'DescribeRouteTables', error_rate: 0.3, error_status: 500 });
    const claimed = await r.claim(CTX);
    assert.equal(claimed.ok, true, JSON.stringify(claimed));
    const failed = sim.calls.list({}).filter((c) => c.status >= 500);
    assert.ok(failed.length > 0, 'the faults were injected');
    assert.equal(effective(sim, RTB_1), `${ENI_VPN} CreateRoute`);
  });

  it('a route deleted by someone else before our DeleteRoute lands is done, not an error', async () => {
    const r = routes();
    const twin = routes(); // a second watcher (a restarted process that overlapped) fails back at the same moment
    await r.claim(CTX);
    sim.faults.set({ action: 'DeleteRoute', latency_ms: 500 });
    const since = sim.calls.last_seq();
    const [a, b] = await Promise.all([r.release(CTX), twin.release(CTX)]);
    assert.equal(a.ok, true, JSON.stringify(a));
    assert.equal(b.ok, true, JSON.stringify(b));
    for (const t of [RTB_1, RTB_2]) assert.equal(effective(sim, t), `${VGW} EnableVgwRoutePropagation`);
    const deletes = sim.calls.list({ since_seq: since }).filter((c) => c.action === 'DeleteRoute');
    assert.deepEqual(deletes.map((c) => c.status).sort(), [200, 200, 400, 400]);
  });

  it('preflight: the generated policy passes; a reader identity gets the statement to add', async () => {
    const ok = await routes().preflight(CTX);
    assert.ok(
      ok.every((c) => c.status === 'ok'),
      JSON.stringify(ok),
    );
    assert.deepEqual(
      ok.map((c) => c.check.split(' ')[0]),
      ['ec2:DescribeRouteTables', 'ec2:CreateRoute', 'ec2:DeleteRoute', 'ec2:CreateRoute', 'ec2:DeleteRoute'],
    );
    const denied = await routes({}, 'reader').preflight(CTX);
    const missing = denied.filter((c) => c.status === 'missing-permission');
    assert.equal(missing.length, 4);
    assert.match(missing[0]?.fix ?? '', /"Action":"ec2:CreateRoute"/);
    const wrong = await routes({ route_tables: ['rtb-0000000000000dead'] }).preflight(CTX);
    assert.equal(wrong[0]?.status, 'wrong-id');
  });
});
