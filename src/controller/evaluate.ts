// Turns a site's stored facts into events: ready / not ready, and the split-brain and failover rules.
// Runs inside the caller's transaction with the site row locked (PostgreSQL), so two controllers
// evaluating one site serialise and record each transition once.
import type { Kysely } from 'kysely';
import { recordEvent } from './events.js';
import type { ActionInFlight, ActionResult } from './schema.js';
import type { Settings } from './settings.js';
import { isSplitBrain, isStale, siteStatus } from './status.js';
import type { Dialect } from './store/migrations.js';
import type { Database, NodeRow, SitesTable } from './store/tables.js';

export interface EvalContext {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  readonly settings: Settings;
  readonly now_ms: number;
}

type SiteUpdate = Partial<
  Pick<
    SitesTable,
    | 'derived_ready'
    | 'derived_active'
    | 'split_brain_since'
    | 'both_active_since'
    | 'secondary_active_since'
    | 'failover_recorded_for'
  >
>;

export async function evaluateSite(ctx: EvalContext, site_id: string): Promise<void> {
  const { db, now_ms } = ctx;
  const site = await db
    .selectFrom('sites')
    .selectAll()
    .where('id', '=', site_id)
    .$if(ctx.dialect === 'postgres', (q) => q.forUpdate())
    .executeTakeFirst();
  if (site === undefined) return;
  const ids = [site.primary_node_id, site.secondary_node_id].filter((x): x is string => x !== null);
  const nodes =
    ids.length === 0 ? [] : await db.selectFrom('nodes').selectAll().where('id', 'in', ids).execute();
  const primary = nodes.find((n) => n.id === site.primary_node_id) ?? null;
  const secondary = nodes.find((n) => n.id === site.secondary_node_id) ?? null;
  const status = siteStatus(site, primary, secondary, now_ms, ctx.settings);
  const update: SiteUpdate = {};
  const base = { site_id, node_id: null, at: now_ms };

  const ready = status.ready ? 1 : 0;
  if (ready !== site.derived_ready) {
    update.derived_ready = ready;
    const type = status.ready ? 'ready' : 'not-ready';
    await recordEvent(db, {
      ...base,
      key: `${type}:${site_id}:${now_ms}`,
      type,
      details: { ...status.indicators },
    });
  }
  if (status.active !== site.derived_active) update.derived_active = status.active;

  // Both active is a split brain only once it outlasts the threshold: a make-before-break switchover
  // (the new active claims a moment before the old one releases) leaves its state changes and no
  // split-brain event. Measured from stored facts, like the failover rule, so the sweep can decide it.
  const both_since = status.active === 'both' ? (site.both_active_since ?? now_ms) : null;
  if (both_since !== site.both_active_since) update.both_active_since = both_since;
  const split = both_since !== null && isSplitBrain(status.active, both_since, now_ms, ctx.settings);
  if (split && site.split_brain_since === null) {
    update.split_brain_since = both_since;
    await recordEvent(db, {
      ...base,
      key: `split-brain:${site_id}:${both_since}`,
      type: 'split-brain',
      details: { active_since: both_since, active_for_ms: now_ms - both_since },
    });
  } else if (both_since === null && site.split_brain_since !== null) {
    update.split_brain_since = null;
    const lasted_ms = now_ms - site.split_brain_since;
    const key = `split-brain-resolved:${site_id}:${site.split_brain_since}`;
    await recordEvent(db, {
      ...base,
      key,
      type: 'split-brain-resolved',
      details: { lasted_ms, active: status.active },
    });
  }

  const since = secondaryActiveSince(site.secondary_active_since, secondary, ctx);
  if (since !== site.secondary_active_since) update.secondary_active_since = since;
  // The reference's rule: a failover is an event only when the secondary stays active longer than
  // the threshold, so a 20 s primary upgrade leaves a state-change trail but no failover event.
  const claims = claimsOf(secondary);
  // A claim still running (a floating-IP move) is waited for, within a bound, so the event says how long it took.
  const waited =
    claims.claims_running.length === 0 ||
    now_ms - since! > ctx.settings.failover_after_ms + ctx.settings.failover_claim_wait_ms;
  if (
    since !== null &&
    now_ms - since > ctx.settings.failover_after_ms &&
    waited &&
    site.failover_recorded_for !== since
  ) {
    update.failover_recorded_for = since;
    await recordEvent(db, {
      ...base,
      node_id: secondary?.id ?? null,
      key: `failover:${site_id}:${since}`,
      type: 'failover',
      details: {
        from: 'primary',
        to: 'secondary',
        active_since: since,
        active_for_ms: now_ms - since,
        primary_state: primary?.state ?? null,
        ...claims,
      },
    });
  }
  if (Object.keys(update).length > 0)
    await db.updateTable('sites').set(update).where('id', '=', site_id).execute();
}

/** When the secondary became active, or null while it is not (a silent secondary is not active). */
function secondaryActiveSince(
  current: number | null,
  secondary: NodeRow | null,
  ctx: EvalContext,
): number | null {
  const active =
    secondary !== null && secondary.state === 'active' && !isStale(secondary, ctx.now_ms, ctx.settings);
  if (!active) return null;
  return current ?? secondary.last_report_at ?? ctx.now_ms;
}

/**
 * What the node reported of its claims: each action's latest claim (with the time its phases say the end state
 * was confirmed, e.g. the floating IP on our NIC), those still running at their latest phase, and `claim_ms`, the
 * longest finished claim: the time until all the traffic the node had claimed by then pointed at it.
 */
function claimsOf(node: NodeRow | null): {
  claim_ms: number | null;
  claims: { name: string | null; ok: boolean; duration_ms: number | null; confirmed_ms: number | null }[];
  claims_running: ActionInFlight[];
} {
  const running = node?.progress == null ? [] : (JSON.parse(node.progress) as ActionInFlight[]);
  const results = node?.action_results == null ? [] : (JSON.parse(node.action_results) as ActionResult[]);
  const claims_running = running.filter((p) => p.verb === 'claim');
  // A claim of an action that is claiming again belongs to an earlier activation.
  const claims = results
    .filter((r) => r.action === 'claim' && !claims_running.some((p) => p.name === r.name))
    .map((r) => ({
      name: r.name ?? null,
      ok: r.ok,
      duration_ms: r.duration_ms ?? null,
      confirmed_ms: r.phases?.find((p) => p.phase === 'confirmed')?.elapsed_ms ?? null,
    }));
  const done = claims.filter((c) => c.ok && c.duration_ms !== null).map((c) => c.duration_ms!);
  return { claim_ms: done.length === 0 ? null : Math.max(...done), claims, claims_running };
}
