// The API's shapes, declared once: TypeScript types, request validation and the OpenAPI document.
import { type Static, type TNull, type TOptional, type TUnion, Type } from '@sinclair/typebox';
import { ROUTE_TABLE_REF_DESCRIPTION, ROUTE_TABLE_REF_PATTERN } from '../actions/azure/schema.js';
import type { PreflightStatus } from '../actions/types.js';
import { TUNABLE_KEYS, TUNABLES, type TunableKey } from '../agent/config-schema.js';
import {
  CHECK_STATUSES,
  type CheckStatus,
  COMMAND_KINDS,
  COMMAND_STATUSES,
  type CommandKind,
  EVENT_TYPES,
  type EventType,
  NODE_STATES,
  NODE_TEST_STATUSES,
  OPERATOR_COMMANDS,
} from './api-words.js';

const closed = { additionalProperties: false } as const;

/** Epoch milliseconds a node may send: from 1970 to the year 3000, whole numbers. */
const BoundedMs = { minimum: 0, maximum: 32_503_680_000_000 } as const;
const EpochMs = Type.Integer(BoundedMs);

export const Id = Type.String({ minLength: 1, maxLength: 64 });
export const Name = Type.String({ minLength: 1, maxLength: 128 });
export const Ip = Type.String({ minLength: 7, maxLength: 15, description: 'IPv4 address' });
export const Cidr = Type.String({
  minLength: 9,
  maxLength: 18,
  description: 'IPv4 subnet, e.g. 10.0.3.0/24',
});
export const Role = Type.Union([Type.Literal('primary'), Type.Literal('secondary')]);
/** `pathwatch`: one `tandem pathwatch` (path failover, Direct Connect → VPN), one node and no peer. */
export const SiteKind = Type.Union([
  Type.Literal('physical'),
  Type.Literal('aws'),
  Type.Literal('azure'),
  Type.Literal('pathwatch'),
]);
export const NodeState = Type.Union(NODE_STATES.map((s) => Type.Literal(s)));

export { EVENT_TYPES, type EventType };
export const EventTypeSchema = Type.Union(EVENT_TYPES.map((t) => Type.Literal(t)));

export const AwsSettings = Type.Object(
  {
    route_tables: Type.Array(Type.String({ pattern: '^rtb-[0-9a-f]{8,17}$' }), { maxItems: 50 }),
    /** Route destinations whose next hop follows the active node; 0.0.0.0/0 when omitted. */
    destinations: Type.Array(Cidr, { maxItems: 200, default: ['0.0.0.0/0'] }),
  },
  closed,
);
export const AzureSettings = Type.Object(
  {
    floating_ip: Type.Union([Type.Null(), Ip], { description: 'replaces the local IP in the native range' }),
    /** Route tables whose next hops follow the active node; omitted: the nodes' YAML keeps its own. */
    route_tables: Type.Optional(
      Type.Array(
        Type.String({
          maxLength: 300,
          pattern: ROUTE_TABLE_REF_PATTERN,
          description: ROUTE_TABLE_REF_DESCRIPTION,
        }),
        { maxItems: 50 },
      ),
    ),
    /** The route prefixes (IPv4 CIDR) in those tables; omitted: the nodes' YAML keeps its own. */
    prefixes: Type.Optional(Type.Array(Cidr, { maxItems: 100 })),
  },
  closed,
);

/**
 * The HA timers and preemption of a site's managed nodes (`managed: [tunables]` in their YAML), bounded
 * exactly as the agent's own keys. A key set to null, or never set, leaves each node's YAML value.
 */
export const Tunables = Type.Object(
  Object.fromEntries(TUNABLE_KEYS.map((k) => [k, Type.Optional(Type.Union([Type.Null(), TUNABLES[k]]))])) as {
    [K in TunableKey]: TOptional<TUnion<[TNull, (typeof TUNABLES)[K]]>>;
  },
  closed,
);
export type Tunables = Static<typeof Tunables>;

