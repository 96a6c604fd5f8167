// The machine's memory and the facts derived from it. Plain immutable data, replaced on every step.
import { outranks, type Standing } from './rank.js';
import type { Advert, CoreConfig, NodeState, Readiness } from './types.js';

export interface CoreState {
  readonly config: CoreConfig;
  readonly dead_after_ms: number;
  readonly started: boolean;
  readonly state: NodeState;
  /**
   * A booting node, and one that was deaf (its port down, in fault, paused), listens until then: it
   * never claims on silence before, only on what it hears.
   */
  readonly listen_until_ms: number;
  /** Since when the node can hear (its start, or the end of its last deafness). */
  readonly hearing_since_ms: number;
  readonly ha_port_ok: boolean;
  /** Paths whose local address is gone (an admin down flushed it): nothing reaches us on them. */
  readonly deaf_paths: readonly string[];
  readonly failed_checks: readonly string[];
  /** Since when every WAN probe has been failing; null while any succeeds. */
  readonly wan_down_since_ms: number | null;
  readonly maintenance: boolean;
  readonly disabled: boolean;
  readonly peer_advert: Advert | null;
  readonly last_seen_ms: Readonly<Record<string, number | null>>;
  readonly path_up: Readonly<Record<string, boolean>>;
  readonly peer_alive: boolean;
  readonly next_send_ms: number;
  readonly last_advert: Advert | null;
  readonly preempt_at_ms: number | null;
  /** Set by a switchover away from us, so that preemption does not undo the operator's choice. */
  readonly preempt_suppressed: boolean;
  /** An accepted switchover: we announce relinquish until the peer takes over or this passes. */
  readonly handover_until_ms: number | null;
  /** A standby's switchover request, carried in its keepalives until answered or this passes. */
  readonly takeover_request_until_ms: number | null;
  /** The request is a preemption: the active peer steps down first, then we claim (no overlap). */
  readonly preempt_requested: boolean;
  /** The peer's takeover request has been answered (accepted or refused); cleared when it stops asking. */
  readonly peer_request_answered: boolean;
  readonly split_brain: boolean;
  /** The traffic was seen at the peer while we were active, and we answered (once per episode). */
  readonly observed_peer_answered: boolean;
  readonly version_mismatch: boolean;
  readonly readiness: Readiness;
}

export function isFit(s: CoreState): boolean {
  if (s.failed_checks.length > 0) return false;
  // With the HA link through a switch, our own port down means the fault is ours: never take over.
  return !(s.config.ha_link === 'switch' && !s.ha_port_ok);
}

/** WAN lost = every probe has failed for at least the relinquish threshold (10 s by default). */
export function wanLost(s: CoreState, now_ms: number): boolean {
  return s.wan_down_since_ms !== null && now_ms - s.wan_down_since_ms >= s.config.wan_loss_relinquish_ms;
}

/** When the peer was last heard on any path; -Infinity if never. */
export function lastHeard(s: CoreState): number {
  return Math.max(...Object.values(s.last_seen_ms).map((v) => v ?? Number.NEGATIVE_INFINITY));
}

/** No path can hear the peer (every local address is gone): its silence is no evidence of anything. */
export function deafOnEveryPath(s: CoreState): boolean {
  return s.config.paths.every((p) => s.deaf_paths.includes(p));
}

/** Still listening after boot or deafness, and nothing heard since: silence proves nothing yet. */
export function listening(s: CoreState, now_ms: number): boolean {
  return now_ms < s.listen_until_ms && lastHeard(s) < s.hearing_since_ms;
}

/** The peer's advert while it is alive, else null: a dead peer's last words count for nothing. */
export function livePeer(s: CoreState): Advert | null {
  return s.peer_alive ? s.peer_advert : null;
}

export function selfStanding(s: CoreState, now_ms: number): Standing {
  const { role, priority, node_id } = s.config;
  return { wan_ok: !wanLost(s, now_ms), role, priority, node_id };
}

export function relinquishing(s: CoreState, now_ms: number): boolean {
  if (s.state !== 'active') return false;
  return wanLost(s, now_ms) || s.handover_until_ms !== null || s.maintenance;
}

/** A recovered node that outranks the active peer takes the role back, after the preempt delay. */
export function preemptWanted(s: CoreState, now_ms: number): boolean {
  const peer = livePeer(s);
  return (
    s.config.preempt &&
    !s.preempt_suppressed &&
    !s.disabled &&
    !s.maintenance &&
    s.state !== 'active' &&
    isFit(s) &&
    // Taking the role from a live active needs our WAN working now, not merely "not yet lost".
    s.wan_down_since_ms === null &&
    peer !== null &&
    peer.state === 'active' &&
    outranks(selfStanding(s, now_ms), peer)
  );
}
