// The scenario file's shape: one TypeBox schema is the type, the validator and the documentation.
import { type Static, Type } from '@sinclair/typebox';

const Name = Type.String({ minLength: 1, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' });
const Cidr = Type.String({ pattern: '^\\d+\\.\\d+\\.\\d+\\.\\d+/\\d+$' });
const Ip = Type.String({ pattern: '^\\d+\\.\\d+\\.\\d+\\.\\d+$' });
const strict = { additionalProperties: false } as const;

export const StatementSchema = Type.Object(
  {
    actions: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    resources: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
  },
  strict,
);

export const IdentitySchema = Type.Object(
  {
    name: Name,
    aws_access_key_id: Type.Optional(Type.String({ minLength: 16 })),
    aws_secret_access_key: Type.Optional(Type.String({ minLength: 16 })),
    azure_client_id: Type.Optional(Type.String({ minLength: 1 })),
    policy: Type.Array(StatementSchema),
  },
  strict,
);

const AwsSubnet = Type.Object(
  { name: Name, id: Type.Optional(Type.String()), cidr: Cidr, az: Type.String({ minLength: 1 }) },
  strict,
);

const AwsRoute = Type.Object(
  {
    destination: Cidr,
    /** An ENI or instance name from this file, or an id: eni-, i-, igw-, vgw-, nat-, tgw-, pcx-. */
    target: Type.String({ minLength: 1 }),
    /** A route learned from a virtual private gateway (origin EnableVgwRoutePropagation); target must be a vgw-. */
    propagated: Type.Optional(Type.Boolean()),
  },
  strict,
);

const AwsRouteTable = Type.Object(
  {
    name: Name,
    id: Type.Optional(Type.String()),
    main: Type.Optional(Type.Boolean()),
    subnets: Type.Optional(Type.Array(Type.String())),
    routes: Type.Optional(Type.Array(AwsRoute)),
  },
  strict,
);

const AwsVpc = Type.Object(
  {
    name: Name,
    id: Type.Optional(Type.String()),
    cidr: Cidr,
    subnets: Type.Array(AwsSubnet, { minItems: 1 }),
    route_tables: Type.Optional(Type.Array(AwsRouteTable)),
    /** igw-, vgw-, nat-, tgw-, pcx- ids that exist as route targets. */
    gateways: Type.Optional(Type.Array(Type.String({ pattern: '^(igw|vgw|nat|tgw|pcx)-' }))),
  },
  strict,
);

const AwsEni = Type.Object(
  {
    name: Name,
    id: Type.Optional(Type.String()),
    subnet: Type.String(),
    private_ip: Type.Optional(Ip),
    secondary_ips: Type.Optional(Type.Array(Ip)),
    source_dest_check: Type.Optional(Type.Boolean()),
    device_index: Type.Optional(Type.Integer({ minimum: 1, maximum: 15 })),
  },
  strict,
);

const AwsInstance = Type.Object(
  {
    name: Name,
    id: Type.Optional(Type.String()),
    subnet: Type.String(),
    private_ip: Type.Optional(Ip),
    identity: Type.Optional(Type.String()),
    /** Name (and optional id) of the instance's primary ENI, so routes can name it. */
    primary_eni: Type.Optional(Type.Object({ name: Name, id: Type.Optional(Type.String()) }, strict)),
    source_dest_check: Type.Optional(Type.Boolean()),
    secondary_ips: Type.Optional(Type.Array(Ip)),
    /** More ENIs attached to this instance (device_index 1, 2, … unless given). */
    enis: Type.Optional(Type.Array(AwsEni)),
  },
  strict,
);

const AwsAddress = Type.Object(
  {
    name: Name,
    id: Type.Optional(Type.String()),
    public_ip: Type.Optional(Ip),
    eni: Type.Optional(Type.String()),
    private_ip: Type.Optional(Ip),
  },
  strict,
);

export const AwsScenarioSchema = Type.Object(
  {
    region: Type.Optional(Type.String({ minLength: 1 })),
    account_id: Type.Optional(Type.String({ pattern: '^\\d{12}$' })),
    attach_delay_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
    detach_delay_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
    /** Describe calls show a changed route table / ENI / Elastic IP as it was for this long. */
    read_lag_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })),
    /** EC2's per-API request token buckets (RequestLimitExceeded). Off by default. */
    throttle: Type.Optional(Type.Boolean()),
    vpcs: Type.Array(AwsVpc),
    instances: Type.Optional(Type.Array(AwsInstance)),
    /** ENIs not attached to any instance. */
    enis: Type.Optional(Type.Array(AwsEni)),
    addresses: Type.Optional(Type.Array(AwsAddress)),
  },
  strict,
);

