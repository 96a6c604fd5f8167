// What the dashboard needs beyond the resource API: the fleet at a glance (filtered, sorted and
// paged on the server), who the token belongs to (to hide write controls from viewers), and the
// live stream of changes.
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { HEALTHS } from '../api-words.js';
import { ControllerError } from '../errors.js';
import type { LiveHub } from '../live.js';
import type { Ctx } from '../model/context.js';
import { FleetView, page } from '../overview.js';
import { SiteKind } from '../schema.js';
import { BEARER, guard } from './guard.js';

const OverviewQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 128, description: 'part of a site name' })),
    health: Type.Optional(Type.Union(HEALTHS.map((h) => Type.Literal(h)))),
    kind: Type.Optional(SiteKind),
    sort: Type.Union(
      ['name', 'health', 'kind', 'last_failover'].map((s) => Type.Literal(s)),
      { default: 'name' },
    ),
    order: Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'asc' }),
    offset: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 }),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  },
  { additionalProperties: false },
);
type OverviewQuery = Static<typeof OverviewQuery>;

export function dashboardRoutes(app: FastifyInstance, ctx: Ctx, hub: LiveHub): void {
  const read = guard(ctx.store, 'read');
  const tags = ['dashboard'];
  const fleet = new FleetView(ctx);
  hub.view = fleet;
  // The first visit after a start does not wait for a whole read of the fleet: it is made now, in the
  // background (and the feed then keeps it current).
  app.addHook('onReady', async () => {
    void hub
      .touch()
      .then(() => fleet.sites())
      .catch((err: unknown) => ctx.log?.warn({ err }, 'overview: reading the fleet at start failed'));
  });
  // A write through this controller is seen by its next overview at once: the site it names is read
  // again; a write that names none (a new site) has the view read whole.
  app.addHook('onResponse', async (req) => {
    if (req.method === 'GET' || !req.url.startsWith('/api/v1/sites')) return;
    const site_id = (req.params as { site_id?: unknown } | undefined)?.site_id;
    if (typeof site_id === 'string') fleet.siteWritten(site_id);
    else fleet.invalidate();
  });

  app.get<{ Querystring: OverviewQuery }>(
    '/api/v1/overview',
    {
      preHandler: read,
      schema: {
        tags,
        summary: 'Every site’s health in one word, filtered, searched, sorted and paged by offset',
        security: BEARER,
        querystring: OverviewQuery,
      },
    },
    async (req) => {
      const q = req.query;
      await hub.touch();
      return page(await fleet.sites(), { ...q, sort: q.sort as 'name' }, ctx.now());
    },
  );
  app.get(
    '/api/v1/whoami',
    { preHandler: read, schema: { tags, summary: 'The scope of the token in use', security: BEARER } },
    async (req) => {
      const p = req.principal;
      if (p === null || p.kind !== 'person') throw new ControllerError('forbidden', 'people tokens only');
      const row = await ctx.store.db
        .selectFrom('tokens')
        .select(['name'])
        .where('id', '=', p.token_id)
        .executeTakeFirst();
      return { token_id: p.token_id, name: row?.name ?? null, scope: p.scope };
    },
  );
  app.get(
    '/api/v1/live',
    {
      preHandler: read,
      schema: {
        tags,
        summary:
          'Server-sent events: `site` (a site’s new summary), `site-removed`, `event` (every new event), `resync`, `end`',
        security: BEARER,
      },
    },
    async (req, reply) => {
      if (hub.full)
        throw new ControllerError('busy', 'too many live streams on this controller; try again later');
      await hub.attach(req, reply);
    },
  );
}
