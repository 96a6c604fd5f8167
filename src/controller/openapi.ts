// The OpenAPI document, assembled from the routes' own TypeBox schemas as they are registered.
import type { FastifyInstance, RouteOptions } from 'fastify';

interface Operation {
  method: string;
  path: string;
  schema: Record<string, unknown>;
}

/** Call before registering routes; returns a function that builds the document. */
export function collectOpenApi(app: FastifyInstance, version: string): () => Record<string, unknown> {
  const ops: Operation[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    if (route.schema === undefined || !route.url.startsWith('/api/')) return;
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      ops.push({
        method: method.toLowerCase(),
        path: route.url,
        schema: route.schema as Record<string, unknown>,
      });
    }
  });
  return () => {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const op of ops) {
      const path = op.path.replace(/:([a-z_]+)/g, '{$1}');
      paths[path] ??= {};
      paths[path][op.method] = operation(op.schema);
    }
    return {
      openapi: '3.1.0',
      info: { title: 'tandem controller', version, description: 'Fleet management for tandem HA pairs' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      paths,
    };
  };
}

function parameters(schema: unknown, where: 'path' | 'query'): unknown[] {
  const props =
    (schema as { properties?: Record<string, unknown>; required?: string[] } | undefined)?.properties ?? {};
  const required = (schema as { required?: string[] } | undefined)?.required ?? [];
  return Object.entries(props).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || required.includes(name),
    schema: s,
  }));
}

function operation(schema: Record<string, unknown>): Record<string, unknown> {
  const op: Record<string, unknown> = {
    tags: schema.tags,
    summary: schema.summary,
    parameters: [...parameters(schema.params, 'path'), ...parameters(schema.querystring, 'query')],
    responses: responses(schema.response),
  };
  if (schema.security !== undefined) op.security = schema.security;
  if (schema.body !== undefined)
    op.requestBody = { required: true, content: { 'application/json': { schema: schema.body } } };
  return op;
}

function responses(response: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, s] of Object.entries((response as Record<string, unknown> | undefined) ?? {})) {
    out[status] = { description: 'OK', content: { 'application/json': { schema: s } } };
  }
  if (Object.keys(out).length === 0) out['2XX'] = { description: 'OK (JSON)' };
  out['4XX'] = { description: 'Refused: { error: { code, message, path? } }' };
  return out;
}
