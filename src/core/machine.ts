// step(state, input, now) → { state, effects }: the whole HA behaviour of one node, with no I/O.

import { advertOf, answerPeerRequest, applyAdmin } from './admin.js';
import { decide } from './decide.js';
import { type Standing, winsSplitBrain } from './rank.js';
import { type NodeView, readiness, sameReadiness } from './readiness.js';
import {
  type CoreState,
  deafOnEveryPath,
  isFit,
  lastHeard,
  livePeer,
  preemptWanted,
  relinquishing,
  selfStanding,
  wanLost,
} from './state.js';
import type {
  Advert,
  CoreConfig,
  CoreEvent,
  DeafCause,
  Effect,
  Input,
  NodeState,
  Readiness,
  Role,
  Step,
} from './types.js';

export type { CoreState } from './state.js';

const NOT_READY: Readiness = {
  connected: false,
  keepalive: false,
  same_version: false,
  ready: false,
  active: 'none',
};

export function initialState(config: CoreConfig): CoreState {
  assertConfig(config);
  const paths = Object.fromEntries(config.paths.map((p) => [p, null]));
  return {
    config,
    dead_after_ms: deadAfter(config, null),
    started: false,
    state: 'init',
    listen_until_ms: 0,
    hearing_since_ms: 0,
    ha_port_ok: true,
    deaf_paths: [],
    failed_checks: [],
    wan_down_since_ms: null,
    maintenance: false,
    disabled: false,
    peer_advert: null,
    last_seen_ms: paths,
    path_up: Object.fromEntries(config.paths.map((p) => [p, false])),
    peer_alive: false,
    next_send_ms: 0,
    last_advert: null,
    preempt_at_ms: null,
    preempt_suppressed: false,
    handover_until_ms: null,
    takeover_request_until_ms: null,
    preempt_requested: false,
    peer_request_answered: false,
    split_brain: false,
    observed_peer_answered: false,
    version_mismatch: false,
    readiness: NOT_READY,
  };
}

function assertConfig(c: CoreConfig): void {
  const problems: string[] = [];
  if (!(c.interval_ms >= 1)) problems.push(`interval_ms must be ≥ 1, got ${c.interval_ms}`);
  if (!(c.dead_multiplier >= 2)) problems.push(`dead_multiplier must be ≥ 2, got ${c.dead_multiplier}`);
  if (c.paths.length === 0) problems.push('at least one keepalive path is required');
  if (!(c.preempt_delay_ms >= 0)) problems.push(`preempt_delay_ms must be ≥ 0, got ${c.preempt_delay_ms}`);
  if (problems.length > 0) throw new Error(`invalid core config: ${problems.join('; ')}`);
}

export function step(s: CoreState, input: Input, now_ms: number): Step<CoreState> {
  const out: Effect[] = [];
  const fitBefore = isFit(s);
  s = applyInput(s, input, now_ms, out);
  if (!s.started) return { state: s, effects: out };
  // Leaving a fault: what we missed meanwhile is unknown (a port-down fault is told by ha-link itself).
  if (!fitBefore && isFit(s) && input.kind !== 'ha-link') s = deafUntilHeard(s, 'fault', now_ms, out);
  const wasAlive = s.peer_alive;
  s = trackPeer(s, now_ms, out);
  s = answerPeerRequest(s, now_ms, out);
  s = expireRequests(s, now_ms);
  s = schedulePreempt(s, now_ms, out);
  const before = s;
  s = transition(s, now_ms, out);
  s = noteSplitBrain(before, s, wasAlive, out);
  s = sendKeepalive(s, now_ms, out);
  s = updateReadiness(s, now_ms, out);
  out.push({ kind: 'arm-timer', ...nextDeadline(s, now_ms) });
  return { state: s, effects: out };
}

