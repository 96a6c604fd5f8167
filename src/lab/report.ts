// What a lab node tells the controller: the core's view of itself in the controller's report shape.
import type { NodeReport } from '../agent/controller-client.js';
import { VERSION } from '../cli/version.js';
import type { NodeStatus, Readiness } from '../core/index.js';

export function reportOf(status: NodeStatus, readiness: Readiness | null): NodeReport {
  const r = readiness ?? status.readiness;
  const seen = Object.values(status.peer.last_seen_ms).filter((t): t is number => t !== null);
  return {
    state: status.state,
    wan_ok: status.wan_ok,
    hears_peer: status.peer.alive,
    version: VERSION,
    indicators: { connected: r.connected, keepalive: r.keepalive, same_version: r.same_version },
    wan: [],
    // last_seen_ms is on the agent's monotonic clock; the controller wants epoch ms.
    last_keepalive_at:
      seen.length === 0 ? null : Math.round(Date.now() - (performance.now() - Math.max(...seen))),
    action_results: [],
  };
}
