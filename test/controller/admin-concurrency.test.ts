// Admin writes while reports flow: a write that loses a lock-order conflict (a deadlock on
// PostgreSQL) against a report batch is run again, so every admin request gets its proper answer
// (never a 500) and the site ends consistent.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, afterEach, describe, test } from 'node:test';
import pg from 'pg';
import pino from 'pino';
import {
  type Api,
  apiFor,
  type Harness,
  harness,
  pairSite,
  report,
  STORES,
  Stores,
} from '../helpers/controller.js';

const CHURNS = 12;
const PATCHES = 24;

interface Reporter {
  id: string;
  cred: string;
}

/** Warnings the controller logs, kept to count the transactions it ran again. */
function warnings(): { log: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: pino({ level: 'warn' }, stream), lines };
}

for (const kind of STORES) {
  describe(`admin writes during a report stream on ${kind}`, () => {
    const stores = new Stores(kind);
    let h: Harness | null = null;
    afterEach(async () => {
      await h?.c.close();
      h = null;
    });
    after(() => stores.cleanup());

    test('adding and removing secondaries and patching nodes never answers 500; the end state is whole', async () => {
      const url = await stores.url();
      if (kind === 'postgres') {
        // Detect lock cycles sooner than the default second, so that many of them fit in the test.
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          await client.query(
            `ALTER DATABASE ${new URL(url).pathname.slice(1)} SET deadlock_timeout = '100ms'`,
          );
        } finally {
          await client.end();
        }
      }
      const w = warnings();
      h = await harness(url, { log: w.log, sweep_interval_ms: 50 });
      const api: Api = h.api;
      const sites = [
        await pairSite(api, 'churned'),
        await pairSite(api, 'patched-1'),
        await pairSite(api, 'patched-2'),
      ];
      // Every node reports a state change each time: each report updates its node row and then
      // evaluates (locks) its site — the opposite order of an admin write.
      const slots: Reporter[] = sites.flatMap((s) => [{ ...s.primary }, { ...s.secondary }]);
      const reportStatus = new Map<number, number>();
      const revoked: string[] = [];
      let stop = false;
      const reporters = slots.map(async (_, i) => {
        let n = 0;
        while (!stop) {
          // Read each time: the churned secondary's slot gets each new secondary's credential.
          const { id, cred } = slots[i]!;
          const state = (n++ + i) % 2 === 0 ? 'active' : 'standby';
          const res = await api('POST', `/api/v1/nodes/${id}/reports`, report({ state }), cred);
          reportStatus.set(res.status, (reportStatus.get(res.status) ?? 0) + 1);
          if (res.status === 410) revoked.push(res.body.error.code);
          // A removed secondary: wait for its successor's credential.
          if (res.status === 410) await new Promise((r) => setTimeout(r, 5));
        }
      });
      const reportsSoFar = () => [...reportStatus.values()].reduce((a, b) => a + b, 0);
      const warm = Date.now() + 30_000;
      while (reportsSoFar() < 30 && Date.now() < warm) await new Promise((r) => setTimeout(r, 10));

      const admin: { what: string; expected: number; got: number; body: unknown }[] = [];
      const call = async (what: string, expected: number, method: string, path: string, body?: unknown) => {
        const res = await api(method, path, body);
        admin.push({ what, expected, got: res.status, body: res.body });
        return res;
      };

      const churned = sites[0]!;
      const churn = (async () => {
        for (let i = 0; i < CHURNS; i++) {
          await call('remove secondary', 200, 'DELETE', `/api/v1/sites/${churned.site_id}/nodes/secondary`);
          const added = await call('add secondary', 201, 'POST', `/api/v1/sites/${churned.site_id}/nodes`, {
            role: 'secondary',
            model: 'v1',
            mgmt_ip: `10.0.17.${20 + i}`,
            subnet: '10.0.17.0/24',
          });
          const enrolled = await apiFor(h!.c.url, null)('POST', '/api/v1/enroll', {
            enrollment_token: added.body.enrollment_token,
          });
          admin.push({ what: 'enroll', expected: 201, got: enrolled.status, body: enrolled.body });
          if (enrolled.status === 201)
            slots[1] = { id: enrolled.body.node_id, cred: enrolled.body.credential };
          await call('patch secondary', 200, 'PATCH', `/api/v1/sites/${churned.site_id}/nodes/secondary`, {
            mgmt_ip: `10.0.17.${60 + i}`,
          });
        }
      })();
      const patch = (site: (typeof sites)[number]) =>
        (async () => {
          for (let i = 0; i < PATCHES; i++) {
            const role = i % 2 === 0 ? 'primary' : 'secondary';
            const base = role === 'primary' ? '10.0.3' : '10.0.17';
            await call(`patch ${role}`, 200, 'PATCH', `/api/v1/sites/${site.site_id}/nodes/${role}`, {
              mgmt_ip: `${base}.${100 + i}`,
            });
            const range = await call('add range', 201, 'POST', `/api/v1/sites/${site.site_id}/ranges`, {
              name: `r${i}`,
              subnet: `10.9.${i}.0/24`,
            });
            if (i % 3 !== 0) {
              const id = (range.body.routed as { id: string; name: string }[]).find(
                (r) => r.name === `r${i}`,
              )?.id;
              await call('remove range', 204, 'DELETE', `/api/v1/sites/${site.site_id}/ranges/${id}`);
            }
          }
        })();
      try {
        await Promise.all([churn, patch(sites[1]!), patch(sites[2]!)]);
      } finally {
        stop = true;
        await Promise.all(reporters);
      }

      const wrong = admin.filter((a) => a.got !== a.expected);
      assert.deepEqual(wrong, [], 'every admin request got its proper status');
      assert.equal(admin.length, CHURNS * 4 + 2 * (PATCHES * 2 + PATCHES - Math.ceil(PATCHES / 3)));
      // Reports: stored, or refused for a secondary removed under them; never a failure.
      assert.deepEqual(
        [...reportStatus.keys()].filter((s) => s !== 200 && s !== 410),
        [],
        JSON.stringify([...reportStatus]),
      );
      assert.ok(revoked.every((c) => c === 'node-removed'));

      // The churned site: its primary, the last secondary added (enrolled, last patched), HA on.
      const site = (await api('GET', `/api/v1/sites/${churned.site_id}`)).body;
      assert.equal(site.ha_enabled, true);
      assert.equal(site.nodes.primary.id, churned.primary.id);
      assert.equal(site.nodes.secondary.id, slots[1]!.id);
      assert.equal(site.nodes.secondary.enrolled, true);
      assert.equal(site.nodes.secondary.mgmt_ip, `10.0.17.${60 + CHURNS - 1}`);
      const ofType = async (site_id: string, type: string) =>
        (await api('GET', `/api/v1/events?site_id=${site_id}&type=${type}&limit=500`)).body.events.length;
      assert.equal(await ofType(churned.site_id, 'node-removed'), CHURNS);
      assert.equal(await ofType(churned.site_id, 'node-enrolled'), CHURNS + 2);
      // Every removed secondary's credential is revoked for good.
      const old = await api(
        'POST',
        `/api/v1/nodes/${churned.secondary.id}/reports`,
        report(),
        churned.secondary.cred,
      );
      assert.equal(old.status, 410);
      assert.equal(old.body.error.code, 'node-removed');

      for (const s of sites.slice(1)) {
        const v = (await api('GET', `/api/v1/sites/${s.site_id}`)).body;
        assert.equal(v.nodes.primary.mgmt_ip, `10.0.3.${100 + PATCHES - 2}`);
        assert.equal(v.nodes.secondary.mgmt_ip, `10.0.17.${100 + PATCHES - 1}`);
        const kept = Array.from({ length: PATCHES }, (_, i) => i)
          .filter((i) => i % 3 === 0)
          .map((i) => `r${i}`);
        assert.deepEqual(
          (v.network.routed as { name: string }[]).map((r) => r.name),
          kept,
        );
      }

      // The derived status still follows the reports: one last report from every node settles it.
      for (const [i, slot] of slots.entries()) {
        const state = i % 2 === 0 ? 'active' : 'standby';
        const res = await api('POST', `/api/v1/nodes/${slot.id}/reports`, report({ state }), slot.cred);
        assert.equal(res.status, 200);
      }
      for (const s of sites) {
        const st = (await api('GET', `/api/v1/sites/${s.site_id}/status`)).body;
        assert.equal(st.active, 'primary');
        assert.equal(st.ready, true);
      }
      const retried = w.lines.filter((l) => l.includes('transaction retried')).length;
      const batches = w.lines.filter((l) => l.includes('report batch retried')).length;
      console.log(
        `# ${kind}: ${reportsSoFar()} reports, ${admin.length} admin requests, ${retried} admin/sweep transactions and ${batches} report batches run again`,
      );
    });
  });
}
