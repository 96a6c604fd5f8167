// A controller that manages, against a real controller, two real `tandem agent` processes and the simulated
// EC2: the site's route tables reach the agents and the next failover writes them; a setting the agent
// refuses is shown on the site while the agent runs on the previous one; the API test tells a missing
// permission on one node from OK on the other; a switchover refused for an unfit peer says so; the agent
// keeps its last good settings across a restart while the controller is down; a removed secondary
// releases and goes disabled.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { policyFor } from '../../src/actions/aws/iam-policy.js';
import type { Sim } from '../../src/sim/server.js';
import {
  driver,
  ENI_A,
  ENI_B,
  IGW,
  nodeSpecs,
  OVERLAY,
  routeSpec,
  simPolicy,
  startTestSim,
  tableId,
} from '../actions/aws/fixtures.js';
import { Pair, targets, until } from '../actions/aws/pair-harness.js';
import { TestController, TWO_SUBNETS } from '../helpers/managed-site.js';

/** The simulated VPC's tables; node-b's role covers only the first three (the API test finds the fourth). */
const TABLES = 4;
const DESTS = ['0.0.0.0/0', OVERLAY];
const tables = (n: number): string[] => Array.from({ length: n }, (_, i) => tableId(i));

interface SiteNode {
  id: string;
  settings: {
    applied_version: number | null;
    refused: { version: number; issues: { path: string }[] } | null;
  };
}
interface SiteView {
  settings_version: number;
  ha_enabled: boolean;
  nodes: { primary: SiteNode | null; secondary: SiteNode | null };
  network: { native: { role: string }[] };
}

