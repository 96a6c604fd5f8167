// Ingests agent reports. Reports that arrive together are authenticated, checked and written in
// one transaction (group commit) with a fixed number of statements, and each is acknowledged only
// after that transaction has committed.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { authorize, liveNode, nodePrincipal } from './auth.js';
import { ControllerError } from './errors.js';
import { evaluateSite } from './evaluate.js';
import { recordEvent } from './events.js';
import type { KnownCredentials } from './known-credentials.js';
import { completeCommands } from './model/commands.js';
import type { ActionResult, PathwatchReport, Report } from './schema.js';
import type { Settings } from './settings.js';
import type { LoggedReport, ReportingNode, Touch } from './store/batch.js';
import type { Store } from './store/open.js';
import type { Database } from './store/tables.js';
import { isRetryable, type TransactOptions, transact } from './store/transact.js';
import { isStoreUnavailable } from './store/unavailable.js';

export interface ReportJob {
  /** SHA-256 of the bearer credential: the batch finds the reporting node by it. */
  readonly credential_hash: string;
  /** The node the request names; only that node's own credential may report for it. */
  readonly node_id: string;
  readonly report: Report;
}

export interface ReportOutcome {
  readonly duplicate: boolean;
  /** From the node row read with the report: the reply tells the agent the site's settings version. */
  readonly settings_version: number;
  /** Non-zero: the reply looks up the commands waiting for the node. */
  readonly commands_pending: number;
}

/**
 * A report whose write failed: the transaction (or atomic statement) it was part of stored nothing,
 * so the report may be answered with the cause (503 when the store is unavailable) or tried again.
 */
export class WriteFailed {
  constructor(readonly cause: unknown) {}
}

/** What one report came to: stored (or recognised as a resend), refused, or not written. */
export type ReportResult = ReportOutcome | ControllerError | WriteFailed;

export interface BatchContext {
  readonly settings: Settings;
  readonly now_ms: number;
}

type Queries = Pick<Store, 'dialect' | 'hot' | 'batch'>;

/** How often a periodic report refreshes the node row: well inside the stale time. */
export function touchInterval(settings: Settings): number {
  return Math.min(5000, Math.floor(settings.stale_after_ms / 4));
}

/** A report that repeats the node's stored facts: the log gets it, nothing is derived from it. */
function isPeriodic(node: ReportingNode, r: Report): boolean {
  return (
    // A pathwatch's loss and RTT change every round: its (few) reports always update the row.
    r.pathwatch === undefined &&
    r.action_results.length === 0 &&
    r.command_results === undefined &&
    r.preflight === undefined &&
    settingsText(r) === node.settings_state &&
    progressText(r) === node.progress &&
    node.stale === 0 &&
    node.state === r.state &&
    node.wan_ok === (r.wan_ok ? 1 : 0) &&
    node.hears_peer === (r.hears_peer ? 1 : 0) &&
    node.version === r.version
  );
}

function outcomeOf(node: ReportingNode, duplicate: boolean): ReportOutcome {
  return { duplicate, settings_version: node.settings_version, commands_pending: node.commands_pending };
}

interface Plan {
  readonly out: ReportResult[];
  /** Periodic reports: logged in one statement. */
  readonly logged: LoggedReport[];
  /** Their indices in the batch. */
  readonly periodic: number[];
  /** Periodic reports whose node row is due a refresh. */
  readonly touches: Touch[];
  /** Reports that change their node, in arrival order. */
  readonly changes: { i: number; node: ReportingNode }[];
}

/**
 * Sorts a batch by what it needs, given the nodes its credentials name: refused (answered now), a
 * resend (answered now), periodic (logged; the node row refreshed when due), or a change.
 */
