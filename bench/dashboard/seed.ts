// Seeds a real controller store with a fleet: N sites, most of them a reporting, Ready pair, some
// Not Ready (a WAN probe down), some with HA off. Rows are written directly (the API would take
// minutes for 10,000 enrollments on a shared machine); every node gets a working credential.
import { hashSecret } from '../../src/controller/auth.js';
import type { Store } from '../../src/controller/store/open.js';
import type { NewNode } from '../../src/controller/store/tables.js';

export const siteName = (i: number): string => `site-${String(i).padStart(5, '0')}`;
/** Shaped as the controller's credentials are (tdn_ and 43 base64url characters), or it refuses them unread. */
export const credentialOf = (i: number, role: 'primary' | 'secondary'): string =>
  `tdn_${`bench_${i}_${role}`.padEnd(43, 'x')}`;
export const nodeId = (i: number, role: 'primary' | 'secondary'): string => `node-${i}-${role}`;

const BATCH = 400;

function node(i: number, role: 'primary' | 'secondary', now: number, wan_up: boolean): NewNode {
  return {
    id: nodeId(i, role),
    site_id: `site-${i}`,
    role,
    model: 'edge-1',
    mgmt_ip: role === 'primary' ? '10.0.3.10' : '10.0.17.10',
    subnet: role === 'primary' ? '10.0.3.0/24' : '10.0.17.0/24',
    created_at: now,
    removed_at: null,
    enrollment_hash: null,
    enrollment_expires_at: null,
    credential_hash: hashSecret(credentialOf(i, role)),
    enrolled_at: now,
    last_report_at: now,
    state: role === 'primary' ? 'active' : 'standby',
    wan_ok: wan_up ? 1 : 0,
    hears_peer: 1,
    version: '1.4.2',
    indicators: JSON.stringify({ connected: wan_up, keepalive: true, same_version: true }),
    wan: JSON.stringify([{ name: 'wan1', up: wan_up }]),
    last_keepalive_at: now,
    action_results: '[]',
    last_report_id: null,
    stale: 0,
  };
}

/** Site i: every 100th Not Ready (its primary's wan1 down), every 250th (offset 1) without a secondary. */
export async function seedFleet(store: Store, sites: number, now: number): Promise<void> {
  for (let start = 0; start < sites; start += BATCH) {
    const ids = Array.from({ length: Math.min(BATCH, sites - start) }, (_, k) => start + k);
    const pair = (i: number) => i % 250 !== 1;
    await store.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('sites')
        .values(
          ids.map((i) => ({
            id: `site-${i}`,
            name: siteName(i),
            kind: i % 3 === 0 ? 'physical' : i % 3 === 1 ? 'aws' : 'azure',
            cloud: '{}',
            ha_enabled: pair(i) ? 1 : 0,
            primary_node_id: nodeId(i, 'primary'),
            secondary_node_id: pair(i) ? nodeId(i, 'secondary') : null,
            created_at: now,
            derived_ready: pair(i) && i % 100 !== 0 ? 1 : 0,
            derived_active: 'primary',
            split_brain_since: null,
            both_active_since: null,
            secondary_active_since: null,
            failover_recorded_for: null,
          })),
        )
        .execute();
      const nodes = ids.flatMap((i) => {
        const p = node(i, 'primary', now, i % 100 !== 0);
        return pair(i) ? [p, node(i, 'secondary', now, true)] : [p];
      });
      await trx.insertInto('nodes').values(nodes).execute();
    });
  }
}
