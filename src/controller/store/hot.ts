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
  /**
   * Refreshes a node whose state, WAN, peer and version are unchanged and records the report id;
   * touches no row when anything changed or when this report is the one stored last (a retry).
   */
  readonly touchUnchanged: Prepared<
    {
      id: string;
      report_id: string;
      last_report_at: number;
      indicators: string;
      wan: string;
      last_keepalive_at: number | null;
      state: string;
      wan_ok: number;
      hears_peer: number;
      version: string;
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
    touchUnchanged: prepare(
      db,
      [
        'id',
        'last_report_at',
        'indicators',
        'wan',
        'last_keepalive_at',
        'state',
        'wan_ok',
        'hears_peer',
        'version',
      ],
      (q, p) =>
        q
          .updateTable('nodes')
          .set({
            last_report_at: p.last_report_at,
            indicators: p.indicators,
            wan: p.wan,
            last_keepalive_at: p.last_keepalive_at,
          })
          .where('id', '=', p.id)
          .where('state', '=', p.state)
          .where('wan_ok', '=', p.wan_ok)
          .where('hears_peer', '=', p.hears_peer)
          .where('version', '=', p.version)
          .where('stale', '=', 0)
          .where('removed_at', 'is', null)
          .where((eb) => eb.or([eb('last_report_id', 'is', null), eb('last_report_id', '<>', p.report_id)])),
    ),
  };
}
