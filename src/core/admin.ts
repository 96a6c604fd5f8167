// Operator commands and the switchover handshake, plus what we announce in each keepalive.
import { outranks } from './rank.js';
import { type CoreState, isFit, livePeer, relinquishing, selfStanding, wanLost } from './state.js';
import type { AdminCommand, Advert, Effect, SwitchoverRefusal } from './types.js';

export function applyAdmin(s: CoreState, command: AdminCommand, now_ms: number, out: Effect[]): CoreState {
  switch (command) {
    case 'switchover':
      return s.state === 'active' ? handOver(s, now_ms, out) : requestTakeover(s, now_ms, out);
    case 'maintenance-on':
      return { ...s, maintenance: true };
    case 'maintenance-off':
      return { ...s, maintenance: false };
    case 'disable':
      return { ...s, disabled: true };
    case 'enable':
      return { ...s, disabled: false };
  }
}

/** Active side: announce relinquish so the healthy standby claims at once; refused if it is not healthy. */
function handOver(s: CoreState, now_ms: number, out: Effect[]): CoreState {
  const refusal = handoverRefusal(s);
  if (refusal !== null) return refuse(s, refusal, out);
  out.push({ kind: 'event', event: { kind: 'switchover-accepted' } });
  // Bounded: if the peer never takes over, we simply stay active.
  return { ...s, handover_until_ms: now_ms + 2 * s.dead_after_ms, preempt_suppressed: true };
}

/** Standby side: ask the active peer to hand over (it checks that we are healthy). */
function requestTakeover(s: CoreState, now_ms: number, out: Effect[]): CoreState {
  const peer = livePeer(s);
  let refusal: SwitchoverRefusal | null = null;
  if (!isFit(s) || s.maintenance || s.disabled) refusal = 'self-unfit';
  else if (wanLost(s, now_ms)) refusal = 'self-wan-down';
  else if (peer === null) refusal = 'peer-silent';
  else if (s.state !== 'standby' || peer.state !== 'active') refusal = 'not-in-a-pair-state';
  else if (s.takeover_request_until_ms !== null) refusal = 'already-in-progress';
  if (refusal !== null) return refuse(s, refusal, out);
  out.push({ kind: 'event', event: { kind: 'switchover-accepted' } });
  return { ...s, takeover_request_until_ms: now_ms + 2 * s.dead_after_ms, preempt_suppressed: false };
}

function handoverRefusal(s: CoreState): SwitchoverRefusal | null {
  const peer = livePeer(s);
  if (peer === null) return 'peer-silent';
  if (peer.state !== 'standby' || !peer.fit) return 'peer-unfit';
  if (!peer.wan_ok) return 'peer-wan-down';
  if (s.handover_until_ms !== null) return 'already-in-progress';
  return null;
}

function refuse(s: CoreState, reason: SwitchoverRefusal, out: Effect[]): CoreState {
  out.push({ kind: 'event', event: { kind: 'switchover-refused', reason } });
  return s;
}

/** The active node answers a standby's takeover request once, as if the operator had asked it. */
export function answerPeerRequest(s: CoreState, now_ms: number, out: Effect[]): CoreState {
  const peer = livePeer(s);
  // A preferred peer's request is answered by stepping down (decide), not by a relinquish handover.
  const asking =
    s.state === 'active' &&
    peer !== null &&
    peer.takeover_request &&
    !outranks(peer, selfStanding(s, now_ms));
  if (!asking) return s.peer_request_answered ? { ...s, peer_request_answered: false } : s;
  if (s.peer_request_answered) return s;
  return { ...handOver(s, now_ms, out), peer_request_answered: true };
}

export function advertOf(s: CoreState, now_ms: number): Advert {
  const c = s.config;
  return {
    node_id: c.node_id,
    role: c.role,
    state: s.state,
    priority: c.priority,
    relinquish: relinquishing(s, now_ms),
    wan_ok: !wanLost(s, now_ms),
    ha_port_ok: s.ha_port_ok,
    fit: isFit(s),
    takeover_request: s.takeover_request_until_ms !== null && s.state !== 'active',
    peer_heard: s.peer_alive,
    interval_ms: c.interval_ms,
    version: c.version,
  };
}
