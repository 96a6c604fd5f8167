// Tokens, events, report history and notifications (channels, rules, deliveries).
import { randomUUID } from 'node:crypto';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { hashSecret, newSecret } from '../auth.js';
import { ControllerError } from '../errors.js';
import { queryEvents } from '../events.js';
import { type Ctx, inTransaction } from '../model/context.js';
import type { Outbox } from '../notify/outbox.js';
import { redactedUrl, webhookUrlProblem } from '../notify/webhook.js';
import { ChannelCreate, EventQuery, IdParams, NodeParams, RuleCreate, TokenCreate } from '../schema.js';
import { BEARER, guard } from './guard.js';

const ReportQuery = Type.Object(
  {
    cursor: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  },
  { additionalProperties: false },
);
const DeliveryQuery = Type.Object(
  {
    event_id: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
    status: Type.Optional(
      Type.Union([Type.Literal('pending'), Type.Literal('sent'), Type.Literal('failed')]),
    ),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  },
  { additionalProperties: false },
);

const RULE_BODY_LIMIT = 128 * 1024;

export function adminRoutes(app: FastifyInstance, ctx: Ctx, outbox: Outbox): void {
  const db = ctx.store.db;
  const read = guard(ctx.store, 'read');
  const write = guard(ctx.store, 'write');

  app.post<{ Body: TokenCreate }>(
    '/api/v1/tokens',
    {
      onRequest: write,
      schema: {
        tags: ['tokens'],
        summary: 'Create an admin or viewer API token (shown once)',
        security: BEARER,
        body: TokenCreate,
      },
    },
    async (req, reply) => {
      const token = newSecret('api');
      const id = randomUUID();
      await db
        .insertInto('tokens')
        .values({
          id,
          name: req.body.name,
          scope: req.body.scope,
          token_hash: hashSecret(token),
          created_at: ctx.now(),
          revoked_at: null,
        })
        .execute();
      return reply.status(201).send({ id, name: req.body.name, scope: req.body.scope, token });
    },
  );
  app.get(
    '/api/v1/tokens',
    {
      onRequest: write,
      schema: { tags: ['tokens'], summary: 'List API tokens (never their secrets)', security: BEARER },
    },
    async () => ({
      tokens: await db
        .selectFrom('tokens')
        .select(['id', 'name', 'scope', 'created_at', 'revoked_at'])
        .orderBy('created_at')
        .execute(),
    }),
  );
  app.delete<{ Params: Static<typeof IdParams> }>(
    '/api/v1/tokens/:id',
    {
      onRequest: write,
      schema: { tags: ['tokens'], summary: 'Revoke an API token', security: BEARER, params: IdParams },
    },
    async (req, reply) => {
      const r = await db
        .updateTable('tokens')
        .set({ revoked_at: ctx.now() })
        .where('id', '=', req.params.id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (r.numUpdatedRows !== 1n)
        throw new ControllerError('not-found', `no live token with id ${req.params.id}`);
      return reply.status(204).send();
    },
  );

  app.get<{ Querystring: EventQuery }>(
    '/api/v1/events',
    {
      onRequest: read,
      schema: {
        tags: ['events'],
        summary: 'Events, newest first, filtered and paged',
        security: BEARER,
        querystring: EventQuery,
      },
    },
    async (req) => queryEvents(db, req.query),
  );
  app.get<{ Params: Static<typeof NodeParams>; Querystring: Static<typeof ReportQuery> }>(
    '/api/v1/nodes/:node_id/reports',
    {
      onRequest: read,
      schema: {
        tags: ['agents'],
        summary: 'A node’s stored reports, newest first',
        security: BEARER,
        params: NodeParams,
        querystring: ReportQuery,
      },
    },
    async (req) => {
      const rows = await db
        .selectFrom('reports')
        .select(['id', 'report_id', 'received_at', 'body'])
        .where('node_id', '=', req.params.node_id)
        .$if(req.query.cursor !== undefined, (q) => q.where('id', '<', req.query.cursor!))
        .orderBy('id', 'desc')
        .limit(req.query.limit + 1)
        .execute();
      const page = rows.slice(0, req.query.limit);
      // A periodic report resent after a lost acknowledgement may be logged twice: show it once.
      const seen = new Set<string>();
      const unique = page.filter((r) => !seen.has(r.report_id) && seen.add(r.report_id));
      return {
        reports: unique.map((r) => ({
          report_id: r.report_id,
          received_at: r.received_at,
          report: JSON.parse(r.body) as unknown,
        })),
        next_cursor: rows.length > req.query.limit ? page[page.length - 1]!.id : null,
      };
    },
  );

  notificationRoutes(app, ctx, read, write);
  channelTestRoute(app, ctx, outbox, write);
}

function notificationRoutes(
  app: FastifyInstance,
  ctx: Ctx,
  read: ReturnType<typeof guard>,
  write: ReturnType<typeof guard>,
): void {
  const db = ctx.store.db;
  const tags = ['notifications'];
  app.post<{ Body: ChannelCreate }>(
    '/api/v1/channels',
    {
      onRequest: write,
      schema: { tags, summary: 'Create a webhook or email channel', security: BEARER, body: ChannelCreate },
    },
    async (req, reply) => {
      const { name, kind, ...config } = req.body;
      if (req.body.kind === 'webhook') {
        const problem = webhookUrlProblem(req.body.url, ctx.webhooks ?? { deny_private: false });
        if (problem !== null) throw new ControllerError('invalid-request', problem, '/url');
      }
      const id = randomUUID();
      await db
        .insertInto('channels')
        .values({ id, name, kind, config: JSON.stringify(config), created_at: ctx.now() })
        .execute();
      return reply.status(201).send(channelView({ id, name, kind, config: JSON.stringify(config) }));
    },
  );
  app.get(
    '/api/v1/channels',
    {
      onRequest: read,
      schema: { tags, summary: 'List channels (webhook secrets hidden)', security: BEARER },
    },
    async () => ({
      channels: (await db.selectFrom('channels').selectAll().orderBy('created_at').execute()).map(
        channelView,
      ),
    }),
  );
  app.delete<{ Params: Static<typeof IdParams> }>(
    '/api/v1/channels/:id',
    {
      onRequest: write,
      schema: { tags, summary: 'Delete a channel and its rules', security: BEARER, params: IdParams },
    },
    async (req, reply) => {
      await inTransaction(ctx, 'delete channel', async (trx) => {
        const r = await trx.deleteFrom('channels').where('id', '=', req.params.id).executeTakeFirst();
        if (r.numDeletedRows !== 1n)
          throw new ControllerError('not-found', `no channel with id ${req.params.id}`);
        await trx.deleteFrom('rules').where('channel_id', '=', req.params.id).execute();
      });
      return reply.status(204).send();
    },
  );
  app.post<{ Body: RuleCreate }>(
    '/api/v1/rules',
    {
      onRequest: write,
      // Up to 1000 site ids.
      bodyLimit: RULE_BODY_LIMIT,
      schema: {
        tags,
        summary: 'Send events of these types at these sites to a channel',
        security: BEARER,
        body: RuleCreate,
      },
    },
    async (req, reply) => {
      const channel = await db
        .selectFrom('channels')
        .select('id')
        .where('id', '=', req.body.channel_id)
        .executeTakeFirst();
      if (channel === undefined)
        throw new ControllerError(
          'not-found',
          `no channel with id ${req.body.channel_id}; create it first`,
          '/channel_id',
        );
      const id = randomUUID();
      const row = {
        id,
        name: req.body.name,
        event_types: JSON.stringify(req.body.event_types),
        site_ids: JSON.stringify(req.body.site_ids),
        channel_id: req.body.channel_id,
        created_at: ctx.now(),
      };
      await db.insertInto('rules').values(row).execute();
      return reply.status(201).send({ ...req.body, id });
    },
  );
  app.get(
    '/api/v1/rules',
    { onRequest: read, schema: { tags, summary: 'List notification rules', security: BEARER } },
    async () => ({
      rules: (await db.selectFrom('rules').selectAll().orderBy('created_at').execute()).map((r) => ({
        id: r.id,
        name: r.name,
        event_types: JSON.parse(r.event_types) as string[],
        site_ids: JSON.parse(r.site_ids) as string[],
        channel_id: r.channel_id,
      })),
    }),
  );
  app.delete<{ Params: Static<typeof IdParams> }>(
    '/api/v1/rules/:id',
    { onRequest: write, schema: { tags, summary: 'Delete a rule', security: BEARER, params: IdParams } },
    async (req, reply) => {
      const r = await db.deleteFrom('rules').where('id', '=', req.params.id).executeTakeFirst();
      if (r.numDeletedRows !== 1n) throw new ControllerError('not-found', `no rule with id ${req.params.id}`);
      return reply.status(204).send();
    },
  );
  app.get<{ Querystring: Static<typeof DeliveryQuery> }>(
    '/api/v1/deliveries',
    {
      onRequest: read,
      schema: {
        tags,
        summary: 'Notification deliveries and their state',
        security: BEARER,
        querystring: DeliveryQuery,
      },
    },
    async (req) => ({
      deliveries: await db
        .selectFrom('deliveries')
        .select([
          'id',
          'event_id',
          'channel_id',
          'status',
          'attempts',
          'next_attempt_at',
          'last_error',
          'sent_at',
        ])
        .$if(req.query.event_id !== undefined, (q) => q.where('event_id', '=', req.query.event_id!))
        .$if(req.query.status !== undefined, (q) => q.where('status', '=', req.query.status!))
        .orderBy('id', 'desc')
        .limit(req.query.limit)
        .execute(),
    }),
  );
}

function channelTestRoute(
  app: FastifyInstance,
  ctx: Ctx,
  outbox: Outbox,
  write: ReturnType<typeof guard>,
): void {
  app.post<{ Params: Static<typeof IdParams> }>(
    '/api/v1/channels/:id/test',
    {
      preHandler: write,
      schema: {
        tags: ['notifications'],
        summary: 'Send a test notification to a channel now; answers what the channel said',
        security: BEARER,
        params: IdParams,
      },
    },
    async (req) => {
      const channel = await ctx.store.db
        .selectFrom('channels')
        .selectAll()
        .where('id', '=', req.params.id)
        .executeTakeFirst();
      if (channel === undefined)
        throw new ControllerError('not-found', `no channel with id ${req.params.id}`);
      try {
        await outbox.sendTest(channel);
        return { ok: true, error: null };
      } catch (err) {
        // The channel's answer, not the controller's failure: a 200 that says what went wrong.
        return { ok: false, error: err instanceof Error ? err.message : String(err) };
      }
    },
  );
}

function channelView(c: { id: string; name: string; kind: string; config: string }): Record<string, unknown> {
  const config = JSON.parse(c.config) as Record<string, unknown>;
  if ('secret' in config) config.secret = '(hidden)';
  if (typeof config.url === 'string') config.url = redactedUrl(config.url);
  return { id: c.id, name: c.name, kind: c.kind, ...config };
}
