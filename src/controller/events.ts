// Events: every fact the controller records, stored once (a unique key) and handed to the
// notification outbox in the same transaction, so a delivery exists exactly when its event does.
import type { Kysely } from 'kysely';
import type { EventQuery, EventType } from './schema.js';
import type { Database, EventRow, RuleRow } from './store/tables.js';

export interface NewEvent {
  /** Unique per fact: the same fact derived twice (two controllers, a retried report) is stored once. */
  readonly key: string;
  readonly type: EventType;
  readonly site_id: string | null;
  readonly node_id: string | null;
  readonly at: number;
  readonly details: Record<string, unknown>;
}

export interface EventView {
  readonly id: number;
  readonly type: EventType;
  readonly site_id: string | null;
  readonly node_id: string | null;
  readonly at: number;
  readonly details: Record<string, unknown>;
}

/** Returns the new event's id, or null when the fact was already recorded. */
export async function recordEvent(db: Kysely<Database>, event: NewEvent): Promise<number | null> {
  const row = await db
    .insertInto('events')
    .values({
      key: event.key,
      type: event.type,
      site_id: event.site_id,
      node_id: event.node_id,
      at: event.at,
      details: JSON.stringify(event.details),
    })
    .onConflict((oc) => oc.column('key').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (row === undefined) return null;
  await enqueueDeliveries(db, row.id, event);
  return row.id;
}

export function ruleMatches(rule: Pick<RuleRow, 'event_types' | 'site_ids'>, event: NewEvent): boolean {
  const types = JSON.parse(rule.event_types) as string[];
  const sites = JSON.parse(rule.site_ids) as string[];
  const typeOk = types.length === 0 || types.includes(event.type);
  const siteOk = sites.length === 0 || (event.site_id !== null && sites.includes(event.site_id));
  return typeOk && siteOk;
}

async function enqueueDeliveries(db: Kysely<Database>, event_id: number, event: NewEvent): Promise<void> {
  const rules = await db.selectFrom('rules').select(['event_types', 'site_ids', 'channel_id']).execute();
  const channels = new Set(rules.filter((r) => ruleMatches(r, event)).map((r) => r.channel_id));
  for (const channel_id of channels) {
    await db
      .insertInto('deliveries')
      .values({
        event_id,
        channel_id,
        status: 'pending',
        attempts: 0,
        next_attempt_at: event.at,
        claimed_by: null,
        claimed_until: null,
        last_error: null,
        sent_at: null,
      })
      .onConflict((oc) => oc.columns(['event_id', 'channel_id']).doNothing())
      .execute();
  }
}

export function eventView(row: EventRow): EventView {
  return {
    id: row.id,
    // Only recordEvent writes the column, with an EventType.
    type: row.type as EventType,
    site_id: row.site_id,
    node_id: row.node_id,
    at: row.at,
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}

/** Newest first; `next_cursor` pages on to older events. */
export async function queryEvents(
  db: Kysely<Database>,
  q: EventQuery,
): Promise<{ events: EventView[]; next_cursor: number | null }> {
  let query = db.selectFrom('events').selectAll();
  if (q.site_id !== undefined) query = query.where('site_id', '=', q.site_id);
  if (q.node_id !== undefined) query = query.where('node_id', '=', q.node_id);
  if (q.type !== undefined) query = query.where('type', '=', q.type);
  if (q.since !== undefined) query = query.where('at', '>=', q.since);
  if (q.until !== undefined) query = query.where('at', '<', q.until);
  if (q.cursor !== undefined) query = query.where('id', '<', q.cursor);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const page = rows.slice(0, q.limit);
  const next_cursor = rows.length > q.limit ? page[page.length - 1]!.id : null;
  return { events: page.map(eventView), next_cursor };
}
