// The agent's YAML config, declared once: this schema is the type, the validator and the documented shape.
import { type Static, Type } from '@sinclair/typebox';
import { MANAGED_PARTS } from '../actions/kit/registry.js';
import { PEER_INTERVAL_MAX_MS } from '../core/machine.js';
import { LogFormatSchema, LogLevelSchema } from '../obs/log-format.js';

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
    /** Unique name of the path, used in logs and metrics. */
    name: Name,
    local_address: Type.String({ minLength: 1, description: 'address to bind on this node (IPv4 or IPv6)' }),
    peer_address: Type.String({
      minLength: 1,
      description:
        "the peer's address on this path; packets from any other source are dropped (`unknown-source`)",
    }),
    port: Type.Optional({ ...Port, default: DEFAULT_PORT, description: 'UDP port, the same on both nodes' }),
    multicast_group: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "on a LAN: send to this group (joined on local_address's interface) instead of unicast; IPv6 groups (e.g. `ff02::4:5480`) are sent from local_address",
      }),
    ),
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
    listen: Type.Optional(
      Type.String({
        minLength: 1,
        default: DEFAULT_STATUS_LISTEN,
        description: 'host:port of the status and metrics server (port 0: any free port)',
      }),
    ),
    admin_token_file: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'bearer token for `POST /admin/*` (switchover, maintenance), created (random, 0600) if missing; unset: no admin API. Under the systemd unit put it in /var/lib/tandem',
      }),
    ),
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
    commands: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      maxItems: 8,
      description:
        'command lines run with /bin/sh -c on each state change: $1 new state, $2 previous, $3 pair, $4 node, and TANDEM_* variables (docs/linux.md)',
    }),
    states: Type.Optional(
      Type.Array(Type.Union(NOTIFY_STATES.map((s) => Type.Literal(s))), {
        minItems: 1,
        maxItems: 7,
        description:
          "only changes into these states are notified (keepalived's notify_master = [active]); default all",
      }),
    ),
    timeout_ms: Type.Optional(
      Type.Integer({
        minimum: 100,
        maximum: 600_000,
        default: 10_000,
        description: 'a command still running then is killed with its process group',
      }),
    ),
    user: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "run the commands as this user (a name from /etc/passwd, or uid[:gid]); default: the agent's user",
      }),
    ),
  },
  { additionalProperties: false },
);

const KeyFile = (what: string) =>
  Type.String({ minLength: 1, description: `file holding ${what} (base64 or hex, ≥ 16 bytes)` });

/**
 * The HA timers and preemption: top-level keys of the YAML, and what a controller may own (`managed:
 * [tunables]`). One declaration, so the controller's API refuses exactly what the agent would.
 */
export const TUNABLES = {
  interval_ms: Type.Integer({
    minimum: MIN_INTERVAL_MS,
    // The core caps a peer's advertised interval at the same bound.
    maximum: PEER_INTERVAL_MAX_MS,
    default: 1000,
    description: 'keepalive interval',
  }),
  dead_multiplier: Type.Integer({
    minimum: 2,
    maximum: 100,
    default: 3,
    description: 'the peer is dead after interval_ms × dead_multiplier of silence',
  }),
  preempt: Type.Boolean({ default: true, description: 'a recovered primary takes the role back' }),
  preempt_delay_ms: Type.Integer({
    minimum: 0,
    maximum: 86_400_000,
    default: 0,
    description: '…after being continuously fit for this long (0, or ≥ interval_ms)',
  }),
} as const;

export type TunableKey = keyof typeof TUNABLES;
export const TUNABLE_KEYS = Object.keys(TUNABLES) as TunableKey[];

/** The longest dead interval (interval_ms × dead_multiplier) a node accepts. */
export const DEAD_INTERVAL_MAX_MS = 600_000;

/** The rules across the timers, for the agent's config and the controller's site settings alike. */
export function timerIssues(t: {
  readonly interval_ms?: number | undefined;
  readonly dead_multiplier?: number | undefined;
  readonly preempt_delay_ms?: number | undefined;
}): { path: TunableKey; message: string }[] {
  const out: { path: TunableKey; message: string }[] = [];
  const interval = t.interval_ms ?? TUNABLES.interval_ms.default;
  const dead = interval * (t.dead_multiplier ?? TUNABLES.dead_multiplier.default);
  const delay = t.preempt_delay_ms ?? 0;
  if (delay > 0 && delay < interval)
    out.push({
      path: 'preempt_delay_ms',
      message: `expected 0 or at least interval_ms (${interval}), got ${delay}`,
    });
  if (dead > DEAD_INTERVAL_MAX_MS)
    out.push({
      path: 'dead_multiplier',
      message: `expected interval_ms × dead_multiplier ≤ ${DEAD_INTERVAL_MAX_MS}, got ${dead}`,
    });
  return out;
}

