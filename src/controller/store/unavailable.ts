// When the store cannot serve a request now but will later: SQLite's write lock held by another
// process past the wait budget, or PostgreSQL unreachable, restarting or out of connections. The
// API answers these with 503 `unavailable` and a Retry-After, never a generic 500; nothing was
// written, and the next request simply tries again (the pool reconnects by itself).

export class StoreBusyError extends Error {
  readonly code = 'store-busy';
  constructor(readonly waited_ms: number) {
    super(`the store stayed locked by another process for ${waited_ms} ms; retry shortly`);
  }
}

/** PostgreSQL SQLSTATE classes and socket errors that mean "not reachable now", not "wrong". */
const PG_UNAVAILABLE_CLASSES = ['08', '53', '57'];
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);
/** node-postgres reports a lost or never-made connection by message only. */
const PG_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
];

export function isStoreUnavailable(err: unknown): boolean {
  if (err instanceof StoreBusyError) return true;
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return true;
    if (SOCKET_CODES.has(code)) return true;
    if (code.length === 5 && PG_UNAVAILABLE_CLASSES.includes(code.slice(0, 2))) return true;
  }
  if (err instanceof AggregateError) return err.errors.some(isStoreUnavailable);
  return typeof message === 'string' && PG_MESSAGES.some((m) => message.includes(m));
}