function applyInput(s: CoreState, input: Input, now_ms: number, out: Effect[]): CoreState {
  switch (input.kind) {
    case 'start':
      if (s.started) return s;
      return {
        ...s,
        started: true,
        state: 'init',
        listen_until_ms: now_ms + s.dead_after_ms,
        hearing_since_ms: now_ms,
        next_send_ms: now_ms,
      };
    case 'tick':
      return s;
    case 'keepalive':
      if (!(input.path in s.last_seen_ms)) return s;
      return {
        ...s,
        peer_advert: input.advert,
        dead_after_ms: deadAfter(s.config, input.advert),
        last_seen_ms: { ...s.last_seen_ms, [input.path]: now_ms },
      };
    case 'ha-link': {
      if (s.ha_port_ok === input.up) return s;
      const next = { ...s, ha_port_ok: input.up };
      // Whatever the mode, nothing reached us while our own port was down.
      return input.up && s.started ? deafUntilHeard(next, 'ha-port-down', now_ms, out) : next;
    }
    case 'deaf':
      return s.started ? deafUntilHeard(s, 'paused', now_ms, out) : s;
    case 'path-deaf':
      return pathDeaf(s, input.path, input.deaf, now_ms, out);
    case 'wan':
      if (input.ok) return s.wan_down_since_ms === null ? s : { ...s, wan_down_since_ms: null };
      return s.wan_down_since_ms === null ? { ...s, wan_down_since_ms: now_ms } : s;
    case 'check': {
      const others = s.failed_checks.filter((n) => n !== input.name);
      return { ...s, failed_checks: input.ok ? others : [...others, input.name].sort() };
    }
    case 'admin':
      return s.started ? applyAdmin(s, input.command, now_ms, out) : s;
    case 'observed':
      return s.started ? applyObserved(s, input.target, now_ms, out) : s;
    case 'reconfigure':
      return reconfigure(s, input.config);
  }
}

/**
 * The new config replaces the old one; what was heard and the state held stay. A new path starts unheard,
 * a removed one is forgotten, so the peer stays alive as long as one kept path still hears it.
 */
function reconfigure(s: CoreState, config: CoreConfig): CoreState {
  assertConfig(config);
  if (config.node_id !== s.config.node_id || config.role !== s.config.role)
    throw new Error('invalid core config: node id and role cannot change while running');
  const last_seen_ms = Object.fromEntries(config.paths.map((p) => [p, s.last_seen_ms[p] ?? null]));
  const path_up = Object.fromEntries(config.paths.map((p) => [p, s.path_up[p] ?? false]));
  const deaf_paths = s.deaf_paths.filter((p) => config.paths.includes(p));
  return {
    ...s,
    config,
    dead_after_ms: deadAfter(config, s.peer_advert),
    last_seen_ms,
    path_up,
    deaf_paths,
    // The next keepalive goes at once: the peer learns a new interval or priority without delay.
    next_send_ms: s.started ? Math.min(s.next_send_ms, 0) : s.next_send_ms,
  };
}

/** The largest keepalive interval a peer's advert can stretch our dead deadline to (the agent's own bound). */
export const PEER_INTERVAL_MAX_MS = 60_000;

/**
 * The peer is dead after dead_multiplier of the slower of the two intervals: ours, and the one its last
 * keepalive advertised (VRRPv3's backups likewise follow the master's advertised interval). During a
 * managed change the two nodes take a new interval up to one report interval apart; a node that sped up
 * first must not hold its slower peer to the new, shorter deadline.
 */
export function deadAfter(config: CoreConfig, peer: Advert | null): number {
  const theirs = Math.min(peer?.interval_ms ?? 0, PEER_INTERVAL_MAX_MS);
  return Math.max(config.interval_ms, theirs) * config.dead_multiplier;
}

/**
 * A path's local address went away or came back. While no path can hear, the peer's silence proves
 * nothing (decide); when one can again, the node listens as after its own port down.
 */
function pathDeaf(s: CoreState, path: string, deaf: boolean, now_ms: number, out: Effect[]): CoreState {
  if (!s.config.paths.includes(path) || s.deaf_paths.includes(path) === deaf) return s;
  const wasDeaf = deafOnEveryPath(s);
  const deaf_paths = deaf ? [...s.deaf_paths, path].sort() : s.deaf_paths.filter((p) => p !== path);
  const next = { ...s, deaf_paths };
  return wasDeaf && !deafOnEveryPath(next) && s.started
    ? deafUntilHeard(next, 'address-gone', now_ms, out)
    : next;
}

/**
 * Silence the node could not have heard (own port down, fault, a paused process) is no evidence of the
 * peer's death: as at boot, it claims only on what it hears from now on, or after one dead interval.
 */