export const SiteCreate = Type.Object(
  {
    name: Name,
    kind: SiteKind,
    aws: Type.Optional(AwsSettings),
    azure: Type.Optional(AzureSettings),
    tunables: Type.Optional(Tunables),
  },
  closed,
);
export type SiteCreate = Static<typeof SiteCreate>;
export const SitePatch = Type.Object(
  {
    name: Type.Optional(Name),
    aws: Type.Optional(AwsSettings),
    azure: Type.Optional(AzureSettings),
    /** Merged key by key into the site's: an absent key stays, null clears it. */
    tunables: Type.Optional(Tunables),
  },
  { ...closed, minProperties: 1 },
);
export type SitePatch = Static<typeof SitePatch>;

export const NodeCreate = Type.Object(
  {
    role: Role,
    model: Type.String({ minLength: 1, maxLength: 64 }),
    /** The node's LAN address: the local IP of its native range and its management address. */
    mgmt_ip: Ip,
    /** The node's native LAN range. */
    subnet: Cidr,
  },
  closed,
);
export type NodeCreate = Static<typeof NodeCreate>;
export const NodePatch = Type.Object(
  {
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    mgmt_ip: Type.Optional(Ip),
    subnet: Type.Optional(Cidr),
  },
  // An empty change is a mistake to report, not a no-op to store.
  { ...closed, minProperties: 1 },
);
export type NodePatch = Static<typeof NodePatch>;

export const RangeCreate = Type.Object({ name: Name, subnet: Cidr }, closed);
export type RangeCreate = Static<typeof RangeCreate>;

export const Enroll = Type.Object(
  { enrollment_token: Type.String({ minLength: 8, maxLength: 128 }) },
  closed,
);

/** One phase of a long claim or release (an Azure NIC update): where it stood, since the verb started. */
export const ActionPhase = Type.Object(
  {
    /** Short and stable: `peer-nic-update`, `own-nic-update`, `confirmed`, ... */
    phase: Type.String({ minLength: 1, maxLength: 64 }),
    elapsed_ms: Type.Number({ minimum: 0, maximum: 86_400_000 }),
    detail: Type.Optional(Type.String({ maxLength: 500 })),
  },
  closed,
);
export type ActionPhase = Static<typeof ActionPhase>;

/** A claim or release still running when the report was sent, at its latest phase. */
export const ActionInFlight = Type.Object(
  {
    name: Type.String({ maxLength: 256 }),
    verb: Type.Union([Type.Literal('claim'), Type.Literal('release')]),
    ...ActionPhase.properties,
  },
  closed,
);
export type ActionInFlight = Static<typeof ActionInFlight>;

export const ActionResult = Type.Object(
  {
    id: Id,
    action: Type.Union(['preflight', 'claim', 'release', 'observe', 'repair'].map((a) => Type.Literal(a))),
    ok: Type.Boolean(),
    /** The driver's stable error code when ok is false (AWS_THROTTLED, ...). */
    code: Type.Optional(Type.String({ maxLength: 64 })),
    /** Which configured action (its name). */
    name: Type.Optional(Type.String({ maxLength: 256 })),
    message: Type.Optional(Type.String({ maxLength: 2000 })),
    duration_ms: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400_000 })),
    /** The phases a long verb went through, in order (the last is `confirmed` when it succeeded). */
    phases: Type.Optional(Type.Array(ActionPhase, { maxItems: 16 })),
    at: Type.Integer({ ...EpochMs, description: 'epoch ms on the node' }),
  },
  closed,
);
export type ActionResult = Static<typeof ActionResult>;

