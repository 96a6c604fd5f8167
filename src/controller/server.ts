// The controller process: an HTTP API over the store. It keeps no state of its own beyond the
// store, so several of them on one PostgreSQL serve the same fleet behind any load balancer.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyError, LogController } from 'fastify';
import pino, { type Logger } from 'pino';
import { VERSION } from '../cli/version.js';
import { bootstrapAdmin } from './auth.js';
import { ControllerError, errorBody } from './errors.js';
import { KnownCredentials } from './known-credentials.js';
import { type Listener, type ListenOptions, listener } from './listener.js';
import { LiveHub, type LiveOptions } from './live.js';
import type { Ctx } from './model/context.js';
import { createMailer, type SmtpSettings } from './notify/email.js';
import { Outbox } from './notify/outbox.js';
import type { WebhookPolicy } from './notify/webhook.js';
import { collectOpenApi } from './openapi.js';
import { validators } from './quick-check.js';
import { ReportWriter } from './reports.js';
import { adminRoutes } from './routes/admin.js';
import { agentRoutes, REPORT_ROUTE } from './routes/agents.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { siteRoutes } from './routes/sites.js';
import { webRoutes } from './routes/web.js';
import { DEFAULT_SETTINGS, type Settings } from './settings.js';
import { openStore, type Store } from './store/open.js';
import { isStoreUnavailable } from './store/unavailable.js';
import { sweep } from './sweep.js';

export interface Clock {
  now(): number;
}

export interface ControllerOptions {
  /** An SQLite file path or a postgres:// URL. */
  readonly store_url: string;
  /** Where and how to listen: TLS files, cleartext permission, request timeout (listener.ts). */
  readonly listen?: ListenOptions;
  readonly clock?: Clock;
  readonly settings?: Partial<Settings>;
  readonly smtp?: SmtpSettings | null;
  /** Adopted as an admin token (TANDEM_ADMIN_TOKEN); otherwise the first start creates one. */
  readonly admin_token?: string;
  readonly log?: Logger;
  /** How often the sweep runs; 0 = never on a timer (tests call sweep()). */
  readonly sweep_interval_ms?: number;
  readonly outbox?: {
    poll_ms?: number;
    retry_base_ms?: number;
    retry_max_ms?: number;
    max_attempts?: number;
    send_timeout_ms?: number;
  };
  readonly pool_max?: number;
  /** The dashboard's live stream (server-sent events). */
  readonly live?: LiveOptions;
  /** Where the built dashboard is (dist/web/ by default). */
  readonly web_dir?: string;
  /** Webhook destinations: link-local is always refused; private and loopback too with deny_private. */
  readonly webhooks?: WebhookPolicy;
  /** SQLite: how long a write waits for a lock held by another process before 503 (default 2 s). */
  readonly busy_ms?: number;
}

export interface RunningController {
  readonly url: string;
  readonly controller_id: string;
  /** The admin token created by this start, to be shown once; null when the store had one. */
  readonly admin_token: string | null;
  readonly store: Store;
  /** Reads the TLS certificate and key again (SIGHUP); a no-op on plain HTTP. */
  reloadTls(): void;
  sweep(): Promise<void>;
  /** One pass of the notification outbox. */
  deliver(): Promise<number>;
  close(): Promise<void>;
}

/** Seconds a client is told to wait after a 503 (the store busy or unreachable). */
const RETRY_AFTER_S = 1;

/** Bodies are a few hundred bytes; routes that take lists raise their own limit. */
const DEFAULT_BODY_LIMIT = 16 * 1024;

/**
 * How reports are grouped into commits (measured with bench:controller at 5,000 reports/s on a
 * shared two-core host). A batch's cost is mostly per commit and per statement, not per report:
 * on PostgreSQL each statement is also a socket write and a wake-up of a server process.
 * SQLite: one lane, a batch at most every 5 ms (about 25 reports at that rate; against batches of a
 * few, this halves the store's CPU per report). PostgreSQL: two lanes, so that one batch's round
 * trips overlap the other's, each starting a batch at most every 16 ms (about 40 reports at that
 * rate; p50 about 15 ms). Four lanes at 2 ms made batches of a few reports and cost 20–40% more CPU
 * in the controller and the database both; 8 ms cost some 10% more than 16.
 * A lane's batch uses at most four connections at once (its units side by side): eight of the
 * default pool of 24, the rest serving reads, sweeps and the outbox.
 */
function reportBatching(dialect: Store['dialect'], pool_max: number): { lanes: number; gather_ms: number } {
  if (dialect === 'sqlite') return { lanes: 1, gather_ms: 5 };
  return { lanes: Math.min(2, Math.max(1, Math.floor(pool_max / 8))), gather_ms: 16 };
}

const systemClock: Clock = { now: () => Date.now() };

