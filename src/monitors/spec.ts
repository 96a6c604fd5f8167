// Monitor specs as plain config objects: one TypeBox schema per kind gives the type, the validator
// (with exact paths for config errors) and the documentation of the keys.
import { type Static, Type } from '@sinclair/typebox';

const name = Type.String({
  minLength: 1,
  description: 'unique per node; appears in readings, logs and metrics',
});
const interval_ms = Type.Integer({
  minimum: 10,
  maximum: 3_600_000,
  description: 'start-to-start probe period',
});
const timeout_ms = Type.Integer({
  minimum: 1,
  maximum: 600_000,
  description: 'a probe not done by then fails',
});

export const LinkSpecSchema = Type.Object(
  {
    kind: Type.Literal('link'),
    name,
    interface: Type.String({ minLength: 1, maxLength: 15 }),
    interval_ms: Type.Optional(interval_ms),
    /** Also react to netlink link events (`ip monitor link`); default true. */
    watch: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const IcmpSpecSchema = Type.Object(
  {
    kind: Type.Literal('icmp'),
    name,
    target: Type.String({ minLength: 1, description: 'address or host name, passed to ping -n' }),
    interval_ms: Type.Optional(interval_ms),
    timeout_ms: Type.Optional(timeout_ms),
  },
  { additionalProperties: false },
);

export const TcpSpecSchema = Type.Object(
  {
    kind: Type.Literal('tcp'),
    name,
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    interval_ms: Type.Optional(interval_ms),
    timeout_ms: Type.Optional(timeout_ms),
  },
  { additionalProperties: false },
);

export const HttpSpecSchema = Type.Object(
  {
    kind: Type.Literal('http'),
    name,
    url: Type.String({ pattern: '^https?://' }),
    /** Accepted statuses; default any 2xx or 3xx. */
    expect_status: Type.Optional(Type.Array(Type.Integer({ minimum: 100, maximum: 599 }), { minItems: 1 })),
    interval_ms: Type.Optional(interval_ms),
    timeout_ms: Type.Optional(timeout_ms),
  },
  { additionalProperties: false },
);

export const CheckSpecSchema = Type.Object(
  {
    kind: Type.Literal('check'),
    name,
    command: Type.String({ minLength: 1, description: 'run with /bin/sh -c; exit 0 = ok' }),
    interval_ms: Type.Optional(interval_ms),
    timeout_ms: Type.Optional(timeout_ms),
    rise: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, description: 'successes in a row before failed → ok (1)' }),
    ),
    fall: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, description: 'failures in a row before ok → failed (1)' }),
    ),
  },
  { additionalProperties: false },
);

export const MonitorSpecSchema = Type.Union([
  LinkSpecSchema,
  IcmpSpecSchema,
  TcpSpecSchema,
  HttpSpecSchema,
  CheckSpecSchema,
]);

export type LinkSpec = Static<typeof LinkSpecSchema>;
export type IcmpSpec = Static<typeof IcmpSpecSchema>;
export type TcpSpec = Static<typeof TcpSpecSchema>;
export type HttpSpec = Static<typeof HttpSpecSchema>;
export type CheckSpec = Static<typeof CheckSpecSchema>;
export type MonitorSpec = Static<typeof MonitorSpecSchema>;

/** Defaults follow the reference: path probes every 2 s with a 1 s timeout; the link is polled fast. */
export const MONITOR_DEFAULTS = {
  link: { interval_ms: 100 },
  probe: { interval_ms: 2000, timeout_ms: 1000 },
  check: { interval_ms: 5000, timeout_ms: 3000 },
} as const;
