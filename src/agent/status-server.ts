// The local status endpoint: GET /status (JSON for `tandem status`), GET /metrics (Prometheus), and
// POST /admin/<command> for operators, allowed only with the bearer token from the admin token file.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Counter } from 'prom-client';
import type { AdminCommand } from '../core/index.js';
import { REFUSAL_TEXT } from '../core/refusals.js';
import { ADMIN_COMMANDS } from './admin.js';
import type { ListenAddress } from './config.js';
import type { AgentMetrics } from './metrics.js';
import type { AdminVerdict } from './shell.js';

export interface StatusSource {
  /** Everything `tandem status` shows, except the counters the server adds. */
  snapshot(): Record<string, unknown>;
  /** Steps the core at once and returns its verdict. */
  admin(command: AdminCommand): AdminVerdict;
}

export interface StatusServerOptions {
  readonly listen: ListenAddress;
  readonly admin_token_file: string | null;
  readonly metrics: AgentMetrics;
  readonly source: StatusSource;
}

export interface StatusServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Reads the admin token, creating a random one (mode 0600) the first time. */
export function adminToken(file: string): string {
  if (!existsSync(file)) {
    writeFileSync(file, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  }
  const token = readFileSync(file, 'utf8').trim();
  if (token.length < 16)
    throw new Error(`admin token in ${file} is shorter than 16 characters; put a longer one there`);
  return token;
}

// node:http, not fastify: three routes do not justify ~18 MB more in every agent's memory.
export async function startStatusServer(opts: StatusServerOptions): Promise<StatusServer> {
  const token = opts.admin_token_file === null ? null : adminToken(opts.admin_token_file);
  const server = createServer((req, res) => {
    route(req, opts, token).then(
      ({ code, body, type }) => {
        res.writeHead(code, { 'content-type': type ?? 'application/json; charset=utf-8' });
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      },
      (err: unknown) => fail(res, err),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listen.port, opts.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface Reply {
  readonly code: number;
  readonly body: unknown;
  readonly type?: string;
}

async function route(req: IncomingMessage, opts: StatusServerOptions, token: string | null): Promise<Reply> {
  const path = new URL(req.url ?? '/', 'http://local').pathname;
  if (req.method === 'GET' && path === '/status')
    return { code: 200, body: { ...opts.source.snapshot(), counters: await counters(opts.metrics) } };
  if (req.method === 'GET' && path === '/metrics')
    return {
      code: 200,
      body: await opts.metrics.registry.metrics(),
      type: opts.metrics.registry.contentType,
    };
  const admin = /^\/admin\/([^/]+)$/.exec(path);
  if (req.method === 'POST' && admin) {
    req.resume();
    if (token === null)
      return {
        code: 403,
        body: { error: 'ADMIN_DISABLED', message: 'set status.admin_token_file in the config' },
      };
    if (!tokenMatches(req.headers.authorization, token))
      return {
        code: 401,
        body: { error: 'UNAUTHORIZED', message: 'send Authorization: Bearer <admin token>' },
      };
    const command = decodeSegment(admin[1]!) as AdminCommand | null;
    if (command === null)
      return { code: 400, body: { error: 'BAD_REQUEST', message: 'the command has a malformed % escape' } };
    if (!ADMIN_COMMANDS.includes(command))
      return {
        code: 404,
        body: { error: 'UNKNOWN_COMMAND', message: `expected one of ${ADMIN_COMMANDS.join(', ')}` },
      };
    const verdict = opts.source.admin(command);
    if (verdict.ok) return { code: 200, body: verdict };
    // 409: the request was understood and refused by the core in the current state of the pair.
    return {
      code: 409,
      body: { ...verdict, error: 'REFUSED', message: REFUSAL_TEXT[verdict.reason] },
    };
  }
  return {
    code: 404,
    body: { error: 'NOT_FOUND', message: 'GET /status, GET /metrics, POST /admin/<command>' },
  };
}

/** A path segment with its % escapes decoded, or null when an escape is malformed (a client's mistake). */
function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

function fail(res: ServerResponse, err: unknown): void {
  res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({ error: 'INTERNAL', message: (err as Error).message }));
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.replace(/^Bearer\s+/i, '') ?? '');
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

async function counters(m: AgentMetrics): Promise<Record<string, unknown>> {
  return {
    sent: await byLabel(m.sent, 'path'),
    received: await byLabel(m.received, 'path'),
    rejected: await byLabel(m.rejected, 'reason'),
    transitions: (await m.transitions.get()).values.reduce((n, v) => n + v.value, 0),
  };
}

async function byLabel<L extends string>(c: Counter<L>, label: L): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await c.get()).values) {
    const key = String(v.labels[label] ?? '');
    out[key] = (out[key] ?? 0) + v.value;
  }
  return out;
}
