// Delivers notifications from the deliveries table (the outbox). A controller claims a row with a
// conditional UPDATE before sending, so two controllers never both send it, and a claim that
// outlives a crashed controller expires and is taken over. Retries back off, up to a bound.
import type { Logger } from 'pino';
import { eventView } from '../events.js';
import type { Store } from '../store/open.js';
import type { ChannelRow, DeliveryRow } from '../store/tables.js';
import type { Mailer } from './email.js';
import type { Notification } from './message.js';
import { sendWebhook, type WebhookConfig, type WebhookPolicy } from './webhook.js';

export interface OutboxOptions {
  readonly store: Store;
  readonly now: () => number;
  readonly log: Logger;
  /** This controller's id, written into the rows it claims. */
  readonly controller_id: string;
  readonly mailer: Mailer | null;
  readonly max_attempts?: number;
  readonly retry_base_ms?: number;
  readonly retry_max_ms?: number;
  readonly poll_ms?: number;
  readonly send_timeout_ms?: number;
  /**
   * How long a claim holds. Far longer than a send (which is bounded by send_timeout_ms) so that a
   * clock step never lets a second controller take a row that is still being sent; the price is
   * that a controller killed mid-send delays that one notification by this much.
   */
  readonly claim_ms?: number;
  /** Which webhook destinations may be called (link-local never). */
  readonly webhook_policy?: WebhookPolicy;
}

const BATCH = 20;

export class Outbox {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly max_attempts: number;
  private readonly retry_base_ms: number;
  private readonly retry_max_ms: number;
  private readonly poll_ms: number;
  private readonly send_timeout_ms: number;
  private readonly claim_ms: number;

  constructor(private readonly o: OutboxOptions) {
    this.max_attempts = o.max_attempts ?? 6;
    this.retry_base_ms = o.retry_base_ms ?? 2000;
    this.retry_max_ms = o.retry_max_ms ?? 60_000;
    this.poll_ms = o.poll_ms ?? 500;
    this.send_timeout_ms = o.send_timeout_ms ?? 10_000;
    this.claim_ms = Math.max(o.claim_ms ?? 300_000, this.send_timeout_ms * 3);
  }

  start(): void {
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    this.o.mailer?.close();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.poll()
        .then(() => undefined)
        .catch((err: unknown) => this.o.log.error({ err }, 'notification outbox poll failed'))
        .finally(() => {
          this.running = null;
          this.schedule();
        });
    }, this.poll_ms);
  }

  /** One pass: claim what is due and send it. Exposed for tests that drive time themselves. */
  async poll(): Promise<number> {
    const now_ms = this.o.now();
    const { db } = this.o.store;
    const due = await db
      .selectFrom('deliveries')
      .selectAll()
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now_ms)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now_ms)]))
      .orderBy('id')
      .limit(BATCH)
      .execute();
    const claimed: DeliveryRow[] = [];
    for (const row of due) {
      const r = await db
        .updateTable('deliveries')
        .set({ claimed_by: this.o.controller_id, claimed_until: now_ms + this.claim_ms })
        .where('id', '=', row.id)
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now_ms)]))
        .executeTakeFirst();
      if (r.numUpdatedRows === 1n) claimed.push(row);
    }
    await Promise.all(claimed.map((row) => this.deliver(row)));
    return claimed.length;
  }

  private async deliver(row: DeliveryRow): Promise<void> {
    const { db } = this.o.store;
    try {
      await this.send(row);
      await db
        .updateTable('deliveries')
        .set({
          status: 'sent',
          sent_at: this.o.now(),
          attempts: row.attempts + 1,
          claimed_until: null,
          last_error: null,
        })
        .where('id', '=', row.id)
        .execute();
    } catch (err) {
      const attempts = row.attempts + 1;
      const message = err instanceof Error ? err.message : String(err);
      const failed = attempts >= this.max_attempts;
      const backoff_ms = Math.min(this.retry_base_ms * 2 ** (attempts - 1), this.retry_max_ms);
      this.o.log.warn(
        { delivery_id: row.id, attempts, failed, error: message },
        'notification not delivered',
      );
      await db
        .updateTable('deliveries')
        .set({
          status: failed ? 'failed' : 'pending',
          attempts,
          next_attempt_at: this.o.now() + backoff_ms,
          claimed_by: null,
          claimed_until: null,
          last_error: message.slice(0, 500),
        })
        .where('id', '=', row.id)
        .execute();
    }
  }

  private async send(row: DeliveryRow): Promise<void> {
    const { db } = this.o.store;
    const channel = await db
      .selectFrom('channels')
      .selectAll()
      .where('id', '=', row.channel_id)
      .executeTakeFirst();
    if (channel === undefined) throw new Error('the channel was deleted');
    const event = await db
      .selectFrom('events')
      .selectAll()
      .where('id', '=', row.event_id)
      .executeTakeFirstOrThrow();
    const site =
      event.site_id === null
        ? undefined
        : await db.selectFrom('sites').select('name').where('id', '=', event.site_id).executeTakeFirst();
    const n: Notification = { delivery_id: row.id, event: eventView(event), site_name: site?.name ?? null };
    await this.sendTo(channel, n);
  }

  /**
   * Sends a test notification to a channel now, outside the outbox (nothing is stored or retried):
   * the dashboard's "send test" shows what the webhook or SMTP server answered.
   */
  async sendTest(channel: ChannelRow): Promise<void> {
    const at = this.o.now();
    await this.sendTo(channel, {
      delivery_id: 0,
      event: {
        id: 0,
        type: 'test',
        site_id: null,
        node_id: null,
        at,
        details: { message: `a test of channel "${channel.name}" from the tandem dashboard` },
      },
      site_name: null,
    });
  }

  private async sendTo(channel: ChannelRow, n: Notification): Promise<void> {
    if (channel.kind === 'webhook') {
      const config = JSON.parse(channel.config) as WebhookConfig;
      await sendWebhook(
        config,
        n,
        this.o.now(),
        this.send_timeout_ms,
        this.o.webhook_policy ?? { deny_private: false },
      );
      return;
    }
    if (this.o.mailer === null)
      throw new Error('no SMTP server configured; start the controller with --smtp-url');
    await this.o.mailer.send((JSON.parse(channel.config) as { to: string[] }).to, n);
  }
}
