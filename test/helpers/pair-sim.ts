// A deterministic discrete-event world for two real core machines: a lossy, partitionable channel
// per path and direction, crashes and restarts, link / WAN / check flaps and operator commands.
// The world keeps the ground truth (who really is active, what the inputs really are) so that
// properties can be checked against it.
import { type CoreState, initialState, step } from '../../src/core/machine.js';
import type { AdminCommand, Advert, CoreConfig, Effect, Input } from '../../src/core/types.js';
import type { Rng } from './rng.js';

type Ev =
  | { kind: 'timer'; node: number; gen: number }
  | { kind: 'observe'; node: number; incarnation: number }
  | { kind: 'resume'; node: number; incarnation: number }
  | {
      kind: 'deliver';
      node: number;
      path: string;
      advert: Advert;
      incarnation: number;
      /** The sender's life and its packet number, as the wire's boot id and seq. */
      from_incarnation: number;
      seq: number;
    };

interface Queued {
  at: number;
  seq: number;
  ev: Ev;
}

/** A binary min-heap on (at, seq): equal times keep their insertion order. */
class Queue {
  private heap: Queued[] = [];
  private seq = 0;

  push(at: number, ev: Ev): void {
    const h = this.heap;
    h.push({ at, seq: this.seq++, ev });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  peekAt(): number {
    return this.heap[0]?.at ?? Number.POSITIVE_INFINITY;
  }

  pop(): Queued | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && less(h[l]!, h[m]!)) m = l;
      if (r < h.length && less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
    return top;
  }
}

function less(a: Queued, b: Queued): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

export interface Link {
  loss: number;
  cut: boolean;
}

/** Ground truth about one node: its inputs as the world sets them, and whether it really serves. */
export interface SimNode {
  /** Changed by `reconfigure` (a managed settings change reaching this node). */
  config: CoreConfig;
  up: boolean;
  /** Bumped on every restart so that packets and timers meant for an old life are discarded. */
  incarnation: number;
  machine: CoreState;
  timer_gen: number;
  /** The deadline last armed (the shell's one timer), null before the first. */
  timer_at: number | null;
  active: boolean;
  /** Since when `active` has held its current value. */
  active_since: number;
  ha_link_up: boolean;
  wan_up: boolean;
  wan_down_since: number | null;
  wan_up_since: number;
  check_ok: boolean;
  maintenance: boolean;
  disabled: boolean;
  /** Its own link is down: nothing in or out on any path (a pulled cable, a switch port down). */
  link_down: boolean;
  /** The process is stopped: events wait (the kernel buffers packets) until it resumes. */
  paused: boolean;
  paused_since: number;
  held: Ev[];
  /** Monitor readings and commands that reached a paused process, applied when it resumes. */
  heldInputs: Input[];
  /** Since when the node could really hear: its boot, its link's return, its resumption. */
  hearing_since: number;
  /** Packets sent in this life (the wire's seq). */
  sent: number;
  /** The newest advert heard, as the agent's transport keeps it: an older packet never rolls it back. */
  newest: { from_incarnation: number; seq: number; advert: Advert } | null;
}

export interface RoleChange {
  readonly at: number;
  readonly node: number;
  readonly to: 'active' | 'inactive';
  readonly reason: string;
}

export class PairWorld {
  now = 0;
  steps = 0;
  readonly nodes: [SimNode, SimNode];
  /** links[from][path] */
  readonly links: Record<string, Link>[];
  readonly changes: RoleChange[] = [];
  /** A cloud route both nodes claim (last writer wins), read back while active like the AWS arbiter does. */
  route: number | null = null;
  readonly routeWrites: { at: number; node: number }[] = [];
  readonly latency_max_ms: number;
  private readonly queue = new Queue();
  private readonly listeners: ((c: RoleChange) => void)[] = [];

  constructor(
    readonly rng: Rng,
    configs: [CoreConfig, CoreConfig],
    latency_max_ms: number,
    /**
     * Deliver a packet reordered behind a newer one with the newest advert heard, and a paused node's
     * backlog as one burst carrying its newest advert (dropped after a stall), as the agent's transport
     * does (src/agent/transport.ts). Off: each packet carries its own advert, one by one.
     */
    private readonly newest_advert = false,
  ) {
    this.latency_max_ms = latency_max_ms;
    this.nodes = [this.makeNode(configs[0]), this.makeNode(configs[1])];
    this.links = [0, 1].map(() =>
      Object.fromEntries(configs[0].paths.map((p) => [p, { loss: 0, cut: false }])),
    );
  }

  onRoleChange(fn: (c: RoleChange) => void): void {
    this.listeners.push(fn);
  }

  private makeNode(config: CoreConfig): SimNode {
    return {
      config,
      up: false,
      incarnation: 0,
      machine: initialState(config),
      timer_gen: 0,
      timer_at: null,
      active: false,
      active_since: 0,
      ha_link_up: true,
      wan_up: true,
      wan_down_since: null,
      wan_up_since: 0,
      check_ok: true,
      maintenance: false,
      disabled: false,
      link_down: false,
      paused: false,
      paused_since: 0,
      held: [],
      heldInputs: [],
      hearing_since: 0,
      sent: 0,
      newest: null,
    };
  }

