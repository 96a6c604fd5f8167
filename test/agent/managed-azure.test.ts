// Managed settings for an Azure site, against a real controller, two real `tandem agent` processes and the
// simulated ARM (HTTPS, managed identity from the simulated IMDS): the site's route tables and floating IP are
// laid over the agents' azure-route-table / azure-floating-ip actions (each registry says which fields are
// managed); a floating IP the agent refuses is shown on the site while it runs on the previous one; the API test
// lists the Azure prerequisites (IP forwarding, route tables used by a subnet, one subnet for the floating IP);
// a failover's floating-IP move reports its phases while it runs, and the failover event carries its confirmed
// time from the agent's report.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Sim } from '../../src/sim/server.js';
import { type NodeName, Pair, until } from '../actions/aws/pair-harness.js';
import { A_IP, B_IP, caFile, FLOAT, holders, nextHops } from '../actions/azure/fixtures.js';
import { TestController } from '../helpers/managed-site.js';
import { startTestSim, testScenario } from '../sim/helpers.js';

const PREFIXES = ['0.0.0.0/0', '192.168.50.0/24'];
/** A second floating IP the controller moves the site to. */
const FLOAT_2 = '10.1.1.101';

interface Phase {
  phase: string;
  elapsed_ms: number;
}
interface SiteNode {
  settings: {
    applied_version: number | null;
    refused: { version: number; issues: { path: string; message: string }[] } | null;
  } | null;
}
interface SiteView {
  settings_version: number;
  nodes: { primary: SiteNode | null; secondary: SiteNode | null };
  status: { nodes: { secondary: { progress: (Phase & { name: string; verb: string })[] } | null } };
}

