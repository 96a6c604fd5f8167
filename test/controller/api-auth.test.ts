// Enrollment, tokens, reports and every auth refusal over HTTP, on SQLite and on PostgreSQL.
import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { type Harness, harness, pairSite, report, STORES, Stores } from '../helpers/controller.js';

for (const kind of STORES) {
  describe(`enrollment, tokens and auth API on ${kind}`, () => {
    const stores = new Stores(kind);
    let h: Harness;
    beforeEach(async () => {
      h = await harness(await stores.url());
    });
    afterEach(async () => h.c.close());
    after(() => stores.cleanup());

    test('an enrollment token is exchanged once for a credential', async () => {
      const site = await h.api('POST', '/api/v1/sites', { name: 'e', kind: 'aws' });
      const node = await h.api('POST', `/api/v1/sites/${site.body.id}/nodes`, {
        role: 'primary',
        model: 'vm',
        mgmt_ip: '10.0.3.10',
        subnet: '10.0.3.0/24',
      });
      const first = await h.api(
        'POST',
        '/api/v1/enroll',
        { enrollment_token: node.body.enrollment_token },
        null,
      );
      assert.equal(first.status, 201);
      assert.equal(first.body.node_id, node.body.node_id);
      assert.match(first.body.credential, /^tdn_/);
      const again = await h.api(
        'POST',
        '/api/v1/enroll',
        { enrollment_token: node.body.enrollment_token },
        null,
      );
      assert.equal(again.status, 401);
      assert.equal(again.body.error.code, 'enrollment-invalid');
      const cfg = await h.api(
        'GET',
        `/api/v1/nodes/${first.body.node_id}/config`,
        undefined,
        first.body.credential,
      );
      assert.equal(cfg.status, 200);
      assert.equal(cfg.body.self.gateway, '10.0.3.1');
      assert.equal(cfg.body.peer, null);
    });

    test('an enrollment token expires', async () => {
      await h.c.close();
      let now = 1_000_000;
      h = await harness(await stores.url(), {
        clock: { now: () => now },
        settings: { enrollment_ttl_ms: 60_000 },
      });
      const site = await h.api('POST', '/api/v1/sites', { name: 'x', kind: 'aws' });
      const node = await h.api('POST', `/api/v1/sites/${site.body.id}/nodes`, {
        role: 'primary',
        model: 'vm',
        mgmt_ip: '10.0.3.10',
        subnet: '10.0.3.0/24',
      });
      now += 61_000;
      const late = await h.api(
        'POST',
        '/api/v1/enroll',
        { enrollment_token: node.body.enrollment_token },
        null,
      );
      assert.equal(late.status, 401);
      assert.match(late.body.error.message, /expired/);
      const fresh = await h.api('POST', `/api/v1/sites/${site.body.id}/nodes/primary/enrollment`);
      assert.equal(fresh.status, 201);
      assert.equal(
        (await h.api('POST', '/api/v1/enroll', { enrollment_token: fresh.body.enrollment_token }, null))
          .status,
        201,
      );
    });

    test('a reissued enrollment token revokes the node’s current credential', async () => {
      const s = await pairSite(h.api, 'reissue');
      assert.equal(
        (await h.api('POST', `/api/v1/nodes/${s.primary.id}/reports`, report(), s.primary.cred)).status,
        200,
      );
      const fresh = await h.api('POST', `/api/v1/sites/${s.site_id}/nodes/primary/enrollment`);
      assert.equal(fresh.status, 201);
      assert.equal(
        (await h.api('POST', `/api/v1/nodes/${s.primary.id}/reports`, report(), s.primary.cred)).status,
        401,
      );
      const again = await h.api(
        'POST',
        '/api/v1/enroll',
        { enrollment_token: fresh.body.enrollment_token },
        null,
      );
      assert.equal(again.body.node_id, s.primary.id);
      assert.equal(
        (await h.api('POST', `/api/v1/nodes/${s.primary.id}/reports`, report(), again.body.credential))
          .status,
        200,
      );
    });

    test('a node credential is checked before the body; one revoked after use is refused at once, then before its body', async () => {
      const s = await pairSite(h.api, 'known');
      const post = (node: string, body: unknown, cred: string) =>
        h.api('POST', `/api/v1/nodes/${node}/reports`, body, cred);
      const unknown = `tdn_${'A'.repeat(43)}`;
      // Not a valid report: a 400 would mean the body was read before the credential was checked.
      assert.equal((await post(s.primary.id, { bogus: true }, unknown)).status, 401);
      assert.equal((await post(s.primary.id, report(), s.primary.cred)).status, 200);
      assert.equal((await post(s.secondary.id, report(), s.secondary.cred)).status, 200);
      // Known now (remembered from the reports above): still checked against the node it names.
      assert.equal((await post(s.secondary.id, { bogus: true }, s.primary.cred)).status, 403);
      assert.equal((await post(s.primary.id, { bogus: true }, s.primary.cred)).status, 400);

      const fresh = await h.api('POST', `/api/v1/sites/${s.site_id}/nodes/primary/enrollment`);
      assert.equal(fresh.status, 201);
      const revoked = await post(s.primary.id, report(), s.primary.cred);
      assert.equal(revoked.status, 401, 'refused at once, though it was known');
      assert.equal((await post(s.primary.id, { bogus: true }, s.primary.cred)).status, 401);

      assert.equal((await h.api('DELETE', `/api/v1/sites/${s.site_id}/nodes/secondary`)).status, 200);
      assert.equal((await post(s.secondary.id, report(), s.secondary.cred)).body.error.code, 'node-removed');
      const before = await post(s.secondary.id, { bogus: true }, s.secondary.cred);
      assert.equal(before.status, 410);
      const stored = await h.c.store.db
        .selectFrom('reports')
        .select('report_id')
        .where('node_id', 'in', [s.primary.id, s.secondary.id])
        .execute();
      assert.equal(stored.length, 2, 'only the two accepted reports');
    });

    test('removing the secondary disables HA and revokes its credential for good', async () => {
      const s = await pairSite(h.api, 'rm');
      assert.equal(
        (await h.api('DELETE', `/api/v1/sites/${s.site_id}/nodes/primary`)).body.error.code,
        'remove-secondary-first',
      );
      const removed = await h.api('DELETE', `/api/v1/sites/${s.site_id}/nodes/secondary`);
      assert.equal(removed.status, 200);
      assert.equal(removed.body.ha_enabled, false);
      assert.equal(removed.body.nodes.secondary, null);
      const r = await h.api('POST', `/api/v1/nodes/${s.secondary.id}/reports`, report(), s.secondary.cred);
      // 410: the agent learns it was unassigned (not that its credential is unknown) and disables itself.
      assert.equal(r.status, 410);
      assert.equal(r.body.error.code, 'node-removed');
      const events = await h.api('GET', `/api/v1/events?type=node-removed&site_id=${s.site_id}`);
      assert.equal(events.body.events.length, 1);
      // A new secondary needs a new node and a new token; the old one stays dead.
      const again = await h.api('POST', `/api/v1/sites/${s.site_id}/nodes`, {
        role: 'secondary',
        model: 'v1',
        mgmt_ip: '10.0.17.10',
        subnet: '10.0.17.0/24',
      });
      assert.equal(again.status, 201);
      assert.notEqual(again.body.node_id, s.secondary.id);
      assert.equal(
        (await h.api('POST', `/api/v1/nodes/${s.secondary.id}/reports`, report(), s.secondary.cred)).status,
        410,
      );
    });

    test('auth: no token, an unknown token, a viewer writing, a revoked token', async () => {
      const none = await h.api('GET', '/api/v1/sites', undefined, null);
      assert.equal(none.status, 401);
      assert.equal(none.body.error.code, 'unauthenticated');
      assert.equal((await h.api('GET', '/api/v1/sites', undefined, 'tdk_made-up')).status, 401);
      const viewer = await h.api('POST', '/api/v1/tokens', { name: 'noc', scope: 'viewer' });
      assert.equal(viewer.status, 201);
      assert.equal((await h.api('GET', '/api/v1/sites', undefined, viewer.body.token)).status, 200);
      const write = await h.api('POST', '/api/v1/sites', { name: 'v', kind: 'aws' }, viewer.body.token);
      assert.equal(write.status, 403);
      assert.equal(write.body.error.code, 'forbidden');
      assert.equal((await h.api('GET', '/api/v1/tokens', undefined, viewer.body.token)).status, 403);
      const tokens = await h.api('GET', '/api/v1/tokens');
      assert.ok(tokens.body.tokens.every((t: object) => !('token_hash' in t)));
      assert.equal((await h.api('DELETE', `/api/v1/tokens/${viewer.body.id}`)).status, 204);
      const revoked = await h.api('GET', '/api/v1/sites', undefined, viewer.body.token);
      assert.equal(revoked.status, 401);
      assert.equal(revoked.body.error.code, 'credential-revoked');
    });

    test('auth: a node may report only for itself and may not use the people API', async () => {
      const s = await pairSite(h.api, 'auth');
      const forOther = await h.api(
        'POST',
        `/api/v1/nodes/${s.secondary.id}/reports`,
        report(),
        s.primary.cred,
      );
      assert.equal(forOther.status, 403);
      assert.equal(forOther.body.error.code, 'forbidden');
      const asPerson = await h.api('GET', '/api/v1/sites', undefined, s.primary.cred);
      assert.equal(asPerson.status, 403);
      const noToken = await h.api('POST', `/api/v1/nodes/${s.primary.id}/reports`, report(), null);
      assert.equal(noToken.status, 401);
      const adminReports = await h.api('POST', `/api/v1/nodes/${s.primary.id}/reports`, report());
      assert.equal(adminReports.status, 403);
      const otherConfig = await h.api(
        'GET',
        `/api/v1/nodes/${s.secondary.id}/config`,
        undefined,
        s.primary.cred,
      );
      assert.equal(otherConfig.status, 403);
    });

    test('a report is stored once even when sent twice, and reports are listed', async () => {
      const s = await pairSite(h.api, 'dup');
      const r = report({ state: 'active' });
      const first = await h.api('POST', `/api/v1/nodes/${s.primary.id}/reports`, r, s.primary.cred);
      const second = await h.api('POST', `/api/v1/nodes/${s.primary.id}/reports`, r, s.primary.cred);
      assert.deepEqual([first.body.duplicate, second.body.duplicate], [false, true]);
      const list = await h.api('GET', `/api/v1/nodes/${s.primary.id}/reports`);
      assert.deepEqual(
        list.body.reports.map((x: { report_id: string }) => x.report_id),
        [r.id],
      );
      const bad = await h.api(
        'POST',
        `/api/v1/nodes/${s.primary.id}/reports`,
        { ...report(), state: 'dancing' },
        s.primary.cred,
      );
      assert.equal(bad.status, 400);
    });

    test('the bootstrap admin token is created once; TANDEM_ADMIN_TOKEN is adopted', async () => {
      const url = await stores.url();
      const first = await harness(url, { admin_token: 'tdk_operator-chosen-secret-1234567890' });
      assert.equal(first.c.admin_token, null);
      assert.equal((await first.api('GET', '/api/v1/sites')).status, 200);
      await first.c.close();
      const url2 = await stores.url();
      const a = await harness(url2);
      assert.match(a.admin, /^tdk_/);
      await a.c.close();
      const b = await harness(url2, { admin_token: 'tdk_later-env-token-4567890123456789' });
      assert.equal(b.c.admin_token, null);
      assert.equal((await b.api('GET', '/api/v1/sites')).status, 200);
      assert.equal((await b.api('GET', '/api/v1/sites', undefined, a.admin)).status, 200);
      await b.c.close();
    });
  });
}