function deafUntilHeard(s: CoreState, cause: DeafCause, now_ms: number, out: Effect[]): CoreState {
  const until_ms = Math.max(s.listen_until_ms, now_ms + s.dead_after_ms);
  event(out, { kind: 'deaf', cause, until_ms });
  return { ...s, listen_until_ms: until_ms, hearing_since_ms: now_ms };
}

/**
 * The cloud as arbiter: the traffic points at the peer while we are active, so both have claimed. The
 * node that should win claims again; the other does not fight. Once per episode, so that two nodes with
 * stale views of each other cannot pass a route back and forth.
 */
function applyObserved(
  s: CoreState,
  target: 'self' | 'peer' | 'other' | 'none',
  now_ms: number,
  out: Effect[],
): CoreState {
  if (target !== 'peer') return s.observed_peer_answered ? { ...s, observed_peer_answered: false } : s;
  if (s.state !== 'active' || s.observed_peer_answered) return s;
  const peer = livePeer(s);
  // A live peer that is not active holds the traffic only by a late claim (two nodes booting at once):
  // the active node takes it. Otherwise both serve, and the split-brain rule picks the owner.
  const self = { ...selfStanding(s, now_ms), relinquish: relinquishing(s, now_ms) };
  const win = (peer !== null && peer.state !== 'active') || winsSplitBrain(self, lastKnownPeer(s));
  event(out, { kind: 'split-brain', winner: win ? 'self' : 'peer' });
  if (win) out.push({ kind: 'claim' });
  return { ...s, observed_peer_answered: true };
}

/** The peer as last heard, or as the config describes it when it was never heard. */
function lastKnownPeer(s: CoreState): Standing & { readonly relinquish: boolean } {
  const p = s.peer_advert;
  if (p !== null)
    return {
      wan_ok: p.wan_ok,
      role: p.role,
      priority: p.priority,
      node_id: p.node_id,
      relinquish: p.relinquish,
    };
  const role = s.config.role === 'primary' ? 'secondary' : 'primary';
  return { wan_ok: true, role, priority: s.config.priority, node_id: -1, relinquish: false };
}

/** Per-path and overall liveness: the peer is dead only when it is silent on every path. */
function trackPeer(s: CoreState, now_ms: number, out: Effect[]): CoreState {
  const path_up: Record<string, boolean> = {};
  let changed = false;
  for (const path of s.config.paths) {
    const seen = s.last_seen_ms[path];
    const up = seen !== null && seen !== undefined && now_ms - seen < s.dead_after_ms;
    path_up[path] = up;
    if (up !== s.path_up[path]) {
      changed = true;
      event(out, up ? { kind: 'path-up', path } : { kind: 'path-down', path });
    }
  }
  const alive = Object.values(path_up).some(Boolean);
  if (alive !== s.peer_alive) {
    if (alive) event(out, { kind: 'peer-alive', path: s.config.paths.find((p) => path_up[p]) ?? '' });
    else event(out, { kind: 'peer-dead', silent_ms: now_ms - lastHeard(s) });
  }
  const mismatch = alive && s.peer_advert !== null && s.peer_advert.version.major !== s.config.version.major;
  if (mismatch && !s.version_mismatch && s.peer_advert) {
    event(out, { kind: 'version-mismatch', self: s.config.version, peer: s.peer_advert.version });
  }
  if (!changed && alive === s.peer_alive && mismatch === s.version_mismatch) return s;
  return { ...s, path_up, peer_alive: alive, version_mismatch: mismatch };
}

function expireRequests(s: CoreState, now_ms: number): CoreState {
  const handoverOver = s.handover_until_ms !== null && now_ms >= s.handover_until_ms;
  const requestOver = s.takeover_request_until_ms !== null && now_ms >= s.takeover_request_until_ms;
  if (!handoverOver && !requestOver) return s;
  return {
    ...s,
    handover_until_ms: handoverOver ? null : s.handover_until_ms,
    takeover_request_until_ms: requestOver ? null : s.takeover_request_until_ms,
    preempt_requested: requestOver ? false : s.preempt_requested,
  };
}

/**
 * The preempt delay runs while preemption stays wanted; any interruption starts it again. When it is
 * over we ask the active peer to step down and claim once it has: never two holders of the traffic.
 */
