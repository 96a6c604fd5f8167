// The azure-* action specs (TypeBox: the type, the validator and the key docs). docs/azure.md explains each key.
import { type Static, type TSchema, Type } from '@sinclair/typebox';

/** A floating IP move takes tens of seconds and minutes at worst (CLOUD.md §2.2): the agent-wide 30 s is too short. */
export const DEFAULT_FLOATING_DEADLINE_MS = 180_000;
/** Route writes are seconds; still longer than EC2's, because each is an operation with its own status. */
export const DEFAULT_ROUTE_DEADLINE_MS = 60_000;
export const DEFAULT_OBSERVE_INTERVAL_MS = 10_000;
/** The Azure instance metadata service (and the managed identity's token endpoint). */
export const DEFAULT_IMDS_URL = 'http://169.254.169.254';

/**
 * A route table by name in the resource group, or by ARM id. Azure names: 1-80 letters, digits, `_`, `.`, `-`,
 * starting with a letter or digit and ending with one or `_`. Shared with the controller's site settings.
 */
export const ROUTE_TABLE_REF_PATTERN =
  '^(/subscriptions/[0-9A-Fa-f-]{36}/resource[Gg]roups/[-\\w.()]{1,90}/providers/Microsoft\\.Network/routeTables/)?' +
  '[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$';

export const ROUTE_TABLE_REF_DESCRIPTION =
  'a route table name (1-80 letters, digits, _ . -; starts with a letter or digit) or its ARM id';
const RouteTableRef = Type.String({
  pattern: ROUTE_TABLE_REF_PATTERN,
  description: ROUTE_TABLE_REF_DESCRIPTION,
});

/** Where ARM and our NIC are: every azure-* kind has these keys (pathwatch's Azure routes too). */
export const AZURE_CONNECTION = {
  name: Type.Optional(Type.String({ minLength: 1 })),
  /** Default: from the instance metadata (IMDS). */
  subscription_id: Type.Optional(Type.String({ minLength: 1 })),
  resource_group: Type.Optional(Type.String({ minLength: 1 })),
  /** Our NIC's name; default: the NIC whose MAC is `interface_mac` (or the VM's first interface) in IMDS. */
  nic: Type.Optional(Type.String({ minLength: 1 })),
  interface_mac: Type.Optional(Type.String({ pattern: '^[0-9A-Fa-f]{2}([-:]?[0-9A-Fa-f]{2}){5}$' })),
  /** `https://127.0.0.1:PORT` for the simulator; default ARM's public endpoint. */
  arm_endpoint: Type.Optional(Type.String({ pattern: '^https://' })),
  /** A PEM file with the CA that signed the ARM endpoint's certificate (the simulator's). */
  arm_ca_file: Type.Optional(Type.String({ minLength: 1 })),
  /** Instance metadata base URL; default http://169.254.169.254. Also where the managed identity token comes from. */
  imds_url: Type.Optional(Type.String({ pattern: '^http://' })),
  /** A user-assigned managed identity; default: the VM's system-assigned one. */
  managed_identity_client_id: Type.Optional(Type.String({ minLength: 1 })),
  request_timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 60_000 })),
  /** Claim and release give up after this long (overrides the agent's action_deadline_ms for this action). */
  deadline_ms: Type.Optional(Type.Integer({ minimum: 1000, maximum: 900_000 })),
  /** While active, read the cloud back this often and repair drift; 0 turns the arbiter off. */
  observe_interval_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
};

export const FloatingIpSpecSchema = Type.Object(
  {
    kind: Type.Literal('azure-floating-ip'),
    /** The floating private IP that moves between the two NICs (a secondary ipConfiguration). */
    address: Type.String({ minLength: 1 }),
    /** The peer's NIC (name in the resource group, or ARM id). */
    peer_nic: Type.String({ minLength: 1 }),
    /** The name given to the ipConfiguration we add; default `tandem-floating`. */
    ipconfig_name: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$' })),
    ...AZURE_CONNECTION,
  },
  { additionalProperties: false },
);

export const RouteTableSpecSchema = Type.Object(
  {
    kind: Type.Literal('azure-route-table'),
    /** Route tables (names in the resource group, or ARM ids), rewritten in parallel. */
    route_tables: Type.Array(RouteTableRef, { minItems: 1, maxItems: 50 }),
    /** The prefixes whose routes point at the active node (`0.0.0.0/0`, `10.9.0.0/16`). */
    prefixes: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 100 }),
    /** The peer's next hop, to tell "the peer holds it" from a third party's edit. */
    peer_next_hop: Type.String({ minLength: 1 }),
    /** Our next hop; default: our NIC's primary private IP. */
    next_hop: Type.Optional(Type.String({ minLength: 1 })),
    ...AZURE_CONNECTION,
  },
  { additionalProperties: false },
);

export const AZURE_SCHEMAS = {
  'azure-floating-ip': FloatingIpSpecSchema,
  'azure-route-table': RouteTableSpecSchema,
} satisfies Record<string, TSchema>;

export type FloatingIpSpec = Static<typeof FloatingIpSpecSchema>;
export type RouteTableSpec = Static<typeof RouteTableSpecSchema>;
export type AzureActionSpec = FloatingIpSpec | RouteTableSpec;
export type AzureKind = AzureActionSpec['kind'];
/** The keys every azure-* kind shares: where ARM and our NIC are. */
export type ConnectionSpec = Omit<FloatingIpSpec, 'kind' | 'address' | 'peer_nic' | 'ipconfig_name'>;
