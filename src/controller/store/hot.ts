// The per-report queries (authentication of other node routes, a report that changes its node),
// prepared once per store.
import type { InsertResult, Kysely } from 'kysely';
import { type Prepared, prepare } from './prepared.js';
import type { Database } from './tables.js';

export interface HotQueries {
  readonly nodeByCredential: Prepared<
    { hash: string },
    { id: string; site_id: string; removed_at: number | null; credential_hash: string | null }
  >;
  readonly insertReport: Prepared<
    { node_id: string; report_id: string; received_at: number; body: string },
    InsertResult
  >;
  /** What a report is compared with to tell a periodic report from a change. */
  readonly nodeForReport: Prepared<
    { id: string },
    {
      role: 'primary' | 'secondary';
      state: string | null;
      wan_ok: number | null;
      hears_peer: number | null;
      version: string | null;
      stale: number;
      removed_at: number | null;
      last_report_at: number | null;
      last_report_id: string | null;
      action_results: string | null;
      settings_state: string | null;
      pathwatch: string | null;
    }
  >;
}

export function hotQueries(db: Kysely<Database>): HotQueries {
  return {
    nodeByCredential: prepare(db, ['hash'], (q, p) =>
      q
        .selectFrom('nodes')
        .select(['id', 'site_id', 'removed_at', 'credential_hash'])
        .where('credential_hash', '=', p.hash),
    ),
    insertReport: prepare(db, ['node_id', 'report_id', 'received_at', 'body'], (q, p) =>
      q
        .insertInto('reports')
        .values({ node_id: p.node_id, report_id: p.report_id, received_at: p.received_at, body: p.body }),
    ),
    nodeForReport: prepare(db, ['id'], (q, p) =>
      q
        .selectFrom('nodes')
        .select([
          'role',
          'state',
          'wan_ok',
          'hears_peer',
          'version',
          'stale',
          'removed_at',
          'last_report_at',
          'last_report_id',
          'action_results',
          'settings_state',
          'pathwatch',
        ])
        .where('id', '=', p.id),
    ),
  };
}
