// Live updates for the dashboard: server-sent events. One tail of the events table per controller
// (so an update written through any controller on the same store reaches every browser), fanned out
// to the connected browsers with a bounded queue each: a browser that cannot keep up is told to
// reload its view (`resync`) instead of making the controller hold an unbounded backlog.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { SiteSummary } from './api-words.js';
import { authenticate } from './auth.js';
import { type EventView, eventView } from './events.js';
import type { Ctx } from './model/context.js';
import { type FleetView, summaries } from './overview.js';
import type { Database } from './store/tables.js';

export interface LiveOptions {
  /** How often the events table is read while a browser is connected. */
  readonly poll_ms?: number;
  /** Browsers one controller streams to at once; more are refused with 429. */
  readonly max_clients?: number;
  /** Frames waiting for one slow browser before it is sent `resync` and its backlog dropped. */
  readonly queue_max?: number;
  /** A comment line this often keeps proxies from closing an idle stream; the token is checked again then. */
  readonly heartbeat_ms?: number;
  /** How long a hole in event ids may stay open (a PostgreSQL transaction not yet committed). */
  readonly gap_ms?: number;
  /** How long after its last use the overview's view is kept current with no stream open. */
  readonly keep_ms?: number;
}

const READ_MAX = 500;
/** Back from idle, at most this many pages of missed events are caught up; more: the view is read whole. */
const CATCH_UP_PAGES = 20;
const SEEN_MAX = 5000;

/**
 * Reads events in id order without losing one that commits late: on PostgreSQL an id is taken at
 * insert and may become visible after a higher one, and ON CONFLICT DO NOTHING leaves holes for
 * good. Ids above the floor that were already delivered are remembered; a hole is waited for up
 * to gap_ms, then given up.
 */
export class EventTail {
  private floor = 0;
  private readonly seen = new Set<number>();
  private gap_since: number | null = null;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly gap_ms: number,
  ) {}

  /** Whether start() ran: the tail knows where it stopped and can resume from there. */
  get begun(): boolean {
    return this.has_begun;
  }
  private has_begun = false;

  async start(): Promise<void> {
    this.has_begun = true;
    const row = await this.db
      .selectFrom('events')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirst();
    this.floor = Number(row?.id ?? 0);
    this.seen.clear();
    this.gap_since = null;
  }

  async next(now_ms: number): Promise<EventView[]> {
    const rows = await this.db
      .selectFrom('events')
      .selectAll()
      .where('id', '>', this.floor)
      .orderBy('id')
      .limit(READ_MAX)
      .execute();
    const fresh = rows.filter((r) => !this.seen.has(r.id));
    for (const r of fresh) this.seen.add(r.id);
    this.advance(now_ms);
    return fresh.map(eventView);
  }

  private advance(now_ms: number): void {
    while (this.seen.has(this.floor + 1)) this.seen.delete(++this.floor);
    if (this.seen.size === 0) {
      this.gap_since = null;
      return;
    }
    this.gap_since ??= now_ms;
    if (now_ms - this.gap_since < this.gap_ms && this.seen.size < SEEN_MAX) return;
    // The hole outlived its wait: whatever filled it was rolled back or skipped.
    this.floor = Math.min(...this.seen) - 1;
    this.gap_since = null;
    this.advance(now_ms);
  }
}

