// The config of each AWS action kind, declared once: the TypeBox schema is the type, the validator and the doc
// (docs/aws.md). The agent's config keeps actions as `{ kind, name?, ... }` envelopes and hands each to us.
import { type Static, type TSchema, Type } from '@sinclair/typebox';

const strict = { additionalProperties: false } as const;

// AWS resource ids are the prefix and lower-case hex (8 digits for old ids, 17 for new): `rtb-xyz` is a typo.
const Id = (prefix: string, what: string) =>
  Type.String({ pattern: `^${prefix}-[0-9a-f]{1,17}$`, description: `${what} (${prefix}- and hex digits)` });

/** Where and how to reach EC2; every key optional: region and ids come from instance metadata. */
const Connection = {
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  /** Default: the instance's region from IMDSv2. */
  region: Type.Optional(
    Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-\\d+$', description: 'an AWS region like eu-west-1' }),
  ),
  /** The simulator, or a VPC interface endpoint (`https://vpce-….ec2.<region>.vpce.amazonaws.com`). */
  endpoint: Type.Optional(Type.String({ pattern: '^https?://' })),
  /** Default http://169.254.169.254. */
  imds_url: Type.Optional(Type.String({ pattern: '^https?://' })),
  request_timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 60_000 })),
  /** Used only by `tandem iam-policy` to scope ARNs; default `*`. */
  account_id: Type.Optional(Type.String({ pattern: '^\\d{12}$' })),
  /** While active, how often the arbiter reads the cloud back (drift, split brain). 0 = never. */
  observe_interval_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
};

/** Which of this instance's interfaces is "ours": by id, MAC or device index; none = the primary interface. */
const OwnInterface = {
  eni_id: Type.Optional(Id('eni', 'our interface')),
  interface_mac: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$' })),
  device_index: Type.Optional(Type.Integer({ minimum: 0, maximum: 31 })),
};

export const RouteTableSelector = Type.Union([
  Id('rtb', 'a route table id'),
  Type.Object({ tag: Type.String({ minLength: 1 }), value: Type.String() }, strict),
  Type.Object({ subnet: Id('subnet', 'the subnet whose table to use (the main table if none)') }, strict),
]);

export const RouteTableSpecSchema = Type.Object(
  {
    kind: Type.Literal('aws-route-table'),
    ...Connection,
    ...OwnInterface,
    route_tables: Type.Array(RouteTableSelector, { minItems: 1, maxItems: 200 }),
    /** 0.0.0.0/0, any IPv4 or IPv6 CIDR, an overlay /32 outside the VPC. */
    destinations: Type.Array(Type.String({ minLength: 3 }), { minItems: 1, maxItems: 50 }),
    /** The peer's LAN ENI: a route there is the peer's claim, reported and never fought over. */
    peer_eni_id: Id('eni', "the peer's interface"),
    /** keep (default): the next active node replaces the routes. delete: remove ours (path failover). */
    on_release: Type.Optional(Type.Union([Type.Literal('keep'), Type.Literal('delete')])),
  },
  strict,
);

export const EniSpecSchema = Type.Object(
  {
    kind: Type.Literal('aws-eni'),
    ...Connection,
    /** The floating ENI that moves between the nodes. */
    eni_id: Id('eni', 'the floating interface'),
    /** Where it attaches on this instance; 0 is the primary interface and cannot move. */
    device_index: Type.Integer({ minimum: 1, maximum: 31 }),
    /** Force the detach from a failed peer (default true; CLOUD.md §1.4 on the cost). */
    force_detach: Type.Optional(Type.Boolean()),
    /** Default: this instance from metadata. */
    instance_id: Type.Optional(Id('i', 'this instance')),
    peer_instance_id: Type.Optional(Id('i', 'the peer instance')),
  },
  strict,
);

export const SecondaryIpSpecSchema = Type.Object(
  {
    kind: Type.Literal('aws-secondary-ip'),
    ...Connection,
    ...OwnInterface,
    /** The floating private address; same subnet on both nodes. */
    address: Type.String({ pattern: '^\\d{1,3}(\\.\\d{1,3}){3}$' }),
    /** The OS interface that gets the address too (`eth1`); unset: the platform-side move only. */
    local_interface: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,15}$' })),
    /** Prefix length on the local interface; default the subnet's. */
    prefix_length: Type.Optional(Type.Integer({ minimum: 8, maximum: 32 })),
    peer_eni_id: Type.Optional(Id('eni', "the peer's interface")),
  },
  strict,
);

export const EipSpecSchema = Type.Object(
  {
    kind: Type.Literal('aws-eip'),
    ...Connection,
    ...OwnInterface,
    allocation_id: Id('eipalloc', 'the Elastic IP allocation'),
    /** Which of our private addresses it maps to; default the interface's primary. */
    private_ip: Type.Optional(Type.String({ pattern: '^\\d{1,3}(\\.\\d{1,3}){3}$' })),
    peer_eni_id: Type.Optional(Id('eni', "the peer's interface")),
  },
  strict,
);

export type RouteTableSpec = Static<typeof RouteTableSpecSchema>;
export type EniSpec = Static<typeof EniSpecSchema>;
export type SecondaryIpSpec = Static<typeof SecondaryIpSpecSchema>;
export type EipSpec = Static<typeof EipSpecSchema>;
export type AwsActionSpec = RouteTableSpec | EniSpec | SecondaryIpSpec | EipSpec;
export type AwsKind = AwsActionSpec['kind'];

export const AWS_SCHEMAS: Record<AwsKind, TSchema> = {
  'aws-route-table': RouteTableSpecSchema,
  'aws-eni': EniSpecSchema,
  'aws-secondary-ip': SecondaryIpSpecSchema,
  'aws-eip': EipSpecSchema,
};

export const DEFAULT_OBSERVE_INTERVAL_MS = 5000;
