// The one place that chooses this node's state. Every branch is a rule from PRODUCT.md.
import { outranks, winsSplitBrain } from './rank.js';
import {
  type CoreState,
  deafOnEveryPath,
  isFit,
  listening,
  livePeer,
  relinquishing,
  selfStanding,
} from './state.js';
import type { NodeState } from './types.js';

export interface Decision {
  readonly state: NodeState;
  readonly reason: string;
}

export function decide(s: CoreState, now_ms: number): Decision {
  if (s.disabled) return { state: 'disabled', reason: 'disabled by the operator' };
  if (!isFit(s)) return { state: 'fault', reason: faultReason(s) };
  const peer = livePeer(s);
  const peerActive = peer !== null && peer.state === 'active';
  if (s.maintenance) {
    // Drain without an outage: keep serving until the peer has taken over.
    if (s.state === 'active' && !peerActive) return keep(s, 'draining: waiting for the peer to take over');
    return { state: 'maintenance', reason: 'maintenance' };
  }
  if (s.state === 'init' && now_ms < s.listen_until_ms) {
    if (peerActive) return { state: 'standby', reason: 'peer is active' };
    return keep(s, 'listening for one dead interval after start');
  }
  if (s.state === 'active') return decideWhileActive(s, now_ms);
  return decideWhileWaiting(s, now_ms);
}

function decideWhileActive(s: CoreState, now_ms: number): Decision {
  const peer = livePeer(s);
  if (peer === null) return keep(s, 'active');
  // A preferred standby asks for the role back: step down first, it claims when it hears us (no overlap).
  const reclaims = peer.state === 'standby' && peer.takeover_request && peer.fit;
  if (reclaims && outranks(peer, selfStanding(s, now_ms)))
    return { state: 'standby', reason: 'peer takes the role back' };
  if (peer.state !== 'active') return keep(s, 'active');
  const self = { ...selfStanding(s, now_ms), relinquish: relinquishing(s, now_ms) };
  if (winsSplitBrain(self, peer)) return keep(s, 'split brain: this node wins');
  return { state: 'standby', reason: self.relinquish ? 'peer took over' : 'split brain: peer wins' };
}

function decideWhileWaiting(s: CoreState, now_ms: number): Decision {
  const d = elect(s, now_ms);
  if (d.state !== 'active' || !listening(s, now_ms)) return d;
  // After a restart or deafness, only what we hear may make us claim; old silence or old adverts may not.
  return { state: s.state === 'init' ? 'init' : 'standby', reason: 'listening for one dead interval' };
}

function elect(s: CoreState, now_ms: number): Decision {
  const peer = livePeer(s);
  // Every takeover from a live or silent active needs our own WAN working now: a restarted node cannot
  // know how long it has been down, and silence cannot tell a dead peer from a partition.
  const wanUp = s.wan_down_since_ms === null;
  if (peer === null) {
    // Every path lost its local address: we cannot hear, so the silence says nothing about the peer.
    if (deafOnEveryPath(s))
      return {
        state: s.state === 'init' ? 'init' : 'standby',
        reason: 'deaf: no path has its local address',
      };
    if (!wanUp) return { state: 'standby', reason: 'peer silent but own WAN down' };
    return { state: 'active', reason: s.peer_advert === null ? 'no peer heard' : 'peer dead' };
  }
  switch (peer.state) {
    case 'active':
      // Take a relinquished role only with a working WAN right now, or the pair would pass it back and forth.
      if (peer.relinquish && s.wan_down_since_ms === null)
        return { state: 'active', reason: 'peer relinquished' };
      // Preemption: we asked (schedulePreempt) and claim once the peer has stepped down.
      return { state: 'standby', reason: 'peer is active' };
    case 'fault':
    case 'maintenance':
    case 'disabled':
      return { state: 'active', reason: `peer in ${peer.state}` };
    case 'init':
    case 'standby':
      // Nobody active yet: the better node claims, the other waits for it.
      if (outranks(selfStanding(s, now_ms), peer))
        return { state: 'active', reason: s.preempt_requested ? 'preempt' : 'elected' };
      return { state: 'standby', reason: 'peer is preferred' };
  }
}

function keep(s: CoreState, reason: string): Decision {
  return { state: s.state, reason };
}

function faultReason(s: CoreState): string {
  if (s.failed_checks.length > 0) return `check failed: ${s.failed_checks.join(', ')}`;
  return 'HA port down (switch mode)';
}
