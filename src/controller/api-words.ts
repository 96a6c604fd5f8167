// The API's words (event types, health words, node states, commands and their outcomes) and the fleet
// overview's shapes, declared once for the controller and the dashboard: the controller's schema and
// overview import them, and the dashboard's build compiles this very file (src/web/tsconfig.json), so
// the two cannot drift. It imports nothing: it runs in Node and in the browser.

export const EVENT_TYPES = [
  'state-change',
  'failover',
  'split-brain',
  'split-brain-resolved',
  'not-ready',
  'ready',
  'stale',
  'preflight-failure',
  'drift-repaired',
  'node-enrolled',
  'node-removed',
  'settings-refused',
  'operator-command',
  // From a pathwatch's reports: a switch of the routes (done or failed), a refused failover, an edit by hand.
  'path-failover',
  'path-failback',
  'path-failover-vetoed',
  'path-routes-changed',
  'path-route-conflict',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const NODE_STATES = ['init', 'standby', 'active', 'fault', 'maintenance', 'disabled'] as const;
export type NodeStateWord = (typeof NODE_STATES)[number];

/** One word for a site's HA status, in the order an operator should look at them. */
export const HEALTHS = ['split-brain', 'not-ready', 'stale', 'ha-off', 'ready'] as const;
export type Health = (typeof HEALTHS)[number];

export type Active = 'primary' | 'secondary' | 'none' | 'both';
export type RoleWord = 'primary' | 'secondary';

/** What an operator may ask one node to do from the controller. */
export const OPERATOR_COMMANDS = ['switchover', 'maintenance-on', 'maintenance-off'] as const;
export type OperatorCommand = (typeof OPERATOR_COMMANDS)[number];
export const COMMAND_KINDS = ['preflight', ...OPERATOR_COMMANDS] as const;
export type CommandKind = (typeof COMMAND_KINDS)[number];
export const COMMAND_STATUSES = ['pending', 'done', 'refused', 'failed', 'expired', 'offline'] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];

/**
 * One preflight check's verdict, with the reference's distinctions: the identity (cannot
 * authenticate), a permission, an id, a setting on the resource, the reach to the API.
 */
export const CHECK_STATUSES = [
  'ok',
  'cannot-authenticate',
  'missing-permission',
  'wrong-id',
  'wrong-setting',
  'unreachable',
  'error',
] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];
/** A node in an API test: offline was not asked (not heard lately); pending was asked, no answer yet. */
export const NODE_TEST_STATUSES = ['ok', 'failed', 'offline', 'pending'] as const;
export type NodeTestStatus = (typeof NODE_TEST_STATUSES)[number];

export interface Indicators {
  readonly connected: boolean;
  readonly keepalive: boolean;
  readonly same_version: boolean;
}

export interface NodeBrief {
  readonly state: string | null;
  /** Reported before and silent since: the controller's view is out of date. */
  readonly stale: boolean;
  readonly reported: boolean;
  readonly enrolled: boolean;
  readonly version: string | null;
  readonly wan_ok: boolean | null;
  readonly hears_peer: boolean | null;
  /** Names of the WAN links the node reports down. */
  readonly wan_down: readonly string[];
  readonly last_report_at: number | null;
}

export interface SiteSummary {
  readonly site_id: string;
  readonly name: string;
  readonly kind: string;
  readonly health: Health;
  readonly ha_enabled: boolean;
  readonly ready: boolean;
  readonly active: Active;
  readonly split_brain: boolean;
  readonly indicators: Indicators;
  readonly last_failover_at: number | null;
  readonly primary: NodeBrief | null;
  readonly secondary: NodeBrief | null;
}

export interface Overview {
  readonly total: number;
  /** Sites per health over the whole fleet (before the filter), for the summary bar. */
  readonly counts: Record<Health, number>;
  readonly sites: readonly SiteSummary[];
  readonly as_of: number;
}

/** The part of a node's status the brief is made from (the site view's nodes, the controller's rows). */
export interface NodeFacts {
  readonly state: string | null;
  readonly stale: boolean;
  readonly enrolled: boolean;
  readonly version: string | null;
  readonly wan_ok: boolean | null;
  readonly hears_peer: boolean | null;
  readonly wan: unknown;
  readonly last_report_at: number | null;
}

/** The part of a site's status its health word is made from. */
export interface SiteFacts {
  readonly kind: string;
  readonly ha_enabled: boolean;
  readonly ready: boolean;
  readonly split_brain: boolean;
  readonly nodes: {
    readonly primary: Pick<NodeFacts, 'stale' | 'last_report_at'> | null;
    readonly secondary: Pick<NodeFacts, 'stale' | 'last_report_at'> | null;
  };
}

function wanDown(wan: unknown): string[] {
  if (!Array.isArray(wan)) return [];
  return wan
    .filter((w): w is { name: unknown; up: unknown } => typeof w === 'object' && w !== null && 'up' in w)
    .filter((w) => w.up === false)
    .map((w) => String(w.name));
}

export function nodeBrief(n: NodeFacts | null): NodeBrief | null {
  if (n === null) return null;
  const reported = n.last_report_at !== null;
  return {
    state: n.state,
    stale: reported && n.stale,
    reported,
    enrolled: n.enrolled,
    version: n.version,
    wan_ok: n.wan_ok,
    hears_peer: n.hears_peer,
    wan_down: wanDown(n.wan),
    last_report_at: n.last_report_at,
  };
}

/**
 * HA off is a word for a lone primary that is fine (Ready, but nothing to fail over to); a lone
 * primary in trouble is Not Ready (or Stale) like any site, so an outage is never filed under HA off.
 * A site with no node at all has nothing to be in trouble: HA off. A pathwatch site is Ready or Not Ready.
 */
export function healthOf(s: SiteFacts): Health {
  if (s.split_brain) return 'split-brain';
  const nodes = [s.nodes.primary, s.nodes.secondary];
  if (nodes.some((n) => n !== null && n.last_report_at !== null && n.stale)) return 'stale';
  // A pathwatch has one node by design: HA off does not apply; Ready means it could fail over now.
  if (s.kind === 'pathwatch') return s.ready ? 'ready' : 'not-ready';
  if (!s.ha_enabled) return s.ready || s.nodes.primary === null ? 'ha-off' : 'not-ready';
  return s.ready ? 'ready' : 'not-ready';
}
