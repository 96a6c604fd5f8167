// The API's JSON as the dashboard reads it (the controller's schema.ts and overview.ts are the source).

export type Health = 'split-brain' | 'not-ready' | 'stale' | 'ha-off' | 'ready';
export const HEALTHS: readonly Health[] = ['split-brain', 'not-ready', 'stale', 'ha-off', 'ready'];
export type Active = 'primary' | 'secondary' | 'none' | 'both';
export type Role = 'primary' | 'secondary';

export interface Indicators {
  readonly connected: boolean;
  readonly keepalive: boolean;
  readonly same_version: boolean;
}

export interface NodeBrief {
  readonly state: string | null;
  readonly stale: boolean;
  readonly reported: boolean;
  readonly enrolled: boolean;
  readonly version: string | null;
  readonly wan_ok: boolean | null;
  readonly hears_peer: boolean | null;
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
  readonly counts: Record<Health, number>;
  readonly sites: readonly SiteSummary[];
  readonly as_of: number;
}

export interface NodeStatus {
  readonly node_id: string;
  readonly role: Role;
  readonly model: string;
  readonly mgmt_ip: string;
  readonly enrolled: boolean;
  readonly state: string | null;
  readonly stale: boolean;
  readonly last_report_at: number | null;
  readonly version: string | null;
  readonly wan_ok: boolean | null;
  readonly hears_peer: boolean | null;
  readonly wan: readonly { name: string; up: boolean }[] | null;
  readonly last_keepalive_at: number | null;
  /** Reported by agents that apply managed settings; absent until they do. */
  readonly config_digest?: string | null;
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

export interface NodeConfig {
  readonly id: string;
  readonly role: Role;
  readonly model: string;
  readonly mgmt_ip: string;
  readonly subnet: string;
  readonly enrolled: boolean;
  readonly enrollment_expires_at: number | null;
}

export interface NetworkView {
  readonly native: readonly { role: Role; subnet: string; local_ip: string; gateway: string }[];
  readonly routed: readonly { id: string | null; name: string; subnet: string; gateway: string | null }[];
  readonly routed_via: Role | null;
}

export interface SiteView {
  readonly id: string;
  readonly name: string;
  readonly kind: 'physical' | 'aws' | 'azure';
  readonly ha_enabled: boolean;
  readonly cloud: CloudSettings;
  readonly nodes: { readonly primary: NodeConfig | null; readonly secondary: NodeConfig | null };
  readonly network: NetworkView;
  readonly status: SiteStatus;
}

export interface EventView {
  readonly id: number;
  readonly type: string;
  readonly site_id: string | null;
  readonly node_id: string | null;
  readonly at: number;
  readonly details: Record<string, unknown>;
}

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
] as const;

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
