// The network ranges and the tunables a controller owns, against a real controller and two real `tandem
// agent` processes whose `route` actions write the kernel routes of a network namespace per node (each
// node's own appliance): a routed range added or removed in the controller reaches the active node's
// routes via its own native gateway without a restart or a role change, and after a failover the other
// node holds them via its gateway; timers changed in the controller reach both agents in place, with no
// failover meanwhile; a timer out of the agent's bounds is refused by the API.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Sim } from '../../src/sim/server.js';
import { startTestSim } from '../actions/aws/fixtures.js';
import { type NodeName, Pair, until } from '../actions/aws/pair-harness.js';
import { TestController, TWO_SUBNETS } from '../helpers/managed-site.js';
import { createLan, type Lan, nsExec } from '../helpers/netns.js';

/** Each node's native range (TWO_SUBNETS): its gateway, the first address, is the next hop of the routed ranges. */
const GATEWAY = { a: '10.0.1.1', b: '10.0.2.1' };

interface SiteNode {
  settings: { applied_version: number | null; refused: unknown } | null;
}
interface SiteView {
  settings_version: number;
  tunables: Record<string, unknown>;
  nodes: { primary: SiteNode | null; secondary: SiteNode | null };
  network: { routed: { id: string; subnet: string; gateway: string | null }[] };
}

