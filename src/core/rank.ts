// Who should hold the active role when both nodes can: the one order every decision uses.
import type { Role } from './types.js';

/** The facts a node's standing is judged by; both nodes judge each other from the same facts. */
export interface Standing {
  readonly wan_ok: boolean;
  readonly role: Role;
  readonly priority: number;
  readonly node_id: number;
}

/**
 * Positive when `a` should be active rather than `b`: WAN first (the healthier node), then the
 * primary, then the higher priority, then the lower node id so that no two nodes ever tie.
 */
export function compareStanding(a: Standing, b: Standing): number {
  if (a.wan_ok !== b.wan_ok) return a.wan_ok ? 1 : -1;
  if (a.role !== b.role) return a.role === 'primary' ? 1 : -1;
  if (a.priority !== b.priority) return a.priority - b.priority;
  return b.node_id - a.node_id;
}

export function outranks(a: Standing, b: Standing): boolean {
  return compareStanding(a, b) > 0;
}

/**
 * Split brain: both active. A node that announces relinquish always yields (it asked to be
 * relieved: WAN lost, switchover, maintenance); otherwise the ordinary standing decides.
 */
export function winsSplitBrain(
  self: Standing & { readonly relinquish: boolean },
  peer: Standing & { readonly relinquish: boolean },
): boolean {
  if (self.relinquish !== peer.relinquish) return peer.relinquish;
  return outranks(self, peer);
}