function planBatch(ctx: BatchContext, jobs: readonly ReportJob[], nodes: readonly ReportingNode[]): Plan {
  const found = new Map(nodes.map((n) => [n.credential_hash, n]));
  const perCredential = new Map<string, number>();
  for (const j of jobs) perCredential.set(j.credential_hash, (perCredential.get(j.credential_hash) ?? 0) + 1);
  const plan: Plan = { out: new Array(jobs.length), logged: [], periodic: [], touches: [], changes: [] };
  const touch_ms = touchInterval(ctx.settings);
  for (let i = 0; i < jobs.length; i++) {
    const job = jobs[i]!;
    let node: ReportingNode;
    try {
      node = liveNode(job.credential_hash, found.get(job.credential_hash));
      authorize(nodePrincipal(node), { node_id: job.node_id });
    } catch (err) {
      plan.out[i] = err as ControllerError;
      continue;
    }
    const r = job.report;
    if (r.pathwatch !== undefined && node.site_kind !== 'pathwatch') {
      plan.out[i] = new ControllerError(
        'invalid-request',
        `a pathwatch part comes only from \`tandem pathwatch\`, the node of a site of kind pathwatch; this node's site is of kind ${node.site_kind}`,
        '/pathwatch',
      );
      continue;
    }
    // A node with several reports in one batch (a resend racing its original) takes the ordered
    // path for all of them, each against the row the one before left.
    if (perCredential.get(job.credential_hash)! > 1) plan.changes.push({ i, node });
    else if (node.last_report_id === r.id) plan.out[i] = outcomeOf(node, true);
    else if (isPeriodic(node, r)) {
      plan.out[i] = outcomeOf(node, false);
      plan.periodic.push(i);
      plan.logged.push({ node_id: node.id, report_id: r.id, body: JSON.stringify(r) });
      // The node row (one random page written per update) is refreshed only every touch interval,
      // which keeps staleness exact to within that interval; the log has every report.
      if (node.last_report_at === null || ctx.now_ms - node.last_report_at >= touch_ms) {
        plan.touches.push({
          node_id: node.id,
          report_id: r.id,
          indicators: JSON.stringify(r.indicators),
          wan: JSON.stringify(r.wan),
          last_keepalive_at: r.last_keepalive_at,
        });
      }
    } else plan.changes.push({ i, node });
  }
  return plan;
}

/** PostgreSQL: a batch's units (its periodic statement, each site's transaction) run at most this many at once. */
const UNITS_AT_ONCE = 4;

/**
 * Writes a batch. One read finds every report's node by its credential (authentication and the
 * comparison in one statement). The periodic reports (the common case) are then written in one
 * statement on PostgreSQL (the log insert and the due node refreshes together, committed on its own)
 * and one short transaction on SQLite.
 *
 * Reports that change something are applied in arrival order with their site locked. On PostgreSQL
 * each site gets its own transaction, and these and the periodic statement run side by side (at most
 * UNITS_AT_ONCE): a pair's two nodes may sit in different lanes, and one transaction holding the locks
 * of every site in a batch would make the other lanes wait for all of it (in a boot storm, where every
 * report is a change, they queued behind each other for minutes). SQLite has one writer, so one
 * transaction there serves the whole batch.
 *
 * Each unit is all or nothing: when one fails, its reports come back as WriteFailed (nothing of
 * them stored) and the other units' reports are unaffected. Only the first read failing throws.
 *
 * Reading outside a transaction decides nothing a concurrent writer could make wrong: a report
 * judged periodic only logs itself and refreshes columns no other writer sets, and a change reads
 * its node again inside its transaction.
 */
export async function writeBatch(
  store: Queries & { readonly db: Kysely<Database> },
  ctx: BatchContext,
  jobs: readonly ReportJob[],
  log?: TransactOptions['log'],
): Promise<ReportResult[]> {
  const hashes = [...new Set(jobs.map((j) => j.credential_hash))];
  const plan = planBatch(ctx, jobs, await store.batch.nodesByCredential(store.db, hashes));
  const { out, logged, periodic, touches, changes } = plan;
  const options = { ...(log !== undefined ? { log } : {}), what: 'report batch' };
  const unit = async (members: readonly number[], write: () => Promise<unknown>): Promise<void> => {
    try {
      await write();
    } catch (err) {
      for (const i of members) out[i] = new WriteFailed(err);
    }
  };
  if (store.dialect === 'sqlite') {
    if (changes.length === 0) {
      if (logged.length > 0)
        await unit(periodic, () => store.batch.writePeriodic(store.db, ctx.now_ms, logged, touches));
      return out;
    }
    await unit([...periodic, ...changes.map((c) => c.i)], () =>
      transact(
        store,
        async (trx) => {
          await applyChanges(trx, store, ctx, jobs, changes, out);
          if (logged.length > 0) await store.batch.writePeriodic(trx, ctx.now_ms, logged, touches);
        },
        options,
      ),
    );
    return out;
  }
  const units: (() => Promise<void>)[] = [];
  if (logged.length > 0)
    units.push(() => unit(periodic, () => writePeriodic(store, ctx.now_ms, logged, touches, log)));
  for (const site of bySite(changes)) {
    const members = site.map((c) => c.i);
    units.push(() =>
      unit(members, () => transact(store, (trx) => applyChanges(trx, store, ctx, jobs, site, out), options)),
    );
  }
  await inTurns(units, UNITS_AT_ONCE);
  return out;
}