/** One preflight check, classified as the reference does. */
export const PreflightCheck = Type.Object(
  {
    check: Type.String({ maxLength: 500 }),
    status: Type.Union(CHECK_STATUSES.map((s) => Type.Literal(s))),
    detail: Type.Optional(Type.String({ maxLength: 2000 })),
    /** What to do: the IAM statement to add, the id to correct. */
    fix: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  closed,
);
export type PreflightCheck = Static<typeof PreflightCheck>;
/** Every verdict an agent's check can give is one a report may carry, and no other (else reports get 400). */
const _sameCheckStatuses: [PreflightStatus, CheckStatus] extends [CheckStatus, PreflightStatus]
  ? true
  : never = true;
export const PreflightResult = Type.Object(
  {
    at: Type.Number({ description: 'epoch ms on the node' }),
    actions: Type.Array(
      Type.Object(
        {
          action: Type.String({ maxLength: 256 }),
          kind: Type.String({ maxLength: 64 }),
          checks: Type.Array(PreflightCheck, { maxItems: 64 }),
        },
        closed,
      ),
      { maxItems: 64 },
    ),
  },
  closed,
);
export type PreflightResult = Static<typeof PreflightResult>;

/** What a node says about the managed settings: the version in force, and the last one it refused. */
export const SettingsState = Type.Object(
  {
    /** The site settings version the node runs on; null: its local YAML only (not managed, or none yet). */
    applied_version: Type.Union([Type.Null(), Type.Integer({ minimum: 0 })]),
    refused: Type.Union([
      Type.Null(),
      Type.Object(
        {
          version: Type.Integer({ minimum: 0 }),
          issues: Type.Array(
            Type.Object({ path: Type.String({ maxLength: 256 }), message: Type.String({ maxLength: 1000 }) }),
            { maxItems: 32 },
          ),
        },
        closed,
      ),
    ]),
    /** SHA-256 of the configuration in force (local YAML with the managed settings laid over it). */
    config_digest: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  },
  closed,
);
export type SettingsState = Static<typeof SettingsState>;

export { COMMAND_KINDS, type CommandKind };
export const CommandKindSchema = Type.Union(COMMAND_KINDS.map((k) => Type.Literal(k)));

/** How a node carried out a command from the controller. */
export const CommandResult = Type.Object(
  {
    id: Id,
    kind: CommandKindSchema,
    outcome: Type.Union([Type.Literal('done'), Type.Literal('refused'), Type.Literal('failed')]),
    /** Why it was refused, as the agent says it (peer-unfit, peer-silent, ...). */
    reason: Type.Optional(Type.String({ maxLength: 200 })),
    preflight: Type.Optional(PreflightResult),
    at: Type.Number({ description: 'epoch ms on the node' }),
  },
  closed,
);
export type CommandResult = Static<typeof CommandResult>;

const PathName = Type.Union([Type.Literal('primary'), Type.Literal('backup')]);

/** One probed path's latest round. */
export const PathwatchPath = Type.Object(
  {
    /** As the logs say it: `direct-connect`, `vpn`. */
    label: Type.String({ minLength: 1, maxLength: 64 }),
    /** Null until the first round. */
    up: Type.Union([Type.Null(), Type.Boolean()]),
    loss_pct: Type.Union([Type.Null(), Type.Number({ minimum: 0, maximum: 100 })]),
    rtt_ms: Type.Union([Type.Null(), Type.Number({ minimum: 0, maximum: 600_000 })]),
  },
  closed,
);

export const PATHWATCH_EVENT_KINDS = [
  'failover',
  'failback',
  'failover-vetoed',
  'routes-changed',
  'route-conflict',
] as const;

/** Something that happened on the pathwatch since its last report. */
export const PathwatchEvent = Type.Object(
  {
    /** Chosen by the pathwatch: a report sent twice records its events once. */
    id: Id,
    kind: Type.Union(PATHWATCH_EVENT_KINDS.map((k) => Type.Literal(k))),
    /** Where the traffic goes after it, as the route tables say. */
    active_path: Type.Union([PathName, Type.Literal('unknown')]),
    /** A switch: whether its routes were written and read back. */
    ok: Type.Optional(Type.Boolean()),
    duration_ms: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400_000 })),
    /** Why a switch failed, why a failover was refused, which routes point elsewhere. */
    message: Type.Optional(Type.String({ maxLength: 2000 })),
    at: Type.Integer({ ...EpochMs, description: 'epoch ms on the node' }),
  },
  closed,
);
export type PathwatchEvent = Static<typeof PathwatchEvent>;