  /** A fresh process: the machine starts from nothing, told its current local inputs. */
  boot(i: number): void {
    const n = this.nodes[i]!;
    n.up = true;
    n.incarnation++;
    n.machine = initialState(n.config);
    n.timer_at = null;
    n.maintenance = false;
    n.disabled = false;
    n.paused = false;
    n.held = [];
    n.heldInputs = [];
    n.hearing_since = this.now;
    n.sent = 0;
    n.newest = null;
    this.input(i, { kind: 'ha-link', up: n.ha_link_up });
    if (!n.wan_up) this.input(i, { kind: 'wan', ok: false });
    if (!n.check_ok) this.input(i, { kind: 'check', name: 'app', ok: false });
    this.input(i, { kind: 'start' });
  }

  crash(i: number): void {
    const n = this.nodes[i]!;
    n.up = false;
    n.paused = false;
    n.held = [];
    n.heldInputs = [];
    n.timer_gen++;
    if (n.active) this.setActive(i, false, 'crash');
  }

  setHaLink(i: number, up: boolean): void {
    this.nodes[i]!.ha_link_up = up;
    this.input(i, { kind: 'ha-link', up });
  }

  /** A deaf fault: the node's own link goes down (its link monitor tells it) or comes back. */
  setOwnLink(i: number, up: boolean): void {
    const n = this.nodes[i]!;
    if (n.link_down === !up) return;
    n.link_down = !up;
    if (up) n.hearing_since = this.now;
    this.setHaLink(i, up);
  }

  /** A deaf fault: the process stops (SIGSTOP, a stalled event loop) for `for_ms`. */
  pause(i: number, for_ms: number): void {
    const n = this.nodes[i]!;
    if (!n.up || n.paused) return;
    n.paused = true;
    n.paused_since = this.now;
    this.queue.push(this.now + for_ms, { kind: 'resume', node: i, incarnation: n.incarnation });
  }

  /** Resumes a paused node as the agent's shell does: deaf since the pause, then what waited, then a tick. */
  resume(i: number): void {
    const n = this.nodes[i]!;
    if (!n.paused) return;
    n.paused = false;
    n.hearing_since = this.now;
    // The shell's stall: its deadline a dead interval behind (taken before `deaf` re-arms the timer).
    const due = n.timer_at;
    const stalled = due !== null && this.now - due >= n.config.interval_ms * n.config.dead_multiplier;
    this.input(i, { kind: 'deaf', since_ms: n.paused_since });
    for (const input of n.heldInputs.splice(0)) this.input(i, input);
    const backlog = n.held.splice(0);
    for (const ev of backlog) if (ev.kind !== 'deliver' || !this.newest_advert) this.handle(ev);
    if (this.newest_advert) this.deliverBacklog(i, backlog, stalled);
    this.input(i, { kind: 'tick' });
  }

  setWan(i: number, up: boolean): void {
    const n = this.nodes[i]!;
    if (n.wan_up === up) return;
    n.wan_up = up;
    n.wan_down_since = up ? null : this.now;
    if (up) n.wan_up_since = this.now;
    this.input(i, { kind: 'wan', ok: up });
  }

  setCheck(i: number, ok: boolean): void {
    this.nodes[i]!.check_ok = ok;
    this.input(i, { kind: 'check', name: 'app', ok });
  }

  admin(i: number, command: AdminCommand): void {
    const n = this.nodes[i]!;
    if (!n.up) return;
    if (command === 'maintenance-on') n.maintenance = true;
    if (command === 'maintenance-off') n.maintenance = false;
    if (command === 'disable') n.disabled = true;
    if (command === 'enable') n.disabled = false;
    this.input(i, { kind: 'admin', command });
  }

  /** A reload with new timers (SIGHUP, or the controller's settings): the role held does not change. */
  reconfigure(i: number, config: CoreConfig): void {
    const n = this.nodes[i]!;
    n.config = config;
    if (n.up) this.input(i, { kind: 'reconfigure', config });
  }

  /** Runs every event up to and including `until`. */
  runUntil(until: number): void {
    while (this.queue.peekAt() <= until) {
      const q = this.queue.pop()!;
      this.now = q.at;
      this.handle(q.ev);
    }
    this.now = until;
  }

  activeCount(): number {
    return this.nodes.filter((n) => n.active).length;
  }

  /** Every WAN probe has been failing for at least the relinquish threshold. */
  wanLost(i: number): boolean {
    const n = this.nodes[i]!;
    return n.wan_down_since !== null && this.now - n.wan_down_since >= n.config.wan_loss_relinquish_ms;
  }

