// The pathwatch YAML config, declared once: this schema is the type, the validator and the documented shape.
import { type Static, Type } from '@sinclair/typebox';
import { AZURE_CONNECTION } from '../actions/azure/schema.js';
import { LogFormatSchema, LogLevelSchema } from '../obs/log-format.js';

export const DEFAULT_STATUS_LISTEN = '127.0.0.1:20482';

/** The reference's probe: a round every 2 s of 3 pings, 1 s timeout each. */
export const PROBE_DEFAULTS = { interval_ms: 2000, count: 3, timeout_ms: 1000, spacing_ms: 200 } as const;
export const FAILBACK_DEFAULTS = { healthy_rounds: 10, min_backup_ms: 0 } as const;

export const IcmpTargetSchema = Type.Object(
  { kind: Type.Literal('icmp'), address: Type.String({ minLength: 1, description: 'IPv4 or IPv6 address' }) },
  { additionalProperties: false },
);
export const TcpTargetSchema = Type.Object(
  {
    kind: Type.Literal('tcp'),
    address: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
  },
  { additionalProperties: false },
);
export const HttpTargetSchema = Type.Object(
  {
    kind: Type.Literal('http'),
    url: Type.String({ pattern: '^https?://' }),
    /** Accepted statuses; default any 2xx or 3xx. */
    expect_status: Type.Optional(Type.Array(Type.Integer({ minimum: 100, maximum: 599 }), { minItems: 1 })),
  },
  { additionalProperties: false },
);
export const TargetSchema = Type.Union([IcmpTargetSchema, TcpTargetSchema, HttpTargetSchema]);

export const LossRuleSchema = Type.Object(
  {
    kind: Type.Literal('loss'),
    percent: Type.Number({ minimum: 0, maximum: 100 }),
    window_rounds: Type.Integer({ minimum: 1, maximum: 1000 }),
  },
  { additionalProperties: false },
);

export const AllRuleSchema = Type.Object({ kind: Type.Literal('all') }, { additionalProperties: false });
export const AnyRuleSchema = Type.Object({ kind: Type.Literal('any') }, { additionalProperties: false });
export const RuleSchema = Type.Union([AllRuleSchema, AnyRuleSchema, LossRuleSchema]);

export const PathSchema = Type.Object(
  {
    /** Shown in logs as the active path (`direct-connect`, `vpn`). */
    label: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }),
    ),
    targets: Type.Array(TargetSchema, { minItems: 1, maxItems: 16 }),
    rule: Type.Optional(RuleSchema),
    /** Start-to-start period of the probe rounds. */
    interval_ms: Type.Optional(Type.Integer({ minimum: 50, maximum: 600_000 })),
    /** Probes per target per round. */
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
    /** A probe not answered by then is lost. */
    timeout_ms: Type.Optional(Type.Integer({ minimum: 10, maximum: 60_000 })),
    /** Between the probes of one target within a round. */
    spacing_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })),
    /** Send the probes from this local address (icmp and tcp), to pin them to one path. */
    source: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

const OnConflict = Type.Union([Type.Literal('report'), Type.Literal('overwrite')], {
  description: 'a route that points somewhere else: report it (default) or replace it',
});

export const AwsRouteSchema = Type.Object(
  {
    kind: Type.Literal('aws-route-table'),
    route_tables: Type.Array(Type.String({ pattern: '^rtb-[0-9a-f]{8,17}$' }), { minItems: 1, maxItems: 50 }),
    /** The remote (on-premises) networks. */
    destinations: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 50 }),
    /** The backup appliance's ENI: the static route's target. */
    eni_id: Type.String({ pattern: '^eni-[0-9a-f]{8,17}$' }),
    region: Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-\\d$' }),
    /** A VPC interface endpoint, or the simulator; default the public endpoint. */
    endpoint: Type.Optional(Type.String({ pattern: '^https?://' })),
    account_id: Type.Optional(Type.String({ pattern: '^\\d{12}$' })),
    request_timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 60_000 })),
    on_conflict: Type.Optional(OnConflict),
  },
  { additionalProperties: false },
);

