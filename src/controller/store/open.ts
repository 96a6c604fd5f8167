// Opens the store: an SQLite file (WAL) by default, PostgreSQL when given a postgres:// URL.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  Kysely,
  type Migration,
  type MigrationProvider,
  Migrator,
  PostgresDialect,
  type SqliteDatabase,
  SqliteDialect,
  type SqliteStatement,
} from 'kysely';
import pg from 'pg';
import { type BatchQueries, batchQueries } from './batch.js';
import { startCheckpointer } from './checkpointer.js';
import { type HotQueries, hotQueries } from './hot.js';
import { type Dialect, migrations } from './migrations.js';
import type { Database } from './tables.js';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  readonly hot: HotQueries;
  readonly batch: BatchQueries;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** A file path (SQLite) or a postgres:// URL. */
  readonly url: string;
  /** PostgreSQL pool size. */
  readonly pool_max?: number;
}

const INT8_OID = 20;
/** How often the WAL is checkpointed (off the event loop); it also bounds the WAL's growth. */
const CHECKPOINT_INTERVAL_MS = 500;

export async function openStore(options: StoreOptions): Promise<Store> {
  const store = isPostgresUrl(options.url) ? openPostgres(options) : openSqlite(options.url);
  try {
    await migrate(store);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

function openSqlite(path: string): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new BetterSqlite3(path);
  database.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a commit is in the WAL (the OS page cache) before we reply, so a killed
  // process loses nothing it acknowledged; only a power cut can lose the last transactions.
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  // A larger page cache keeps the node rows and index tails in memory across commits.
  database.pragma('cache_size = -65536');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
  const queries = { hot: hotQueries(db), batch: batchQueries('sqlite') };
  if (path === ':memory:') return { db, dialect: 'sqlite', ...queries, close: () => db.destroy() };
  database.pragma('wal_autocheckpoint = 0');
  const checkpointer = startCheckpointer(path, CHECKPOINT_INTERVAL_MS, (message) => {
    process.emitWarning(`SQLite checkpoint: ${message}`);
  });
  return {
    db,
    dialect: 'sqlite',
    ...queries,
    async close() {
      await checkpointer.stop();
      await db.destroy();
    },
  };
}

/** Bound on cached prepared statements; the hot paths use a handful of distinct queries. */
const STATEMENT_CACHE_MAX = 256;

/**
 * Kysely prepares every query anew; preparing costs as much as running a small one. Our queries are
 * built from a few fixed shapes, so the SQL text repeats and its prepared statement can be reused.
 */
function withStatementCache(database: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => database.close(),
    prepare(sql: string): SqliteStatement {
      let stmt = cache.get(sql);
      if (stmt === undefined) {
        if (cache.size >= STATEMENT_CACHE_MAX) cache.clear();
        stmt = database.prepare(sql);
        cache.set(sql, stmt);
      }
      return stmt;
    },
  };
}

function openPostgres(options: StoreOptions): Store {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.pool_max ?? 10,
    // Epoch milliseconds are int8; they fit a JS number exactly, so read them as numbers.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID
          ? (v: string) => Number(v)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    hot: hotQueries(db),
    batch: batchQueries('postgres'),
    close: () => db.destroy(),
  };
}

/**
 * Kysely creates its bookkeeping tables with CREATE TABLE IF NOT EXISTS, which PostgreSQL can
 * refuse when two controllers start on one empty database at the same moment; the loser simply
 * tries again and finds them (the migrations themselves run under the migrator's lock).
 */
async function migrate(store: Store): Promise<void> {
  const all = migrations(store.dialect);
  const provider: MigrationProvider = { getMigrations: async (): Promise<Record<string, Migration>> => all };
  const migrator = new Migrator({ db: store.db, provider });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (!error) return;
    if (attempt < 3 && store.dialect === 'postgres' && (results === undefined || results.length === 0)) {
      await new Promise((r) => setTimeout(r, 100 * attempt));
      continue;
    }
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'setup';
    throw new Error(
      `store migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
