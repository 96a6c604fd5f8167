// Per-route authentication: every route names what it needs, and nothing else gets through.
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Kysely } from 'kysely';
import { authenticate, authorize, type Need, type Principal } from '../auth.js';
import type { Database } from '../store/tables.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  // Documentation fields that go into the OpenAPI document (Fastify itself ignores them).
  interface FastifySchema {
    tags?: string[];
    summary?: string;
    security?: { bearer: never[] }[];
  }
}

export function guard(
  db: Kysely<Database>,
  need: Need | ((request: FastifyRequest) => Need),
): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const principal = await authenticate(db, request);
    authorize(principal, typeof need === 'function' ? need(request) : need);
    request.principal = principal;
  };
}

export const BEARER: { bearer: never[] }[] = [{ bearer: [] }];
