// The agent's controller client against the real controller: enroll, report, survive an outage.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import {
  ControllerClient,
  ControllerClientError,
  type NodeReport,
} from '../../src/agent/controller-client.js';
import { type Harness, harness, STORES, Stores } from '../helpers/controller.js';

const status = (state: NodeReport['state']): NodeReport => ({
  state,
  wan_ok: true,
  hears_peer: true,
  version: '1.0.0',
  indicators: { connected: true, keepalive: true, same_version: true },
  wan: [{ name: 'wan1', up: true }],
  last_keepalive_at: null,
  action_results: [],
});

for (const kind of STORES) {
  describe(`agent controller client on ${kind}`, () => {
    const stores = new Stores(kind);
    let h: Harness;
    let storeUrl: string;
    let dir: string;
    let token: string;
    let site_id: string;
    const clients: ControllerClient[] = [];
    const client = (extra: Partial<ConstructorParameters<typeof ControllerClient>[0]> = {}) => {
      const c = new ControllerClient({
        url: h.c.url,
        credential_path: join(dir, 'node.json'),
        backoff_min_ms: 50,
        backoff_max_ms: 200,
        ...extra,
      });
      clients.push(c);
      return c;
    };
    const storedIds = async (node_id: string): Promise<string[]> =>
      (await h.api('GET', `/api/v1/nodes/${node_id}/reports?limit=1000`)).body.reports
        .map((r: { report_id: string }) => r.report_id)
        .reverse();

    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'tdctl-client-'));
      storeUrl = await stores.url();
      h = await harness(storeUrl);
      const site = await h.api('POST', '/api/v1/sites', { name: 'c', kind: 'aws' });
      site_id = site.body.id;
      const node = await h.api('POST', `/api/v1/sites/${site_id}/nodes`, {
        role: 'primary',
        model: 'vm',
        mgmt_ip: '10.0.3.10',
        subnet: '10.0.3.0/24',
      });
      token = node.body.enrollment_token;
    });
    afterEach(async () => {
      for (const c of clients.splice(0)) c.close();
      await h.c.close();
      rmSync(dir, { recursive: true, force: true });
    });
    after(() => stores.cleanup());

    test('enrolls once, keeps the credential in a private file and reuses it', async () => {
      const cred = await client().enroll(token);
      assert.equal(cred.role, 'primary');
      assert.equal(statSync(join(dir, 'node.json')).mode & 0o777, 0o600);
      const again = await client().enroll(token);
      assert.equal(again.credential, cred.credential, 'the used token is not sent again');
      rmSync(join(dir, 'node.json'));
      await assert.rejects(
        client().enroll(token),
        (e: unknown) => e instanceof ControllerClientError && e.detail.code === 'enrollment-refused',
      );
    });

    test('reports reach the controller in order', async () => {
      const c = client();
      const cred = await c.enroll(token);
      const ids = [c.report(status('init')), c.report(status('standby')), c.report(status('active'))];
      await c.idle();
      assert.deepEqual(await storedIds(cred.node_id), ids);
      const st = await h.api('GET', `/api/v1/sites/${site_id}/status`);
      assert.equal(st.body.nodes.primary.state, 'active');
      assert.equal(c.stats().sent, 3);
    });

    test('while the controller is down reports are queued, bounded, and sent when it is back', async () => {
      const c = client({ queue_max: 3 });
      const cred = await c.enroll(token);
      const port = Number(new URL(h.c.url).port);
      await h.c.close();
      const ids = ['init', 'standby', 'active', 'standby', 'active'].map((s) =>
        c.report(status(s as NodeReport['state'])),
      );
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(c.stats().queued, 3);
      assert.equal(c.stats().dropped, 2);
      assert.match(c.stats().last_error ?? '', /unreachable/);
      h = await harness(storeUrl, { listen: { host: '127.0.0.1', port }, admin_token: h.admin });
      await c.idle();
      assert.deepEqual(await storedIds(cred.node_id), ids.slice(2), 'the newest three, in order');
    });

    test('a removed node’s client stops reporting and says it was removed (410)', async () => {
      const c = client();
      await c.enroll(token);
      await h.api('DELETE', `/api/v1/sites/${site_id}/nodes/primary`);
      c.report(status('active'));
      await c.idle();
      assert.equal(c.stats().revoked, true);
      assert.equal(c.stats().removed, true);
      assert.match(c.stats().last_error ?? '', /410/);
    });
  });
}
