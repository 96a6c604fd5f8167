// The agent's YAML config, declared once: this schema is the type, the validator and the documented shape.
import { type Static, Type } from '@sinclair/typebox';
import { LogFormatSchema } from '../obs/log-format.js';

export const DEFAULT_PORT = 20480;
export const DEFAULT_STATUS_LISTEN = '127.0.0.1:20481';
/** Below this the timers of a loaded, shared host jitter by more than the interval itself. */
export const MIN_INTERVAL_MS = 20;

const Name = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
  description: "a name of letters, digits, '.', '_' and '-' (starting with a letter or digit)",
});
const EnvName = Type.String({
  minLength: 1,
  pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
  description: 'an environment variable name (letters, digits, _)',
});
const Port = Type.Integer({ minimum: 1, maximum: 65535 });

export const PathSchema = Type.Object(
  {
    name: Name,
    local_address: Type.String({ minLength: 1, description: 'an IPv4 or IPv6 address of this node' }),
    peer_address: Type.String({ minLength: 1, description: "the peer's address on this path" }),
    port: Type.Optional(Port),
    /** On a LAN: send to this multicast group instead of the peer's unicast address. */
    multicast_group: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

/** Monitors and actions are validated by their own registries; here only their envelope. */
const Plugin = Type.Object(
  { kind: Type.String({ minLength: 1 }), name: Type.Optional(Type.String({ minLength: 1 })) },
  { additionalProperties: true },
);

export const StatusSchema = Type.Object(
  {
    /** host:port on loopback. */
    listen: Type.Optional(Type.String({ minLength: 1 })),
    /** Admin commands (switchover, maintenance) need the token in this file; unset: no admin API. */
    admin_token_file: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

/** What a notify command may be told about: every core state, and `stopped` when the agent exits. */
export const NOTIFY_STATES = [
  'init',
  'standby',
  'active',
  'fault',
  'maintenance',
  'disabled',
  'stopped',
] as const;

export const NotifySchema = Type.Object(
  {
    /** Run with /bin/sh -c on each state change, the change appended as arguments (docs/linux.md). */
    commands: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 8 }),
    /** Only changes into these states are notified (keepalived's notify_master/backup/fault); default all. */
    states: Type.Optional(
      Type.Array(Type.Union(NOTIFY_STATES.map((s) => Type.Literal(s))), { minItems: 1, maxItems: 7 }),
    ),
    timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
    /** Run the commands as this user (a name from /etc/passwd, or uid[:gid]); default: the agent's user. */
    user: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

export const AgentConfigSchema = Type.Object(
  {
    pair: Name,
    node: Name,
    role: Type.Union([Type.Literal('primary'), Type.Literal('secondary')]),
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
    pair_key_file: Type.Optional(Type.String({ minLength: 1 })),
    pair_key_env: Type.Optional(EnvName),
    /** Key rotation: a second key accepted beside the current one (never used to sign); docs/agent.md. */
    pair_key_next_file: Type.Optional(Type.String({ minLength: 1 })),
    pair_key_next_env: Type.Optional(EnvName),
    paths: Type.Array(PathSchema, { minItems: 1, maxItems: 8 }),
    interval_ms: Type.Optional(Type.Integer({ minimum: MIN_INTERVAL_MS, maximum: 60_000 })),
    dead_multiplier: Type.Optional(Type.Integer({ minimum: 2, maximum: 100 })),
    keepalive_copies: Type.Optional(Type.Integer({ minimum: 1, maximum: 4 })),
    preempt: Type.Optional(Type.Boolean()),
    preempt_delay_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000 })),
    ha_link: Type.Optional(Type.Union([Type.Literal('direct'), Type.Literal('switch')])),
    /** The `link` monitor that watches the HA port; every other link monitor is a service link (down ⇒ unfit). */
    ha_port_monitor: Type.Optional(Type.String({ minLength: 1 })),
    wan_loss_relinquish_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
    max_clock_skew_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000 })),
    /** Scheduling nice value of the agent process (-20..19). */
    nice: Type.Optional(Type.Integer({ minimum: -20, maximum: 19 })),
    /** SCHED_RR priority of the agent (1..99); 0 keeps the normal scheduler. */
    realtime_priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 99 })),
    action_deadline_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
    monitors: Type.Optional(Type.Array(Plugin, { maxItems: 64 })),
    actions: Type.Optional(Type.Array(Plugin, { maxItems: 64 })),
    status: Type.Optional(StatusSchema),
    notify: Type.Optional(NotifySchema),
    controller_url: Type.Optional(Type.String({ minLength: 1 })),
    /** The one-time enrollment token, from a file or an environment variable (never printed). */
    controller_enrollment_token_file: Type.Optional(Type.String({ minLength: 1 })),
    controller_enrollment_token_env: Type.Optional(EnvName),
    /** Where the node credential the token is exchanged for is kept (0600). */
    controller_credential_file: Type.Optional(Type.String({ minLength: 1 })),
    controller_report_interval_ms: Type.Optional(Type.Integer({ minimum: 500, maximum: 3_600_000 })),
    /**
     * What the controller manages for this node. `cloud`: the route tables and destinations of every
     * aws-route-table action come from the site's settings (the YAML's values are the fallback until
     * the first managed copy arrives).
     */
    managed: Type.Optional(Type.Array(Type.Literal('cloud'), { maxItems: 1, uniqueItems: true })),
    /** PEM CA certificate(s) the controller's certificate must chain to (a private CA). */
    controller_ca_file: Type.Optional(Type.String({ minLength: 1 })),
    /** Allow http:// to a controller that is not on loopback (a TLS-terminating proxy on the way). */
    controller_allow_cleartext: Type.Optional(Type.Boolean()),
    log_level: Type.Optional(
      Type.Union([
        Type.Literal('fatal'),
        Type.Literal('error'),
        Type.Literal('warn'),
        Type.Literal('info'),
        Type.Literal('debug'),
        Type.Literal('trace'),
      ]),
    ),
    /** ISO timestamps and level names in the JSON log lines (docs/agent.md). */
    log_format: Type.Optional(LogFormatSchema),
  },
  { additionalProperties: false },
);

export type AgentConfigFile = Static<typeof AgentConfigSchema>;
export type PathFile = Static<typeof PathSchema>;
export type NotifyFile = Static<typeof NotifySchema>;
/** A monitor or action entry: `kind`, an optional `name`, and whatever keys its driver reads. */
export type PluginSpec = Static<typeof Plugin> & { readonly [key: string]: unknown };