describe('a controller that manages (real controller, real agents, simulated EC2)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tda-managed-'));
  const ctl = new TestController(dir, { settings: { failover_after_ms: 500, stale_after_ms: 5000 } });
  const call = ctl.call.bind(ctl);
  let sim: Sim;
  let site_id = '';
  let pair: Pair;

  const site = async () => (await call('GET', `/api/v1/sites/${site_id}`)).body as unknown as SiteView;
  const setAws = async (route_tables: string[]) => {
    const r = await call('PATCH', `/api/v1/sites/${site_id}`, { aws: { route_tables, destinations: DESTS } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return (r.body as unknown as SiteView).settings_version;
  };
  const bothApplied = (version: number) => ctl.bothApplied(site_id, version);

  before(async () => {
    sim = await startTestSim(TABLES, (s) => {
      const b = s.identities?.find((i) => i.name === 'node-b');
      if (b) b.policy = simPolicy(policyFor(nodeSpecs('b', TABLES - 1)));
    });
    await ctl.open();
    const enrolled = await ctl.sitePair(
      { name: 'managed', kind: 'aws', aws: { route_tables: tables(2), destinations: DESTS } },
      TWO_SUBNETS,
    );
    site_id = enrolled.site_id;
    // The local YAML names one table: the fallback until the controller's settings arrive.
    pair = new Pair({
      sim,
      tables: 1,
      interval_ms: 200,
      dead_multiplier: 3,
      controller: { url: ctl.url, tokens: enrolled.tokens, managed: true, report_interval_ms: 500 },
    });
  });

  after(async () => {
    await pair?.stop();
    await ctl.close();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a route-table change in the controller reaches both agents; the active one writes the new table', async () => {
    pair.start('a');
    await until('node a active', async () => (await pair.nodes.a?.state()) === 'active', 30_000);
    pair.start('b');
    await bothApplied((await site()).settings_version);
    const v = await setAws(tables(3));
    await bothApplied(v);
    // The agent logs before it reports; the test reads its stdout asynchronously, so wait for the line.
    await until(
      `node a logs settings v${v} applied`,
      async () =>
        pair.nodes.a?.logged('managed settings applied').some((l) => l.settings_version === v) ?? false,
      5_000,
    );
    await until(
      'table 2 at node a',
      () => targets(sim, 3, DESTS).every((t) => t === `${ENI_A}:active`),
      20_000,
    );
    assert.equal(await pair.nodes.a?.state(), 'active', 'applied without losing the role');
  });

  it('a setting the agent refuses is shown on the site; the agent keeps running on the previous one', async () => {
    const before = (await site()).settings_version;
    // The controller accepts no route tables at all; the route-table driver needs at least one.
    const refused = await setAws([]);
    await until(
      'both nodes report the refusal',
      async () => {
        const s = await site();
        return [s.nodes.primary, s.nodes.secondary].every((n) => n?.settings?.refused?.version === refused);
      },
      30_000,
    );
    const s = await site();
    assert.equal(s.nodes.primary?.settings.applied_version, before, 'still on the previous version');
    assert.match(s.nodes.primary?.settings.refused?.issues[0]?.path ?? '', /route_tables/);
    const events = await call('GET', `/api/v1/events?site_id=${site_id}&type=settings-refused`);
    assert.equal((events.body.events as unknown[]).length, 2);
    assert.equal(await pair.nodes.a?.state(), 'active');
    await bothApplied(await setAws(tables(3)));
  });

  it('the API test shows a missing permission on one node and OK on the other', async () => {
    await bothApplied(await setAws(tables(4)));
    const t = await call('POST', `/api/v1/sites/${site_id}/api-test`, { wait_ms: 20_000 });
    assert.equal(t.status, 200, JSON.stringify(t.body));
    const nodes = t.body.nodes as Record<
      string,
      { status: string; checks: { status: string; fix?: string }[] }
    >;
    assert.equal(t.body.complete, true);
    assert.equal(nodes.primary?.status, 'ok');
    assert.equal(nodes.secondary?.status, 'failed');
    const missing = nodes.secondary?.checks.filter((c) => c.status === 'missing-permission') ?? [];
    assert.ok(missing.length > 0);
    assert.match(missing[0]?.fix ?? '', /ec2:(Replace|Create)Route/);
    const pre = t.body.prerequisites as { check: string; status: string }[];
    assert.ok(pre.some((p) => p.check.includes('separate subnets') && p.status === 'ok'));
    await bothApplied(await setAws(tables(3)));
  });

  it('a switchover refused because the peer is unfit returns that reason, and an event', async () => {
    const m = await call('POST', `/api/v1/sites/${site_id}/commands`, {
      command: 'maintenance-on',
      role: 'secondary',
      wait_ms: 20_000,
    });
    assert.equal(m.body.status, 'done', JSON.stringify(m.body));
    await until('node b in maintenance', async () => (await pair.nodes.b?.state()) === 'maintenance', 20_000);
    // The primary's view of its peer comes with the next keepalive: ask until it says the peer is unfit.
    let reason: unknown = null;
    await until(
      'a switchover refused for an unfit peer',
      async () => {
        const r = await call('POST', `/api/v1/sites/${site_id}/commands`, {
          command: 'switchover',
          wait_ms: 20_000,
        });
        reason = r.body.reason;
        return r.body.status === 'refused' && reason === 'peer-unfit';
      },
      30_000,
    );
    assert.equal(reason, 'peer-unfit');
    const events = await call('GET', `/api/v1/events?site_id=${site_id}&type=operator-command&limit=50`);
    const outcomes = (events.body.events as { details: { command: string; outcome: string } }[]).map(
      (e) => `${e.details.command}:${e.details.outcome}`,
    );
    assert.ok(outcomes.includes('switchover:refused'));
    const off = await call('POST', `/api/v1/sites/${site_id}/commands`, {
      command: 'maintenance-off',
      role: 'secondary',
      wait_ms: 20_000,
    });
    assert.equal(off.body.status, 'done');
    await until('node b standby', async () => (await pair.nodes.b?.state()) === 'standby', 20_000);
  });

  it('the next failover writes the new tables; the failover event carries the claim time node b reported', async () => {
    pair.nodes.a?.kill('SIGKILL');
    await until(
      'every table at node b',
      () => targets(sim, 3, DESTS).every((t) => t === `${ENI_B}:active`),
      20_000,
    );
    await until(
      'a failover event with a claim time',
      async () => {
        const e = await call('GET', `/api/v1/events?site_id=${site_id}&type=failover`);
        const first = (e.body.events as { details: { claim_ms: unknown } }[])[0];
        return typeof first?.details.claim_ms === 'number' && first.details.claim_ms > 0;
      },
      20_000,
    );
  });

  it('drift that node b repairs reaches the controller as a drift-repaired event', async () => {
    // A hand edit behind node b's back: table 1's default route sent to the internet gateway.
    const route = sim.state.routeTable(tableId(1)).routes.find((r) => r.destination === '0.0.0.0/0')!;
    route.target_kind = 'gateway';
    route.target_id = IGW;
    await until(
      'a drift-repaired event',
      async () => {
        const e = await call('GET', `/api/v1/events?site_id=${site_id}&type=drift-repaired`);
        return (e.body.events as unknown[]).length > 0;
      },
      30_000,
    );
    await until(
      'every table at node b again',
      () => targets(sim, 3, DESTS).every((t) => t === `${ENI_B}:active`),
      20_000,
    );
  });

  it('with the controller down, a restarted agent runs on its last good settings', async () => {
    const version = (await site()).settings_version;
    await ctl.close();
    const b = pair.nodes.b!;
    b.kill('SIGKILL');
    await b.exited;
    // Point table 2 back at node a: only settings from the stored copy name it (the YAML has table 0).
    const back = driver(sim, 'node-a', routeSpec('a', 3, { route_tables: [tableId(2)] }));
    assert.equal((await back.claim({ deadline_ms: 10_000 })).ok, true);
    back.close();
    const again = pair.start('b');
    await until('node b active again', async () => (await again.state()) === 'active', 30_000);
    assert.ok(
      again.logged('running on the last good managed settings').some((l) => l.settings_version === version),
    );
    await until(
      'table 2 at node b',
      () => targets(sim, 3, DESTS).every((t) => t === `${ENI_B}:active`),
      20_000,
    );
    await ctl.open();
  });

  it('removing the secondary: its agent releases and goes disabled; the site goes back to one node', async () => {
    const b = pair.nodes.b!;
    await until('node b reports again', async () => (await site()).nodes.secondary?.settings != null, 30_000);
    const removed = await call('DELETE', `/api/v1/sites/${site_id}/nodes/secondary`);
    assert.equal(removed.status, 200);
    await until('node b disabled', async () => (await b.state()) === 'disabled', 20_000);
    // The agent logs before it disables; the test reads its stdout asynchronously, so wait for the line.
    await until(
      'node b logs its removal',
      async () => b.logged('removed from its site by the controller').length >= 1,
      5_000,
    );
    const s = await site();
    assert.equal(s.ha_enabled, false);
    assert.deepEqual(
      s.network.native.map((n) => n.role),
      ['primary'],
    );
  });
});
