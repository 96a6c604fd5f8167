// The three queries every report runs, prepared once per store.
import type { InsertResult, Kysely, UpdateResult } from 'kysely';
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
    }
  >;
  /** Refreshes the latest-report columns of a node whose state did not change. */
  readonly touch: Prepared<
    {
      id: string;
      report_id: string;
      last_report_at: number;
      indicators: string;
      wan: string;
      last_keepalive_at: number | null;
    },
    UpdateResult
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
        ])
        .where('id', '=', p.id),
    ),
    touch: prepare(
      db,
      ['id', 'report_id', 'last_report_at', 'indicators', 'wan', 'last_keepalive_at'],
      (q, p) =>
        q
          .updateTable('nodes')
          .set({
            last_report_at: p.last_report_at,
            indicators: p.indicators,
            wan: p.wan,
            last_keepalive_at: p.last_keepalive_at,
            last_report_id: p.report_id,
          })
          .where('id', '=', p.id),
    ),
  };
}
