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
  SqliteDialect,
} from 'kysely';
import pg from 'pg';
import { type Dialect, migrations } from './migrations.js';
import type { Database } from './tables.js';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
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
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
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
  return { db, dialect: 'postgres', close: () => db.destroy() };
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
