// Sites and their routed ranges: create, change, delete, and the site as the API shows it.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { timerIssues } from '../../agent/config-schema.js';
import { ControllerError } from '../errors.js';
import { evaluateSite } from '../evaluate.js';
import type {
  PreflightResult,
  RangeCreate,
  SettingsState,
  SiteCreate,
  SitePatch,
  Tunables,
} from '../schema.js';
import { type SiteStatus, siteStatus } from '../status.js';
import { lockSite } from '../store/locks.js';
import type { Database, NodeRow, SiteKind } from '../store/tables.js';
import { type Ctx, inTransaction, isUniqueViolation, type LoadedSite, loadSite } from './context.js';
import {
  type CloudSettings,
  type NetworkView,
  networkView,
  type SiteNet,
  validateCloud,
  validateNetwork,
} from './network.js';

export function siteNet(s: LoadedSite, override: Partial<SiteNet> = {}): SiteNet {
  const nodes = [s.primary, s.secondary].filter((n): n is NodeRow => n !== null);
  return {
    kind: s.site.kind,
    cloud: JSON.parse(s.site.cloud) as CloudSettings,
    nodes: nodes.map((n) => ({ role: n.role, model: n.model, mgmt_ip: n.mgmt_ip, subnet: n.subnet })),
    ranges: s.ranges.map((r) => ({ id: r.id, name: r.name, subnet: r.subnet })),
    ...override,
  };
}

export interface SiteView {
  readonly id: string;
  readonly name: string;
  readonly kind: SiteKind;
  readonly ha_enabled: boolean;
  readonly cloud: CloudSettings;
  /** The HA timers and preemption the site sets for its managed nodes; an unset key is each node's YAML. */
  readonly tunables: Tunables;
  /** The managed settings' version; each node says which version it runs (nodes.*.settings). */
  readonly settings_version: number;
  readonly nodes: { primary: NodeConfigView | null; secondary: NodeConfigView | null };
  readonly network: NetworkView;
  readonly status: SiteStatus;
}

export interface NodeConfigView {
  readonly id: string;
  readonly role: NodeRow['role'];
  readonly model: string;
  readonly mgmt_ip: string;
  readonly subnet: string;
  readonly enrolled: boolean;
  readonly enrollment_expires_at: number | null;
  /** What the node reports it runs: the settings version, a refused version with why, its config digest. */
  readonly settings: SettingsState | null;
  /** The node's latest preflight (at its start, or an API test). */
  readonly preflight: PreflightResult | null;
}

function nodeConfig(n: NodeRow | null): NodeConfigView | null {
  if (n === null) return null;
  return {
    id: n.id,
    role: n.role,
    model: n.model,
    mgmt_ip: n.mgmt_ip,
    subnet: n.subnet,
    enrolled: n.enrolled_at !== null,
    enrollment_expires_at: n.enrolled_at === null ? n.enrollment_expires_at : null,
    // Both were validated by the report's schema before they were stored.
    settings: n.settings_state === null ? null : (JSON.parse(n.settings_state) as SettingsState),
    preflight: n.preflight === null ? null : (JSON.parse(n.preflight) as PreflightResult),
  };
}

export function siteView(ctx: Ctx, s: LoadedSite): SiteView {
  const status = siteStatus(s.site, s.primary, s.secondary, ctx.now(), ctx.settings);
  return {
    id: s.site.id,
    name: s.site.name,
    kind: s.site.kind,
    ha_enabled: s.site.ha_enabled === 1,
    cloud: JSON.parse(s.site.cloud) as CloudSettings,
    tunables: JSON.parse(s.site.tunables) as Tunables,
    settings_version: s.site.settings_version,
    nodes: { primary: nodeConfig(s.primary), secondary: nodeConfig(s.secondary) },
    network: networkView(siteNet(s), status.active),
    status,
  };
}

function cloudOf(body: { aws?: SiteCreate['aws']; azure?: SiteCreate['azure'] }): CloudSettings {
  return {
    ...(body.aws !== undefined ? { aws: body.aws } : {}),
    ...(body.azure !== undefined ? { azure: body.azure } : {}),
  };
}

/**
 * The site's timers with `patch` merged in key by key (null clears a key), checked across keys as the agent
 * checks its own YAML: a combination every node would refuse is refused here, naming the field.
 */
function mergeTunables(current: Tunables, patch: Tunables | undefined): Tunables {
  if (patch === undefined) return current;
  const merged = Object.fromEntries(
    Object.entries({ ...current, ...patch }).filter(([, v]) => v !== null && v !== undefined),
  ) as Tunables;
  const [issue] = timerIssues({
    interval_ms: merged.interval_ms ?? undefined,
    dead_multiplier: merged.dead_multiplier ?? undefined,
    preempt_delay_ms: merged.preempt_delay_ms ?? undefined,
  });
  if (issue !== undefined)
    throw new ControllerError('invalid-request', issue.message, `/tunables/${issue.path}`);
  return merged;
}

export async function createSite(ctx: Ctx, body: SiteCreate): Promise<SiteView> {
  const cloud = cloudOf(body);
  validateCloud(body.kind, cloud);
  const tunables = mergeTunables({}, body.tunables);
  const id = randomUUID();
  try {
    await ctx.store.db
      .insertInto('sites')
      .values({
        id,
        name: body.name,
        kind: body.kind,
        cloud: JSON.stringify(cloud),
        tunables: JSON.stringify(tunables),
        ha_enabled: 0,
        primary_node_id: null,
        secondary_node_id: null,
        created_at: ctx.now(),
        derived_ready: 0,
        derived_active: 'none',
        split_brain_since: null,
        both_active_since: null,
        secondary_active_since: null,
        failover_recorded_for: null,
      })
      .execute();
  } catch (err) {
    if (isUniqueViolation(err))
      throw new ControllerError('conflict', `a site named "${body.name}" exists; pick another name`, '/name');
    throw err;
  }
  return siteView(ctx, await loadSite(ctx.store.db, id));
}