describe('managed network ranges and tunables (real controller, real agents, kernel routes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tda-managed-net-'));
  const ctl = new TestController(dir, { settings: { failover_after_ms: 500, stale_after_ms: 5000 } });
  const call = ctl.call.bind(ctl);
  let sim: Sim;
  let lan: Lan;
  let site_id = '';
  let pair: Pair;

  const site = async () => (await call('GET', `/api/v1/sites/${site_id}`)).body as unknown as SiteView;
  const bothApplied = (version: number) => ctl.bothApplied(site_id, version);
  /** The routes of node's namespace other than its own connected range. */
  const routes = async (node: NodeName): Promise<string[]> =>
    (await nsExec(lan.host(node).ns, ['ip', 'route', 'show', 'proto', 'boot']).then((r) => r.stdout))
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.includes(' via '))
      .sort();
  const expected = (ranges: string[], node: NodeName) =>
    ranges.map((r) => `${r} via ${GATEWAY[node]} dev lan0`).sort();
  const stateChanges = (node: NodeName) => pair.nodes[node]?.logged('state change').length ?? 0;
  /** Every route change the kernel of node's namespace announces while `during` runs. */
  const routeEvents = async (node: NodeName, during: () => Promise<void>): Promise<string[]> => {
    const monitor = spawn('ip', ['-n', lan.host(node).ns, 'monitor', 'route'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    monitor.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    // `ip monitor` subscribes before it prints anything: give it a moment to be listening.
    await new Promise((r) => setTimeout(r, 300));
    try {
      await during();
    } finally {
      monitor.kill();
    }
    return out.split('\n').filter((l) => l.trim() !== '');
  };

  before(async () => {
    sim = await startTestSim(1);
    lan = await createLan({ hosts: ['a', 'b'] });
    // Each node's native range on its LAN port, so that its gateway is a next hop the kernel accepts.
    for (const node of ['a', 'b'] as const)
      await nsExec(lan.host(node).ns, [
        'ip',
        'addr',
        'add',
        `${TWO_SUBNETS[node].mgmt_ip}/24`,
        'dev',
        'lan0',
      ]);
    await ctl.open();
    const enrolled = await ctl.sitePair({ name: 'routed', kind: 'physical' }, TWO_SUBNETS, 'v1');
    site_id = enrolled.site_id;
    const range = await call('POST', `/api/v1/sites/${site_id}/ranges`, {
      name: 'r1',
      subnet: '10.50.0.0/16',
    });
    assert.equal(range.status, 201, JSON.stringify(range.body));
    pair = new Pair({
      sim,
      tables: 0,
      interval_ms: 200,
      dead_multiplier: 3,
      controller: {
        url: ctl.url,
        tokens: enrolled.tokens,
        managed: ['network', 'tunables'],
        report_interval_ms: 500,
      },
      // The YAML's list is the fallback until the controller's settings arrive: none, via the node's gateway.
      actions: (node) => [{ kind: 'route', destinations: [], via: GATEWAY[node], netns: lan.host(node).ns }],
    });
  });

  after(async () => {
    await pair?.stop();
    await ctl.close();
    await sim?.close();
    await lan?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the active node routes the site's ranges via its own gateway; a change reaches it in place", async () => {
    pair.start('a');
    await until('node a active', async () => (await pair.nodes.a?.state()) === 'active', 30_000);
    pair.start('b');
    await until('node b standby', async () => (await pair.nodes.b?.state()) === 'standby', 30_000);
    await bothApplied((await site()).settings_version);
    await until(
      'r1 at node a',
      async () => (await routes('a')).join() === expected(['10.50.0.0/16'], 'a').join(),
      10_000,
    );
    const changes = stateChanges('a');

    const adding = await routeEvents('a', async () => {
      const added = await call('POST', `/api/v1/sites/${site_id}/ranges`, {
        name: 'r2',
        subnet: '10.60.0.0/16',
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      await bothApplied((await site()).settings_version);
      await until(
        'r1 and r2 at node a',
        async () => (await routes('a')).join() === expected(['10.50.0.0/16', '10.60.0.0/16'], 'a').join(),
        10_000,
      );
    });
    // The range kept across the change never left the kernel, not even for a moment.
    assert.deepEqual(
      adding.filter((l) => l.startsWith('Deleted')),
      [],
      adding.join('\n'),
    );
    assert.ok(
      adding.some((l) => l.startsWith('10.60.0.0/16')),
      adding.join('\n'),
    );
    const r1 = (await site()).network.routed.find((r) => r.subnet === '10.50.0.0/16')!;
    const removed = await call('DELETE', `/api/v1/sites/${site_id}/ranges/${r1.id}`);
    assert.ok(removed.status < 300, JSON.stringify(removed.body));
    await bothApplied((await site()).settings_version);
    await until(
      'only r2 at node a',
      async () => (await routes('a')).join() === expected(['10.60.0.0/16'], 'a').join(),
      10_000,
    );

    assert.equal(await pair.nodes.a?.state(), 'active');
    assert.equal(stateChanges('a'), changes, 'the ranges changed without a role change');
    assert.deepEqual(await routes('b'), [], 'the standby holds no route');
  });

  it('timers changed in the controller reach both agents in place, with no failover meanwhile', async () => {
    const changes = { a: stateChanges('a'), b: stateChanges('b') };
    const patched = await call('PATCH', `/api/v1/sites/${site_id}`, {
      tunables: { interval_ms: 400, preempt_delay_ms: 2000 },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const view = patched.body as unknown as SiteView;
    assert.deepEqual(view.tunables, { interval_ms: 400, preempt_delay_ms: 2000 });
    await bothApplied(view.settings_version);
    for (const node of ['a', 'b'] as const) {
      const status = await fetchStatus(node);
      assert.equal(status.timers.interval_ms, 400, `node ${node} runs the new interval`);
      assert.equal(status.timers.preempt_delay_ms, 2000);
      assert.equal(status.timers.dead_multiplier, 3, "a key the site leaves unset stays the YAML's");
    }
    // Several dead intervals on the new timers: still one active, the same one, and nobody moved.
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(await pair.nodes.a?.state(), 'active');
    assert.equal(await pair.nodes.b?.state(), 'standby');
    assert.deepEqual(
      { a: stateChanges('a'), b: stateChanges('b') },
      changes,
      'no role change during the rollout',
    );

    // Cleared again (null): each node goes back to its YAML's interval.
    const cleared = await call('PATCH', `/api/v1/sites/${site_id}`, { tunables: { interval_ms: null } });
    assert.equal(cleared.status, 200, JSON.stringify(cleared.body));
    assert.deepEqual((cleared.body as unknown as SiteView).tunables, { preempt_delay_ms: 2000 });
    await bothApplied((cleared.body as unknown as SiteView).settings_version);
    assert.equal((await fetchStatus('b')).timers.interval_ms, 200);
    assert.deepEqual({ a: stateChanges('a'), b: stateChanges('b') }, changes);
  });

  it("a timer out of the agent's bounds is refused by the API, naming the field; nothing is bumped", async () => {
    const before = (await site()).settings_version;
    for (const [tunables, path] of [
      [{ interval_ms: 5 }, /interval_ms/],
      [{ interval_ms: 60_001 }, /interval_ms/],
      [{ dead_multiplier: 1 }, /dead_multiplier/],
      [{ preempt: 'yes' }, /preempt/],
      [{ preempt_delay_ms: 300 }, /preempt_delay_ms/],
      [{ interval_ms: 60_000, dead_multiplier: 11, preempt_delay_ms: null }, /dead_multiplier/],
      [{ keepalive_copies: 2 }, /keepalive_copies|additional/],
    ] as const) {
      const r = await call('PATCH', `/api/v1/sites/${site_id}`, { tunables });
      assert.ok(r.status >= 400 && r.status < 500, `${JSON.stringify(tunables)}: ${r.status}`);
      assert.match(JSON.stringify(r.body), path, JSON.stringify(r.body));
    }
    assert.equal((await site()).settings_version, before);
  });

  it('after a failover the other node holds the ranges via its own gateway', async () => {
    pair.nodes.a?.kill('SIGKILL');
    await until('node b active', async () => (await pair.nodes.b?.state()) === 'active', 30_000);
    await until(
      'r2 at node b',
      async () => (await routes('b')).join() === expected(['10.60.0.0/16'], 'b').join(),
      10_000,
    );
  });

  const fetchStatus = async (node: NodeName) => {
    const url = pair.nodes[node]?.statusUrl;
    assert.ok(url, `node ${node} has a status URL`);
    const res = await fetch(new URL('/status', url), { signal: AbortSignal.timeout(2000) });
    return ((await res.json()) as { status: { timers: Record<string, number> } }).status;
  };
});
