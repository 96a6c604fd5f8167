// The ARM endpoint (HTTPS): bearer token → identity, faults, RBAC check, then the resource handler; every call recorded.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimContext } from '../context.js';
import { isSimError, SimError } from '../errors.js';
import { sendJson } from '../http.js';
import type { Identity } from '../iam.js';
import {
  type ArmReply,
  type ArmRequest,
  deleteRoute,
  getNic,
  getOperation,
  getOperationResult,
  getPermissions,
  getRoute,
  getRouteTable,
  listNics,
  listRoutes,
  putNic,
  putRoute,
  putRouteTable,
} from './handlers.js';

interface ArmRoute {
  method: string;
  pattern: RegExp;
  action: string;
  handle: (r: ArmRequest) => ArmReply;
}

const RG = '/subscriptions/([^/]+)/resourceGroups/[^/]+/providers/Microsoft\\.Network';
const OPS = '/subscriptions/([^/]+)/providers/Microsoft\\.Network/locations/[^/]+';
const N = 'Microsoft.Network';

function r(method: string, path: string, action: string, handle: ArmRoute['handle']): ArmRoute {
  return { method, pattern: new RegExp(`^${path}$`, 'i'), action, handle };
}

const ROUTES: ArmRoute[] = [
  r('GET', `${RG}/networkInterfaces/([^/]+)`, `${N}/networkInterfaces/read`, getNic),
  r('PUT', `${RG}/networkInterfaces/([^/]+)`, `${N}/networkInterfaces/write`, putNic),
  r('GET', `${RG}/networkInterfaces`, `${N}/networkInterfaces/read`, listNics),
  r('GET', `${RG}/routeTables/([^/]+)`, `${N}/routeTables/read`, getRouteTable),
  r('PUT', `${RG}/routeTables/([^/]+)`, `${N}/routeTables/write`, putRouteTable),
  r('GET', `${RG}/routeTables/[^/]+/routes`, `${N}/routeTables/routes/read`, listRoutes),
  r('GET', `${RG}/routeTables/[^/]+/routes/([^/]+)`, `${N}/routeTables/routes/read`, getRoute),
  r('PUT', `${RG}/routeTables/[^/]+/routes/([^/]+)`, `${N}/routeTables/routes/write`, putRoute),
  r('DELETE', `${RG}/routeTables/[^/]+/routes/([^/]+)`, `${N}/routeTables/routes/delete`, deleteRoute),
  r('GET', `${OPS}/operations/([^/]+)`, `${N}/locations/operations/read`, getOperation),
  r('GET', `${OPS}/operationResults/([^/]+)`, `${N}/locations/operationResults/read`, getOperationResult),
  r(
    'GET',
    '/subscriptions/([^/]+)(?:/resourceGroups/[^/]+)?/providers/Microsoft\\.Authorization/permissions',
    'Microsoft.Authorization/permissions/read',
    getPermissions,
  ),
];

/** The Azure operations the simulator answers, as fault rules and policies name them. */
export const AZURE_ACTIONS: readonly string[] = ROUTES.map((x) => x.action);

const AUDIENCES = [
  'https://management.azure.com',
  'https://management.azure.com/',
  'https://management.core.windows.net/',
];

function authenticate(ctx: SimContext, header: string | undefined): Identity {
  if (!header)
    throw new SimError(
      401,
      'AuthenticationFailed',
      "Authentication failed. The 'Authorization' header is missing.",
    );
  const m = /^Bearer (.+)$/i.exec(header);
  const token = m ? ctx.iam.tokenFor(m[1] ?? '') : undefined;
  if (!token) throw new SimError(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
  if (token.expires_on_s * 1000 < ctx.clock.now_ms()) {
    throw new SimError(
      401,
      'ExpiredAuthenticationToken',
      'The access token expiry UTC time is earlier than current UTC time.',
    );
  }
  if (!AUDIENCES.includes(token.resource) && !token.resource.startsWith(ctx.azure_url)) {
    throw new SimError(
      401,
      'InvalidAuthenticationTokenAudience',
      `The access token has been obtained for wrong audience or resource '${token.resource}'. It should exactly match one of ${AUDIENCES.join(', ')}.`,
    );
  }
  const identity = ctx.iam.byName(token.identity);
  if (!identity)
    throw new SimError(401, 'InvalidAuthenticationToken', 'The identity behind this token no longer exists.');
  return identity;
}

function authorize(ctx: SimContext, identity: Identity, action: string, scope: string): void {
  if (ctx.iam.allows(identity, action, scope)) return;
  throw new SimError(
    403,
    'AuthorizationFailed',
    `The client '${identity.azure_client_id}' with object id '${identity.azure_principal_id}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );
}

export async function handleAzure(
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
): Promise<void> {
  const start_ms = ctx.clock.now_ms();
  const request_id = randomUUID();
  const url = new URL(req.url ?? '/', 'https://sim');
  const path = url.pathname.replace(/\/+$/, '');
  const route = ROUTES.find((x) => x.method === req.method && x.pattern.test(path));
  let identity: Identity | undefined;
  let reply: ArmReply;
  const action = route?.action ?? `${req.method} ${path}`;
  try {
    identity = authenticate(ctx, req.headers.authorization);
    if (!route) throw new SimError(404, 'NotFound', `The simulator has no ${req.method} ${path}.`);
    const sub = route.pattern.exec(path)?.[1];
    if (sub?.toLowerCase() !== ctx.azure.data.subscription_id.toLowerCase()) {
      throw new SimError(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`);
    }
    if (!url.searchParams.get('api-version')) {
      throw new SimError(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    }
    await ctx.faults.apply('azure', route.action);
    const limits = ctx.arm_throttle?.take(identity.name, req.method ?? 'GET', ctx.clock.now_ms());
    // Listing one's own permissions needs none: it is how a preflight finds out what it may do.
    if (route.handle !== getPermissions) authorize(ctx, identity, route.action, path);
    const name = decodeURIComponent(route.pattern.exec(path)?.slice(-1)[0] ?? '');
    const ifMatch = req.method === 'GET' ? undefined : (req.headers['if-match'] as string | undefined);
    reply = route.handle({ ctx, identity, id: path, name, body, if_match: ifMatch, action: route.action });
    if (limits) reply = { ...reply, headers: { ...reply.headers, ...limits } };
  } catch (e) {
    const err = isSimError(e) ? e : new SimError(500, 'InternalServerError', 'An internal error occurred.');
    if (!isSimError(e)) ctx.log.error({ err: e, action }, 'azure request failed unexpectedly');
    reply = {
      status: err.status,
      body: { error: { code: err.code, message: err.message } },
      headers: err.headers,
    };
  }
  const headers = {
    'x-ms-request-id': request_id,
    'x-ms-correlation-request-id': request_id,
    ...reply.headers,
  };
  if (reply.body === undefined) {
    if (!res.destroyed) {
      res.writeHead(reply.status, headers);
      res.end();
    }
  } else sendJson(res, reply.status, reply.body, headers);
  const end_ms = ctx.clock.now_ms();
  const failed =
    reply.status >= 400 ? (reply.body as { error?: { code?: string } } | undefined)?.error?.code : undefined;
  ctx.recorder.record({
    cloud: 'azure',
    action,
    identity: identity?.name,
    resources: route ? [path] : [],
    dry_run: false,
    start_ms,
    end_ms,
    duration_ms: end_ms - start_ms,
    status: reply.status,
    code: failed,
  });
}
