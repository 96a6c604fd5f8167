// The local status endpoint: GET /status (JSON for `tandem status`), GET /metrics (Prometheus), and
// POST /admin/<command> for operators, allowed only with the bearer token from the admin token file.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Counter } from 'prom-client';
import type { AdminCommand } from '../core/index.js';
import type { ListenAddress } from './config.js';
import type { AgentMetrics } from './metrics.js';

export const ADMIN_COMMANDS: readonly AdminCommand[] = [
  'switchover',
  'maintenance-on',
  'maintenance-off',
  'disable',
  'enable',
];

export interface StatusSource {
  /** Everything `tandem status` shows, except the counters the server adds. */
  snapshot(): Record<string, unknown>;
  admin(command: AdminCommand): void;
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

export async function startStatusServer(opts: StatusServerOptions): Promise<StatusServer> {
  const token = opts.admin_token_file === null ? null : adminToken(opts.admin_token_file);
  const app: FastifyInstance = Fastify({ logger: false });

  app.get('/status', async () => ({ ...opts.source.snapshot(), counters: await counters(opts.metrics) }));

  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', opts.metrics.registry.contentType);
    return opts.metrics.registry.metrics();
  });

  app.post<{ Params: { command: string } }>('/admin/:command', async (req, reply) => {
    if (token === null)
      return reply
        .code(403)
        .send({ error: 'ADMIN_DISABLED', message: 'set status.admin_token_file in the config' });
    if (!tokenMatches(req.headers.authorization, token))
      return reply
        .code(401)
        .send({ error: 'UNAUTHORIZED', message: 'send Authorization: Bearer <admin token>' });
    const command = req.params.command as AdminCommand;
    if (!ADMIN_COMMANDS.includes(command))
      return reply
        .code(404)
        .send({ error: 'UNKNOWN_COMMAND', message: `expected one of ${ADMIN_COMMANDS.join(', ')}` });
    opts.source.admin(command);
    return { accepted: command };
  });

  await app.listen({ host: opts.listen.host, port: opts.listen.port });
  const addr = app.server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return { url: `http://${host}:${addr.port}`, close: () => app.close() };
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
