// What a notification says, the same for every channel.
import type { EventView } from '../events.js';

export interface Notification {
  readonly delivery_id: number;
  /** A recorded event, or the channel's "send test" (type `test`, never stored). */
  readonly event: Omit<EventView, 'type'> & { readonly type: EventView['type'] | 'test' };
  readonly site_name: string | null;
}

export function subjectOf(n: Notification): string {
  const site = n.site_name ?? n.event.site_id ?? 'no site';
  return `[tandem] ${n.event.type} at site ${site}`;
}

export function textOf(n: Notification): string {
  const lines = [
    `event: ${n.event.type}`,
    `site: ${n.site_name ?? '-'} (${n.event.site_id ?? '-'})`,
    `node: ${n.event.node_id ?? '-'}`,
    `at: ${new Date(n.event.at).toISOString()}`,
  ];
  for (const [k, v] of Object.entries(n.event.details)) lines.push(`${k}: ${JSON.stringify(v)}`);
  return `${lines.join('\n')}\n`;
}
