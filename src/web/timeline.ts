// A site's state timeline: from its state-change events, each node's state over a window as
// segments, and its failovers as markers with how long they took. Pure, so it is tested without a
// browser; chart.ts draws it.
import type { EventView, Role } from './types.js';

export interface Window {
  readonly from: number;
  readonly to: number;
}

export interface Segment {
  readonly role: Role;
  readonly state: string;
  readonly from: number;
  readonly to: number;
}

export interface Failover {
  readonly event_id: number;
  /** When the secondary became active: where the marker stands. */
  readonly at: number;
  /** How long the secondary took to move the traffic (its claim), when it reported it. */
  readonly claim_ms: number | null;
  /** How long the secondary had been active when the failover was recorded. */
  readonly active_for_ms: number | null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * Each role's segments over the window. The state before the first change in the window is that
 * change's `from`; with no change at all it is the node's current state (`now`).
 */
export function segments(
  changes: readonly EventView[],
  w: Window,
  now: { readonly primary: string | null; readonly secondary: string | null },
): Segment[] {
  const out: Segment[] = [];
  for (const role of ['primary', 'secondary'] as const) {
    const mine = changes
      .filter((e) => e.type === 'state-change' && e.details.role === role && e.at < w.to)
      .sort((a, b) => a.at - b.at || a.id - b.id);
    const before = mine.filter((e) => e.at < w.from);
    const inside = mine.filter((e) => e.at >= w.from);
    let state =
      before.length > 0
        ? String(before[before.length - 1]!.details.to)
        : inside.length > 0
          ? String(inside[0]!.details.from ?? 'unknown')
          : (now[role] ?? 'unknown');
    let cursor = w.from;
    for (const e of inside) {
      if (e.at > cursor) out.push({ role, state, from: cursor, to: e.at });
      state = String(e.details.to);
      cursor = e.at;
    }
    if (w.to > cursor) out.push({ role, state, from: cursor, to: w.to });
  }
  return out;
}

export function failovers(events: readonly EventView[], w: Window): Failover[] {
  return events
    .filter((e) => e.type === 'failover')
    .map((e) => ({
      event_id: e.id,
      at: num(e.details.active_since) ?? e.at,
      claim_ms: num(e.details.claim_ms),
      active_for_ms: num(e.details.active_for_ms),
    }))
    .filter((f) => f.at >= w.from && f.at < w.to)
    .sort((a, b) => a.at - b.at);
}

export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;