export const LinuxRouteSchema = Type.Object(
  {
    kind: Type.Literal('linux-route'),
    destination: Type.String({ minLength: 1 }),
    via: Type.Optional(Type.String({ minLength: 1 })),
    dev: Type.Optional(Type.String({ minLength: 1, maxLength: 15 })),
    table: Type.Optional(Type.Integer({ minimum: 1, maximum: 4294967295 })),
    metric: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295 })),
    netns: Type.Optional(Type.String({ minLength: 1 })),
    on_conflict: Type.Optional(OnConflict),
  },
  { additionalProperties: false },
);

/** Where ARM is and who we are; a pathwatch has no peer, no arbiter and no deadline of its own per set. */
const {
  name: _name,
  deadline_ms: _deadline,
  observe_interval_ms: _observe,
  ...AZURE_WHERE
} = AZURE_CONNECTION;

export const AzureRouteSchema = Type.Object(
  {
    kind: Type.Literal('azure-route-table'),
    /** Route tables (names in the resource group, or ARM ids). */
    route_tables: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 50 }),
    /** The remote (on-premises) networks: a user-defined route beats the ExpressRoute gateway's BGP route. */
    destinations: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 50 }),
    /** The backup appliance's (VPN's) private IP: the routes' VirtualAppliance next hop. */
    next_hop: Type.String({ minLength: 1 }),
    on_conflict: Type.Optional(OnConflict),
    ...AZURE_WHERE,
  },
  { additionalProperties: false },
);

export const RouteSchema = Type.Union([AwsRouteSchema, AzureRouteSchema, LinuxRouteSchema]);

export const PathwatchConfigSchema = Type.Object(
  {
    /** This watcher's name in logs, metrics and controller reports. */
    name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }),
    primary: PathSchema,
    /** Optional watcher of the backup path: failover never moves traffic onto a path that is down. */
    backup: Type.Optional(PathSchema),
    failover_rounds: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    failback: Type.Optional(
      Type.Object(
        {
          healthy_rounds: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
          min_backup_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000 })),
        },
        { additionalProperties: false },
      ),
    ),
    routes: Type.Array(RouteSchema, { minItems: 1, maxItems: 20 }),
    /** A route write gives up (and is tried again at the next round) after this long. */
    action_deadline_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 300_000 })),
    /** The route tables are read again this often (drift, hand edits). */
    observe_interval_ms: Type.Optional(Type.Integer({ minimum: 1000, maximum: 3_600_000 })),
    /** Reports to the fleet controller (a node of a site of kind pathwatch), as the agent's. */
    controller: Type.Optional(
      Type.Object(
        {
          url: Type.String({ pattern: '^https?://' }),
          /** The one-time enrollment token, from a file or an environment variable (never printed). */
          enrollment_token_file: Type.Optional(Type.String({ minLength: 1 })),
          enrollment_token_env: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' })),
          /** Where the node credential the token is exchanged for is kept (0600); default beside the config. */
          credential_file: Type.Optional(Type.String({ minLength: 1 })),
          report_interval_ms: Type.Optional(Type.Integer({ minimum: 500, maximum: 3_600_000 })),
          /** PEM CA certificate(s) the controller's certificate must chain to (a private CA). */
          ca_file: Type.Optional(Type.String({ minLength: 1 })),
          /** Allow http:// to a controller that is not on loopback (a TLS-terminating proxy on the way). */
          allow_cleartext: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    status: Type.Optional(
      Type.Object(
        {
          listen: Type.Optional(
            Type.String({ minLength: 1, description: 'host:port for /metrics and /status' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    log_level: Type.Optional(LogLevelSchema),
    log_format: Type.Optional(LogFormatSchema),
  },
  { additionalProperties: false },
);

export type PathwatchConfigFile = Static<typeof PathwatchConfigSchema>;
export type PathFile = Static<typeof PathSchema>;
export type TargetSpec = Static<typeof TargetSchema>;
export type AwsRouteSpec = Static<typeof AwsRouteSchema>;
export type AzureRouteSpec = Static<typeof AzureRouteSchema>;
export type LinuxRouteSpec = Static<typeof LinuxRouteSchema>;
export type RouteSpec = Static<typeof RouteSchema>;
