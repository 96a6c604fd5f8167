// Bad input from anyone: addresses read by the one strict parser, JSON taken as sent (no coercion),
// bounded numbers, no 500 on an empty change, authentication before the body is even read, body
// limits and a request timeout. Parsing does not depend on the store: SQLite only.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { type Harness, harness, pairSite, report, Stores } from '../helpers/controller.js';

describe('strict input', () => {
  const stores = new Stores('sqlite');
  let h: Harness;
  beforeEach(async () => {
    h = await harness(await stores.url(), {
      listen: { host: '127.0.0.1', port: 0, request_timeout_ms: 400 },
    });
  });
  afterEach(async () => h.c.close());
  after(() => stores.cleanup());

  const node = (subnet: string, mgmt_ip = '10.0.3.10') => ({ role: 'primary', model: 'v1', mgmt_ip, subnet });

  test('octal, hex, integer and padded forms of subnets and IPs are refused, not reinterpreted', async () => {
    const site = await h.api('POST', '/api/v1/sites', { name: 's', kind: 'aws' });
    const id = site.body.id;
    for (const subnet of ['010.0.3.0/24', '0x0a.0.3.0/24', '167773952/24', '10.0.3.0/024', '10.3.0/24']) {
      const r = await h.api('POST', `/api/v1/sites/${id}/nodes`, node(subnet));
      assert.equal(r.status, 422, subnet);
      assert.equal(r.body.error.code, 'invalid-subnet', subnet);
      assert.equal(r.body.error.path, '/subnet');
      const range = await h.api('POST', `/api/v1/sites/${id}/ranges`, { name: 'r', subnet });
      assert.equal(range.status, 422, subnet);
    }
    for (const ip of ['010.0.3.10', '10.0.3.010', '0x0a.0.3.10', '10.0.778']) {
      const r = await h.api('POST', `/api/v1/sites/${id}/nodes`, node('10.0.3.0/24', ip));
      assert.equal(r.status, 400, ip);
      assert.equal(r.body.error.path, '/mgmt_ip');
    }
    const network = await h.api('GET', `/api/v1/sites/${id}/network`);
    assert.deepEqual(network.body, { native: [], routed: [], routed_via: null });
    // The canonical form goes through and is stored as typed.
    assert.equal((await h.api('POST', `/api/v1/sites/${id}/nodes`, node('10.0.3.0/24'))).status, 201);
  });

  test('AWS destinations are network addresses, each listed once', async () => {
    const aws = (destinations: string[]) => ({
      name: `a${Math.random()}`,
      kind: 'aws',
      aws: { route_tables: ['rtb-0a1b2c3d'], destinations },
    });
    const host = await h.api('POST', '/api/v1/sites', aws(['10.0.0.5/24']));
    assert.equal(host.status, 422);
    assert.equal(host.body.error.path, '/aws/destinations/0');
    assert.match(host.body.error.message, /10\.0\.0\.0\/24/);
    const dup = await h.api('POST', '/api/v1/sites', aws(['0.0.0.0/0', '10.1.0.0/16', '10.1.0.0/16']));
    assert.equal(dup.status, 400);
    assert.equal(dup.body.error.path, '/aws/destinations/2');
    assert.equal((await h.api('POST', '/api/v1/sites', aws(['010.1.0.0/16']))).status, 422);
    assert.deepEqual((await h.api('GET', '/api/v1/sites')).body.sites, []);
    assert.equal((await h.api('POST', '/api/v1/sites', aws(['0.0.0.0/0', '10.1.0.0/16']))).status, 201);
  });

  test('an Azure floating IP is validated even when the site has no nodes', async () => {
    const bad = await h.api('POST', '/api/v1/sites', {
      name: 'z',
      kind: 'azure',
      azure: { floating_ip: '999.1.1.1' },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.path, '/azure/floating_ip');
    const site = await h.api('POST', '/api/v1/sites', {
      name: 'z',
      kind: 'azure',
      azure: { floating_ip: null },
    });
    assert.equal(site.status, 201);
    const patched = await h.api('PATCH', `/api/v1/sites/${site.body.id}`, {
      azure: { floating_ip: '10.0.3.010' },
    });
    assert.equal(patched.status, 400);
    assert.equal((await h.api('GET', `/api/v1/sites/${site.body.id}`)).body.cloud.azure.floating_ip, null);
  });

  test('JSON is taken as sent: no coercion of strings, arrays or null', async () => {
    const pair = await pairSite(h.api, 'p');
    const send = (body: unknown) =>
      h.api('POST', `/api/v1/nodes/${pair.primary.id}/reports`, body, pair.primary.cred);
    const cases: Record<string, unknown> = {
      'wan_ok "false"': { ...report(), wan_ok: 'false' },
      'state ["active"]': { ...report(), state: ['active'] },
      'hears_peer 0': { ...report(), hears_peer: 0 },
      'last_keepalive_at "5"': { ...report(), last_keepalive_at: '5' },
      'last_keepalive_at 1e300': { ...report(), last_keepalive_at: 1e300 },
      'last_keepalive_at -1': { ...report(), last_keepalive_at: -1 },
      'action at 1.5': {
        ...report(),
        action_results: [{ id: 'a', action: 'claim', ok: true, at: 1.5 }],
      },
      'duration_ms 1e12': {
        ...report(),
        action_results: [{ id: 'a', action: 'claim', ok: true, at: 1, duration_ms: 1e12 }],
      },
    };
    for (const [what, body] of Object.entries(cases)) {
      const r = await send(body);
      assert.equal(r.status, 400, what);
      assert.equal(r.body.error.code, 'invalid-request', what);
    }
    const reports = await h.api('GET', `/api/v1/nodes/${pair.primary.id}/reports`);
    assert.deepEqual(reports.body.reports, []);
    assert.equal((await h.api('POST', '/api/v1/sites', { name: 7, kind: 'physical' })).status, 400);
    assert.equal((await h.api('POST', '/api/v1/tokens', { name: ['x'], scope: 'viewer' })).status, 400);
    // Query strings are text: a number there is read from its text, a word is refused.
    assert.equal((await h.api('GET', '/api/v1/events?limit=5')).status, 200);
    assert.equal((await h.api('GET', '/api/v1/events?limit=five')).status, 400);
    assert.equal((await h.api('GET', '/api/v1/events?until=99999999999999999999')).status, 400);
  });

  test('an empty PATCH of a node or a site is 400, not 500', async () => {
    const pair = await pairSite(h.api, 'p');
    for (const path of [`/api/v1/sites/${pair.site_id}/nodes/primary`, `/api/v1/sites/${pair.site_id}`]) {
      const r = await h.api('PATCH', path, {});
      assert.equal(r.status, 400, path);
      assert.equal(r.body.error.code, 'invalid-request');
    }
  });

  test('authentication comes before the body: no token is 401 whatever the body, a viewer 403', async () => {
    const raw = (path: string, body: string, token: string | null) =>
      fetch(h.c.url + path, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body,
      });
    const big = JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024), kind: 'physical' });
    for (const body of ['{not json', '{"name":1}', big]) {
      const r = await raw('/api/v1/sites', body, null);
      assert.equal(r.status, 401);
      assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'unauthenticated');
      const forged = await raw('/api/v1/nodes/n1/reports', body, `tdn_${'A'.repeat(10)}`);
      assert.equal(forged.status, 401);
    }
    const viewer = await h.api('POST', '/api/v1/tokens', { name: 'v', scope: 'viewer' });
    assert.equal((await raw('/api/v1/sites', '{"name":1}', viewer.body.token)).status, 403);
    // With a valid admin token, the same bodies get their real answers: schema errors and size limits.
    assert.equal((await raw('/api/v1/sites', '{"name":1}', h.admin)).status, 400);
    assert.equal((await raw('/api/v1/sites', '{not json', h.admin)).status, 400);
    assert.equal((await raw('/api/v1/sites', big, h.admin)).status, 413);
  });

  test('a request whose body never finishes is cut off by the request timeout', async () => {
    const url = new URL(h.c.url);
    const socket = connect(Number(url.port), url.hostname);
    const answer = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d) => {
        text += d.toString();
      });
      socket.on('close', () => resolve(text));
      socket.on('error', () => resolve(text));
    });
    socket.write(
      `POST /api/v1/sites HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${h.admin}\r\n` +
        'content-type: application/json\r\ncontent-length: 100\r\n\r\n{"name":',
    );
    const text = await answer;
    assert.match(text, /^HTTP\/1\.1 408/);
    assert.deepEqual((await h.api('GET', '/api/v1/sites')).body.sites, []);
  });
});
