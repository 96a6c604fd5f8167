// The periodic pass every controller runs: promote pending failovers past the threshold, mark
// silent nodes stale, drop old reports. Every step claims its rows with a conditional write, so
// several controllers sweeping one database record each fact once.
import { evaluateSite } from './evaluate.js';
import { recordEvent } from './events.js';
import type { Settings } from './settings.js';
import type { Store } from './store/open.js';

/** Bound on the rows one sweep touches per step; the next sweep takes the rest. */
const SWEEP_LIMIT = 500;

export async function sweep(store: Store, settings: Settings, now_ms: number): Promise<void> {
  await promoteFailovers(store, settings, now_ms);
  await markStale(store, settings, now_ms);
  await dropOldReports(store, settings, now_ms);
}

async function promoteFailovers(store: Store, settings: Settings, now_ms: number): Promise<void> {
  const due = await store.db
    .selectFrom('sites')
    .select('id')
    .where('secondary_active_since', 'is not', null)
    .where('secondary_active_since', '<', now_ms - settings.failover_after_ms)
    .where((eb) =>
      eb.or([
        eb('failover_recorded_for', 'is', null),
        eb('failover_recorded_for', '<>', eb.ref('secondary_active_since')),
      ]),
    )
    .limit(SWEEP_LIMIT)
    .execute();
  for (const { id } of due) {
    await store.db
      .transaction()
      .execute((trx) => evaluateSite({ db: trx, dialect: store.dialect, settings, now_ms }, id));
  }
}

async function markStale(store: Store, settings: Settings, now_ms: number): Promise<void> {
  const silent = await store.db
    .selectFrom('nodes')
    .select(['id', 'site_id', 'role', 'last_report_at'])
    .where('stale', '=', 0)
    .where('removed_at', 'is', null)
    .where('last_report_at', '<', now_ms - settings.stale_after_ms)
    .limit(SWEEP_LIMIT)
    .execute();
  for (const node of silent) {
    await store.db.transaction().execute(async (trx) => {
      const claimed = await trx
        .updateTable('nodes')
        .set({ stale: 1 })
        .where('id', '=', node.id)
        .where('stale', '=', 0)
        .where('last_report_at', '=', node.last_report_at)
        .executeTakeFirst();
      if (claimed.numUpdatedRows !== 1n) return;
      await recordEvent(trx, {
        key: `stale:${node.id}:${node.last_report_at}`,
        type: 'stale',
        site_id: node.site_id,
        node_id: node.id,
        at: now_ms,
        details: { role: node.role, last_report_at: node.last_report_at },
      });
      await evaluateSite({ db: trx, dialect: store.dialect, settings, now_ms }, node.site_id);
    });
  }
}

async function dropOldReports(store: Store, settings: Settings, now_ms: number): Promise<void> {
  const cutoff = now_ms - settings.report_retention_ms;
  await store.db
    .deleteFrom('reports')
    .where(
      'id',
      'in',
      store.db.selectFrom('reports').select('id').where('received_at', '<', cutoff).limit(5000),
    )
    .execute();
}
