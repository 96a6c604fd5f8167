// The fleet at a glance for the dashboard: every site's health in one word, filtered, searched,
// sorted and paged on the server, so a browser showing 10,000 sites only ever holds a page or two.
import type { Kysely } from 'kysely';
import { HEALTHS, type Health, healthOf, nodeBrief, type Overview, type SiteSummary } from './api-words.js';
import type { Ctx } from './model/context.js';
import { type SiteStatus, siteStatus } from './status.js';
import type { Database, NodeRow, SiteRow } from './store/tables.js';

export type SortKey = 'name' | 'health' | 'kind' | 'last_failover';

export interface OverviewQuery {
  readonly q?: string;
  readonly health?: Health;
  readonly kind?: string;
  readonly sort: SortKey;
  readonly order: 'asc' | 'desc';
  readonly offset: number;
  readonly limit: number;
}

export function summarize(status: SiteStatus, last_failover_at: number | null): SiteSummary {
  return {
    site_id: status.site_id,
    name: status.name,
    kind: status.kind,
    health: healthOf(status),
    ha_enabled: status.ha_enabled,
    ready: status.ready,
    active: status.active,
    split_brain: status.split_brain,
    indicators: status.indicators,
    last_failover_at,
    primary: nodeBrief(status.nodes.primary),
    secondary: nodeBrief(status.nodes.secondary),
  };
}

async function lastFailovers(
  db: Kysely<Database>,
  site_ids?: readonly string[],
): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('events')
    .select(['site_id', (eb) => eb.fn.max('at').as('at')])
    .where('type', '=', 'failover')
    .$if(site_ids !== undefined, (q) => q.where('site_id', 'in', site_ids!))
    .groupBy('site_id')
    .execute();
  return new Map(rows.filter((r) => r.site_id !== null).map((r) => [r.site_id!, Number(r.at)]));
}

/** Summaries of the given sites (all when none are named), read in three statements. */
export async function summaries(ctx: Ctx, site_ids?: readonly string[]): Promise<SiteSummary[]> {
  if (site_ids !== undefined && site_ids.length === 0) return [];
  const db = ctx.store.db;
  const sites: SiteRow[] = await db
    .selectFrom('sites')
    .selectAll()
    .$if(site_ids !== undefined, (q) => q.where('id', 'in', site_ids!))
    .execute();
  // Not the JSON columns a summary never shows (indicators, action results): 20,000 rows' worth of
  // parsing on every full read.
  const rows = await db
    .selectFrom('nodes')
    .select([
      'id',
      'site_id',
      'role',
      'model',
      'mgmt_ip',
      'subnet',
      'created_at',
      'removed_at',
      'enrollment_hash',
      'enrollment_expires_at',
      'credential_hash',
      'enrolled_at',
      'last_report_at',
      'state',
      'wan_ok',
      'hears_peer',
      'version',
      'wan',
      'last_keepalive_at',
      'last_report_id',
      'stale',
      'settings_version',
      'commands_pending',
      // Null but on pathwatch nodes (few), whose readiness is read from it.
      'pathwatch',
    ])
    .where('removed_at', 'is', null)
    .$if(site_ids !== undefined, (q) => q.where('site_id', 'in', site_ids!))
    .execute();
  // The overview needs no JSON columns: they are left out of the read.
  const nodes: NodeRow[] = rows.map((r) => ({
    ...r,
    indicators: null,
    action_results: null,
    settings_state: null,
    preflight: null,
    progress: null,
  }));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const failovers = await lastFailovers(db, site_ids);
  const now = ctx.now();
  return sites.map((s) => {
    const p = s.primary_node_id === null ? null : (byId.get(s.primary_node_id) ?? null);
    const q = s.secondary_node_id === null ? null : (byId.get(s.secondary_node_id) ?? null);
    return summarize(siteStatus(s, p, q, now, ctx.settings), failovers.get(s.id) ?? null);
  });
}

const RANK: Record<Health, number> = Object.fromEntries(HEALTHS.map((h, i) => [h, i])) as Record<
  Health,
  number
>;

