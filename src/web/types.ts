// The API's JSON as the dashboard reads it. The words (event types, health, commands, check
// verdicts) and the overview's shapes are the controller's own (controller/api-words.ts, compiled
// into the dashboard); the rest mirrors the controller's site view (model/sites.ts, schema.ts).
import type {
  Active,
  CheckStatus,
  CommandKind,
  CommandStatus,
  EventType,
  Indicators,
  NodeStateWord,
  NodeTestStatus,
  RoleWord,
} from '../controller/api-words.js';

export {
  type Active,
  EVENT_TYPES,
  type EventType,
  HEALTHS,
  type Health,
  healthOf,
  type Indicators,
  type NodeBrief,
  nodeBrief,
  OPERATOR_COMMANDS,
  type OperatorCommand,
  type Overview,
  type SiteSummary,
} from '../controller/api-words.js';
export type Role = RoleWord;

export interface NodeStatus {
  readonly node_id: string;
  readonly role: Role;
  readonly model: string;
  readonly mgmt_ip: string;
  readonly enrolled: boolean;
  readonly state: NodeStateWord | null;
  readonly stale: boolean;
  readonly last_report_at: number | null;
  readonly version: string | null;
  readonly wan_ok: boolean | null;
  readonly hears_peer: boolean | null;
  readonly wan: readonly { name: string; up: boolean }[] | null;
  readonly last_keepalive_at: number | null;
  /** A pathwatch node's view of its paths and routes (schema.ts PathwatchReport); null on a pair's nodes. */
  readonly pathwatch?: PathwatchView | null;
}

export interface PathView {
  /** As the pathwatch's logs say it: `direct-connect`, `vpn`. */
  readonly label: string;
  /** Null until the first round. */
  readonly up: boolean | null;
  readonly loss_pct: number | null;
  readonly rtt_ms: number | null;
}

export interface PathwatchView {
  readonly active_path: 'primary' | 'backup' | 'unknown';
  readonly primary: PathView;
  /** Null without a backup watcher. */
  readonly backup: PathView | null;
  /** Null until the route tables were read once. */
  readonly routes: {
    readonly ours: number;
    readonly missing: number;
    readonly conflicts: readonly string[];
  } | null;
  readonly healthy_rounds: number;
  readonly failback_rounds: number;
  readonly failovers: number;
  readonly failbacks: number;
}

export interface SiteStatus {
  readonly site_id: string;
  readonly name: string;
  readonly kind: string;
  readonly ha_enabled: boolean;
  readonly ready: boolean;
  readonly indicators: Indicators;
  readonly active: Active;
  readonly split_brain: boolean;
  readonly nodes: { readonly primary: NodeStatus | null; readonly secondary: NodeStatus | null };
}

export interface CloudSettings {
  readonly aws?: { readonly route_tables: readonly string[]; readonly destinations: readonly string[] };
  readonly azure?: {
    readonly floating_ip: string | null;
    readonly route_tables?: readonly string[];
    readonly prefixes?: readonly string[];
  };
}

/** What a node says it runs of the site's managed settings (schema.ts SettingsState). */
export interface SettingsState {
  /** The site settings version in force; null: the node runs on its local YAML only. */
  readonly applied_version: number | null;
  readonly refused: {
    readonly version: number;
    readonly issues: readonly { readonly path: string; readonly message: string }[];
  } | null;
  readonly config_digest: string;
}

export interface NodeConfig {
  readonly id: string;
  readonly role: Role;
  readonly model: string;
  readonly mgmt_ip: string;
  readonly subnet: string;
  readonly enrolled: boolean;
  readonly enrollment_expires_at: number | null;
  /** Null until the node's agent reports its settings (an agent that is not managed never does). */
  readonly settings: SettingsState | null;
}

export interface NetworkView {
  readonly native: readonly { role: Role; subnet: string; local_ip: string; gateway: string }[];
  readonly routed: readonly { id: string | null; name: string; subnet: string; gateway: string | null }[];
  readonly routed_via: Role | null;
}

export interface Tunables {
  readonly interval_ms?: number | null;
  readonly dead_multiplier?: number | null;
  readonly preempt?: boolean | null;
  readonly preempt_delay_ms?: number | null;
}

export interface SiteView {
  readonly id: string;
  readonly name: string;
  readonly kind: 'physical' | 'aws' | 'azure' | 'pathwatch';
  readonly ha_enabled: boolean;
  readonly cloud: CloudSettings;
  /** The HA timers the site sets for its managed nodes; a key left out is each node's YAML. */
  readonly tunables: Tunables;
  /** The managed settings' version: a node whose applied_version is lower has not taken it yet. */
  readonly settings_version: number;
  readonly nodes: { readonly primary: NodeConfig | null; readonly secondary: NodeConfig | null };
  readonly network: NetworkView;
  readonly status: SiteStatus;
}

export interface EventView {
  readonly id: number;
  readonly type: EventType;
  readonly site_id: string | null;
  readonly node_id: string | null;
  readonly at: number;
  readonly details: Record<string, unknown>;
}

export interface Channel {
  readonly id: string;
  readonly name: string;
  readonly kind: 'webhook' | 'email';
  readonly url?: string;
  readonly to?: readonly string[];
}

export interface Rule {
  readonly id: string;
  readonly name: string;
  readonly event_types: readonly string[];
  readonly site_ids: readonly string[];
  readonly channel_id: string;
}

export interface Whoami {
  readonly token_id: string;
  readonly name: string | null;
  readonly scope: 'admin' | 'viewer';
}

export interface CheckResult {
  readonly action: string;
  readonly check: string;
  readonly status: CheckStatus;
  readonly detail?: string;
  readonly fix?: string;
}

export interface NodeApiTest {
  readonly node_id: string;
  readonly status: NodeTestStatus;
  readonly checks: readonly CheckResult[];
  readonly at: number | null;
}

export interface ApiTestView {
  readonly id: string;
  readonly site_id: string;
  readonly complete: boolean;
  readonly created_at: number;
  readonly nodes: { readonly primary: NodeApiTest | null; readonly secondary: NodeApiTest | null };
  readonly prerequisites: readonly {
    readonly check: string;
    readonly status: 'ok' | 'failed' | 'unknown';
    readonly detail?: string;
    readonly fix?: string;
  }[];
}

export interface CommandView {
  readonly id: string;
  readonly site_id: string;
  readonly node_id: string;
  readonly role: Role;
  readonly kind: CommandKind;
  readonly status: CommandStatus;
  /** The agent's reason code (peer-unfit, ...), or why the controller gave up. */
  readonly reason: string | null;
  /** The reason in plain words, with what to do. */
  readonly message: string | null;
  readonly created_at: number;
  readonly done_at: number | null;
}
