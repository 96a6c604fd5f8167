// The API's shapes, declared once: TypeScript types, request validation and the OpenAPI document.
import { type Static, Type } from '@sinclair/typebox';

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
export const SiteKind = Type.Union([Type.Literal('physical'), Type.Literal('aws'), Type.Literal('azure')]);
export const NodeState = Type.Union(
  ['init', 'standby', 'active', 'fault', 'maintenance', 'disabled'].map((s) => Type.Literal(s)),
);

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
export type EventType = (typeof EVENT_TYPES)[number];
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
  },
  closed,
);

export const SiteCreate = Type.Object(
  { name: Name, kind: SiteKind, aws: Type.Optional(AwsSettings), azure: Type.Optional(AzureSettings) },
  closed,
);
export type SiteCreate = Static<typeof SiteCreate>;
export const SitePatch = Type.Object(
  { name: Type.Optional(Name), aws: Type.Optional(AwsSettings), azure: Type.Optional(AzureSettings) },
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

export const ActionResult = Type.Object(
  {
    id: Id,
    action: Type.Union(['preflight', 'claim', 'release', 'observe', 'repair'].map((a) => Type.Literal(a))),
    ok: Type.Boolean(),
    message: Type.Optional(Type.String({ maxLength: 2000 })),
    duration_ms: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400_000 })),
    at: Type.Integer({ ...EpochMs, description: 'epoch ms on the node' }),
  },
  closed,
);
export type ActionResult = Static<typeof ActionResult>;

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
    wan: Type.Array(Type.Object({ name: Name, up: Type.Boolean() }, closed), { maxItems: 16 }),
    last_keepalive_at: Type.Union([Type.Null(), EpochMs]),
    action_results: Type.Array(ActionResult, { maxItems: 32 }),
  },
  closed,
);
export type Report = Static<typeof Report>;

export const ReportAck = Type.Object({ id: Id, stored: Type.Boolean(), duplicate: Type.Boolean() });

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
