// What agents call: enroll once, then report (and read their site's settings) with their credential.
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../model/context.js';
import { enroll, nodeSettings } from '../model/nodes.js';
import type { ReportWriter } from '../reports.js';
import { Enroll, NodeParams, Report, ReportAck } from '../schema.js';
import { BEARER, guard } from './guard.js';

export function agentRoutes(app: FastifyInstance, ctx: Ctx, writer: ReportWriter): void {
  const tags = ['agents'];
  const self = guard(ctx.store, (req) => ({ node_id: (req.params as Static<typeof NodeParams>).node_id }));

  app.post<{ Body: Static<typeof Enroll> }>(
    '/api/v1/enroll',
    { schema: { tags, summary: 'Exchange a one-time enrollment token for a node credential', body: Enroll } },
    async (req, reply) => reply.status(201).send(await enroll(ctx, req.body.enrollment_token)),
  );
  app.post<{ Params: Static<typeof NodeParams>; Body: Report }>(
    '/api/v1/nodes/:node_id/reports',
    {
      preHandler: self,
      schema: {
        tags,
        summary: 'Report this node’s state; acknowledged only once stored',
        security: BEARER,
        params: NodeParams,
        body: Report,
        response: { 200: ReportAck },
      },
    },
    async (req) => {
      const principal = req.principal;
      // The guard let only this node's own credential through.
      if (principal?.kind !== 'node') throw new Error('report without a node principal');
      const outcome = await writer.submit({
        node_id: principal.node_id,
        site_id: principal.site_id,
        report: req.body,
      });
      return { id: req.body.id, stored: true, duplicate: outcome.duplicate };
    },
  );
  app.get<{ Params: Static<typeof NodeParams> }>(
    '/api/v1/nodes/:node_id/config',
    {
      preHandler: self,
      schema: {
        tags,
        summary: 'This node’s site settings: peer, network, cloud',
        security: BEARER,
        params: NodeParams,
      },
    },
    async (req) => {
      const principal = req.principal;
      if (principal?.kind !== 'node') throw new Error('config without a node principal');
      return nodeSettings(ctx, principal.node_id, principal.site_id);
    },
  );
}
