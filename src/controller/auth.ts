// Tokens: random secrets shown once, stored only as SHA-256 hashes. People hold admin or viewer
// API tokens; a node holds a credential it got by exchanging a one-time enrollment token.
import * as crypto from 'node:crypto';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { ControllerError } from './errors.js';
import type { HotQueries } from './store/hot.js';
import type { Database, Scope } from './store/tables.js';

export type TokenKind = 'api' | 'node' | 'enrollment';

const PREFIX: Record<TokenKind, string> = { api: 'tdk_', node: 'tdn_', enrollment: 'tde_' };

export function newSecret(kind: TokenKind): string {
  return PREFIX[kind] + randomBytes(32).toString('base64url');
}

/**
 * Node's one-shot digest (20.12 and later; absent on 20.10): every report's credential is hashed,
 * and it costs half of a Hash object's create, update and digest.
 */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

export function hashSecret(secret: string): string {
  if (oneShot !== undefined) return oneShot('sha256', secret, 'hex');
  return createHash('sha256').update(secret).digest('hex');
}

/** Equal hashes, compared in constant time (the lookup found the row; this proves it is the same secret). */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

export type Principal =
  | { readonly kind: 'person'; readonly token_id: string; readonly scope: Scope }
  | { readonly kind: 'node'; readonly node_id: string; readonly site_id: string };

/** The bearer token of a request, or 401. */
export function bearer(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const m = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) {
    throw new ControllerError('unauthenticated', 'send "Authorization: Bearer <token>" with an API token');
  }
  return m[1]!;
}

export function isNodeCredential(secret: string): boolean {
  return secret.startsWith(PREFIX.node);
}

/** The node a credential's hash found (or nothing), if it is a live node's; 401 otherwise. */
export function liveNode<
  N extends { id: string; site_id: string; removed_at: number | null; credential_hash: string | null },
>(hash: string, node: N | undefined): N {
  if (!node || node.credential_hash === null || !sameHash(node.credential_hash, hash)) {
    throw new ControllerError('unauthenticated', 'unknown node credential; enroll the node again');
  }
  if (node.removed_at !== null) {
    throw new ControllerError(
      'node-removed',
      'this node was removed from its site; it no longer takes part in HA and its credential is revoked for good',
    );
  }
  return node;
}

export function nodePrincipal(node: { id: string; site_id: string }): Principal {
  return { kind: 'node', node_id: node.id, site_id: node.site_id };
}

export async function authenticate(
  db: Kysely<Database>,
  hot: HotQueries,
  request: FastifyRequest,
): Promise<Principal> {
  const secret = bearer(request);
  const hash = hashSecret(secret);
  if (isNodeCredential(secret))
    return nodePrincipal(liveNode(hash, (await hot.nodeByCredential.run(db, { hash })).rows[0]));
  const token = await db
    .selectFrom('tokens')
    .select(['id', 'scope', 'revoked_at', 'token_hash'])
    .where('token_hash', '=', hash)
    .executeTakeFirst();
  if (!token || !sameHash(token.token_hash, hash)) {
    throw new ControllerError('unauthenticated', 'unknown API token');
  }
  if (token.revoked_at !== null) {
    throw new ControllerError('credential-revoked', 'this API token was revoked; ask an admin for a new one');
  }
  return { kind: 'person', token_id: token.id, scope: token.scope };
}

/** What a route needs: a person who may read, a person who may write, or the node itself. */
export type Need = 'read' | 'write' | { readonly node_id: string };

export function authorize(principal: Principal, need: Need): void {
  if (need === 'read' || need === 'write') {
    if (principal.kind !== 'person') {
      throw new ControllerError('forbidden', 'a node credential may only report for its own node');
    }
    if (need === 'write' && principal.scope !== 'admin') {
      throw new ControllerError(
        'forbidden',
        'a viewer token may read only; use an admin token to change things',
      );
    }
    return;
  }
  if (principal.kind !== 'node' || principal.node_id !== need.node_id) {
    throw new ControllerError('forbidden', 'a node may report only for itself');
  }
}

/** A chosen admin token must be as hard to guess as a generated one (256 bits is 43 characters). */
export const ENV_TOKEN_MIN_LENGTH = 32;

export class AdminTokenRefused extends Error {
  constructor(
    readonly code: 'admin-token-too-short' | 'admin-token-revoked',
    message: string,
  ) {
    super(message);
  }
}

/** TANDEM_ADMIN_TOKEN: long enough, and not one an admin revoked (which would silently not work). */
async function checkEnvToken(db: Kysely<Database>, token: string): Promise<void> {
  if (token.length < ENV_TOKEN_MIN_LENGTH) {
    throw new AdminTokenRefused(
      'admin-token-too-short',
      `TANDEM_ADMIN_TOKEN has ${token.length} characters; use at least ${ENV_TOKEN_MIN_LENGTH} random ones ` +
        '(e.g. `openssl rand -base64 32`), or leave it unset to have one generated',
    );
  }
  const revoked = await db
    .selectFrom('tokens')
    .select('id')
    .where('token_hash', '=', hashSecret(token))
    .where('revoked_at', 'is not', null)
    .executeTakeFirst();
  if (revoked !== undefined) {
    throw new AdminTokenRefused(
      'admin-token-revoked',
      'TANDEM_ADMIN_TOKEN was revoked through the API and stays revoked; set a new one or unset it',
    );
  }
}

export interface Bootstrap {
  /** The admin token created now, shown once; null when the store already had one. */
  readonly admin_token: string | null;
}

/**
 * The first start creates an admin token (or adopts TANDEM_ADMIN_TOKEN). A fixed id makes two
 * controllers starting together on one empty database create exactly one.
 */
export async function bootstrapAdmin(
  db: Kysely<Database>,
  now_ms: number,
  env_token?: string,
): Promise<Bootstrap> {
  if (env_token !== undefined) await checkEnvToken(db, env_token);
  const secret = env_token ?? newSecret('api');
  const inserted = await db
    .insertInto('tokens')
    .values({
      id: 'bootstrap-admin',
      name: 'bootstrap admin',
      scope: 'admin',
      token_hash: hashSecret(secret),
      created_at: now_ms,
      revoked_at: null,
    })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted === undefined && env_token !== undefined) {
    // The env token is the operator's statement: make sure it works even on an existing store.
    await db
      .insertInto('tokens')
      .values({
        id: `env-${hashSecret(secret).slice(0, 16)}`,
        name: 'admin from TANDEM_ADMIN_TOKEN',
        scope: 'admin',
        token_hash: hashSecret(secret),
        created_at: now_ms,
        revoked_at: null,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  return { admin_token: inserted !== undefined && env_token === undefined ? secret : null };
}
