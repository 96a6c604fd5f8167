// Killing the controller (SIGKILL) while agents report loses no report it acknowledged.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { apiFor, pairSite, report, STORES, Stores } from '../helpers/controller.js';
import { type ControllerProcess, spawnController } from '../helpers/controller-process.js';

const ADMIN = 'tdk_sigkill-test-admin-token-0123456';

async function allReportIds(api: ReturnType<typeof apiFor>, node_id: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: number | null = null;
  do {
    const page = await api(
      'GET',
      `/api/v1/nodes/${node_id}/reports?limit=1000${cursor === null ? '' : `&cursor=${cursor}`}`,
    );
    for (const r of page.body.reports as { report_id: string }[]) ids.add(r.report_id);
    cursor = page.body.next_cursor;
  } while (cursor !== null);
  return ids;
}

for (const kind of STORES) {
  describe(`SIGKILL durability on ${kind}`, () => {
    const stores = new Stores(kind);
    const procs: ControllerProcess[] = [];
    after(async () => {
      for (const p of procs) await p.kill('SIGKILL');
      stores.cleanup();
    });

    test('every report acknowledged before the kill is in the store after a restart', async () => {
      const store = await stores.url();
      const first = await spawnController(store, ADMIN);
      procs.push(first);
      const s = await pairSite(apiFor(first.url, ADMIN), 'durable');
      const nodes = [s.primary, s.secondary];
      const acked = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
      let stop = false;
      // Eight agents (four per node) report back to back; only a 200 counts as acknowledged.
      const agents = Array.from({ length: 8 }, async (_, i) => {
        const node = nodes[i % 2]!;
        while (!stop) {
          const r = report({ state: i % 2 === 0 ? 'active' : 'standby' });
          try {
            const res = await fetch(`${first.url}/api/v1/nodes/${node.id}/reports`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${node.cred}` },
              body: JSON.stringify(r),
            });
            await res.text();
            if (res.status === 200) acked.get(node.id)!.push(r.id);
          } catch {
            return; // the controller is gone
          }
        }
      });
      const total = () => [...acked.values()].reduce((n, a) => n + a.length, 0);
      const deadline = Date.now() + 30_000;
      while (total() < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await first.kill('SIGKILL');
      stop = true;
      await Promise.all(agents);
      assert.ok(total() >= 300, `expected a busy stream before the kill, got ${total()} acknowledged`);

      const second = await spawnController(store, ADMIN);
      procs.push(second);
      const api = apiFor(second.url, ADMIN);
      for (const node of nodes) {
        const stored = await allReportIds(api, node.id);
        const lost = acked.get(node.id)!.filter((id) => !stored.has(id));
        assert.deepEqual(lost, [], `acknowledged reports of ${node.id} missing after SIGKILL`);
      }
      await second.kill('SIGTERM');
    });
  });
}
