// The site page reads the full status; these turn it into the list's words (the controller's
// overview.ts does the same on the server).
import type { Health, NodeBrief, NodeStatus, SiteStatus } from './types.js';

export function nodeBriefOf(n: NodeStatus | null): NodeBrief | null {
  if (n === null) return null;
  const reported = n.last_report_at !== null;
  return {
    state: n.state,
    stale: reported && n.stale,
    reported,
    enrolled: n.enrolled,
    version: n.version,
    wan_ok: n.wan_ok,
    hears_peer: n.hears_peer,
    wan_down: (n.wan ?? []).filter((l) => !l.up).map((l) => l.name),
    last_report_at: n.last_report_at,
  };
}

export function healthOfStatus(s: SiteStatus): Health {
  if (!s.ha_enabled) return 'ha-off';
  if (s.split_brain) return 'split-brain';
  const nodes = [s.nodes.primary, s.nodes.secondary];
  if (nodes.some((n) => n !== null && n.last_report_at !== null && n.stale)) return 'stale';
  return s.ready ? 'ready' : 'not-ready';
}
