// The periodic pass every controller runs: promote pending failovers and split brains past their
// thresholds, mark silent nodes stale, drop old reports. Every step claims its rows with a
// conditional write, so several controllers sweeping one database record each fact once.
import { evaluateSite } from './evaluate.js';
import { recordEvent } from './events.js';
import type { Settings } from './settings.js';
import { lockSite } from './store/locks.js';
import type { Store } from './store/open.js';
import { type TransactOptions, transact } from './store/transact.js';

type Log = TransactOptions['log'];

/** Bound on the rows one sweep touches per step; the next sweep takes the rest. */
const SWEEP_LIMIT = 500;

export async function sweep(store: Store, settings: Settings, now_ms: number, log?: Log): Promise<void> {
  await promoteFailovers(store, settings, now_ms, log);
  await promoteSplitBrains(store, settings, now_ms, log);
  await markStale(store, settings, now_ms, log);
  await dropOldReports(store, settings, now_ms);
}

function evaluate(
  store: Store,
  settings: Settings,
  now_ms: number,
  site_id: string,
  log: Log,
): Promise<void> {
  return transact(
    store,
    (trx) => evaluateSite({ db: trx, dialect: store.dialect, settings, now_ms }, site_id),
    { log, what: 'sweep: evaluate site' },
  );
}

async function promoteFailovers(store: Store, settings: Settings, now_ms: number, log: Log): Promise<void> {
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
  for (const { id } of due) await evaluate(store, settings, now_ms, id, log);
}

/** Sites whose nodes have both been active longer than the threshold and no split brain recorded. */
async function promoteSplitBrains(store: Store, settings: Settings, now_ms: number, log: Log): Promise<void> {
  const due = await store.db
    .selectFrom('sites')
    .select('id')
    .where('both_active_since', 'is not', null)
    .where('both_active_since', '<', now_ms - settings.split_brain_after_ms)
    .where('split_brain_since', 'is', null)
    .limit(SWEEP_LIMIT)
    .execute();
  for (const { id } of due) await evaluate(store, settings, now_ms, id, log);
}

async function markStale(store: Store, settings: Settings, now_ms: number, log: Log): Promise<void> {
  const silent = await store.db
    .selectFrom('nodes')
    .select(['id', 'site_id', 'role', 'last_report_at'])
    .where('stale', '=', 0)
    .where('removed_at', 'is', null)
    .where('last_report_at', '<', now_ms - settings.stale_after_ms)
    .limit(SWEEP_LIMIT)
    .execute();
  for (const node of silent) {
    await transact(
      store,
      async (trx) => {
        // The lock order every writer follows: the site row first, then its nodes.
        await lockSite(trx, store, node.site_id);
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
      },
      { log, what: 'sweep: mark stale' },
    );
  }
}

/**
 * Rows per delete. On SQLite a statement runs on the event loop: 5,000 rows took 15 ms (nothing else
 * answered meanwhile), 500 take about one. Between chunks other work runs.
 */
const DROP_CHUNK = 500;
/** Bound on one sweep's deletes: 40 chunks (20,000 rows) a second outpaces 5,000 reports a second. */
const DROP_CHUNKS_MAX = 40;

/** Drops reports past retention in short statements, the event loop free between them. */
export async function dropOldReports(
  store: Store,
  settings: Settings,
  now_ms: number,
  pause: () => Promise<void> = () => new Promise((r) => setImmediate(r)),
): Promise<number> {
  const cutoff = now_ms - settings.report_retention_ms;
  let dropped = 0;
  for (let chunk = 0; chunk < DROP_CHUNKS_MAX; chunk++) {
    const result = await store.db
      .deleteFrom('reports')
      .where(
        'id',
        'in',
        store.db.selectFrom('reports').select('id').where('received_at', '<', cutoff).limit(DROP_CHUNK),
      )
      .executeTakeFirst();
    const n = Number(result.numDeletedRows);
    dropped += n;
    if (n < DROP_CHUNK) break;
    await pause();
  }
  return dropped;
}
