// Per-route authentication: every route names what it needs, and nothing else gets through.
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { authenticate, authorize, type Need, type Principal } from '../auth.js';
import type { Store } from '../store/open.js';

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

/**
 * Runs as the route's onRequest hook: before the body is read, parsed or validated, so a caller
 * without a valid token learns nothing about the schema and costs no body parsing.
 */
export function guard(
  store: Store,
  need: Need | ((request: FastifyRequest) => Need),
): onRequestAsyncHookHandler {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const principal = await authenticate(store.db, store.hot, request);
    authorize(principal, typeof need === 'function' ? need(request) : need);
    request.principal = principal;
  };
}

export const BEARER: { bearer: never[] }[] = [{ bearer: [] }];
