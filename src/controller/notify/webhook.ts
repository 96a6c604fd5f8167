// Webhook channel: a JSON POST signed with HMAC-SHA-256 over "<timestamp>.<body>", so a receiver
// can check both origin and freshness.
import { createHmac } from 'node:crypto';
import { type Notification, subjectOf } from './message.js';

export interface WebhookConfig {
  readonly url: string;
  readonly secret: string;
}

export const SIGNATURE_HEADER = 'x-tandem-signature';
export const TIMESTAMP_HEADER = 'x-tandem-timestamp';

export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export async function sendWebhook(
  config: WebhookConfig,
  n: Notification,
  now_ms: number,
  timeout_ms: number,
): Promise<void> {
  const body = JSON.stringify({
    delivery_id: n.delivery_id,
    summary: subjectOf(n),
    site_name: n.site_name,
    event: n.event,
  });
  const timestamp = String(now_ms);
  const response = await fetch(config.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-tandem-event': n.event.type,
      'x-tandem-delivery': String(n.delivery_id),
      [TIMESTAMP_HEADER]: timestamp,
      [SIGNATURE_HEADER]: signature(config.secret, timestamp, body),
    },
    body,
    signal: AbortSignal.timeout(timeout_ms),
  });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`webhook answered HTTP ${response.status}`);
}