interface Client {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  /** Frames not yet written, keyed so that a newer update of the same site replaces an older one. */
  readonly pending: Map<string, string>;
  writable: boolean;
  overflowed: boolean;
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export class LiveHub {
  private readonly clients = new Set<Client>();
  private readonly tail: EventTail;
  private timer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private started: Promise<void> | null = null;
  /** The tail is being read; false once nobody needs it (no stream, overview unused). */
  private feeding = false;
  /** The overview was used lately: keep its view current until then even with no stream open. */
  private keep_until = 0;
  private readonly poll_ms: number;
  private readonly keep_ms: number;
  private readonly max_clients: number;
  private readonly queue_max: number;
  private readonly heartbeat_ms: number;

  /** The dashboard's in-memory fleet, kept current with what the feed reads. */
  view: FleetView | null = null;

  constructor(
    private readonly ctx: Ctx,
    options: LiveOptions = {},
  ) {
    this.poll_ms = options.poll_ms ?? 250;
    this.max_clients = options.max_clients ?? 200;
    this.queue_max = options.queue_max ?? 2000;
    this.heartbeat_ms = options.heartbeat_ms ?? 15_000;
    this.keep_ms = options.keep_ms ?? 60_000;
    this.tail = new EventTail(ctx.store.db, options.gap_ms ?? 5000);
  }

  get size(): number {
    return this.clients.size;
  }

  get full(): boolean {
    return this.clients.size >= this.max_clients;
  }

  /**
   * Reads the tail again. The first time from the newest event (the view is read whole at its first
   * use); back from idle, from where it stopped: the events missed meanwhile name the sites the view
   * reads again, so coming back costs a few rows, not the whole fleet.
   */
  private feed(): Promise<void> {
    if (!this.feeding) {
      this.feeding = true;
      const resume = this.tail.begun;
      this.started = (resume ? this.catchUp() : this.tail.start().then(() => this.view?.invalidate())).catch(
        (err: unknown) => {
          this.feeding = false;
          throw err;
        },
      );
    }
    return this.started!;
  }

  private async catchUp(): Promise<void> {
    for (let page = 0; page < CATCH_UP_PAGES; page++) if ((await this.poll()) < READ_MAX) return;
    this.view?.invalidate();
    await this.tail.start();
  }

  /** The overview was used: keep its view current for a while. */
  async touch(): Promise<void> {
    this.keep_until = this.ctx.now() + this.keep_ms;
    await this.feed();
    this.schedule();
  }

  /** Takes over the response: headers, a hello, then frames until the browser leaves. */
  async attach(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    await this.feed();
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const client: Client = { request, reply, pending: new Map(), writable: true, overflowed: false };
    this.clients.add(client);
    raw.on('drain', () => {
      client.writable = true;
      this.flush(client);
    });
    raw.on('close', () => this.detach(client));
    raw.write(frame('hello', { as_of: this.ctx.now() }));
    this.schedule();
  }

  private detach(client: Client): void {
    this.clients.delete(client);
    if (this.clients.size === 0 && this.heartbeat !== null) {
      clearInterval(this.heartbeat);
      this.heartbeat = null;
    }
  }

  private wanted(): boolean {
    return this.clients.size > 0 || this.ctx.now() < this.keep_until;
  }

  private schedule(): void {
    if (!this.wanted()) {
      this.stop();
      return;
    }
    if (this.timer === null) {
      this.timer = setTimeout(() => {
        this.polling = this.poll()
          .then(() => undefined)
          .catch((err: unknown) => this.ctx.log?.warn({ err }, 'live: reading events failed'))
          .finally(() => {
            this.timer = null;
            this.polling = null;
            this.schedule();
          });
      }, this.poll_ms);
    }
    if (this.heartbeat === null && this.clients.size > 0) {
      this.heartbeat = setInterval(() => void this.beat(), this.heartbeat_ms);
    }
  }

  private stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.timer = null;
    this.heartbeat = null;
    this.feeding = false;
  }

  /** Returns how many events it read (a full page means there may be more). */
  private async poll(): Promise<number> {
    const events = await this.tail.next(this.ctx.now());
    if (events.length === 0) return 0;
    const ids = [...new Set(events.map((e) => e.site_id).filter((s): s is string => s !== null))];
    const sites: SiteSummary[] = await summaries(this.ctx, ids);
    const gone = ids.filter((id) => !sites.some((s) => s.site_id === id));
    this.view?.update(sites, gone);
    for (const c of this.clients) {
      for (const s of sites) this.enqueue(c, `site:${s.site_id}`, frame('site', s));
      for (const id of gone) this.enqueue(c, `site:${id}`, frame('site-removed', { site_id: id }));
      for (const e of events) this.enqueue(c, `event:${e.id}`, frame('event', e));
      this.flush(c);
    }
    return events.length;
  }

  private enqueue(c: Client, key: string, text: string): void {
    if (c.overflowed) return;
    c.pending.delete(key);
    c.pending.set(key, text);
    if (c.pending.size > this.queue_max) {
      c.pending.clear();
      c.overflowed = true;
      c.pending.set('resync', frame('resync', { reason: 'too many updates queued; reload the view' }));
    }
  }

  private flush(c: Client): void {
    for (const [key, text] of c.pending) {
      if (!c.writable) return;
      c.pending.delete(key);
      if (key === 'resync') c.overflowed = false;
      c.writable = c.reply.raw.write(text);
    }
  }

  /** Keeps the stream alive and ends it once its token stops working (revoked). */
  private async beat(): Promise<void> {
    for (const c of [...this.clients]) {
      try {
        await authenticate(this.ctx.store.db, this.ctx.store.hot, c.request);
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'unauthenticated';
        c.reply.raw.end(frame('end', { code }));
        this.detach(c);
        continue;
      }
      if (c.writable) c.writable = c.reply.raw.write(': keep-alive\n\n');
    }
  }

  /** Ends every stream (the controller is closing). */
  async close(): Promise<void> {
    this.keep_until = 0;
    this.stop();
    await this.polling;
    for (const c of [...this.clients]) {
      c.reply.raw.end(frame('end', { code: 'closing' }));
      this.detach(c);
    }
  }
}
