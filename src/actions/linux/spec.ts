// Linux action specs as plain config objects (TypeBox: the type, the validator and the key docs).
import { type Static, Type } from '@sinclair/typebox';

const netns = Type.Optional(
  Type.String({
    minLength: 1,
    description:
      'run ip, arping and the announcer (socat) in this named network namespace (lab and tests); default: our own',
  }),
);

export const VipSpecSchema = Type.Object(
  {
    kind: Type.Literal('vip'),
    interface: Type.String({ minLength: 1, maxLength: 15 }),
    /** IPv4 or IPv6 address with prefix length, e.g. `192.0.2.10/24`, `2001:db8::10/64`. */
    address: Type.String({ minLength: 1 }),
    garp: Type.Optional(
      Type.Object(
        {
          /** Gratuitous ARPs per claim, the first sent at once. */
          count: Type.Optional(Type.Integer({ minimum: 0, maximum: 20 })),
          spacing_ms: Type.Optional(Type.Integer({ minimum: 10, maximum: 10_000 })),
          /** `request` = arping -U (what keepalived sends), `reply` = arping -A, `both` alternates. */
          mode: Type.Optional(
            Type.Union([Type.Literal('request'), Type.Literal('reply'), Type.Literal('both')]),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    /** Ask the LAN (arping -D, up to 1 s) who holds the address when it is not ours: `peer` instead of `none`. */
    observe_duplicates: Type.Optional(Type.Boolean()),
    netns,
  },
  { additionalProperties: false },
);

/** A site's routed ranges: a bound on the `ip` runs of one claim. */
export const ROUTE_DESTINATIONS_MAX = 256;

export const RouteSpecSchema = Type.Object(
  {
    kind: Type.Literal('route'),
    destination: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'a CIDR or `default`; exactly one of destination and destinations',
      }),
    ),
    destinations: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        maxItems: ROUTE_DESTINATIONS_MAX,
        description:
          "network CIDRs routed the same way, each once (a site's routed ranges); claim installs them all, release removes them all. An empty list holds nothing (a managed site with no routed ranges yet)",
      }),
    ),
    via: Type.Optional(Type.String({ minLength: 1 })),
    dev: Type.Optional(Type.String({ minLength: 1, maxLength: 15 })),
    table: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: 4294967295 }), Type.String({ minLength: 1 })]),
    ),
    metric: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295 })),
    netns,
  },
  { additionalProperties: false },
);

export const LinuxActionSpecSchema = Type.Union([VipSpecSchema, RouteSpecSchema]);

export type VipSpec = Static<typeof VipSpecSchema>;
export type RouteSpec = Static<typeof RouteSpecSchema>;
export type LinuxActionSpec = Static<typeof LinuxActionSpecSchema>;

export const GARP_DEFAULTS = { count: 3, spacing_ms: 200, mode: 'request' } as const;
