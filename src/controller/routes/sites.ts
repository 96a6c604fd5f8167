// Sites, their nodes, ranges and status: what an operator reads and changes.
import type { Static, TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { loadApiTest, startApiTest } from '../model/api-test.js';
import { loadCommand, siteCommand } from '../model/commands.js';
import type { Ctx } from '../model/context.js';
import { loadSite } from '../model/context.js';
import { addNode, patchNode, reissueEnrollment, removeNode } from '../model/nodes.js';
import {
  addRange,
  createSite,
  deleteSite,
  listSites,
  patchSite,
  removeRange,
  siteView,
} from '../model/sites.js';
import {
  ApiTestRequest,
  ApiTestView,
  CommandView,
  NodeCreate,
  NodePatch,
  Paging,
  RangeCreate,
  SiteCommand,
  SiteCommandParams,
  SiteCreate,
  SiteParams,
  SitePatch,
  SiteRangeParams,
  SiteRoleParams,
  SiteTestParams,
} from '../schema.js';
import { BEARER, guard } from './guard.js';

type P<T extends TSchema> = Static<T>;

export function siteRoutes(app: FastifyInstance, ctx: Ctx): void {
  const read = guard(ctx.store, 'read');
  const write = guard(ctx.store, 'write');
  const tags = ['sites'];

  app.post<{ Body: SiteCreate }>(
    '/api/v1/sites',
    { onRequest: write, schema: { tags, summary: 'Create a site', security: BEARER, body: SiteCreate } },
    async (req, reply) => reply.status(201).send(await createSite(ctx, req.body)),
  );
  app.get<{ Querystring: Paging }>(
    '/api/v1/sites',
    {
      onRequest: read,
      schema: { tags, summary: 'List sites with their HA status', security: BEARER, querystring: Paging },
    },
    async (req) => listSites(ctx, req.query.cursor, req.query.limit),
  );
  app.get<{ Params: P<typeof SiteParams> }>(
    '/api/v1/sites/:site_id',
    {
      onRequest: read,
      schema: {
        tags,
        summary: 'A site: settings, nodes, network, status',
        security: BEARER,
        params: SiteParams,
      },
    },
    async (req) => siteView(ctx, await loadSite(ctx.store.db, req.params.site_id)),
  );
  app.get<{ Params: P<typeof SiteParams> }>(
    '/api/v1/sites/:site_id/status',
    {
      onRequest: read,
      schema: {
        tags,
        summary: 'Ready / Not Ready, indicators, active node, split brain',
        security: BEARER,
        params: SiteParams,
      },
    },
    async (req) => siteView(ctx, await loadSite(ctx.store.db, req.params.site_id)).status,
  );
  app.patch<{ Params: P<typeof SiteParams>; Body: SitePatch }>(
    '/api/v1/sites/:site_id',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Change a site’s name or cloud settings',
        security: BEARER,
        params: SiteParams,
        body: SitePatch,
      },
    },
    async (req) => patchSite(ctx, req.params.site_id, req.body),
  );
  app.delete<{ Params: P<typeof SiteParams> }>(
    '/api/v1/sites/:site_id',
    {
      onRequest: write,
      schema: { tags, summary: 'Delete a site and revoke its nodes', security: BEARER, params: SiteParams },
    },
    async (req, reply) => {
      await deleteSite(ctx, req.params.site_id);
      return reply.status(204).send();
    },
  );
  app.post<{ Params: P<typeof SiteParams>; Body: NodeCreate }>(
    '/api/v1/sites/:site_id/nodes',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Add a node; returns its one-time enrollment token',
        security: BEARER,
        params: SiteParams,
        body: NodeCreate,
      },
    },
    async (req, reply) => reply.status(201).send(await addNode(ctx, req.params.site_id, req.body)),
  );
  app.patch<{ Params: P<typeof SiteRoleParams>; Body: NodePatch }>(
    '/api/v1/sites/:site_id/nodes/:role',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Change a node’s model, management IP or native range',
        security: BEARER,
        params: SiteRoleParams,
        body: NodePatch,
      },
    },
    async (req) => patchNode(ctx, req.params.site_id, req.params.role, req.body),
  );
  app.delete<{ Params: P<typeof SiteRoleParams> }>(
    '/api/v1/sites/:site_id/nodes/:role',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Remove a node (the secondary: disables HA, revokes it for good)',
        security: BEARER,
        params: SiteRoleParams,
      },
    },
    async (req) => removeNode(ctx, req.params.site_id, req.params.role),
  );
  app.post<{ Params: P<typeof SiteRoleParams> }>(
    '/api/v1/sites/:site_id/nodes/:role/enrollment',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Issue a new enrollment token (revokes the node’s credential)',
        security: BEARER,
        params: SiteRoleParams,
      },
    },
    async (req, reply) =>
      reply.status(201).send(await reissueEnrollment(ctx, req.params.site_id, req.params.role)),
  );
  app.get<{ Params: P<typeof SiteParams> }>(
    '/api/v1/sites/:site_id/network',
    {
      onRequest: read,
      schema: {
        tags,
        summary: 'Native and routed ranges with computed gateways',
        security: BEARER,
        params: SiteParams,
      },
    },
    async (req) => siteView(ctx, await loadSite(ctx.store.db, req.params.site_id)).network,
  );
  app.post<{ Params: P<typeof SiteParams>; Body: RangeCreate }>(
    '/api/v1/sites/:site_id/ranges',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Add a routed range',
        security: BEARER,
        params: SiteParams,
        body: RangeCreate,
      },
    },
    async (req, reply) => reply.status(201).send((await addRange(ctx, req.params.site_id, req.body)).network),
  );
  app.delete<{ Params: P<typeof SiteRangeParams> }>(
    '/api/v1/sites/:site_id/ranges/:range_id',
    {
      onRequest: write,
      schema: { tags, summary: 'Remove a routed range', security: BEARER, params: SiteRangeParams },
    },
    async (req, reply) => {
      await removeRange(ctx, req.params.site_id, req.params.range_id);
      return reply.status(204).send();
    },
  );
  operatorRoutes(app, ctx, read, write);
  app.get<{ Querystring: Paging }>(
    '/api/v1/status',
    {
      onRequest: read,
      schema: { tags, summary: 'Every site’s HA status at a glance', security: BEARER, querystring: Paging },
    },
    async (req) => {
      const { sites, next_cursor } = await listSites(ctx, req.query.cursor, req.query.limit);
      return { sites: sites.map((s) => s.status), next_cursor };
    },
  );
}