describe('managed settings for an Azure site (real controller, real agents, simulated ARM)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tda-managed-az-'));
  const ctl = new TestController(dir, { settings: { failover_after_ms: 500, stale_after_ms: 5000 } });
  const call = ctl.call.bind(ctl);
  let sim: Sim;
  let site_id = '';
  let pair: Pair;

  const site = async () => (await call('GET', `/api/v1/sites/${site_id}`)).body as unknown as SiteView;
  const setAzure = async (azure: Record<string, unknown>) => {
    const r = await call('PATCH', `/api/v1/sites/${site_id}`, { azure });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return (r.body as unknown as SiteView).settings_version;
  };
  const bothApplied = (version: number) => ctl.bothApplied(site_id, version);
  const routesAt = (ip: string, table: string): boolean =>
    PREFIXES.every((p) => nextHops(sim, table)[p] === ip);

  before(async () => {
    sim = await startTestSim({
      scenario: testScenario((s) => {
        const az = s.azure!;
        // Long enough that a move is seen in flight by a report; short enough for the test's wall time.
        az.nic_update_delay_ms = 1500;
        // A second table the controller adds; its subnet is the one the appliances route for.
        az.route_tables!.push({
          name: 'rt-spoke',
          subnets: ['vnet1/mgmt'],
          routes: PREFIXES.map((prefix, i) => ({
            name: `r${i}`,
            prefix,
            next_hop_type: 'VirtualAppliance' as const,
            next_hop_ip: B_IP,
          })),
        });
        // node-b's NIC forgets IP forwarding: the API test's prerequisite fails on the secondary only.
        const nic = az.vms!.find((v) => v.name === 'node-b')!.nics[0]!;
        nic.enable_ip_forwarding = false;
      }),
    });
    await ctl.open();
    const enrolled = await ctl.sitePair(
      {
        name: 'managed-azure',
        kind: 'azure',
        azure: { floating_ip: FLOAT, route_tables: ['rt-lan'], prefixes: PREFIXES },
      },
      { a: { mgmt_ip: A_IP, subnet: '10.1.1.0/24' }, b: { mgmt_ip: B_IP, subnet: '10.1.1.0/24' } },
    );
    site_id = enrolled.site_id;
    const ca = caFile(sim);
    const conn = (node: NodeName) => ({
      arm_endpoint: sim.azure_url,
      arm_ca_file: ca,
      imds_url: sim.imds_urls[`azure/node-${node}`],
      observe_interval_ms: 1000,
    });
    // The YAML's own prefixes are a subset: the default route comes from the controller's settings only.
    pair = new Pair({
      sim,
      tables: 0,
      interval_ms: 200,
      dead_multiplier: 3,
      controller: { url: ctl.url, tokens: enrolled.tokens, managed: true, report_interval_ms: 500 },
      actions: (node) => [
        {
          kind: 'azure-route-table',
          name: 'lan-routes',
          route_tables: ['rt-lan'],
          prefixes: ['192.168.50.0/24'],
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
    await pair?.stop();
    await ctl.close();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the controller refuses an Azure route table name Azure would refuse, naming the path', async () => {
    const bad = await call('PATCH', `/api/v1/sites/${site_id}`, {
      azure: { floating_ip: FLOAT, route_tables: ['rt-lan', 'bad name!'], prefixes: PREFIXES },
    });
    assert.equal(bad.status, 400);
    assert.equal((bad.body.error as { path: string }).path, '/azure/route_tables/1');
    const twice = await call('PATCH', `/api/v1/sites/${site_id}`, {
      azure: { floating_ip: FLOAT, route_tables: ['rt-lan'], prefixes: ['10.0.0.0/8', '10.0.0.0/8'] },
    });
    assert.equal(twice.status, 400);
    assert.equal((twice.body.error as { path: string }).path, '/azure/prefixes/1');
  });

  it("the site's route tables and floating IP reach both agents; the active one writes them", async () => {
    pair.start('a');
    await until('node a active', async () => (await pair.nodes.a?.state()) === 'active', 45_000);
    pair.start('b');
    await bothApplied((await site()).settings_version);
    // 0.0.0.0/0 is in the controller's prefixes only.
    await until('rt-lan at node a', () => routesAt(A_IP, 'rt-lan'), 20_000);
    const v = await setAzure({
      floating_ip: FLOAT_2,
      route_tables: ['rt-lan', 'rt-spoke'],
      prefixes: PREFIXES,
    });
    await bothApplied(v);
    await until(
      'rt-spoke and the new floating IP at node a',
      () => routesAt(A_IP, 'rt-spoke') && holders(sim, FLOAT_2).join() === 'node-a-nic',
      30_000,
    );
    assert.equal(await pair.nodes.a?.state(), 'active', 'applied without losing the role');
  });

  it('a floating IP the agent refuses is shown on the site; the agent keeps the previous settings', async () => {
    const before = (await site()).settings_version;
    // The site drops its floating IP while the nodes still run an azure-floating-ip action: nothing to move.
    const refused = await setAzure({
      floating_ip: null,
      route_tables: ['rt-lan', 'rt-spoke'],
      prefixes: PREFIXES,
    });
    await until(
      'both nodes report the refusal',
      async () => {
        const s = await site();
        return [s.nodes.primary, s.nodes.secondary].every((n) => n?.settings?.refused?.version === refused);
      },
      30_000,
    );
    const s = await site();
    assert.equal(s.nodes.primary?.settings?.applied_version, before, 'still on the previous version');
    assert.match(s.nodes.primary?.settings?.refused?.issues[0]?.path ?? '', /address/);
    assert.equal(await pair.nodes.a?.state(), 'active');
    await bothApplied(
      await setAzure({ floating_ip: FLOAT_2, route_tables: ['rt-lan', 'rt-spoke'], prefixes: PREFIXES }),
    );
  });

  it('the API test lists the Azure prerequisites: IP forwarding off on the secondary only', async () => {
    const t = await call('POST', `/api/v1/sites/${site_id}/api-test`, { wait_ms: 25_000 });
    assert.equal(t.status, 200, JSON.stringify(t.body));
    assert.equal(t.body.complete, true, JSON.stringify(t.body));
    const nodes = t.body.nodes as Record<string, { status: string }>;
    assert.equal(nodes.primary?.status, 'ok');
    assert.equal(nodes.secondary?.status, 'failed');
    const pre = t.body.prerequisites as { check: string; status: string; fix?: string }[];
    const find = (prefix: string) => pre.filter((p) => p.check.startsWith(prefix));
    assert.deepEqual(
      find('primary: IP forwarding').map((p) => p.status),
      ['ok'],
    );
    const off = find('secondary: IP forwarding');
    assert.deepEqual(
      off.map((p) => p.status),
      ['failed'],
    );
    assert.match(off[0]?.fix ?? '', /--ip-forwarding true/);
    assert.deepEqual(
      find('primary: route table').map((p) => `${p.check}:${p.status}`),
      [
        'primary: route table rt-lan associated with a subnet:ok',
        'primary: route table rt-spoke associated with a subnet:ok',
      ],
    );
    assert.ok(pre.some((p) => p.check.startsWith('the two nodes share one subnet') && p.status === 'ok'));
  });

  it('a failover: the move reports its phases while it runs, and the failover event its confirmed time', async () => {
    pair.nodes.a?.kill('SIGKILL');
    const seen = new Set<string>();
    await until(
      'node b reports the floating-IP move in flight',
      async () => {
        for (const p of (await site()).status.nodes.secondary?.progress ?? [])
          if (p.name === 'floating-ip' && p.verb === 'claim') seen.add(p.phase);
        return seen.has('peer-nic-update') || seen.has('own-nic-update');
      },
      30_000,
    );
    await until(
      'routes and floating IP at node b',
      () =>
        routesAt(B_IP, 'rt-lan') &&
        routesAt(B_IP, 'rt-spoke') &&
        holders(sim, FLOAT_2).join() === 'node-b-nic',
      40_000,
    );
    type Claim = { name: string; ok: boolean; duration_ms: number; confirmed_ms: number | null };
    let claims: Claim[] = [];
    let claim_ms = 0;
    await until(
      'a failover event with both claims from node b',
      async () => {
        const e = await call('GET', `/api/v1/events?site_id=${site_id}&type=failover`);
        const first = (e.body.events as { details: { claim_ms: number; claims: Claim[] } }[])[0];
        claims = first?.details.claims ?? [];
        claim_ms = first?.details.claim_ms ?? 0;
        return claims.length === 2;
      },
      30_000,
    );
    const floating = claims.find((c) => c.name === 'floating-ip');
    const routes = claims.find((c) => c.name === 'lan-routes');
    assert.ok(floating?.ok && routes?.ok, JSON.stringify(claims));
    // Two NIC updates of 1.5 s each: the peer's remove, then our add (Azure refuses the add before).
    assert.ok((floating.confirmed_ms ?? 0) >= 3000, JSON.stringify(floating));
    assert.ok((floating.confirmed_ms ?? 0) <= floating.duration_ms);
    assert.ok(routes.duration_ms < floating.duration_ms, 'the routes switch first');
    assert.equal(claim_ms, floating.duration_ms, 'claim_ms: until all the traffic points at node b');
    const s = await site();
    assert.deepEqual(s.status.nodes.secondary?.progress, [], 'nothing in flight once confirmed');
  });
});
