// One way to run a write transaction: on PostgreSQL a transaction can lose a lock-order conflict
// (deadlock, 40P01) or a serialisation check (40001) against a concurrent one. Either way nothing of
// it was committed and running it again is correct, so the caller sees success, not a 500.
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './tables.js';

export interface TransactOptions {
  /** Where a retry is logged (warn); nothing is logged without it. */
  readonly log?: { warn(obj: object, msg: string): void };
  /** What the transaction does, for the log. */
  readonly what?: string;
  /** Attempts in all, the first included (default 5). */
  readonly attempts?: number;
}

const DEFAULT_ATTEMPTS = 5;
/** Backoff before attempt n+1: up to BASE·2^(n-1) ms, jittered so that the two losers part ways. */
const BACKOFF_BASE_MS = 10;
const BACKOFF_MAX_MS = 400;

/** PostgreSQL's deadlock and serialisation failures: the whole transaction may simply run again. */
export function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

/**
 * Runs `fn` in a transaction and runs it again (a fresh transaction) when it fails with a deadlock
 * or a serialisation failure. `fn` may run more than once, so it must compute everything it writes
 * from what it reads inside the transaction (or from values fixed before the call).
 */
export async function transact<T>(
  store: { readonly db: Kysely<Database> },
  fn: (trx: Transaction<Database>) => Promise<T>,
  options: TransactOptions = {},
): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? DEFAULT_ATTEMPTS);
  for (let attempt = 1; ; attempt++) {
    try {
      return await store.db.transaction().execute(fn);
    } catch (err) {
      if (attempt >= attempts || !isRetryable(err)) throw err;
      const code = (err as { code: string }).code;
      options.log?.warn({ attempt, code, what: options.what ?? 'transaction' }, 'transaction retried');
      const cap_ms = Math.min(BACKOFF_BASE_MS * 2 ** (attempt - 1), BACKOFF_MAX_MS);
      await new Promise((r) => setTimeout(r, cap_ms / 2 + Math.random() * (cap_ms / 2)));
    }
  }
}