/** Asking the nodes: the API test and operator commands, each a bounded long poll with an id to fetch later. */
function operatorRoutes(
  app: FastifyInstance,
  ctx: Ctx,
  read: ReturnType<typeof guard>,
  write: ReturnType<typeof guard>,
): void {
  const tags = ['operations'];
  app.post<{ Params: P<typeof SiteParams>; Body: ApiTestRequest }>(
    '/api/v1/sites/:site_id/api-test',
    {
      preHandler: write,
      schema: {
        tags,
        summary:
          'Both nodes run their preflight now; waits up to wait_ms for their answers (complete: false ⇒ fetch it later by id)',
        security: BEARER,
        params: SiteParams,
        body: ApiTestRequest,
        response: { 200: ApiTestView },
      },
    },
    async (req) => startApiTest(ctx, req.params.site_id, req.body.wait_ms),
  );
  app.get<{ Params: P<typeof SiteTestParams> }>(
    '/api/v1/sites/:site_id/api-test/:test_id',
    {
      preHandler: read,
      schema: {
        tags,
        summary: 'An API test’s results so far',
        security: BEARER,
        params: SiteTestParams,
        response: { 200: ApiTestView },
      },
    },
    async (req) => loadApiTest(ctx, req.params.site_id, req.params.test_id),
  );
  app.post<{ Params: P<typeof SiteParams>; Body: SiteCommand }>(
    '/api/v1/sites/:site_id/commands',
    {
      preHandler: write,
      schema: {
        tags,
        summary:
          'Switchover or maintenance on/off on a node; waits up to wait_ms for its answer (status refused: reason says why)',
        security: BEARER,
        params: SiteParams,
        body: SiteCommand,
        response: { 200: CommandView },
      },
    },
    async (req) => siteCommand(ctx, req.params.site_id, req.body),
  );
  app.get<{ Params: P<typeof SiteCommandParams> }>(
    '/api/v1/sites/:site_id/commands/:command_id',
    {
      preHandler: read,
      schema: {
        tags,
        summary: 'A command and the node’s answer',
        security: BEARER,
        params: SiteCommandParams,
        response: { 200: CommandView },
      },
    },
    async (req) => loadCommand(ctx, req.params.site_id, req.params.command_id),
  );
}
