// The lock order every writer follows on PostgreSQL, so that two transactions touching one site
// cannot wait for each other in a circle: the site row first (SELECT … FOR UPDATE), then its node
// rows, by id (loadSite with a lock does both). SQLite has one writer at a time and needs neither.
import type { Kysely } from 'kysely';
import type { Dialect } from './migrations.js';
import type { Database } from './tables.js';

/** Locks a site row; false when there is no such site. */
export async function lockSite(
  db: Kysely<Database>,
  store: { readonly dialect: Dialect },
  site_id: string,
): Promise<boolean> {
  if (store.dialect !== 'postgres') return true;
  const row = await db
    .selectFrom('sites')
    .select('id')
    .where('id', '=', site_id)
    .forUpdate()
    .executeTakeFirst();
  return row !== undefined;
}
