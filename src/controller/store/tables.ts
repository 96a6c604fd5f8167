// The store's tables, one typed shape for SQLite and PostgreSQL. Times are epoch milliseconds,
// booleans are 0/1 integers and structured values are JSON text, so both dialects read the same.
import type { Generated, Insertable, Selectable } from 'kysely';

export type Scope = 'admin' | 'viewer';
export type SiteKind = 'physical' | 'aws' | 'azure' | 'pathwatch';
export type DeliveryStatus = 'pending' | 'sent' | 'failed';
export type ChannelKind = 'webhook' | 'email';

export interface TokensTable {
  id: string;
  name: string;
  scope: Scope;
  token_hash: string;
  created_at: number;
  revoked_at: number | null;
}

export interface SitesTable {
  id: string;
  name: string;
  kind: SiteKind;
  /** JSON: the cloud settings (AWS route tables and destinations, Azure floating IP). */
  cloud: string;
  ha_enabled: number;
  primary_node_id: string | null;
  secondary_node_id: string | null;
  created_at: number;
  /** What the controller last derived, so that a change is recorded once. */
  derived_ready: number;
  derived_active: string;
  /** When a recorded split brain began (its both_active_since); null while none is recorded. */
  split_brain_since: number | null;
  /** When both nodes became active; the split-brain rule measures from here. */
  both_active_since: number | null;
  /** When the secondary became active; the failover rule measures from here. */
  secondary_active_since: number | null;
  /** The secondary_active_since value a failover event was already recorded for. */
  failover_recorded_for: number | null;
  /** Bumped by every change an agent's managed settings are made of. */
  settings_version: Generated<number>;
  /** JSON: the HA timers and preemption the site sets for its managed nodes (schema.ts Tunables). */
  tunables: Generated<string>;
}

export interface NodesTable {
  id: string;
  site_id: string;
  role: 'primary' | 'secondary';
  model: string;
  mgmt_ip: string;
  subnet: string;
  created_at: number;
  removed_at: number | null;
  enrollment_hash: string | null;
  enrollment_expires_at: number | null;
  credential_hash: string | null;
  enrolled_at: number | null;
  // The latest report.
  last_report_at: number | null;
  state: string | null;
  wan_ok: number | null;
  hears_peer: number | null;
  version: string | null;
  /** JSON: the node's own view of the indicators. */
  indicators: string | null;
  /** JSON: WAN links and whether each is up. */
  wan: string | null;
  last_keepalive_at: number | null;
  /** JSON: the latest action results. */
  action_results: string | null;
  /** The id of the node's latest stored report: a retried report (lost ack) is recognised by it. */
  last_report_id: string | null;
  stale: number;
  /** The site's settings_version, copied here so that the report path reads it with the node. */
  settings_version: Generated<number>;
  /** Commands waiting for this node: non-zero makes the report reply look them up. */
  commands_pending: Generated<number>;
  /** JSON SettingsState: the version the node runs, its last refusal, its config digest. */
  settings_state: string | null;
  /** JSON PreflightResult: the node's latest preflight. */
  preflight: string | null;
  /** JSON PathwatchReport without its events: a pathwatch node's paths, active path and routes. */
  pathwatch: string | null;
  /** JSON ActionInFlight[]: the claims and releases running at the latest report; null when none. */
  progress: string | null;
}

export type CommandState = 'pending' | 'done' | 'refused' | 'failed' | 'expired';

export interface CommandsTable {
  id: string;
  site_id: string;
  node_id: string;
  role: 'primary' | 'secondary';
  kind: string;
  /** The API test this preflight belongs to. */
  test_id: string | null;
  created_at: number;
  expires_at: number;
  status: CommandState;
  reason: string | null;
  /** JSON: the command's result (a preflight's checks). */
  result: string | null;
  done_at: number | null;
}

export interface RangesTable {
  id: string;
  site_id: string;
  name: string;
  subnet: string;
  created_at: number;
}

export interface ReportsTable {
  id: Generated<number>;
  node_id: string;
  report_id: string;
  received_at: number;
  body: string;
}

export interface EventsTable {
  id: Generated<number>;
  /** Unique: two controllers deriving the same fact insert it once. */
  key: string;
  site_id: string | null;
  node_id: string | null;
  type: string;
  at: number;
  details: string;
}

export interface ChannelsTable {
  id: string;
  name: string;
  kind: ChannelKind;
  config: string;
  created_at: number;
}

export interface RulesTable {
  id: string;
  name: string;
  /** JSON array; empty means every type. */
  event_types: string;
  /** JSON array; empty means every site. */
  site_ids: string;
  channel_id: string;
  created_at: number;
}

export interface DeliveriesTable {
  id: Generated<number>;
  event_id: number;
  channel_id: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  claimed_by: string | null;
  claimed_until: number | null;
  last_error: string | null;
  sent_at: number | null;
}

export interface Database {
  tokens: TokensTable;
  sites: SitesTable;
  nodes: NodesTable;
  ranges: RangesTable;
  reports: ReportsTable;
  events: EventsTable;
  channels: ChannelsTable;
  rules: RulesTable;
  deliveries: DeliveriesTable;
  commands: CommandsTable;
}

export type SiteRow = Selectable<SitesTable>;
export type NodeRow = Selectable<NodesTable>;
export type NewNode = Insertable<NodesTable>;
export type EventRow = Selectable<EventsTable>;
export type DeliveryRow = Selectable<DeliveriesTable>;
export type ChannelRow = Selectable<ChannelsTable>;
export type RuleRow = Selectable<RulesTable>;
export type RangeRow = Selectable<RangesTable>;
export type CommandRow = Selectable<CommandsTable>;