/** Runs the tasks, at most `at_once` of them at a time. */
async function inTurns(tasks: readonly (() => Promise<void>)[], at_once: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(at_once, tasks.length) }, worker));
}

/** Attempts for the periodic statement: it is atomic, so one that lost a deadlock wrote nothing. */
const PERIODIC_ATTEMPTS = 3;

/**
 * The periodic write on its own. Its node refreshes lock rows in the join's order, not by id, so on
 * PostgreSQL it can, rarely, lose a deadlock against a transaction locking a site's two nodes by id;
 * it is then simply run again.
 */
async function writePeriodic(
  store: Queries & { readonly db: Kysely<Database> },
  now_ms: number,
  logged: readonly LoggedReport[],
  touches: readonly Touch[],
  log: TransactOptions['log'],
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await store.batch.writePeriodic(store.db, now_ms, logged, touches);
    } catch (err) {
      if (attempt >= PERIODIC_ATTEMPTS || !isRetryable(err)) throw err;
      log?.warn(
        { attempt, code: (err as { code: string }).code, what: 'periodic reports' },
        'statement retried',
      );
    }
  }
}

/** Changes grouped by site, each group in arrival order. */
function bySite(changes: Plan['changes']): Plan['changes'][] {
  const groups = new Map<string, { i: number; node: ReportingNode }[]>();
  for (const c of changes) {
    const group = groups.get(c.node.site_id);
    if (group === undefined) groups.set(c.node.site_id, [c]);
    else group.push(c);
  }
  return [...groups.values()];
}

async function applyChanges(
  db: Kysely<Database>,
  q: Queries,
  ctx: BatchContext,
  jobs: readonly ReportJob[],
  changes: readonly { i: number; node: ReportingNode }[],
  out: ReportResult[],
): Promise<void> {
  const sites = [...new Set(changes.map((c) => c.node.site_id))].sort();
  if (q.dialect === 'postgres') {
    await db.selectFrom('sites').select('id').where('id', 'in', sites).orderBy('id').forUpdate().execute();
  }
  const evaluate = new Set<string>();
  for (const { i, node } of changes) {
    const applied = await applyChange(db, q, ctx, node.id, node.site_id, jobs[i]!.report);
    out[i] = {
      duplicate: applied.duplicate,
      settings_version: node.settings_version,
      commands_pending: node.commands_pending,
    };
    if (applied.changed) evaluate.add(node.site_id);
  }
  // Once per site, after all of its reports: a site whose two nodes both reported is judged on both.
  for (const site_id of sites) {
    if (evaluate.has(site_id)) await evaluateSite({ db, dialect: q.dialect, ...ctx }, site_id);
  }
}

