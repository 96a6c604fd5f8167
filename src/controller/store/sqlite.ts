// SQLite for the controller without ever blocking the event loop on a lock.
//
// better-sqlite3 is synchronous: with a busy_timeout it sleeps inside the call while another
// process holds the write lock, and nothing else runs (a /healthz took 11 s behind a held lock).
// So both connections here run with busy_timeout = 0: a statement that finds the file locked fails
// at once with SQLITE_BUSY and is tried again after an asynchronous backoff, until a deadline, after
// which the caller gets StoreBusyError (the API's 503 `unavailable`).
//
// Two connections: the writer runs every transaction (BEGIN IMMEDIATE, so the lock is taken — or
// waited for — before the first statement, never half-way) and every write, one at a time behind a
// mutex; the reader runs plain SELECTs outside transactions. In WAL mode a reader never waits for a
// writer, so reads stay answered while a write waits for the lock (the semantics PostgreSQL gives).
import BetterSqlite3 from 'better-sqlite3';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  SelectQueryNode,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import { StoreBusyError } from './unavailable.js';

export interface SqliteOptions {
  readonly path: string;
  /** How long a statement may wait for a lock held elsewhere before StoreBusyError (default 2 s). */
  readonly busy_ms?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Bound on cached prepared statements per connection; the hot paths use a handful of shapes. */
const STATEMENT_CACHE_MAX = 256;
const DEFAULT_BUSY_MS = 2000;
/** Backoff between attempts on a locked file: 1, 2, 4 … ms, at most this. */
const RETRY_MAX_MS = 25;

type Connection = BetterSqlite3.Database;

export function openConnection(path: string): Connection {
  const database = new BetterSqlite3(path);
  database.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a commit is in the WAL (the OS page cache) before we reply, so a killed
  // process loses nothing it acknowledged; only a power cut can lose the last transactions.
  database.pragma('synchronous = NORMAL');
  // Never sleep inside the driver: waits for a lock are asynchronous retries (see above).
  database.pragma('busy_timeout = 0');
  // A larger page cache keeps the node rows and index tails in memory across commits.
  database.pragma('cache_size = -65536');
  // Checkpoints run on a worker thread (checkpointer.ts), never inside a commit on the event loop.
  database.pragma('wal_autocheckpoint = 0');
  return database;
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** Kysely prepares every query anew; our SQL texts repeat, so their prepared statements are reused. */
class Statements {
  private readonly cache = new Map<string, BetterSqlite3.Statement>();
  constructor(readonly db: Connection) {}
  get(sql: string): BetterSqlite3.Statement {
    let stmt = this.cache.get(sql);
    if (stmt === undefined) {
      if (this.cache.size >= STATEMENT_CACHE_MAX) this.cache.clear();
      stmt = this.db.prepare(sql);
      this.cache.set(sql, stmt);
    }
    return stmt;
  }
}

class Mutex {
  private tail: Promise<void> = Promise.resolve();
  /** Resolves when the caller holds it; call the returned function to release. */
  lock(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => held);
    return ready;
  }
}

class Pair {
  readonly writer: Statements;
  readonly reader: Statements;
  readonly writeLock = new Mutex();
  private readonly busy_ms: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: SqliteOptions) {
    const writer = openConnection(options.path);
    this.writer = new Statements(writer);
    // An in-memory database exists once per connection: it reads through its writer.
    this.reader = options.path === ':memory:' ? this.writer : new Statements(openConnection(options.path));
    this.busy_ms = options.busy_ms ?? DEFAULT_BUSY_MS;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Runs `fn` now, and again after a backoff while the file is locked elsewhere, until the deadline. */
  async retrying<T>(fn: () => T, deadline = this.deadline()): Promise<T> {
    for (let wait_ms = 1; ; wait_ms = Math.min(wait_ms * 2, RETRY_MAX_MS)) {
      try {
        return fn();
      } catch (err) {
        if (!isBusy(err)) throw err;
        if (this.now() >= deadline) throw new StoreBusyError(this.busy_ms);
      }
      await this.sleep(wait_ms);
    }
  }

  /** When a wait that starts now must give up; taken before queueing for the writer, so the queue counts. */
  deadline(): number {
    return this.now() + this.busy_ms;
  }

  close(): void {
    this.writer.db.close();
    if (this.reader !== this.writer) this.reader.db.close();
  }
}

function run(statements: Statements, query: CompiledQuery): QueryResult<unknown> {
  const stmt = statements.get(query.sql);
  const parameters = query.parameters as unknown[];
  if (stmt.reader) return { rows: stmt.all(parameters) };
  const { changes, lastInsertRowid } = stmt.run(parameters);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}

/** One logical connection: Kysely takes one per query or per transaction; all share the Pair. */
class Lane implements DatabaseConnection {
  /** Set while this lane holds the writer for a transaction. */
  release: (() => void) | null = null;
  constructor(private readonly pair: Pair) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const pair = this.pair;
    if (this.release !== null) return (await pair.retrying(() => run(pair.writer, query))) as QueryResult<R>;
    if (SelectQueryNode.is(query.query)) {
      return (await pair.retrying(() => run(pair.reader, query))) as QueryResult<R>;
    }
    const deadline = pair.deadline();
    const release = await pair.writeLock.lock();
    try {
      return (await pair.retrying(() => run(pair.writer, query), deadline)) as QueryResult<R>;
    } finally {
      release();
    }
  }

  // biome-ignore lint/correctness/useYield: Kysely's interface; the controller never streams.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not used by the controller');
  }
}

class LaneDriver implements Driver {
  private pair: Pair | null = null;
  constructor(private readonly options: SqliteOptions) {}

  async init(): Promise<void> {
    this.pair = new Pair(this.options);
  }
  private get open(): Pair {
    if (this.pair === null) throw new Error('the SQLite store is closed');
    return this.pair;
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    return new Lane(this.open);
  }
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const lane = connection as Lane;
    const pair = this.open;
    const deadline = pair.deadline();
    const release = await pair.writeLock.lock();
    try {
      // IMMEDIATE: the write lock is taken here, where waiting for it is safe to retry.
      await pair.retrying(() => pair.writer.db.exec('BEGIN IMMEDIATE'), deadline);
    } catch (err) {
      release();
      throw err;
    }
    lane.release = release;
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const pair = this.open;
    await pair.retrying(() => pair.writer.db.exec('COMMIT'));
    this.finish(connection as Lane);
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const pair = this.open;
    try {
      if (pair.writer.db.inTransaction) pair.writer.db.exec('ROLLBACK');
    } finally {
      this.finish(connection as Lane);
    }
  }
  private finish(lane: Lane): void {
    lane.release?.();
    lane.release = null;
  }
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {
    this.pair?.close();
    this.pair = null;
  }
}

export function sqliteDialect(options: SqliteOptions): Dialect {
  return {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new LaneDriver(options),
    createIntrospector: (db: Kysely<unknown>) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
}