function compare(sort: SortKey): (a: SiteSummary, b: SiteSummary) => number {
  const byName = (a: SiteSummary, b: SiteSummary) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  switch (sort) {
    case 'name':
      return byName;
    case 'health':
      return (a, b) => RANK[a.health] - RANK[b.health] || byName(a, b);
    case 'kind':
      return (a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0) || byName(a, b);
    case 'last_failover':
      // Most recent first when ascending makes no sense to an operator; never-failed-over sort last.
      return (a, b) => (b.last_failover_at ?? -1) - (a.last_failover_at ?? -1) || byName(a, b);
  }
}

/** Filters, sorts and pages summaries; counts are over the whole fleet. */
export function page(all: readonly SiteSummary[], q: OverviewQuery, now_ms: number): Overview {
  const counts = Object.fromEntries(HEALTHS.map((h) => [h, 0])) as Record<Health, number>;
  for (const s of all) counts[s.health]++;
  const needle = q.q?.trim().toLowerCase() ?? '';
  const matching = all.filter(
    (s) =>
      (q.health === undefined || s.health === q.health) &&
      (q.kind === undefined || s.kind === q.kind) &&
      (needle === '' || s.name.toLowerCase().includes(needle)),
  );
  const cmp = compare(q.sort);
  matching.sort(q.order === 'asc' ? cmp : (a, b) => cmp(b, a));
  return {
    total: matching.length,
    counts,
    sites: matching.slice(q.offset, q.offset + q.limit),
    as_of: now_ms,
  };
}

/**
 * The fleet's summaries kept in memory between requests, so a browser scrolling or filtering
 * 10,000 sites costs a sort of objects, not a read of 20,000 node rows. The live feed updates the
 * sites its events name (and catches up on the events it missed while idle, see LiveHub.touch);
 * a write through this controller refreshes the site it names before the next answer. A request
 * waits for a whole read only when there is no view yet (or after a write that names no site):
 * the periodic whole read, for changes that record no event (a rename on another controller),
 * runs in the background while the current view is served.
 */
export class FleetView {
  private all: Map<string, SiteSummary> | null = null;
  private loaded_at = 0;
  private dirty = false;
  private loading: Promise<Map<string, SiteSummary>> | null = null;
  /** Sites written through this controller since the last answer: re-read before the next one. */
  private readonly written = new Set<string>();
  /** Sites the feed updated while a whole read was under way: its rows may be older than theirs. */
  private readonly touched = new Set<string>();

  constructor(
    private readonly ctx: Ctx,
    private readonly max_age_ms = 30_000,
  ) {}

  async sites(): Promise<SiteSummary[]> {
    if (this.all === null || this.dirty) await this.reload();
    else if (this.ctx.now() - this.loaded_at > this.max_age_ms)
      void this.reload().catch((err: unknown) =>
        this.ctx.log?.warn({ err }, 'overview: reading the fleet failed'),
      );
    if (this.written.size > 0) {
      const ids = [...this.written];
      this.written.clear();
      const fresh = await summaries(this.ctx, ids);
      this.update(
        fresh,
        ids.filter((id) => !fresh.some((s) => s.site_id === id)),
      );
    }
    return [...this.all!.values()];
  }

  private reload(): Promise<Map<string, SiteSummary>> {
    if (this.loading === null) {
      this.dirty = false;
      this.touched.clear();
      const started = this.ctx.now();
      this.loading = summaries(this.ctx)
        .then(async (list) => {
          const all = new Map(list.map((s) => [s.site_id, s]));
          // The feed may have applied a newer summary than the whole read saw: read those again.
          if (this.touched.size > 0)
            for (const s of await summaries(this.ctx, [...this.touched])) all.set(s.site_id, s);
          this.touched.clear();
          this.all = all;
          this.loaded_at = started;
          return all;
        })
        .finally(() => {
          this.loading = null;
        });
    }
    return this.loading;
  }

  /** The live feed's fresh summaries (and the sites it found gone). */
  update(fresh: readonly SiteSummary[], removed: readonly string[]): void {
    if (this.loading !== null) for (const s of fresh) this.touched.add(s.site_id);
    if (this.all === null) return;
    for (const s of fresh) this.all.set(s.site_id, s);
    for (const id of removed) this.all.delete(id);
  }

  /** A write through this controller: the named site is read again before the next answer. */
  siteWritten(site_id: string): void {
    this.written.add(site_id);
  }

  /** A write that names no one site (a new site), or events the feed could not catch up on. */
  invalidate(): void {
    this.dirty = true;
  }
}