const AzureIpConfig = Type.Object(
  {
    name: Name,
    private_ip: Type.Optional(Ip),
    subnet: Type.String(),
    primary: Type.Optional(Type.Boolean()),
  },
  strict,
);

const AzureNic = Type.Object(
  {
    name: Name,
    enable_ip_forwarding: Type.Optional(Type.Boolean()),
    ip_configurations: Type.Array(AzureIpConfig, { minItems: 1 }),
  },
  strict,
);

export const AzureScenarioSchema = Type.Object(
  {
    subscription_id: Type.Optional(Type.String({ minLength: 1 })),
    tenant_id: Type.Optional(Type.String({ minLength: 1 })),
    resource_group: Type.Optional(Name),
    location: Type.Optional(Type.String({ minLength: 1 })),
    /** How long a NIC update stays Updating: Azure documents up to 120 s. */
    nic_update_delay_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 120_000 })),
    route_update_delay_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 120_000 })),
    lro_retry_after_s: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 60 }), Type.Null()])),
    /** ARM's request limits per principal (429 TooManyRequests with Retry-After). Off by default. */
    throttle: Type.Optional(Type.Boolean()),
    vnets: Type.Array(
      Type.Object(
        {
          name: Name,
          cidr: Cidr,
          subnets: Type.Array(Type.Object({ name: Name, cidr: Cidr }, strict), { minItems: 1 }),
        },
        strict,
      ),
    ),
    route_tables: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Name,
            subnets: Type.Optional(Type.Array(Type.String())),
            routes: Type.Optional(
              Type.Array(
                Type.Object(
                  {
                    name: Name,
                    prefix: Cidr,
                    next_hop_type: Type.Union(
                      ['VirtualAppliance', 'VirtualNetworkGateway', 'VnetLocal', 'Internet', 'None'].map(
                        (v) => Type.Literal(v),
                      ),
                    ),
                    next_hop_ip: Type.Optional(Ip),
                  },
                  strict,
                ),
              ),
            ),
          },
          strict,
        ),
      ),
    ),
    vms: Type.Optional(
      Type.Array(
        Type.Object(
          { name: Name, identity: Type.Optional(Type.String()), nics: Type.Array(AzureNic, { minItems: 1 }) },
          strict,
        ),
      ),
    ),
    /** NICs not attached to a VM. */
    nics: Type.Optional(Type.Array(AzureNic)),
  },
  strict,
);

export const ScenarioSchema = Type.Object(
  {
    /** Seed for ids, jitter and error rates: the same seed replays the same run. */
    seed: Type.Optional(Type.Integer()),
    identities: Type.Optional(Type.Array(IdentitySchema)),
    aws: Type.Optional(AwsScenarioSchema),
    azure: Type.Optional(AzureScenarioSchema),
  },
  strict,
);

export type Scenario = Static<typeof ScenarioSchema>;
export type AwsScenario = Static<typeof AwsScenarioSchema>;
export type AzureScenario = Static<typeof AzureScenarioSchema>;
export type IdentitySpec = Static<typeof IdentitySchema>;
