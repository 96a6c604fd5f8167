// The report path's set-based statements: a batch of periodic reports is authenticated, logged and
// touched in a fixed number of statements whatever its size. Each has one fixed SQL text per dialect
// (the rows travel as one JSON parameter on SQLite, as arrays on PostgreSQL), so the text is
// prepared once. On PostgreSQL the log insert and the node refreshes are one statement (a
// data-modifying WITH) committed on its own: a batch costs two round trips, not one or two per
// report nor five for a read, BEGIN, two writes and COMMIT.
import { CompiledQuery, type Kysely } from 'kysely';
import type pg from 'pg';
import type { Dialect } from './migrations.js';
import type { Database, SiteKind } from './tables.js';

/** What a report is checked and compared against: its credential's node and that node's latest facts. */
export interface ReportingNode {
  readonly id: string;
  readonly site_id: string;
  readonly site_kind: SiteKind;
  readonly role: 'primary' | 'secondary';
  readonly credential_hash: string;
  readonly removed_at: number | null;
  readonly state: string | null;
  readonly wan_ok: number | null;
  readonly hears_peer: number | null;
  readonly version: string | null;
  readonly stale: number;
  readonly last_report_at: number | null;
  readonly last_report_id: string | null;
  /** The site's settings version (the report reply carries it). */
  readonly settings_version: number;
  /** Non-zero: commands wait for this node. */
  readonly commands_pending: number;
  /** JSON SettingsState as last reported. */
  readonly settings_state: string | null;
  /** JSON ActionInFlight[] as last reported; null when nothing ran. */
  readonly progress: string | null;
}

export interface LoggedReport {
  readonly node_id: string;
  readonly report_id: string;
  readonly body: string;
}

/** A periodic report's refresh of its node's latest-report columns. */
export interface Touch {
  readonly node_id: string;
  readonly report_id: string;
  readonly indicators: string;
  readonly wan: string;
  readonly last_keepalive_at: number | null;
}

export interface BatchQueries {
  nodesByCredential(db: Kysely<Database>, hashes: readonly string[]): Promise<ReportingNode[]>;
  /**
   * Logs the reports and refreshes the nodes due it (`touches` names a subset of the logged
   * reports' nodes), atomically: in the caller's transaction when `db` is one, else on its own.
   */
  writePeriodic(
    db: Kysely<Database>,
    received_at: number,
    logged: readonly LoggedReport[],
    touches: readonly Touch[],
  ): Promise<void>;
}

// The site's kind with the node (a join on its primary key): only a pathwatch site takes a pathwatch part.
const NODE_COLUMNS = `${[
  'id',
  'site_id',
  'role',
  'credential_hash',
  'removed_at',
  'state',
  'wan_ok',
  'hears_peer',
  'version',
  'stale',
  'last_report_at',
  'last_report_id',
  'settings_version',
  'commands_pending',
  'settings_state',
  'progress',
]
  .map((c) => `n.${c}`)
  .join(', ')}, s.kind AS site_kind`;
const NODES_OF_SITES = 'nodes n JOIN sites s ON s.id = n.site_id';

const SQLITE = {
  nodes: `SELECT ${NODE_COLUMNS} FROM ${NODES_OF_SITES} WHERE n.credential_hash IN (SELECT value FROM json_each(?))`,
  log: `INSERT INTO reports (node_id, report_id, received_at, body)
        SELECT value ->> 0, value ->> 1, ?, value ->> 2 FROM json_each(?)`,
  touch: `UPDATE nodes SET last_report_at = ?, indicators = t.value ->> 1, wan = t.value ->> 2,
            last_keepalive_at = t.value ->> 3, last_report_id = t.value ->> 4
          FROM json_each(?) AS t WHERE nodes.id = t.value ->> 0`,
};

const POSTGRES = {
  nodes: `SELECT ${NODE_COLUMNS} FROM ${NODES_OF_SITES} WHERE n.credential_hash = ANY($1::text[])`,
  periodic: `WITH logged AS (
          INSERT INTO reports (node_id, report_id, received_at, body)
          SELECT n, r, $1::bigint, b FROM unnest($2::text[], $3::text[], $4::text[]) AS l(n, r, b))
        UPDATE nodes SET last_report_at = $1::bigint, indicators = t.i, wan = t.w, last_keepalive_at = t.k,
          last_report_id = t.r
        FROM unnest($5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[]) AS t(id, i, w, k, r)
        WHERE nodes.id = t.id`,
};

async function run<R>(db: Kysely<Database>, sql: string, parameters: readonly unknown[]): Promise<R[]> {
  return (await db.executeQuery(CompiledQuery.raw(sql, [...parameters]) as CompiledQuery<R>)).rows;
}

/**
 * PostgreSQL: the batch statements go to the pool directly as named statements, so each connection
 * parses and plans them once (Kysely sends every query unnamed: parsed and planned on every batch).
 */
async function runNamed<R>(
  pool: pg.Pool,
  name: string,
  text: string,
  values: readonly unknown[],
): Promise<R[]> {
  return (await pool.query({ name, text, values: [...values] })).rows as R[];
}

export function batchQueries(dialect: 'sqlite'): BatchQueries;
export function batchQueries(dialect: 'postgres', pool: pg.Pool): BatchQueries;
export function batchQueries(dialect: Dialect, pool?: pg.Pool): BatchQueries {
  if (dialect === 'sqlite') {
    const write = async (
      db: Kysely<Database>,
      received_at: number,
      logged: readonly LoggedReport[],
      touches: readonly Touch[],
    ): Promise<void> => {
      await run(db, SQLITE.log, [
        received_at,
        JSON.stringify(logged.map((r) => [r.node_id, r.report_id, r.body])),
      ]);
      if (touches.length === 0) return;
      const json = JSON.stringify(
        touches.map((t) => [t.node_id, t.indicators, t.wan, t.last_keepalive_at, t.report_id]),
      );
      await run(db, SQLITE.touch, [received_at, json]);
    };
    return {
      nodesByCredential: (db, hashes) => run(db, SQLITE.nodes, [JSON.stringify(hashes)]),
      async writePeriodic(db, received_at, logged, touches) {
        // One transaction for both statements: one commit, and all or nothing.
        if (db.isTransaction || touches.length === 0) await write(db, received_at, logged, touches);
        else await db.transaction().execute((trx) => write(trx, received_at, logged, touches));
      },
    };
  }
  const named = pool!;
  return {
    nodesByCredential: (_db, hashes) => runNamed(named, 'report-nodes', POSTGRES.nodes, [hashes]),
    async writePeriodic(db, received_at, logged, touches) {
      const l = <K extends keyof LoggedReport>(k: K) => logged.map((r) => r[k]);
      const t = <K extends keyof Touch>(k: K) => touches.map((r) => r[k]);
      const values = [
        received_at,
        l('node_id'),
        l('report_id'),
        l('body'),
        t('node_id'),
        t('indicators'),
        t('wan'),
        t('last_keepalive_at'),
        t('report_id'),
      ];
      // In a caller's transaction it runs there; on its own it is a named statement.
      if (db.isTransaction) await run(db, POSTGRES.periodic, values);
      else await runNamed(named, 'report-periodic', POSTGRES.periodic, values);
    },
  };
}
