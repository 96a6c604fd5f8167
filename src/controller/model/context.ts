// What the model functions need: the store, the settings and the clock.
import type { Kysely } from 'kysely';
import { ControllerError } from '../errors.js';
import type { WebhookPolicy } from '../notify/webhook.js';
import type { Settings } from '../settings.js';
import type { Store } from '../store/open.js';
import type { Database, NodeRow, RangeRow, SiteRow } from '../store/tables.js';
import { type TransactOptions, transact } from '../store/transact.js';

export interface Ctx {
  readonly store: Store;
  readonly settings: Settings;
  readonly now: () => number;
  /** Where retried transactions are logged. */
  readonly log?: TransactOptions['log'];
  /** Which webhook URLs a channel may have. */
  readonly webhooks?: WebhookPolicy;
}

/** A write transaction of the model, retried on a deadlock or a serialisation failure. */
export function inTransaction<T>(
  ctx: Ctx,
  what: string,
  fn: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  return transact(ctx.store, fn, { log: ctx.log, what });
}

export interface LoadedSite {
  readonly site: SiteRow;
  readonly primary: NodeRow | null;
  readonly secondary: NodeRow | null;
  readonly ranges: readonly RangeRow[];
}

/**
 * Loads a site with its live nodes and ranges. Asked to lock (PostgreSQL), it locks in the order
 * every writer follows: the site row first, then its nodes by id (see store/locks.ts).
 */
export async function loadSite(
  db: Kysely<Database>,
  site_id: string,
  lock: { dialect: Ctx['store']['dialect'] } | null = null,
): Promise<LoadedSite> {
  const site = await db
    .selectFrom('sites')
    .selectAll()
    .where('id', '=', site_id)
    .$if(lock?.dialect === 'postgres', (q) => q.forUpdate())
    .executeTakeFirst();
  if (site === undefined) throw new ControllerError('not-found', `no site with id ${site_id}`);
  const ids = [site.primary_node_id, site.secondary_node_id].filter((x): x is string => x !== null);
  const nodes =
    ids.length === 0
      ? []
      : await db
          .selectFrom('nodes')
          .selectAll()
          .where('id', 'in', ids)
          .$if(lock?.dialect === 'postgres', (q) => q.orderBy('id').forUpdate())
          .execute();
  const ranges = await db
    .selectFrom('ranges')
    .selectAll()
    .where('site_id', '=', site_id)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return {
    site,
    primary: nodes.find((n) => n.id === site.primary_node_id) ?? null,
    secondary: nodes.find((n) => n.id === site.secondary_node_id) ?? null,
    ranges,
  };
}

export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
