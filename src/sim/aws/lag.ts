// Optional read lag (EC2 is eventually consistent): for a while after a change, Describe calls still show the
// resource as it was before, so drivers learn to confirm with backoff instead of trusting one read.
import type { ResourceRef } from './actions.js';
import type { AwsState } from './model.js';
import { renderAddress, renderEni, renderRouteTable } from './render.js';
import type { XmlObject } from './xml.js';

interface Stale {
  until_ms: number;
  xml: XmlObject;
}

// Bounded: a long rehearsal with lag on must not keep every old view.
const STALE_MAX = 10_000;

export class ReadLag {
  private readonly stale = new Map<string, Stale>();

  /** Renders the resources a mutation names, before it runs. */
  capture(state: AwsState, refs: ResourceRef[]): Map<string, XmlObject> {
    const out = new Map<string, XmlObject>();
    for (const ref of refs) {
      if (ref.id === '*') continue;
      const d = state.data;
      if (ref.kind === 'route-table' && d.route_tables[ref.id])
        out.set(ref.id, renderRouteTable(state, d.route_tables[ref.id]!));
      if (ref.kind === 'network-interface' && d.enis[ref.id])
        out.set(ref.id, renderEni(state, d.enis[ref.id]!));
      if (ref.kind === 'elastic-ip' && d.addresses[ref.id])
        out.set(ref.id, renderAddress(state, d.addresses[ref.id]!));
    }
    return out;
  }

  /** After a successful mutation: readers see the captured views until `lag_ms` has passed. */
  commit(captured: Map<string, XmlObject>, now_ms: number, lag_ms: number): void {
    for (const [id, xml] of captured) {
      // A second change within the window keeps the oldest view: readers lag behind both.
      const old = this.stale.get(id);
      this.stale.set(id, { until_ms: now_ms + lag_ms, xml: old && old.until_ms > now_ms ? old.xml : xml });
    }
    if (this.stale.size > STALE_MAX) {
      for (const [id, s] of this.stale) if (s.until_ms <= now_ms) this.stale.delete(id);
    }
  }

  view(id: string, now_ms: number): XmlObject | undefined {
    const s = this.stale.get(id);
    if (!s) return undefined;
    if (s.until_ms > now_ms) return s.xml;
    this.stale.delete(id);
    return undefined;
  }
}
