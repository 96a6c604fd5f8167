// What agents call: enroll once, then report (and read their site's settings) with their credential.
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  authenticate,
  authorize,
  bearer,
  hashSecret,
  isNodeCredential,
  liveNode,
  nodePrincipal,
} from '../auth.js';
import { ControllerError } from '../errors.js';
import type { KnownCredentials } from '../known-credentials.js';
import { pendingCommands } from '../model/commands.js';
import type { Ctx } from '../model/context.js';
import { enroll, nodeSettings } from '../model/nodes.js';
import type { ReportWriter } from '../reports.js';
import { Enroll, NodeParams, Report, ReportAck } from '../schema.js';
import { BEARER, guard } from './guard.js';

/** What newSecret('node') makes: the prefix and 32 random bytes in base64url. */
const CREDENTIAL_SHAPE = /^tdn_[A-Za-z0-9_-]{43}$/;
/** An enrollment exchange carries one token. */
const ENROLL_BODY_LIMIT = 1024;

/** The report route: its body is checked by TypeBox before Ajv (quick-check.ts). */
export const REPORT_ROUTE = { method: 'POST', url: '/api/v1/nodes/:node_id/reports' } as const;

/** A report is a few hundred bytes; 32 action results with long messages stay well inside this. */
const REPORT_BODY_LIMIT = 256 * 1024;

export function agentRoutes(
  app: FastifyInstance,
  ctx: Ctx,
  writer: ReportWriter,
  known: KnownCredentials,
): void {
  const tags = ['agents'];
  const self = guard(ctx.store, (req) => ({ node_id: (req.params as Static<typeof NodeParams>).node_id }));

  app.post<{ Body: Static<typeof Enroll> }>(
    '/api/v1/enroll',
    {
      bodyLimit: ENROLL_BODY_LIMIT,
      schema: { tags, summary: 'Exchange a one-time enrollment token for a node credential', body: Enroll },
    },
    async (req, reply) => reply.status(201).send(await enroll(ctx, req.body.enrollment_token)),
  );
  app.post<{ Params: Static<typeof NodeParams>; Body: Report }>(
    REPORT_ROUTE.url,
    {
      // Authenticated before the body is read: a node credential must belong to a live node (known
      // from an earlier report, else read from the store) and name this node. The write batch checks
      // it against the store again, with every report's node read in one statement.
      onRequest: async (req) => {
        const secret = bearer(req);
        if (isNodeCredential(secret)) {
          if (!CREDENTIAL_SHAPE.test(secret))
            throw new ControllerError('unauthenticated', 'unknown node credential; enroll the node again');
          const hash = hashSecret(secret);
          let node = known.nodeOf(hash);
          if (node === undefined) {
            node = liveNode(hash, (await ctx.store.hot.nodeByCredential.run(ctx.store.db, { hash })).rows[0]);
            known.remember(hash, node);
          }
          authorize(nodePrincipal(node), { node_id: (req.params as Static<typeof NodeParams>).node_id });
          return;
        }
        // A person's token: 401 when unknown, else 403, as on every node route.
        authorize(await authenticate(ctx.store.db, ctx.store.hot, req), {
          node_id: (req.params as Static<typeof NodeParams>).node_id,
        });
      },
      bodyLimit: REPORT_BODY_LIMIT,
      // No child logger per report (its bindings are built for every request) unless debugging:
      // errors are logged with the URL, which names the node.
      childLoggerFactory: (logger, bindings, options) =>
        logger.level === 'debug' || logger.level === 'trace' ? logger.child(bindings, options) : logger,
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
      const secret = bearer(req);
      const outcome = await writer.submit({
        credential_hash: hashSecret(secret),
        node_id: req.params.node_id,
        report: req.body,
      });
      // The reply is how settings and commands reach the agent: no call from the controller to a node.
      const commands =
        outcome.commands_pending > 0
          ? await pendingCommands(ctx.store.db, req.params.node_id, ctx.now())
          : [];
      return {
        id: req.body.id,
        stored: true,
        duplicate: outcome.duplicate,
        settings_version: outcome.settings_version,
        commands,
      };
    },
  );
  app.get<{ Params: Static<typeof NodeParams> }>(
    '/api/v1/nodes/:node_id/config',
    {
      onRequest: self,
      schema: {
        tags,
        summary: 'This node’s site settings (peer, network, cloud) and the managed part with its version',
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