/** Applies a report that may change the node: logs it, updates the node row and records events. */
async function applyChange(
  db: Kysely<Database>,
  q: Queries,
  ctx: BatchContext,
  node_id: string,
  site_id: string,
  r: Report,
): Promise<{ duplicate: boolean; changed: boolean }> {
  const now_ms = ctx.now_ms;
  // Read again: an earlier report of this node in the same batch may have changed the row.
  const node = (await q.hot.nodeForReport.run(db, { id: node_id })).rows[0];
  if (node === undefined || node.removed_at !== null) return { duplicate: false, changed: false };
  // An agent sends its reports one at a time, in order, so a resent report is the last one recorded.
  if (node.last_report_id === r.id) return { duplicate: true, changed: false };
  await q.hot.insertReport.run(db, {
    node_id,
    report_id: r.id,
    received_at: now_ms,
    body: JSON.stringify(r),
  });
  const wan_ok = r.wan_ok ? 1 : 0;
  const hears_peer = r.hears_peer ? 1 : 0;
  const pathwatch = r.pathwatch === undefined ? null : pathwatchText(r.pathwatch);
  const changed =
    node.state !== r.state ||
    node.wan_ok !== wan_ok ||
    node.hears_peer !== hears_peer ||
    node.version !== r.version ||
    node.stale === 1 ||
    (pathwatch !== null && pathwatchShape(node.pathwatch) !== pathwatchShape(pathwatch));
  const settings_state = settingsText(r);
  await db
    .updateTable('nodes')
    .set({
      last_report_at: now_ms,
      indicators: JSON.stringify(r.indicators),
      wan: JSON.stringify(r.wan),
      last_keepalive_at: r.last_keepalive_at,
      last_report_id: r.id,
      ...(r.action_results.length > 0
        ? { action_results: JSON.stringify(latestPerAction(node.action_results, r.action_results)) }
        : {}),
      ...(settings_state !== null ? { settings_state } : {}),
      progress: progressText(r),
      ...(r.preflight !== undefined ? { preflight: JSON.stringify(r.preflight) } : {}),
      ...(pathwatch !== null ? { pathwatch } : {}),
      state: r.state,
      wan_ok,
      hears_peer,
      version: r.version,
      stale: 0,
    })
    .where('id', '=', node_id)
    .execute();
  const base = { site_id, node_id, at: now_ms };
  if (node.state !== r.state) {
    await recordEvent(db, {
      ...base,
      key: `state:${node_id}:${r.id}`,
      type: 'state-change',
      details: { role: node.role, from: node.state, to: r.state },
    });
  }
  const refused = r.settings?.refused ?? null;
  const before =
    node.settings_state === null ? null : (JSON.parse(node.settings_state) as Report['settings']);
  if (refused !== null && before?.refused?.version !== refused.version) {
    await recordEvent(db, {
      ...base,
      key: `settings-refused:${node_id}:${refused.version}`,
      type: 'settings-refused',
      details: { role: node.role, version: refused.version, issues: refused.issues },
    });
  }
  if (r.command_results !== undefined)
    await completeCommands(db, { id: node_id, site_id, role: node.role }, r.command_results, now_ms);
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
      name: a.name ?? null,
      code: a.code ?? null,
      message: a.message ?? null,
      duration_ms: a.duration_ms ?? null,
    };
    await recordEvent(db, { ...base, key: `action:${node_id}:${a.id}`, type, details });
  }
  for (const e of r.pathwatch?.events ?? []) {
    const details = {
      active_path: e.active_path,
      ok: e.ok ?? null,
      duration_ms: e.duration_ms ?? null,
      message: e.message ?? null,
      node_at: e.at,
    };
    await recordEvent(db, { ...base, key: `path:${node_id}:${e.id}`, type: `path-${e.kind}`, details });
  }
  return { duplicate: false, changed };
}

/** The running claims and releases as stored; null when none, so an idle node's reports stay periodic. */
function progressText(r: Report): string | null {
  return r.progress === undefined || r.progress.length === 0 ? null : JSON.stringify(r.progress);
}

/** What the node row keeps of a pathwatch report: all but the events (they become events). */
function pathwatchText(p: PathwatchReport): string {
  const { events: _events, ...rest } = p;
  return JSON.stringify(rest);
}

/** The parts a pathwatch site's readiness is judged on: a change there re-evaluates the site. */
function pathwatchShape(text: string | null): string {
  if (text === null) return '';
  const p = JSON.parse(text) as Omit<PathwatchReport, 'events'>;
  return JSON.stringify([p.active_path, p.routes, p.primary.up, p.backup?.up ?? null]);
}

/** The settings part of a report as stored (compared as text to tell a periodic report). */
function settingsText(r: Report): string | null {
  return r.settings === undefined ? null : JSON.stringify(r.settings);
}

/** Bound on the results kept per node: one per verb and configured action is far below it. */
const KEPT_RESULTS_MAX = 64;

/**
 * The node keeps the latest result of each verb of each action (the route tables' claim and the floating
 * IP's), so a claim's duration survives the reports that follow it until the failover rule reads it.
 */
function latestPerAction(stored: string | null, fresh: readonly ActionResult[]): ActionResult[] {
  const byKey = new Map<string, ActionResult>();
  const put = (a: ActionResult): void => {
    const key = `${a.action}\u0000${a.name ?? ''}`;
    byKey.delete(key);
    byKey.set(key, a);
  };
  for (const a of stored === null ? [] : (JSON.parse(stored) as ActionResult[])) put(a);
  for (const a of fresh) put(a);
  return [...byKey.values()].slice(-KEPT_RESULTS_MAX);
}

interface Pending {
  readonly job: ReportJob;
  resolve(outcome: ReportOutcome): void;
  reject(err: unknown): void;
}

interface Lane {
  readonly queue: Pending[];
  /** A batch is being written or is scheduled. */
  busy: boolean;
  /** When the lane's last batch started (monotonic ms). */
  started: number;
}

