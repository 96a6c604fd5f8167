// Opens the store: an SQLite file (WAL) by default, PostgreSQL when given a postgres:// URL.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, type Migration, type MigrationProvider, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { type BatchQueries, batchQueries } from './batch.js';
import { startCheckpointer } from './checkpointer.js';
import { type HotQueries, hotQueries } from './hot.js';
import { type Dialect, migrations } from './migrations.js';
import { sqliteDialect } from './sqlite.js';
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
  /** SQLite: how long a write waits for a lock held by another process before 503 (default 2 s). */
  readonly busy_ms?: number;
}

const INT8_OID = 20;
/** How often the WAL is checkpointed (off the event loop); it also bounds the WAL's growth. */
const CHECKPOINT_INTERVAL_MS = 500;

export async function openStore(options: StoreOptions): Promise<Store> {
  const store = isPostgresUrl(options.url) ? openPostgres(options) : openSqlite(options);
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

function openSqlite(options: StoreOptions): Store {
  const path = options.url;
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    protect(path);
  }
  const db = new Kysely<Database>({
    dialect: sqliteDialect({ path, ...(options.busy_ms !== undefined ? { busy_ms: options.busy_ms } : {}) }),
  });
  const queries = { hot: hotQueries(db), batch: batchQueries('sqlite') };
  if (path === ':memory:') return { db, dialect: 'sqlite', ...queries, close: () => db.destroy() };
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

/**
 * The store holds token hashes, node settings and webhook secrets: only the controller's user may
 * read it. The file and its WAL and shared-memory companions are created 0600 (or made so), whatever
 * the umask.
 */
function protect(path: string): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (file === path) closeSync(openSync(file, 'a', 0o600));
    if (existsSync(file)) chmodSync(file, 0o600);
  }
}

function openPostgres(options: StoreOptions): Store {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.pool_max ?? 10,
    // A request waits this long for a connection, then answers 503 rather than hanging on an outage.
    connectionTimeoutMillis: 5000,
    // Epoch milliseconds are int8; they fit a JS number exactly, so read them as numbers.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID
          ? (v: string) => Number(v)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection the server drops (restart, outage) emits 'error' on the pool; unhandled, that
  // would end the process. The pool discards it and connects afresh on the next query.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    hot: hotQueries(db),
    batch: batchQueries('postgres', pool),
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