function schedulePreempt(state: CoreState, now_ms: number, out: Effect[]): CoreState {
  let s = state;
  if (!preemptWanted(s, now_ms)) return s.preempt_at_ms === null ? s : { ...s, preempt_at_ms: null };
  if (s.preempt_at_ms === null) {
    // Never before the boot listen is over: a starting node must not claim at once. (After deafness,
    // hearing the active peer is enough: the role is taken back by asking it, never by silence.)
    const gate_ms = s.state === 'init' ? s.listen_until_ms : now_ms;
    const at_ms = Math.max(now_ms + s.config.preempt_delay_ms, gate_ms);
    if (s.config.preempt_delay_ms > 0) event(out, { kind: 'preempt-scheduled', at_ms });
    s = { ...s, preempt_at_ms: at_ms };
  }
  if (s.preempt_at_ms === null || now_ms < s.preempt_at_ms || s.takeover_request_until_ms !== null) return s;
  // Bounded like an operator's request; a peer that never steps down is asked again.
  return { ...s, takeover_request_until_ms: now_ms + 2 * s.dead_after_ms, preempt_requested: true };
}

function transition(s: CoreState, now_ms: number, out: Effect[]): CoreState {
  const d = decide(s, now_ms);
  if (d.state === s.state) return s;
  event(out, { kind: 'state-change', from: s.state, to: d.state, reason: d.reason });
  if (d.state === 'active') out.push({ kind: 'claim' });
  if (s.state === 'active') out.push({ kind: 'release' });
  const next: CoreState = { ...s, state: d.state };
  if (d.state === 'active') {
    return {
      ...next,
      preempt_at_ms: null,
      preempt_suppressed: false,
      takeover_request_until_ms: null,
      preempt_requested: false,
      observed_peer_answered: false,
    };
  }
  return s.state === 'active' ? { ...next, handover_until_ms: null } : next;
}

/**
 * Both active. Seen by the nodes only when a partition heals (the peer comes back active); the
 * overlap of a preemption or switchover is a planned handover, not a split brain.
 */
function noteSplitBrain(before: CoreState, after: CoreState, wasAlive: boolean, out: Effect[]): CoreState {
  const peer = livePeer(before);
  const both = before.state === 'active' && peer !== null && peer.state === 'active';
  if (both && !wasAlive)
    event(out, { kind: 'split-brain', winner: after.state === 'active' ? 'self' : 'peer' });
  // A healed partition that leaves us active: the peer may have claimed while we could not hear it (it
  // comes back active, or already stepped down when it heard us first), so ours must be the last claim
  // the network sees. A restarting peer comes back in `init` and needs none.
  const healed =
    !wasAlive && before.state === 'active' && (peer?.state === 'active' || peer?.state === 'standby');
  if (healed && after.state === 'active') out.push({ kind: 'claim' });
  const still = both && after.state === 'active';
  return still === after.split_brain ? after : { ...after, split_brain: still };
}

/** On schedule, and at once whenever what we announce changes, so the peer learns without delay. */
function sendKeepalive(s: CoreState, now_ms: number, out: Effect[]): CoreState {
  const advert = advertOf(s, now_ms);
  const changed = s.last_advert === null || !sameAdvert(advert, s.last_advert);
  if (!changed && now_ms < s.next_send_ms) return s;
  if (changed && s.last_advert !== null && advert.relinquish && !s.last_advert.relinquish) {
    event(out, { kind: 'relinquish', reason: relinquishReason(s, now_ms) });
  }
  out.push({ kind: 'send-keepalive', advert });
  const interval = s.config.interval_ms;
  const scheduled = s.next_send_ms + interval;
  return {
    ...s,
    last_advert: advert,
    next_send_ms: changed || scheduled <= now_ms ? now_ms + interval : scheduled,
  };
}

function relinquishReason(s: CoreState, now_ms: number): 'wan-lost' | 'switchover' | 'maintenance' {
  if (s.maintenance) return 'maintenance';
  if (s.handover_until_ms !== null) return 'switchover';
  return wanLost(s, now_ms) ? 'wan-lost' : 'switchover';
}