export async function startController(options: ControllerOptions): Promise<RunningController> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? pino({ level: 'silent' });
  const settings: Settings = { ...DEFAULT_SETTINGS, ...options.settings };
  const controller_id = randomUUID();
  const pool_max = options.pool_max ?? 24;
  const store = await openStore({
    url: options.store_url,
    pool_max,
    ...(options.busy_ms !== undefined ? { busy_ms: options.busy_ms } : {}),
  });
  let boot: Awaited<ReturnType<typeof bootstrapAdmin>>;
  try {
    boot = await bootstrapAdmin(store.db, clock.now(), options.admin_token);
  } catch (err) {
    await store.close();
    throw err;
  }
  const webhooks: WebhookPolicy = options.webhooks ?? { deny_private: false };
  const ctx: Ctx = { store, settings, now: () => clock.now(), log, webhooks };
  const known = new KnownCredentials();
  const writer = new ReportWriter({
    known,
    store,
    settings,
    now: ctx.now,
    log,
    ...reportBatching(store.dialect, pool_max),
  });
  const outbox = new Outbox({
    store,
    now: ctx.now,
    log,
    controller_id,
    webhook_policy: webhooks,
    mailer: options.smtp ? createMailer(options.smtp, options.outbox?.send_timeout_ms ?? 10_000) : null,
    ...options.outbox,
  });

  const listen = options.listen ?? { host: '127.0.0.1', port: 0 };
  let served: Listener;
  try {
    served = listener(listen);
  } catch (err) {
    await store.close();
    throw err;
  }
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    serverFactory: served.factory,
    // Small by default; the routes that need more say so (reports, rules).
    bodyLimit: DEFAULT_BODY_LIMIT,
  });
  app.setValidatorCompiler(
    validators((route) => route.method === REPORT_ROUTE.method && route.url === REPORT_ROUTE.url),
  );
  app.decorateRequest('principal', null);
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof ControllerError)
      return reply.status(err.status).send(errorBody(err.code, err.message, err.path));
    if (isStoreUnavailable(err)) {
      request.log.warn({ code: (err as { code?: unknown }).code, url: request.url }, 'store unavailable');
      return reply
        .status(503)
        .header('retry-after', String(RETRY_AFTER_S))
        .send(
          errorBody('unavailable', 'the store is busy or unreachable; nothing was changed, retry shortly'),
        );
    }
    if (err.validation) {
      const path = err.validation[0]?.instancePath;
      return reply
        .status(400)
        .send(errorBody('invalid-request', err.message, path === '' ? undefined : path));
    }
    if (err.statusCode !== undefined && err.statusCode < 500) {
      return reply.status(err.statusCode).send(errorBody('invalid-request', err.message));
    }
    request.log.error({ err, url: request.url }, 'request failed');
    return reply.status(500).send(errorBody('internal', 'the controller failed; see its log'));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(errorBody('not-found', `no route ${request.method} ${request.url}`)),
  );

  const openapi = collectOpenApi(app, VERSION);
  app.get('/openapi.json', async () => openapi());
  app.get('/healthz', async () => ({ ok: true, controller_id }));
  siteRoutes(app, ctx);
  agentRoutes(app, ctx, writer, known);
  adminRoutes(app, ctx, outbox);
  const hub = new LiveHub(ctx, options.live);
  // Live streams never end by themselves: close them before the server waits for its connections.
  app.addHook('preClose', async () => hub.close());
  dashboardRoutes(app, ctx, hub);
  webRoutes(app, options.web_dir);

  try {
    await app.listen({ host: listen.host, port: listen.port });
  } catch (err) {
    await store.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : listen.port;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;

  const runSweep = () => sweep(store, settings, clock.now(), log);
  let sweepTimer: NodeJS.Timeout | null = null;
  let sweeping: Promise<void> | null = null;
  const interval_ms = options.sweep_interval_ms ?? 1000;
  const scheduleSweep = (): void => {
    if (interval_ms <= 0) return;
    sweepTimer = setTimeout(() => {
      sweeping = runSweep()
        .catch((err: unknown) => log.error({ err }, 'sweep failed'))
        .finally(() => {
          sweeping = null;
          if (sweepTimer !== null) scheduleSweep();
        });
    }, interval_ms);
  };
  scheduleSweep();
  outbox.start();

  return {
    url: `${served.scheme}://${host}:${port}`,
    controller_id,
    admin_token: boot.admin_token,
    store,
    reloadTls: () => served.reload(),
    sweep: runSweep,
    deliver: () => outbox.poll(),
    async close() {
      if (sweepTimer !== null) clearTimeout(sweepTimer);
      sweepTimer = null;
      await sweeping;
      await outbox.stop();
      await app.close();
      await store.close();
    },
  };
}
