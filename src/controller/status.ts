// A site's HA status, derived from the nodes' latest reports with the same readiness function the
// agents use, so that agent and controller never disagree on Ready.
import { type NodeView, parseSemVer, readiness } from '../core/readiness.js';
import type { ActiveNode, NodeState, Role } from '../core/types.js';
import type { ActionInFlight, PathwatchReport, Report } from './schema.js';
import type { NodeRow, SiteRow } from './store/tables.js';

export interface StatusSettings {
  /** A node that has not reported for longer than this is stale: treated as unheard of. */
  readonly stale_after_ms: number;
  /** Both nodes active longer than this is a split brain; a shorter overlap is a handover. */
  readonly split_brain_after_ms: number;
}

export interface NodeStatus {
  readonly node_id: string;
  readonly role: Role;
  readonly model: string;
  readonly mgmt_ip: string;
  readonly enrolled: boolean;
  readonly state: NodeState | null;
  readonly stale: boolean;
  readonly last_report_at: number | null;
  readonly version: string | null;
  readonly wan_ok: boolean | null;
  readonly hears_peer: boolean | null;
  /** Each WAN probe's latest verdict, as reported (validated by the report's schema before it was stored). */
  readonly wan: readonly { readonly name: string; readonly up: boolean }[] | null;
  readonly indicators: Report['indicators'] | null;
  readonly last_keepalive_at: number | null;
  readonly action_results: Report['action_results'] | null;
  /** Claims and releases running at the node's latest report (phase, elapsed): a floating-IP move. */
  readonly progress: readonly ActionInFlight[];
  /** A pathwatch node's paths (up, loss, RTT), active path and routes; null on a pair's nodes. */
  readonly pathwatch: Omit<PathwatchReport, 'events'> | null;
}

export interface SiteStatus {
  readonly site_id: string;
  readonly name: string;
  readonly kind: string;
  readonly ha_enabled: boolean;
  readonly ready: boolean;
  readonly indicators: {
    readonly connected: boolean;
    readonly keepalive: boolean;
    readonly same_version: boolean;
  };
  readonly active: ActiveNode;
  /** Both nodes active, continuously for longer than split_brain_after_ms. */
  readonly split_brain: boolean;
  readonly nodes: { readonly primary: NodeStatus | null; readonly secondary: NodeStatus | null };
}

/**
 * Both active is the truth of the moment (`active: 'both'`); it is a split brain only once it has
 * lasted longer than the threshold, measured from when the controller saw both active.
 */
export function isSplitBrain(
  active: ActiveNode,
  both_active_since: number | null,
  now_ms: number,
  settings: StatusSettings,
): boolean {
  return (
    active === 'both' &&
    both_active_since !== null &&
    now_ms - both_active_since > settings.split_brain_after_ms
  );
}

export function isStale(node: NodeRow, now_ms: number, settings: StatusSettings): boolean {
  return node.last_report_at === null || now_ms - node.last_report_at > settings.stale_after_ms;
}

/** The readiness input for one node, or null when nothing recent was heard from it. */
export function nodeView(node: NodeRow | null, now_ms: number, settings: StatusSettings): NodeView | null {
  if (node === null || node.state === null || isStale(node, now_ms, settings)) return null;
  const version = parseSemVer(node.version ?? '');
  if (version === null) return null;
  return {
    role: node.role,
    state: node.state as NodeState,
    wan_ok: node.wan_ok === 1,
    hears_peer: node.hears_peer === 1,
    version,
  };
}

/** A JSON column the report's schema validated before it was stored. */
function parseJson<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

export function nodeStatus(node: NodeRow, now_ms: number, settings: StatusSettings): NodeStatus {
  return {
    node_id: node.id,
    role: node.role,
    model: node.model,
    mgmt_ip: node.mgmt_ip,
    enrolled: node.enrolled_at !== null,
    state: node.state as NodeState | null,
    stale: isStale(node, now_ms, settings),
    last_report_at: node.last_report_at,
    version: node.version,
    wan_ok: node.wan_ok === null ? null : node.wan_ok === 1,
    hears_peer: node.hears_peer === null ? null : node.hears_peer === 1,
    wan: parseJson<Report['wan']>(node.wan),
    indicators: parseJson<Report['indicators']>(node.indicators),
    last_keepalive_at: node.last_keepalive_at,
    action_results: parseJson<Report['action_results']>(node.action_results),
    progress: parseJson<ActionInFlight[]>(node.progress) ?? [],
    pathwatch: parseJson<Omit<PathwatchReport, 'events'>>(node.pathwatch),
  };
}

/**
 * A pathwatch site is Ready when it could fail over now: heard and running, the route tables read, no route
 * pointing elsewhere (it would be left alone), and the backup path not known to be down.
 */
function pathwatchReady(node: NodeRow | null, pv: NodeView | null): boolean {
  if (node === null || pv === null || pv.state !== 'active' || node.pathwatch === null) return false;
  const pw = JSON.parse(node.pathwatch) as Omit<PathwatchReport, 'events'>;
  return (
    pw.active_path !== 'unknown' &&
    pw.routes !== null &&
    pw.routes.conflicts.length === 0 &&
    pw.backup?.up !== false
  );
}

export function siteStatus(
  site: SiteRow,
  primary: NodeRow | null,
  secondary: NodeRow | null,
  now_ms: number,
  settings: StatusSettings,
): SiteStatus {
  const pv = nodeView(primary, now_ms, settings);
  const paired = readiness(pv, nodeView(secondary, now_ms, settings));
  // HA off (the secondary removed, or never added): the primary runs alone and nobody expects a peer,
  // so the site is Ready when the primary is heard and active — never Not Ready for a missing peer.
  const r =
    site.kind === 'pathwatch'
      ? { ...paired, ready: pathwatchReady(primary, pv) }
      : site.ha_enabled === 1
        ? paired
        : { ...paired, ready: pv !== null && pv.state === 'active' && pv.wan_ok };
  return {
    site_id: site.id,
    name: site.name,
    kind: site.kind,
    ha_enabled: site.ha_enabled === 1,
    ready: r.ready,
    indicators: { connected: r.connected, keepalive: r.keepalive, same_version: r.same_version },
    active: r.active,
    split_brain: isSplitBrain(r.active, site.both_active_since, now_ms, settings),
    nodes: {
      primary: primary === null ? null : nodeStatus(primary, now_ms, settings),
      secondary: secondary === null ? null : nodeStatus(secondary, now_ms, settings),
    },
  };
}
