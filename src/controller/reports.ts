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

/** How often a periodic report refreshes the node row: well inside the stale time. */
export function touchInterval(settings: Settings): number {
  return Math.min(5000, Math.floor(settings.stale_after_ms / 4));
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
  const node = (await hot.nodeForReport.run(db, { id: job.node_id })).rows[0];
  if (node === undefined || node.removed_at !== null) return { duplicate: false };
  // An agent sends its reports one at a time, in order, so a resent report is the last one recorded.
  if (node.last_report_id === r.id) return { duplicate: true };
  await store();
  const changed =
    node.state !== r.state ||
    node.wan_ok !== wan_ok ||
    node.hears_peer !== hears_peer ||
    node.version !== r.version ||
    node.stale === 1;
  if (!changed && r.action_results.length === 0) {
    // A periodic report: the report log has it; the node row (one random page written per update)
    // is refreshed only every touch interval, which keeps staleness exact to within that interval.
    const due = node.last_report_at === null || now_ms - node.last_report_at >= touchInterval(ctx.settings);
    if (due) {
      const { indicators, wan, last_keepalive_at } = latest;
      await hot.touch.run(db, {
        id: job.node_id,
        report_id: r.id,
        last_report_at: now_ms,
        indicators,
        wan,
        last_keepalive_at,
      });
    }
    return { duplicate: false };
  }
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

/**
 * Applies a batch in a few statements: one read of the batch's nodes, one multi-row insert of the
 * periodic reports (the common case); reports that change something go through applyReport, in
 * order, after them.
 */
export async function applyBatch(
  db: Kysely<Database>,
  hot: HotQueries,
  ctx: Omit<EvalContext, 'db'>,
  jobs: readonly ReportJob[],
): Promise<ReportOutcome[]> {
  const ids = [...new Set(jobs.map((j) => j.node_id))];
  const nodes = new Map(
    (
      await db
        .selectFrom('nodes')
        .select([
          'id',
          'state',
          'wan_ok',
          'hears_peer',
          'version',
          'stale',
          'removed_at',
          'last_report_at',
          'last_report_id',
        ])
        .where('id', 'in', ids)
        .execute()
    ).map((n) => [n.id, n]),
  );
  const out: ReportOutcome[] = new Array(jobs.length);
  const periodic: number[] = [];
  const rest: number[] = [];
  const seen = new Set<string>();
  for (const [i, job] of jobs.entries()) {
    const node = nodes.get(job.node_id);
    const r = job.report;
    const first = !seen.has(job.node_id);
    seen.add(job.node_id);
    if (node === undefined || node.removed_at !== null) out[i] = { duplicate: false };
    else if (!first) rest.push(i);
    else if (node.last_report_id === r.id) out[i] = { duplicate: true };
    else if (
      r.action_results.length === 0 &&
      node.stale === 0 &&
      node.state === r.state &&
      node.wan_ok === (r.wan_ok ? 1 : 0) &&
      node.hears_peer === (r.hears_peer ? 1 : 0) &&
      node.version === r.version
    )
      periodic.push(i);
    else rest.push(i);
  }
  if (periodic.length > 0) {
    const rows = periodic.map((i) => {
      const { node_id, report } = jobs[i]!;
      return { node_id, report_id: report.id, received_at: ctx.now_ms, body: JSON.stringify(report) };
    });
    await db.insertInto('reports').values(rows).execute();
    const touch_ms = touchInterval(ctx.settings);
    for (const i of periodic) {
      out[i] = { duplicate: false };
      const { node_id, report: r } = jobs[i]!;
      const last = nodes.get(node_id)!.last_report_at;
      if (last !== null && ctx.now_ms - last < touch_ms) continue;
      await hot.touch.run(db, {
        id: node_id,
        report_id: r.id,
        last_report_at: ctx.now_ms,
        indicators: JSON.stringify(r.indicators),
        wan: JSON.stringify(r.wan),
        last_keepalive_at: r.last_keepalive_at,
      });
    }
  }
  for (const i of rest) out[i] = await applyReport(db, hot, ctx, jobs[i]!);
  return out;
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
  /** Transactions in flight at once (PostgreSQL); 1 for SQLite. */
  readonly lanes?: number;
}

/** PostgreSQL's deadlock and serialisation failures: the whole transaction may simply be retried. */
function retryable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

/**
 * Reports are written by lanes, each one transaction at a time; a site always maps to the same
 * lane, so one site's reports apply in arrival order. SQLite has one connection and one lane;
 * PostgreSQL gets several so that round trips overlap.
 */
export class ReportWriter {
  private readonly lanes: { queue: Pending[]; flushing: boolean }[];
  private readonly batch_max: number;

  constructor(private readonly options: ReportWriterOptions) {
    this.batch_max = options.batch_max ?? 256;
    const n = Math.max(1, options.lanes ?? 1);
    this.lanes = Array.from({ length: n }, () => ({ queue: [], flushing: false }));
  }

  submit(job: ReportJob): Promise<ReportOutcome> {
    const lane = this.lanes[laneOf(job.site_id, this.lanes.length)]!;
    return new Promise((resolve, reject) => {
      lane.queue.push({ job, resolve, reject });
      if (!lane.flushing) {
        lane.flushing = true;
        setImmediate(() => void this.flush(lane));
      }
    });
  }

  private async flush(lane: { queue: Pending[]; flushing: boolean }): Promise<void> {
    while (lane.queue.length > 0) {
      // Sites in a fixed order within a batch: controllers lock sites alike, so they cannot deadlock.
      const batch = lane.queue
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
    lane.flushing = false;
  }

  private async write(jobs: readonly ReportJob[]): Promise<ReportOutcome[]> {
    const { store, settings } = this.options;
    for (let attempt = 1; ; attempt++) {
      const now_ms = this.options.now();
      try {
        return await store.db
          .transaction()
          .execute((trx) => applyBatch(trx, store.hot, { dialect: store.dialect, settings, now_ms }, jobs));
      } catch (err) {
        if (attempt >= 3 || !retryable(err)) throw err;
        this.options.log.warn({ attempt, code: (err as { code?: string }).code }, 'report batch retried');
      }
    }
  }
}

function laneOf(site_id: string, lanes: number): number {
  let h = 0;
  for (let i = 0; i < site_id.length; i++) h = (h * 31 + site_id.charCodeAt(i)) | 0;
  return Math.abs(h) % lanes;
}