export const AgentConfigSchema = Type.Object(
  {
    /** The pair's name, the same on both nodes; hashed into the pair id on the wire. */
    pair: Name,
    /** This node's name, unique in the pair; hashed into the node id. */
    node: Name,
    role: Type.Union([Type.Literal('primary'), Type.Literal('secondary')], {
      description: 'the primary is preferred and takes the role back (preemption)',
    }),
    priority: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 255,
        description: 'a tie-break after the role; default 200 for the primary, 100 for the secondary',
      }),
    ),
    pair_key_file: Type.Optional(KeyFile('the pair key; exactly one of pair_key_file and pair_key_env')),
    /** The environment variable holding the pair key. */
    pair_key_env: Type.Optional(EnvName),
    pair_key_next_file: Type.Optional(
      KeyFile(
        'the next key during a rotation: accepted beside the current one, never used to sign (docs/runbook-key-rotation.md)',
      ),
    ),
    /** The environment variable holding the next key during a rotation. */
    pair_key_next_env: Type.Optional(EnvName),
    paths: Type.Array(PathSchema, {
      minItems: 1,
      maxItems: 8,
      description: 'keepalive paths; the peer is dead only when silent on all of them',
    }),
    interval_ms: Type.Optional(TUNABLES.interval_ms),
    dead_multiplier: Type.Optional(TUNABLES.dead_multiplier),
    keepalive_copies: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 4,
        default: 2,
        description: 'each keepalive is sent this many times, a few ms apart (docs/agent.md)',
      }),
    ),
    preempt: Type.Optional(TUNABLES.preempt),
    preempt_delay_ms: Type.Optional(TUNABLES.preempt_delay_ms),
    ha_link: Type.Optional(
      Type.Union([Type.Literal('direct'), Type.Literal('switch')], {
        default: 'direct',
        description: '`switch`: when our own HA port is down we assume a local fault and never take over',
      }),
    ),
    ha_port_monitor: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'the `link` monitor watching the HA port (required with ha_link: switch); every other link monitor is a service link: down ⇒ unfit, hand over',
      }),
    ),
    wan_loss_relinquish_ms: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 3_600_000,
        default: 10_000,
        description: 'the active node announces relinquish once every WAN probe has failed this long',
      }),
    ),
    max_clock_skew_ms: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 86_400_000,
        default: 60_000,
        description:
          "a new boot's keepalives sent further than this from our wall clock are refused (no replay after a restart); node clocks must agree within it (NTP); 0 turns the check off",
      }),
    ),
    nice: Type.Optional(
      Type.Integer({
        minimum: -20,
        maximum: 19,
        default: -10,
        description: 'scheduling nice value of the agent (needs CAP_SYS_NICE, else a warning)',
      }),
    ),
    realtime_priority: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 99,
        default: 10,
        description:
          'SCHED_RR priority (via chrt), like corosync; 0 = the normal scheduler. Children (ip, arping, check and notify commands) inherit it',
      }),
    ),
    action_deadline_ms: Type.Optional(
      Type.Integer({
        minimum: 100,
        maximum: 600_000,
        default: 30_000,
        description:
          "each claim or release gives up after this (drivers retry inside it); an action's own deadline_ms wins",
      }),
    ),
    monitors: Type.Optional(
      Type.Array(Plugin, {
        maxItems: 64,
        description: '`{ kind, name, … }` entries of the monitor kinds below',
      }),
    ),
    actions: Type.Optional(
      Type.Array(Plugin, {
        maxItems: 64,
        description:
          '`{ kind, name?, … }` entries of the action kinds below; every action runs on claim and release',
      }),
    ),
    status: Type.Optional(StatusSchema),
    notify: Type.Optional(NotifySchema),
    controller_url: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'the fleet controller to enroll with and report to: https://…; http:// only to loopback unless controller_allow_cleartext',
      }),
    ),
    controller_enrollment_token_file: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'the one-time enrollment token (never printed); unused once a credential is stored',
      }),
    ),
    /** The environment variable holding the one-time enrollment token. */
    controller_enrollment_token_env: Type.Optional(EnvName),
    controller_credential_file: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'where the node credential is kept (0600); default `<node>.controller-credential.json` beside the config. Under the systemd unit put it in /var/lib/tandem',
      }),
    ),
    controller_report_interval_ms: Type.Optional(
      Type.Integer({
        minimum: 500,
        maximum: 3_600_000,
        default: 10_000,
        description: 'heartbeat reports; every change is reported at once',
      }),
    ),
    managed: Type.Optional(
      Type.Array(Type.Union(MANAGED_PARTS.map((p) => Type.Literal(p))), {
        maxItems: MANAGED_PARTS.length,
        uniqueItems: true,
        description:
          "what the controller manages for this node (the YAML's values are the fallback until the first managed copy arrives). `cloud`: the route tables and destinations of every aws-route-table action, the floating IP and route tables of the azure actions. `network`: every `route` action written with `destinations` routes the site's routed ranges via this node's own native gateway. `tunables`: interval_ms, dead_multiplier, preempt and preempt_delay_ms, where the site sets them (docs/agent.md)",
      }),
    ),
    controller_ca_file: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "PEM CA certificate(s) the controller's certificate must chain to (a private CA); default the system's",
      }),
    ),
    controller_allow_cleartext: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'allow http:// to a controller off loopback (only with a TLS-terminating proxy on the way)',
      }),
    ),
    log_level: Type.Optional(LogLevelSchema),
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