/** A pathwatch's own part of its report: which path carries the traffic, each path's health, the routes. */
export const PathwatchReport = Type.Object(
  {
    active_path: Type.Union([PathName, Type.Literal('unknown')]),
    primary: PathwatchPath,
    /** Null without a backup watcher. */
    backup: Type.Union([Type.Null(), PathwatchPath]),
    /** Null until the route tables were read once. */
    routes: Type.Union([
      Type.Null(),
      Type.Object(
        {
          ours: Type.Integer({ minimum: 0, maximum: 100_000 }),
          missing: Type.Integer({ minimum: 0, maximum: 100_000 }),
          conflicts: Type.Array(Type.String({ maxLength: 500 }), { maxItems: 50 }),
        },
        closed,
      ),
    ]),
    healthy_rounds: Type.Integer({ minimum: 0 }),
    failback_rounds: Type.Integer({ minimum: 1 }),
    failovers: Type.Integer({ minimum: 0 }),
    failbacks: Type.Integer({ minimum: 0 }),
    events: Type.Array(PathwatchEvent, { maxItems: 32 }),
  },
  closed,
);
export type PathwatchReport = Static<typeof PathwatchReport>;

export const Report = Type.Object(
  {
    /** Chosen by the agent; a report sent twice is stored once. */
    id: Id,
    state: NodeState,
    wan_ok: Type.Boolean(),
    hears_peer: Type.Boolean(),
    version: Type.String({ pattern: '^\\d+\\.\\d+\\.\\d+', maxLength: 64 }),
    indicators: Type.Object(
      { connected: Type.Boolean(), keepalive: Type.Boolean(), same_version: Type.Boolean() },
      closed,
    ),
    /** Every WAN probe's latest verdict. */
    wan: Type.Array(Type.Object({ name: Name, up: Type.Boolean() }, closed), { maxItems: 16 }),
    last_keepalive_at: Type.Union([Type.Null(), EpochMs]),
    /** Claims, releases, repairs and preflights since the last report. */
    action_results: Type.Array(ActionResult, { maxItems: 32 }),
    settings: Type.Optional(SettingsState),
    /** The latest preflight (at start and on demand), sent once after it ran. */
    preflight: Type.Optional(PreflightResult),
    command_results: Type.Optional(Type.Array(CommandResult, { maxItems: 16 })),
    /** Claims and releases running now (a floating-IP move takes tens of seconds), at their latest phase. */
    progress: Type.Optional(Type.Array(ActionInFlight, { maxItems: 16 })),
    /** Sent by `tandem pathwatch` (a node of a pathwatch site) in every report. */
    pathwatch: Type.Optional(PathwatchReport),
  },
  closed,
);
export type Report = Static<typeof Report>;

/** A command waiting for the node: delivered in report replies until the node reports its result. */
export const PendingCommand = Type.Object({ id: Id, kind: CommandKindSchema }, closed);
export type PendingCommand = Static<typeof PendingCommand>;

export const ReportAck = Type.Object({
  id: Id,
  stored: Type.Boolean(),
  duplicate: Type.Boolean(),
  /** The site's settings version: a node whose copy is older fetches GET /api/v1/nodes/:id/config. */
  settings_version: Type.Integer({ minimum: 0 }),
  commands: Type.Array(PendingCommand),
});

/** An operator command for one node of a site. */
export const SiteCommand = Type.Object(
  {
    command: Type.Union(OPERATOR_COMMANDS.map((c) => Type.Literal(c))),
    /** Which node; a switchover defaults to the active one. */
    role: Type.Optional(Role),
    /** How long to wait for the node's answer (bounded long poll). */
    wait_ms: Type.Integer({ minimum: 0, maximum: 30_000, default: 10_000 }),
  },
  closed,
);
export type SiteCommand = Static<typeof SiteCommand>;

export const CommandStatus = Type.Union(COMMAND_STATUSES.map((s) => Type.Literal(s)));
export const CommandView = Type.Object({
  id: Id,
  site_id: Id,
  node_id: Id,
  role: Role,
  kind: CommandKindSchema,
  status: CommandStatus,
  reason: Type.Union([Type.Null(), Type.String()]),
  /** The reason in plain words, with what to do. */
  message: Type.Union([Type.Null(), Type.String()]),
  created_at: Type.Number(),
  done_at: Type.Union([Type.Null(), Type.Number()]),
});