export interface ReportWriterOptions {
  readonly store: Store;
  readonly settings: Settings;
  readonly now: () => number;
  readonly log: Logger;
  /** Bound on one batch's size. */
  readonly batch_max?: number;
  /** Batches in flight at once, each from its own lane (PostgreSQL); 1 for SQLite. */
  readonly lanes?: number;
  /**
   * A lane starts a batch at most this often. Under load the reports that arrive meanwhile share
   * one commit (most of a small batch's cost is per commit, not per report); a report arriving at a
   * quiet lane is written at once.
   */
  readonly gather_ms?: number;
  /** Monotonic milliseconds (for the gather interval). */
  readonly monotonic?: () => number;
  /** The report route's known credentials: one the store refused is forgotten. */
  readonly known?: KnownCredentials;
}

const DEFAULT_BATCH_MAX = 256;
const DEFAULT_GATHER_MS = 2;

/**
 * Group commit. Reports are queued by lane (a node always maps to the same lane, so its reports
 * apply in arrival order); each lane writes one batch at a time, and a report is answered only
 * once its batch has committed. SQLite has one connection and one lane; PostgreSQL gets a few so
 * that commits overlap.
 */
export class ReportWriter {
  private readonly lanes: Lane[];
  private readonly batch_max: number;
  private readonly gather_ms: number;
  private readonly monotonic: () => number;

  constructor(private readonly options: ReportWriterOptions) {
    this.batch_max = options.batch_max ?? DEFAULT_BATCH_MAX;
    this.gather_ms = options.gather_ms ?? DEFAULT_GATHER_MS;
    this.monotonic = options.monotonic ?? (() => performance.now());
    const n = Math.max(1, options.lanes ?? 1);
    this.lanes = Array.from({ length: n }, () => ({
      queue: [],
      busy: false,
      started: Number.NEGATIVE_INFINITY,
    }));
  }

  /** Resolves once the report is stored; rejects with a ControllerError when it is refused. */
  submit(job: ReportJob): Promise<ReportOutcome> {
    const lane = this.lanes[laneOf(job.node_id, this.lanes.length)]!;
    return new Promise((resolve, reject) => {
      lane.queue.push({ job, resolve, reject });
      this.schedule(lane);
    });
  }

  private schedule(lane: Lane): void {
    if (lane.busy || lane.queue.length === 0) return;
    lane.busy = true;
    const wait_ms = lane.started + this.gather_ms - this.monotonic();
    if (wait_ms > 0) setTimeout(() => void this.flush(lane), wait_ms);
    // After the current I/O callbacks: the requests read in this turn of the loop join the batch.
    else setImmediate(() => void this.flush(lane));
  }

  private async flush(lane: Lane): Promise<void> {
    lane.started = this.monotonic();
    const batch = lane.queue.splice(0, this.batch_max);
    let results: ReportResult[];
    try {
      results = await this.write(batch.map((p) => p.job));
    } catch (err) {
      results = batch.map(() => new WriteFailed(err));
    }
    const alone: Pending[] = [];
    for (const [i, p] of batch.entries()) {
      const r = results[i]!;
      // The store busy or unreachable fails every report alike: each is answered 503 at once. Any
      // other failure may be one report's fault; nothing of its unit was stored, so each is tried alone.
      if (r instanceof WriteFailed && batch.length > 1 && !isStoreUnavailable(r.cause)) alone.push(p);
      else this.answer(p, r);
    }
    for (const p of alone) {
      try {
        this.answer(p, (await this.write([p.job]))[0]!);
      } catch (err) {
        p.reject(err);
      }
    }
    lane.busy = false;
    this.schedule(lane);
  }

  private answer(p: Pending, result: ReportResult): void {
    // Refused by the store (unknown, removed, another node's): the route looks the credential up again.
    if (result instanceof ControllerError) this.options.known?.forget(p.job.credential_hash);
    settle(p, result);
  }

  private write(jobs: readonly ReportJob[]): Promise<ReportResult[]> {
    const { store, settings, log } = this.options;
    return writeBatch(store, { settings, now_ms: this.options.now() }, jobs, log);
  }
}

function settle(p: Pending, result: ReportResult): void {
  if (result instanceof ControllerError) p.reject(result);
  else if (result instanceof WriteFailed) p.reject(result.cause);
  else p.resolve(result);
}

/** A node always maps to the same lane, so its reports apply in arrival order. */
function laneOf(node_id: string, lanes: number): number {
  let h = 0;
  for (let i = 0; i < node_id.length; i++) h = (h * 31 + node_id.charCodeAt(i)) | 0;
  return Math.abs(h) % lanes;
}
