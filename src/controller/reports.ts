// Ingests agent reports. Reports that arrive together are written in one transaction (group
// commit) and each is acknowledged only after that transaction has committed.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { type EvalContext, evaluateSite } from './evaluate.js';
import { recordEvent } from './events.js';
import type { Report } from './schema.js';
import type { Settings } from './settings.js';
import type { HotQueries } from './store/hot.js';
import type { Store } from './store/open.js';
import type { Database } from './store/tables.js';

export interface ReportJob {
  readonly node_id: string;
  readonly site_id: string;
  readonly report: Report;
}

export interface ReportOutcome {
  readonly duplicate: boolean;
}

/** Applies one report: stores it, updates the node's latest status and derives events. */
export async function applyReport(
  db: Kysely<Database>,
  hot: HotQueries,
  ctx: Omit<EvalContext, 'db'>,
  job: ReportJob,
): Promise<ReportOutcome> {
  const r = job.report;
  const now_ms = ctx.now_ms;
  const store = () =>
    hot.insertReport.run(db, {
      node_id: job.node_id,
      report_id: r.id,
      received_at: now_ms,
      body: JSON.stringify(r),
    });
  const wan_ok = r.wan_ok ? 1 : 0;
  const hears_peer = r.hears_peer ? 1 : 0;
  const latest = {
    last_report_at: now_ms,
    indicators: JSON.stringify(r.indicators),
    wan: JSON.stringify(r.wan),
    last_keepalive_at: r.last_keepalive_at,
    last_report_id: r.id,
    ...(r.action_results.length > 0 ? { action_results: JSON.stringify(r.action_results) } : {}),
  };
  // Most reports are periodic and change nothing that matters: one conditional UPDATE settles them.
  if (r.action_results.length === 0) {
    const same = await hot.touchUnchanged.run(db, {
      id: job.node_id,
      report_id: r.id,
      last_report_at: now_ms,
      indicators: latest.indicators,
      wan: latest.wan,
      last_keepalive_at: r.last_keepalive_at,
      state: r.state,
      wan_ok,
      hears_peer,
      version: r.version,
    });
    if (same.numAffectedRows === 1n) {
      await store();
      return { duplicate: false };
    }
  }
  const node = await db
    .selectFrom('nodes')
    .select([
      'id',
      'role',
      'state',
      'wan_ok',
      'hears_peer',
      'version',
      'stale',
      'removed_at',
      'last_report_id',
    ])
    .where('id', '=', job.node_id)
    .executeTakeFirst();
  if (node === undefined || node.removed_at !== null) return { duplicate: false };
  // An agent sends its reports one at a time, in order, so a resent report is the last one stored.
  if (node.last_report_id === r.id) return { duplicate: true };
  await store();
  const changed =
    node.state !== r.state ||
    node.wan_ok !== wan_ok ||
    node.hears_peer !== hears_peer ||
    node.version !== r.version ||
    node.stale === 1;
  await db
    .updateTable('nodes')
    .set({ ...latest, state: r.state, wan_ok, hears_peer, version: r.version, stale: 0 })
    .where('id', '=', job.node_id)
    .execute();
  const base = { site_id: job.site_id, node_id: job.node_id, at: now_ms };
  if (node.state !== r.state) {
    await recordEvent(db, {
      ...base,
      key: `state:${job.node_id}:${r.id}`,
      type: 'state-change',
      details: { role: node.role, from: node.state, to: r.state },
    });
  }
  for (const a of r.action_results) {
    const type =
      a.action === 'preflight' && !a.ok
        ? 'preflight-failure'
        : a.action === 'repair' && a.ok
          ? 'drift-repaired'
          : null;
    if (type === null) continue;
    const details = {
      role: node.role,
      action: a.action,
      message: a.message ?? null,
      duration_ms: a.duration_ms ?? null,
    };
    await recordEvent(db, { ...base, key: `action:${job.node_id}:${a.id}`, type, details });
  }
  if (changed) await evaluateSite({ ...ctx, db }, job.site_id);
  return { duplicate: false };
}

interface Pending {
  readonly job: ReportJob;
  resolve(outcome: ReportOutcome): void;
  reject(err: unknown): void;
}

export interface ReportWriterOptions {
  readonly store: Store;
  readonly settings: Settings;
  readonly now: () => number;
  readonly log: Logger;
  /** Bound on one transaction's size. */
  readonly batch_max?: number;
}

/** PostgreSQL's deadlock and serialisation failures: the whole transaction may simply be retried. */
function retryable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

export class ReportWriter {
  private readonly queue: Pending[] = [];
  private flushing = false;
  private readonly batch_max: number;

  constructor(private readonly options: ReportWriterOptions) {
    this.batch_max = options.batch_max ?? 256;
  }

  submit(job: ReportJob): Promise<ReportOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      // One site's reports in arrival order, sites in a fixed order: controllers lock sites alike, no deadlock.
      const batch = this.queue
        .splice(0, this.batch_max)
        .sort((a, b) => (a.job.site_id < b.job.site_id ? -1 : a.job.site_id > b.job.site_id ? 1 : 0));
      try {
        const outcomes = await this.write(batch.map((p) => p.job));
        for (const [i, p] of batch.entries()) p.resolve(outcomes[i]!);
      } catch (err) {
        if (batch.length === 1) {
          batch[0]!.reject(err);
          continue;
        }
        // One bad report must not fail its neighbours: write them one by one.
        for (const p of batch) {
          try {
            p.resolve((await this.write([p.job]))[0]!);
          } catch (e) {
            p.reject(e);
          }
        }
      }
    }
    this.flushing = false;
  }

  private async write(jobs: readonly ReportJob[]): Promise<ReportOutcome[]> {
    const { store, settings } = this.options;
    for (let attempt = 1; ; attempt++) {
      const now_ms = this.options.now();
      try {
        return await store.db.transaction().execute(async (trx) => {
          const out: ReportOutcome[] = [];
          for (const job of jobs)
            out.push(await applyReport(trx, store.hot, { dialect: store.dialect, settings, now_ms }, job));
          return out;
        });
      } catch (err) {
        if (attempt >= 3 || !retryable(err)) throw err;
        this.options.log.warn({ attempt, code: (err as { code?: string }).code }, 'report batch retried');
      }
    }
  }
}