  private handle(ev: Ev): void {
    const n = this.nodes[ev.node]!;
    if (!n.up) return;
    if (ev.kind === 'resume') {
      if (ev.incarnation === n.incarnation) this.resume(ev.node);
      return;
    }
    if (n.paused) {
      // Timers are re-armed by the tick at resumption; packets and reads wait in their queues.
      if (ev.kind !== 'timer') n.held.push(ev);
      return;
    }
    if (ev.kind === 'observe') {
      if (ev.incarnation !== n.incarnation || !n.active) return;
      const target = this.route === ev.node ? 'self' : this.route === null ? 'none' : 'peer';
      this.input(ev.node, { kind: 'observed', target });
      this.queue.push(this.now + this.observeEvery(n), {
        kind: 'observe',
        node: ev.node,
        incarnation: n.incarnation,
      });
      return;
    }
    if (ev.kind === 'timer') {
      if (ev.gen === n.timer_gen) this.input(ev.node, { kind: 'tick' });
      return;
    }
    if (ev.incarnation === n.incarnation)
      this.input(ev.node, { kind: 'keepalive', path: ev.path, advert: this.newestAdvert(n, ev) });
  }

  private input(i: number, input: Input): void {
    const n = this.nodes[i]!;
    if (!n.up) return;
    if (n.paused) {
      n.heldInputs.push(input);
      return;
    }
    const r = step(n.machine, input, this.now);
    this.steps++;
    n.machine = r.state;
    let reason = '';
    for (const e of r.effects) {
      if (e.kind === 'event' && e.event.kind === 'state-change') reason = e.event.reason;
    }
    for (const e of r.effects) this.perform(i, e, reason);
  }

  private perform(i: number, e: Effect, reason: string): void {
    const n = this.nodes[i]!;
    switch (e.kind) {
      case 'arm-timer':
        n.timer_gen++;
        n.timer_at = e.at_ms;
        this.queue.push(e.at_ms, { kind: 'timer', node: i, gen: n.timer_gen });
        return;
      case 'send-keepalive':
        this.transmit(i, e.advert);
        return;
      case 'claim':
        this.route = i;
        this.routeWrites.push({ at: this.now, node: i });
        if (!n.active)
          this.queue.push(this.now + this.observeEvery(n), {
            kind: 'observe',
            node: i,
            incarnation: n.incarnation,
          });
        this.setActive(i, true, reason);
        return;
      case 'release':
        this.setActive(i, false, reason);
        return;
      default:
        return;
    }
  }

  private observeEvery(n: SimNode): number {
    return 2 * n.config.interval_ms;
  }

  /**
   * The agent's transport gives its core a burst of reads at once: for each path heard, only the newest
   * advert of all, so an old `disabled` never makes the node claim on a peer whose newer packets say it
   * is active. After a stall (the shell's deadline a dead interval behind) the backlog is read to its end
   * and dropped (src/agent/transport.ts, #flush): the node hears the peer's next packet.
   */
  private deliverBacklog(i: number, backlog: readonly Ev[], stalled: boolean): void {
    const n = this.nodes[i]!;
    const heard = new Set<string>();
    for (const ev of backlog) {
      if (ev.kind !== 'deliver' || ev.incarnation !== n.incarnation) continue;
      this.newestAdvert(n, ev);
      heard.add(ev.path);
    }
    const newest = n.newest?.advert;
    if (stalled || newest === undefined) return;
    for (const path of heard) this.input(i, { kind: 'keepalive', path, advert: newest });
  }

  /** An older packet (reordered by latency) proves the path alive but carries the newest advert heard. */
  private newestAdvert(n: SimNode, ev: Extract<Ev, { kind: 'deliver' }>): Advert {
    if (!this.newest_advert) return ev.advert;
    const newest = n.newest;
    if (newest !== null && newest.from_incarnation === ev.from_incarnation && ev.seq < newest.seq)
      return newest.advert;
    n.newest = { from_incarnation: ev.from_incarnation, seq: ev.seq, advert: ev.advert };
    return ev.advert;
  }

  private transmit(from: number, advert: Advert): void {
    const to = 1 - from;
    const target = this.nodes[to]!;
    const sender = this.nodes[from]!;
    const seq = ++sender.sent;
    if (this.nodes[from]!.link_down || target.link_down) return;
    for (const path of this.nodes[from]!.config.paths) {
      const link = this.links[from]![path]!;
      if (link.cut || this.rng.chance(link.loss)) continue;
      const at = this.now + this.rng.int(0, this.latency_max_ms);
      this.queue.push(at, {
        kind: 'deliver',
        node: to,
        path,
        advert,
        incarnation: target.incarnation,
        from_incarnation: sender.incarnation,
        seq,
      });
    }
  }

  private setActive(i: number, active: boolean, reason: string): void {
    const n = this.nodes[i]!;
    if (n.active === active) return;
    n.active = active;
    n.active_since = this.now;
    const c: RoleChange = { at: this.now, node: i, to: active ? 'active' : 'inactive', reason };
    this.changes.push(c);
    for (const fn of this.listeners) fn(c);
  }
}
