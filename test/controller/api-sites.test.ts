// Sites, nodes, ranges and their validation rules over HTTP, on SQLite and on PostgreSQL.
import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { type Harness, harness, pairSite, report, STORES, Stores } from '../helpers/controller.js';

for (const kind of STORES) {
  describe(`sites, nodes and ranges API on ${kind}`, () => {
    const stores = new Stores(kind);
    let h: Harness;
    beforeEach(async () => {
      h = await harness(await stores.url());
    });
    afterEach(async () => h.c.close());
    after(() => stores.cleanup());

    test('the OpenAPI document lists every API route and needs no token', async () => {
      const doc = await h.api('GET', '/openapi.json', undefined, null);
      assert.equal(doc.status, 200);
      assert.equal(doc.body.openapi, '3.1.0');
      assert.ok(doc.body.paths['/api/v1/sites/{site_id}/nodes'].post.requestBody);
      assert.ok(doc.body.paths['/api/v1/nodes/{node_id}/reports'].post);
      assert.ok(
        doc.body.paths['/api/v1/events'].get.parameters.some((p: { name: string }) => p.name === 'type'),
      );
    });

    test('a site is created, listed, read, renamed and deleted', async () => {
      const created = await h.api('POST', '/api/v1/sites', {
        name: 'hq',
        kind: 'aws',
        aws: { route_tables: ['rtb-0a1b2c3d'], destinations: ['0.0.0.0/0'] },
      });
      assert.equal(created.status, 201);
      assert.equal(created.body.ha_enabled, false);
      assert.deepEqual(created.body.cloud.aws.route_tables, ['rtb-0a1b2c3d']);
      const dup = await h.api('POST', '/api/v1/sites', { name: 'hq', kind: 'physical' });
      assert.equal(dup.status, 409);
      assert.equal(dup.body.error.code, 'conflict');
      const id = created.body.id;
      const list = await h.api('GET', '/api/v1/sites');
      assert.deepEqual(
        list.body.sites.map((s: { name: string }) => s.name),
        ['hq'],
      );
      const renamed = await h.api('PATCH', `/api/v1/sites/${id}`, { name: 'headquarters' });
      assert.equal(renamed.body.name, 'headquarters');
      assert.equal((await h.api('DELETE', `/api/v1/sites/${id}`)).status, 204);
      assert.equal((await h.api('GET', `/api/v1/sites/${id}`)).status, 404);
    });

    test('sites are paged by name', async () => {
      for (const n of ['c', 'a', 'b']) await h.api('POST', '/api/v1/sites', { name: n, kind: 'physical' });
      const p1 = await h.api('GET', '/api/v1/status?limit=2');
      assert.deepEqual(
        p1.body.sites.map((s: { name: string }) => s.name),
        ['a', 'b'],
      );
      const p2 = await h.api('GET', `/api/v1/status?limit=2&cursor=${p1.body.next_cursor}`);
      assert.deepEqual(
        p2.body.sites.map((s: { name: string }) => s.name),
        ['c'],
      );
      assert.equal(p2.body.next_cursor, null);
    });

    test('bad input is refused with a code and the path of the field', async () => {
      const missing = await h.api('POST', '/api/v1/sites', { kind: 'aws' });
      assert.equal(missing.status, 400);
      assert.equal(missing.body.error.code, 'invalid-request');
      const extra = await h.api('POST', '/api/v1/sites', { name: 'x', kind: 'aws', colour: 'red' });
      assert.equal(extra.status, 400);
      const wrongKind = await h.api('POST', '/api/v1/sites', {
        name: 'x',
        kind: 'physical',
        aws: { route_tables: [], destinations: [] },
      });
      assert.equal(wrongKind.status, 422);
      assert.equal(wrongKind.body.error.code, 'cloud-settings-mismatch');
      assert.equal(wrongKind.body.error.path, '/aws');
    });

    test('node IPs: outside the subnet, reserved, and a non-network subnet are refused', async () => {
      const site = await h.api('POST', '/api/v1/sites', { name: 'aws1', kind: 'aws' });
      const add = (body: object) =>
        h.api('POST', `/api/v1/sites/${site.body.id}/nodes`, { role: 'primary', model: 'vm', ...body });
      const outside = await add({ mgmt_ip: '10.0.4.10', subnet: '10.0.3.0/24' });
      assert.equal(outside.status, 422);
      assert.equal(outside.body.error.code, 'ip-outside-subnet');
      assert.equal(outside.body.error.path, '/mgmt_ip');
      for (const ip of ['10.0.3.0', '10.0.3.1', '10.0.3.2', '10.0.3.3', '10.0.3.255']) {
        const r = await add({ mgmt_ip: ip, subnet: '10.0.3.0/24' });
        assert.equal(r.body.error.code, 'ip-reserved', ip);
      }
      const subnet = await add({ mgmt_ip: '10.0.3.10', subnet: '10.0.3.5/24' });
      assert.equal(subnet.body.error.code, 'invalid-subnet');
      const ok = await add({ mgmt_ip: '10.0.3.4', subnet: '10.0.3.0/24' });
      assert.equal(ok.status, 201);
      assert.match(ok.body.enrollment_token, /^tde_/);
    });

    test('two physical nodes of different models are refused', async () => {
      const site = await h.api('POST', '/api/v1/sites', { name: 'branch', kind: 'physical' });
      const url = `/api/v1/sites/${site.body.id}/nodes`;
      await h.api('POST', url, {
        role: 'primary',
        model: 'X1600',
        mgmt_ip: '192.168.1.2',
        subnet: '192.168.1.0/24',
      });
      const mixed = await h.api('POST', url, {
        role: 'secondary',
        model: 'X1600-LTE',
        mgmt_ip: '192.168.1.3',
        subnet: '192.168.1.0/24',
      });
      assert.equal(mixed.status, 422);
      assert.equal(mixed.body.error.code, 'model-mismatch');
      const same = await h.api('POST', url, {
        role: 'secondary',
        model: 'X1600',
        mgmt_ip: '192.168.1.3',
        subnet: '192.168.1.0/24',
      });
      assert.equal(same.status, 201);
      const taken = await h.api('POST', url, {
        role: 'secondary',
        model: 'X1600',
        mgmt_ip: '192.168.1.4',
        subnet: '192.168.1.0/24',
      });
      assert.equal(taken.status, 409);
      assert.equal(taken.body.error.code, 'role-taken');
    });

    test('the secondary needs a primary first', async () => {
      const site = await h.api('POST', '/api/v1/sites', { name: 's', kind: 'aws' });
      const r = await h.api('POST', `/api/v1/sites/${site.body.id}/nodes`, {
        role: 'secondary',
        model: 'vm',
        mgmt_ip: '10.0.3.10',
        subnet: '10.0.3.0/24',
      });
      assert.equal(r.status, 409);
    });

    test('routed ranges: overlap refused, gateway computed and following the active node', async () => {
      const s = await pairSite(h.api, 'aws-site');
      const url = `/api/v1/sites/${s.site_id}/ranges`;
      const added = await h.api('POST', url, { name: 'apps', subnet: '10.0.25.0/24' });
      assert.equal(added.status, 201);
      assert.equal(added.body.routed[0].gateway, '10.0.3.1');
      assert.deepEqual(
        added.body.native.map((n: { gateway: string }) => n.gateway),
        ['10.0.3.1', '10.0.17.1'],
      );
      const overlap = await h.api('POST', url, { name: 'more', subnet: '10.0.0.0/16' });
      assert.equal(overlap.status, 422);
      assert.equal(overlap.body.error.code, 'ranges-overlap');
      const overNative = await h.api('POST', url, { name: 'lan', subnet: '10.0.17.128/25' });
      assert.equal(overNative.body.error.code, 'ranges-overlap');
      // Failover: the secondary is active, the routed range's next hop moves to its native gateway.
      await h.api(
        'POST',
        `/api/v1/nodes/${s.primary.id}/reports`,
        report({ state: 'fault' }),
        s.primary.cred,
      );
      await h.api(
        'POST',
        `/api/v1/nodes/${s.secondary.id}/reports`,
        report({ state: 'active' }),
        s.secondary.cred,
      );
      const net = await h.api('GET', `/api/v1/sites/${s.site_id}/network`);
      assert.equal(net.body.routed_via, 'secondary');
      assert.equal(net.body.routed[0].gateway, '10.0.17.1');
      const range_id = net.body.routed[0].id;
      assert.equal((await h.api('DELETE', `${url}/${range_id}`)).status, 204);
      assert.equal((await h.api('DELETE', `${url}/${range_id}`)).status, 404);
    });

    test('Azure: the floating IP must be inside the native range and replaces the local IP', async () => {
      const site = await h.api('POST', '/api/v1/sites', {
        name: 'az',
        kind: 'azure',
        azure: { floating_ip: null },
      });
      const id = site.body.id;
      await h.api('POST', `/api/v1/sites/${id}/nodes`, {
        role: 'primary',
        model: 'vm',
        mgmt_ip: '10.102.2.10',
        subnet: '10.102.2.0/24',
      });
      await h.api('POST', `/api/v1/sites/${id}/nodes`, {
        role: 'secondary',
        model: 'vm',
        mgmt_ip: '10.102.2.11',
        subnet: '10.102.2.0/24',
      });
      const outside = await h.api('PATCH', `/api/v1/sites/${id}`, { azure: { floating_ip: '10.102.9.200' } });
      assert.equal(outside.status, 422);
      assert.equal(outside.body.error.code, 'floating-ip-outside-range');
      const reserved = await h.api('PATCH', `/api/v1/sites/${id}`, { azure: { floating_ip: '10.102.2.3' } });
      assert.equal(reserved.body.error.code, 'ip-reserved');
      const ok = await h.api('PATCH', `/api/v1/sites/${id}`, { azure: { floating_ip: '10.102.2.200' } });
      assert.equal(ok.status, 200);
      assert.deepEqual(
        ok.body.network.native.map((n: { local_ip: string }) => n.local_ip),
        ['10.102.2.200', '10.102.2.200'],
      );
      // Unassigned: the primary alone keeps its own address, and its managed settings say HA is off.
      const before = ok.body.settings_version;
      const alone = await h.api('DELETE', `/api/v1/sites/${id}/nodes/secondary`);
      assert.deepEqual(
        alone.body.network.native.map((n: { local_ip: string }) => n.local_ip),
        ['10.102.2.10'],
      );
      assert.equal(alone.body.network.routed_via, 'primary');
      assert.ok(alone.body.settings_version > before, 'the change reaches the primary as a new version');
    });

    test('a node’s management IP can be changed, still validated', async () => {
      const s = await pairSite(h.api, 'mgmt');
      const ok = await h.api('PATCH', `/api/v1/sites/${s.site_id}/nodes/primary`, { mgmt_ip: '10.0.3.20' });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.nodes.primary.mgmt_ip, '10.0.3.20');
      const bad = await h.api('PATCH', `/api/v1/sites/${s.site_id}/nodes/primary`, { mgmt_ip: '10.0.3.255' });
      assert.equal(bad.body.error.code, 'ip-reserved');
    });

    test('AWS route destinations must be IPv4 CIDRs', async () => {
      const bad = await h.api('POST', '/api/v1/sites', {
        name: 'a',
        kind: 'aws',
        aws: { route_tables: ['rtb-0123abcd'], destinations: ['10.0.0.0/33'] },
      });
      assert.equal(bad.status, 422);
      assert.equal(bad.body.error.code, 'invalid-subnet');
      assert.equal(bad.body.error.path, '/aws/destinations/0');
      const badRtb = await h.api('POST', '/api/v1/sites', {
        name: 'a',
        kind: 'aws',
        aws: { route_tables: ['rt-1'], destinations: [] },
      });
      assert.equal(badRtb.status, 400);
    });

    test("tunables: bounded as the agent's keys, merged key by key, and in each node's managed settings", async () => {
      const site = await pairSite(h.api, 'timers', 'physical');
      const url = `/api/v1/sites/${site.site_id}`;
      const before = (await h.api('GET', url)).body.settings_version as number;
      const set = await h.api('PATCH', url, { tunables: { interval_ms: 250, preempt: false } });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      assert.deepEqual(set.body.tunables, { interval_ms: 250, preempt: false });
      assert.ok(set.body.settings_version > before);
      const merged = await h.api('PATCH', url, { tunables: { preempt: null, dead_multiplier: 5 } });
      assert.deepEqual(merged.body.tunables, { interval_ms: 250, dead_multiplier: 5 });
      const renamed = await h.api('PATCH', url, { name: 'timers-2' });
      assert.equal(renamed.body.settings_version, merged.body.settings_version, 'a rename tells no node');
      for (const [tunables, path] of [
        [{ interval_ms: 19 }, '/tunables/interval_ms'],
        [{ interval_ms: 1.5 }, '/tunables/interval_ms'],
        [{ dead_multiplier: 101 }, '/tunables/dead_multiplier'],
        [{ preempt_delay_ms: 100 }, '/tunables/preempt_delay_ms'],
        [{ interval_ms: 60_000, dead_multiplier: 11 }, '/tunables/dead_multiplier'],
      ] as const) {
        const r = await h.api('PATCH', url, { tunables });
        assert.equal(r.status, 400, JSON.stringify(tunables));
        assert.equal(r.body.error.path, path, JSON.stringify(r.body));
      }
      const range = await h.api('POST', `${url}/ranges`, { name: 'lan-b', subnet: '10.40.0.0/16' });
      assert.equal(range.status, 201);
      const config = await h.api(
        'GET',
        `/api/v1/nodes/${site.secondary.id}/config`,
        undefined,
        site.secondary.cred,
      );
      assert.equal(config.status, 200);
      assert.deepEqual(config.body.managed.tunables, { interval_ms: 250, dead_multiplier: 5 });
      assert.deepEqual(config.body.managed.network, { routed: ['10.40.0.0/16'], gateway: '10.0.17.1' });
    });
  });
}
