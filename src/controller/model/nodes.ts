// Nodes of a pair: adding one issues a one-time enrollment token; the agent exchanges it for a
// credential. Removing the secondary disables HA and revokes its credential for good.
import { randomUUID } from 'node:crypto';
import { hashSecret, newSecret } from '../auth.js';
import { ControllerError } from '../errors.js';
import { recordEvent } from '../events.js';
import type { NodeCreate, NodePatch } from '../schema.js';
import { lockSite } from '../store/locks.js';
import { type Ctx, inTransaction, loadSite } from './context.js';
import { validateNetwork } from './network.js';
import { gatewayOf, parseSubnet } from './ranges.js';
import { bumpSettings, reevaluate, type SiteView, siteNet, siteView } from './sites.js';

export interface Enrollment {
  readonly node_id: string;
  /** Shown once: the one-time token the agent exchanges for its credential. */
  readonly enrollment_token: string;
  readonly enrollment_expires_at: number;
}

export async function addNode(
  ctx: Ctx,
  site_id: string,
  body: NodeCreate,
): Promise<Enrollment & { site: SiteView }> {
  const token = newSecret('enrollment');
  const node_id = randomUUID();
  const now = ctx.now();
  const expires = now + ctx.settings.enrollment_ttl_ms;
  await inTransaction(ctx, 'add node', async (trx) => {
    const s = await loadSite(trx, site_id, ctx.store);
    if (body.role === 'primary' ? s.primary !== null : s.secondary !== null) {
      throw new ControllerError(
        'role-taken',
        `site ${s.site.name} already has a ${body.role} node; remove it first`,
        '/role',
      );
    }
    if (body.role === 'secondary' && s.site.kind === 'pathwatch') {
      throw new ControllerError(
        'conflict',
        'a pathwatch site has one node (tandem pathwatch runs alone, with no peer); add it as primary',
        '/role',
      );
    }
    if (body.role === 'secondary' && s.primary === null) {
      throw new ControllerError('conflict', 'add the primary node before the secondary', '/role');
    }
    const net = siteNet(s);
    validateNetwork({
      ...net,
      nodes: [
        ...net.nodes,
        { role: body.role, model: body.model, mgmt_ip: body.mgmt_ip, subnet: body.subnet },
      ],
    });
    await trx
      .insertInto('nodes')
      .values({
        id: node_id,
        site_id,
        role: body.role,
        model: body.model,
        mgmt_ip: body.mgmt_ip,
        subnet: body.subnet,
        created_at: now,
        removed_at: null,
        enrollment_hash: hashSecret(token),
        enrollment_expires_at: expires,
        credential_hash: null,
        enrolled_at: null,
        last_report_at: null,
        state: null,
        wan_ok: null,
        hears_peer: null,
        version: null,
        indicators: null,
        wan: null,
        last_keepalive_at: null,
        action_results: null,
        progress: null,
        last_report_id: null,
        stale: 0,
      })
      .execute();
    const slot =
      body.role === 'primary' ? { primary_node_id: node_id } : { secondary_node_id: node_id, ha_enabled: 1 };
    await trx.updateTable('sites').set(slot).where('id', '=', site_id).execute();
    // The primary's managed settings say HA is on now.
    await bumpSettings(trx, site_id);
  });
  await reevaluate(ctx, site_id);
  return {
    node_id,
    enrollment_token: token,
    enrollment_expires_at: expires,
    site: siteView(ctx, await loadSite(ctx.store.db, site_id)),
  };
}

export async function patchNode(
  ctx: Ctx,
  site_id: string,
  role: 'primary' | 'secondary',
  body: NodePatch,
): Promise<SiteView> {
  await inTransaction(ctx, 'patch node', async (trx) => {
    const s = await loadSite(trx, site_id, ctx.store);
    const node = role === 'primary' ? s.primary : s.secondary;
    if (node === null) throw new ControllerError('not-found', `site ${s.site.name} has no ${role} node`);
    const net = siteNet(s);
    const nodes = net.nodes.map((n) => (n.role === role ? { ...n, ...body } : n));
    validateNetwork({ ...net, nodes });
    await trx.updateTable('nodes').set(body).where('id', '=', node.id).execute();
    await bumpSettings(trx, site_id);
  });
  return siteView(ctx, await loadSite(ctx.store.db, site_id));
}

/** Removing the secondary disables HA; the node's credential and enrollment token never work again. */
export async function removeNode(
  ctx: Ctx,
  site_id: string,
  role: 'primary' | 'secondary',
): Promise<SiteView> {
  const now = ctx.now();
  await inTransaction(ctx, 'remove node', async (trx) => {
    const s = await loadSite(trx, site_id, ctx.store);
    const node = role === 'primary' ? s.primary : s.secondary;
    if (node === null) throw new ControllerError('not-found', `site ${s.site.name} has no ${role} node`);
    if (role === 'primary' && s.secondary !== null) {
      throw new ControllerError(
        'remove-secondary-first',
        'remove the secondary (which disables HA) before the primary',
      );
    }
    await trx
      .updateTable('nodes')
      .set({ removed_at: now, enrollment_hash: null })
      .where('id', '=', node.id)
      .execute();
    const slot =
      role === 'primary'
        ? { primary_node_id: null }
        : {
            secondary_node_id: null,
            ha_enabled: 0,
            secondary_active_since: null,
            split_brain_since: null,
            both_active_since: null,
          };
    await trx.updateTable('sites').set(slot).where('id', '=', site_id).execute();
    // The remaining node's managed settings say HA is off: it stops expecting a peer.
    await bumpSettings(trx, site_id);
    await recordEvent(trx, {
      key: `node-removed:${node.id}`,
      type: 'node-removed',
      site_id,
      node_id: node.id,
      at: now,
      details: { role, ha_enabled: role === 'primary' ? s.site.ha_enabled === 1 : false },
    });
  });
  await reevaluate(ctx, site_id);
  return siteView(ctx, await loadSite(ctx.store.db, site_id));
}