export async function patchSite(ctx: Ctx, site_id: string, body: SitePatch): Promise<SiteView> {
  try {
    await inTransaction(ctx, 'patch site', async (trx) => {
      const s = await loadSite(trx, site_id, ctx.store);
      const cloud = { ...(JSON.parse(s.site.cloud) as CloudSettings), ...cloudOf(body) };
      validateNetwork(siteNet(s, { cloud }));
      const tunables = mergeTunables(JSON.parse(s.site.tunables) as Tunables, body.tunables);
      await trx
        .updateTable('sites')
        .set({
          ...(body.name !== undefined ? { name: body.name } : {}),
          cloud: JSON.stringify(cloud),
          tunables: JSON.stringify(tunables),
        })
        .where('id', '=', site_id)
        .execute();
      if (body.aws !== undefined || body.azure !== undefined || body.tunables !== undefined)
        await bumpSettings(trx, site_id);
    });
  } catch (err) {
    if (isUniqueViolation(err))
      throw new ControllerError('conflict', `a site named "${body.name}" exists; pick another name`, '/name');
    throw err;
  }
  return siteView(ctx, await loadSite(ctx.store.db, site_id));
}

/** Deleting a site revokes its nodes' credentials and enrollment tokens; its events stay. */
export async function deleteSite(ctx: Ctx, site_id: string): Promise<void> {
  await inTransaction(ctx, 'delete site', async (trx) => {
    await loadSite(trx, site_id, ctx.store);
    await trx
      .updateTable('nodes')
      .set({ removed_at: ctx.now(), enrollment_hash: null })
      .where('site_id', '=', site_id)
      .where('removed_at', 'is', null)
      .execute();
    await trx.deleteFrom('ranges').where('site_id', '=', site_id).execute();
    await trx.deleteFrom('sites').where('id', '=', site_id).execute();
  });
}

export async function listSites(
  ctx: Ctx,
  cursor: string | undefined,
  limit: number,
): Promise<{ sites: SiteView[]; next_cursor: string | null }> {
  const rows = await ctx.store.db
    .selectFrom('sites')
    .select(['id', 'name'])
    .$if(cursor !== undefined, (q) => q.where('name', '>', cursor!))
    .orderBy('name')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const sites: SiteView[] = [];
  for (const r of page) sites.push(siteView(ctx, await loadSite(ctx.store.db, r.id)));
  return { sites, next_cursor: rows.length > limit ? page[page.length - 1]!.name : null };
}

export async function addRange(ctx: Ctx, site_id: string, body: RangeCreate): Promise<SiteView> {
  await inTransaction(ctx, 'add range', async (trx) => {
    const s = await loadSite(trx, site_id, ctx.store);
    const net = siteNet(s);
    validateNetwork({ ...net, ranges: [...net.ranges, { name: body.name, subnet: body.subnet }] });
    await trx
      .insertInto('ranges')
      .values({ id: randomUUID(), site_id, name: body.name, subnet: body.subnet, created_at: ctx.now() })
      .execute();
    await bumpSettings(trx, site_id);
  });
  return siteView(ctx, await loadSite(ctx.store.db, site_id));
}

export async function removeRange(ctx: Ctx, site_id: string, range_id: string): Promise<void> {
  await inTransaction(ctx, 'remove range', async (trx) => {
    // The site row first, as every writer does: a range added concurrently is validated against this.
    await lockSite(trx, ctx.store, site_id);
    const r = await trx
      .deleteFrom('ranges')
      .where('site_id', '=', site_id)
      .where('id', '=', range_id)
      .executeTakeFirst();
    if (r.numDeletedRows !== 1n)
      throw new ControllerError('not-found', `site ${site_id} has no range ${range_id}`);
    await bumpSettings(trx, site_id);
  });
}

/**
 * A change that reaches the agents' managed settings: the site's version goes up, and is copied onto
 * its live nodes so that the report path (which reads the node row anyway) hands it back to each
 * agent. Called inside the change's transaction, after the site row is locked.
 */
export async function bumpSettings(trx: Kysely<Database>, site_id: string): Promise<void> {
  await trx
    .updateTable('sites')
    .set((eb) => ({ settings_version: eb('settings_version', '+', 1) }))
    .where('id', '=', site_id)
    .execute();
  const site = await trx
    .selectFrom('sites')
    .select('settings_version')
    .where('id', '=', site_id)
    .executeTakeFirstOrThrow();
  await trx
    .updateTable('nodes')
    .set({ settings_version: site.settings_version })
    .where('site_id', '=', site_id)
    .where('removed_at', 'is', null)
    .execute();
}

/** Re-derives a site after its nodes changed (a node added or removed changes readiness). */
export async function reevaluate(ctx: Ctx, site_id: string): Promise<void> {
  await inTransaction(ctx, 'evaluate site', (trx) =>
    evaluateSite({ db: trx, dialect: ctx.store.dialect, settings: ctx.settings, now_ms: ctx.now() }, site_id),
  );
}