function sameAdvert(a: Advert, b: Advert): boolean {
  return (
    a.state === b.state &&
    a.relinquish === b.relinquish &&
    a.wan_ok === b.wan_ok &&
    a.ha_port_ok === b.ha_port_ok &&
    a.fit === b.fit &&
    a.takeover_request === b.takeover_request &&
    a.peer_heard === b.peer_heard
  );
}

function updateReadiness(s: CoreState, now_ms: number, out: Effect[]): CoreState {
  const self: NodeView = {
    role: s.config.role,
    state: s.state,
    wan_ok: !wanLost(s, now_ms),
    hears_peer: s.peer_alive,
    version: s.config.version,
  };
  const p = livePeer(s);
  const peer: NodeView | null =
    p === null
      ? null
      : { role: p.role, state: p.state, wan_ok: p.wan_ok, hears_peer: p.peer_heard, version: p.version };
  const r = s.config.role === 'primary' ? readiness(self, peer) : readiness(peer, self);
  if (sameReadiness(r, s.readiness)) return s;
  out.push({ kind: 'indicators', readiness: r });
  return { ...s, readiness: r };
}

/**
 * The earliest moment at which time alone can change something, and whether it is more than the next
 * keepalive send (exact: the shell may not fire it late).
 */
function nextDeadline(s: CoreState, now_ms: number): { at_ms: number; exact: boolean } {
  const at: number[] = [];
  if (s.listen_until_ms > now_ms) at.push(s.listen_until_ms);
  for (const path of s.config.paths) {
    const seen = s.last_seen_ms[path];
    if (seen !== null && seen !== undefined && s.path_up[path]) at.push(seen + s.dead_after_ms);
  }
  if (s.wan_down_since_ms !== null && !wanLost(s, now_ms)) {
    at.push(s.wan_down_since_ms + s.config.wan_loss_relinquish_ms);
  }
  // A due preemption waits on its request (whose end is a deadline), not on the clock.
  const preempt_ms = s.takeover_request_until_ms === null ? s.preempt_at_ms : null;
  for (const t of [preempt_ms, s.handover_until_ms, s.takeover_request_until_ms]) {
    if (t !== null) at.push(t);
  }
  const other = Math.min(...at);
  return { at_ms: Math.max(now_ms, Math.min(s.next_send_ms, other)), exact: other <= s.next_send_ms };
}

function event(out: Effect[], e: CoreEvent): void {
  out.push({ kind: 'event', event: e });
}

/** A snapshot for status pages and logs. */
export interface NodeStatus {
  readonly state: NodeState;
  readonly role: Role;
  readonly fit: boolean;
  readonly wan_ok: boolean;
  readonly ha_port_ok: boolean;
  readonly relinquishing: boolean;
  readonly failed_checks: readonly string[];
  readonly peer: {
    readonly alive: boolean;
    readonly advert: Advert | null;
    readonly last_seen_ms: Readonly<Record<string, number | null>>;
  };
  readonly readiness: Readiness;
  readonly preempt_at_ms: number | null;
  readonly split_brain: boolean;
  /** The timers in force (a reload or the controller's settings change them while running). */
  readonly timers: {
    readonly interval_ms: number;
    readonly dead_multiplier: number;
    /** The peer is dead after this much silence: the slower interval of the two × dead_multiplier. */
    readonly dead_after_ms: number;
    readonly preempt: boolean;
    readonly preempt_delay_ms: number;
  };
}

export function describe(s: CoreState, now_ms: number): NodeStatus {
  return {
    state: s.state,
    role: s.config.role,
    fit: isFit(s),
    wan_ok: selfStanding(s, now_ms).wan_ok,
    ha_port_ok: s.ha_port_ok,
    relinquishing: relinquishing(s, now_ms),
    failed_checks: s.failed_checks,
    peer: { alive: s.peer_alive, advert: s.peer_advert, last_seen_ms: s.last_seen_ms },
    readiness: s.readiness,
    preempt_at_ms: s.preempt_at_ms,
    split_brain: s.split_brain,
    timers: {
      interval_ms: s.config.interval_ms,
      dead_multiplier: s.config.dead_multiplier,
      dead_after_ms: s.dead_after_ms,
      preempt: s.config.preempt,
      preempt_delay_ms: s.config.preempt_delay_ms,
    },
  };
}