export const ApiTestRequest = Type.Object(
  { wait_ms: Type.Integer({ minimum: 0, maximum: 30_000, default: 15_000 }) },
  closed,
);
export type ApiTestRequest = Static<typeof ApiTestRequest>;

const NodeApiTest = Type.Object({
  node_id: Id,
  /** offline: not heard within the stale time, so not asked; pending: asked, no answer yet. */
  status: Type.Union(NODE_TEST_STATUSES.map((s) => Type.Literal(s))),
  checks: Type.Array(Type.Object({ ...PreflightCheck.properties, action: Type.String() })),
  at: Type.Union([Type.Null(), Type.Number()]),
});
export const ApiTestView = Type.Object({
  id: Id,
  site_id: Id,
  /** complete once every online node answered (or the commands expired). */
  complete: Type.Boolean(),
  created_at: Type.Number(),
  nodes: Type.Object({
    primary: Type.Union([Type.Null(), NodeApiTest]),
    secondary: Type.Union([Type.Null(), NodeApiTest]),
  }),
  /** The prerequisites users most often get wrong, checked by the nodes or from the site's settings. */
  prerequisites: Type.Array(
    Type.Object({
      check: Type.String(),
      status: Type.Union((['ok', 'failed', 'unknown'] as const).map((s) => Type.Literal(s))),
      detail: Type.Optional(Type.String()),
      fix: Type.Optional(Type.String()),
    }),
  ),
});
export type ApiTestView = Static<typeof ApiTestView>;

export const ChannelCreate = Type.Union([
  Type.Object(
    {
      name: Name,
      kind: Type.Literal('webhook'),
      url: Type.String({ pattern: '^https?://', maxLength: 2000 }),
      /** Key of the HMAC-SHA-256 signature sent in X-Tandem-Signature. */
      secret: Type.String({ minLength: 16, maxLength: 256 }),
    },
    closed,
  ),
  Type.Object(
    {
      name: Name,
      kind: Type.Literal('email'),
      to: Type.Array(Type.String({ format: 'email', maxLength: 254 }), { minItems: 1, maxItems: 100 }),
    },
    closed,
  ),
]);
export type ChannelCreate = Static<typeof ChannelCreate>;

export const RuleCreate = Type.Object(
  {
    name: Name,
    /** Empty: every event type. */
    event_types: Type.Array(EventTypeSchema, { maxItems: EVENT_TYPES.length, default: [] }),
    /** Empty: every site. */
    site_ids: Type.Array(Id, { maxItems: 1000, default: [] }),
    channel_id: Id,
  },
  closed,
);
export type RuleCreate = Static<typeof RuleCreate>;

export const TokenCreate = Type.Object(
  { name: Name, scope: Type.Union([Type.Literal('admin'), Type.Literal('viewer')]) },
  closed,
);
export type TokenCreate = Static<typeof TokenCreate>;

export const EventQuery = Type.Object(
  {
    site_id: Type.Optional(Id),
    node_id: Type.Optional(Id),
    type: Type.Optional(EventTypeSchema),
    since: Type.Optional(Type.Integer({ ...BoundedMs, description: 'epoch ms, inclusive' })),
    until: Type.Optional(Type.Integer({ ...BoundedMs, description: 'epoch ms, exclusive' })),
    /** Paging: the next_cursor of the previous page. */
    cursor: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  },
  closed,
);
export type EventQuery = Static<typeof EventQuery>;

export const Paging = Type.Object(
  {
    cursor: Type.Optional(Type.String({ maxLength: 64 })),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  },
  closed,
);
export type Paging = Static<typeof Paging>;

export const SiteParams = Type.Object({ site_id: Id }, closed);
export const SiteRoleParams = Type.Object({ site_id: Id, role: Role }, closed);
export const SiteRangeParams = Type.Object({ site_id: Id, range_id: Id }, closed);
export const NodeParams = Type.Object({ node_id: Id }, closed);
export const IdParams = Type.Object({ id: Id }, closed);
export const SiteTestParams = Type.Object({ site_id: Id, test_id: Id }, closed);
export const SiteCommandParams = Type.Object({ site_id: Id, command_id: Id }, closed);
