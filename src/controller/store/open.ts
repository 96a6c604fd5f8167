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
import { type HotQueries, hotQueries } from './hot.js';
import { type Dialect, migrations } from './migrations.js';
import type { Database } from './tables.js';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  readonly hot: HotQueries;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** A file path (SQLite) or a postgres:// URL. */
  readonly url: string;
  /** PostgreSQL pool size. */
  readonly pool_max?: number;
}

const INT8_OID = 20;

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
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
  return { db, dialect: 'sqlite', hot: hotQueries(db), close: () => db.destroy() };
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
  return { db, dialect: 'postgres', hot: hotQueries(db), close: () => db.destroy() };
}

async function migrate(store: Store): Promise<void> {
  const all = migrations(store.dialect);
  const provider: MigrationProvider = { getMigrations: async (): Promise<Record<string, Migration>> => all };
  const migrator = new Migrator({ db: store.db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(
      `store migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