/** A new enrollment token for a reinstalled node; the node's current credential stops working. */
export async function reissueEnrollment(
  ctx: Ctx,
  site_id: string,
  role: 'primary' | 'secondary',
): Promise<Enrollment> {
  const token = newSecret('enrollment');
  const expires = ctx.now() + ctx.settings.enrollment_ttl_ms;
  const node_id = await inTransaction(ctx, 'reissue enrollment', async (trx) => {
    const s = await loadSite(trx, site_id, ctx.store);
    const node = role === 'primary' ? s.primary : s.secondary;
    if (node === null) throw new ControllerError('not-found', `site ${s.site.name} has no ${role} node`);
    await trx
      .updateTable('nodes')
      .set({
        enrollment_hash: hashSecret(token),
        enrollment_expires_at: expires,
        credential_hash: null,
        enrolled_at: null,
      })
      .where('id', '=', node.id)
      .execute();
    return node.id;
  });
  return { node_id, enrollment_token: token, enrollment_expires_at: expires };
}

export interface Credential {
  readonly node_id: string;
  readonly site_id: string;
  readonly role: 'primary' | 'secondary';
  /** Shown once: the node's bearer token for reports. */
  readonly credential: string;
}

/** One-time: the conditional UPDATE lets exactly one exchange win, even across controllers. */
export async function enroll(ctx: Ctx, enrollment_token: string): Promise<Credential> {
  const hash = hashSecret(enrollment_token);
  const now = ctx.now();
  const credential = newSecret('node');
  return inTransaction(ctx, 'enroll', async (trx) => {
    const node = await trx
      .selectFrom('nodes')
      .select(['id', 'site_id', 'role', 'enrollment_expires_at', 'removed_at'])
      .where('enrollment_hash', '=', hash)
      .executeTakeFirst();
    if (node === undefined || node.removed_at !== null) {
      throw new ControllerError(
        'enrollment-invalid',
        'unknown or already used enrollment token; ask an admin for a new one',
      );
    }
    if (node.enrollment_expires_at === null || node.enrollment_expires_at <= now) {
      throw new ControllerError(
        'enrollment-invalid',
        'this enrollment token has expired; ask an admin to issue a new one',
      );
    }
    // The lock order every writer follows: the site row, then its node.
    await lockSite(trx, ctx.store, node.site_id);
    const won = await trx
      .updateTable('nodes')
      .set({ enrollment_hash: null, credential_hash: hashSecret(credential), enrolled_at: now })
      .where('id', '=', node.id)
      .where('enrollment_hash', '=', hash)
      .where('removed_at', 'is', null)
      .executeTakeFirst();
    if (won.numUpdatedRows !== 1n) {
      throw new ControllerError(
        'enrollment-invalid',
        'this enrollment token was just used; ask an admin for a new one',
      );
    }
    await recordEvent(trx, {
      key: `node-enrolled:${node.id}:${now}`,
      type: 'node-enrolled',
      site_id: node.site_id,
      node_id: node.id,
      at: now,
      details: { role: node.role },
    });
    return { node_id: node.id, site_id: node.site_id, role: node.role, credential };
  });
}

/** What an agent needs to know about its site, fetched with its own credential. */
export async function nodeSettings(
  ctx: Ctx,
  node_id: string,
  site_id: string,
): Promise<Record<string, unknown>> {
  const s = await loadSite(ctx.store.db, site_id);
  const view = siteView(ctx, s);
  const self = s.primary?.id === node_id ? s.primary : s.secondary?.id === node_id ? s.secondary : null;
  if (self === null) throw new ControllerError('not-found', `node ${node_id} is not part of site ${site_id}`);
  const peer = self.role === 'primary' ? s.secondary : s.primary;
  const gateway = gatewayOf(parseSubnet(self.subnet, '/subnet'));
  return {
    /** The version of `managed`: the same number every report reply carries. */
    settings_version: s.site.settings_version,
    /** What the agent lays over its local YAML (the parts its YAML lists under `managed`). */
    managed: {
      ha_enabled: view.ha_enabled,
      ...(view.cloud.aws !== undefined ? { aws: view.cloud.aws } : {}),
      ...(view.cloud.azure !== undefined ? { azure: view.cloud.azure } : {}),
      routed: view.network.routed.map((r) => r.subnet),
      // A `route` action with `destinations` (managed: [network]): the routed ranges via this node's own
      // native gateway. Only the active node claims it, so the ranges follow the active node's gateway.
      network: { routed: view.network.routed.map((r) => r.subnet), gateway },
      // Top-level timers (managed: [tunables]); an unset key leaves the node's YAML.
      tunables: view.tunables,
    },
    site: { id: view.id, name: view.name, kind: view.kind, ha_enabled: view.ha_enabled, cloud: view.cloud },
    self: {
      id: self.id,
      role: self.role,
      mgmt_ip: self.mgmt_ip,
      subnet: self.subnet,
      gateway,
    },
    peer: peer === null ? null : { id: peer.id, role: peer.role, mgmt_ip: peer.mgmt_ip },
    network: view.network,
  };
}
