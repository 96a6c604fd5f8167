// A single machine driven by hand with a fake clock, and adverts from an imaginary peer.
import { type CoreState, initialState, step } from '../../src/core/machine.js';
import type { Advert, CoreConfig, CoreEvent, Effect, Input, NodeState } from '../../src/core/types.js';

export const PRIMARY: CoreConfig = {
  node_id: 1,
  role: 'primary',
  priority: 200,
  interval_ms: 1000,
  dead_multiplier: 3,
  preempt: true,
  preempt_delay_ms: 0,
  ha_link: 'direct',
  wan_loss_relinquish_ms: 10_000,
  paths: ['lan'],
  version: { major: 1, minor: 2, patch: 0 },
};

export const SECONDARY: CoreConfig = { ...PRIMARY, node_id: 2, role: 'secondary', priority: 100 };

export function peerAdvert(over: Partial<Advert> = {}): Advert {
  return {
    node_id: 2,
    role: 'secondary',
    state: 'standby',
    priority: 100,
    relinquish: false,
    wan_ok: true,
    ha_port_ok: true,
    fit: true,
    takeover_request: false,
    peer_heard: true,
    interval_ms: 1000,
    version: { major: 1, minor: 2, patch: 0 },
    ...over,
  };
}

export class Node {
  s: CoreState;
  now = 0;
  /** Every effect produced so far, with the time it was produced. */
  readonly log: { at: number; effect: Effect }[] = [];
  private timer = 0;

  constructor(config: CoreConfig, start_at = 0) {
    this.s = initialState(config);
    this.feed({ kind: 'start' }, start_at);
  }

  /** Delivers an input at `at`, first firing every timer that falls due before it. */
  feed(input: Input, at: number = this.now): Effect[] {
    this.advance(at);
    return this.apply(input, at);
  }

  /** Lets time pass to `at`, firing the machine's timers on the way. */
  advance(at: number): void {
    while (this.timer <= at && this.timer >= this.now) {
      const t = this.timer;
      this.apply({ kind: 'tick' }, t);
      if (this.timer <= t) break;
    }
    this.now = Math.max(this.now, at);
  }

  /** Keepalives from the peer every interval on `path` from `from` to `to` (exclusive). */
  hear(advert: Advert, from: number, to: number, path = 'lan', every = advert.interval_ms): void {
    for (let t = from; t < to; t += every) this.feed({ kind: 'keepalive', path, advert }, t);
    this.advance(to);
  }

  get state(): NodeState {
    return this.s.state;
  }

  events(kind?: CoreEvent['kind']): CoreEvent[] {
    return this.log
      .map((l) => l.effect)
      .filter((e): e is Extract<Effect, { kind: 'event' }> => e.kind === 'event')
      .map((e) => e.event)
      .filter((e) => kind === undefined || e.kind === kind);
  }

  /** When the node claimed / released, in order. */
  roleChanges(): { at: number; kind: 'claim' | 'release' }[] {
    return this.log
      .filter((l) => l.effect.kind === 'claim' || l.effect.kind === 'release')
      .map((l) => ({ at: l.at, kind: l.effect.kind as 'claim' | 'release' }));
  }

  lastAdvert(): Advert {
    const sent = this.log.map((l) => l.effect).filter((e) => e.kind === 'send-keepalive');
    const last = sent.at(-1);
    if (last?.kind !== 'send-keepalive') throw new Error('nothing sent yet');
    return last.advert;
  }

  private apply(input: Input, at: number): Effect[] {
    const r = step(this.s, input, at);
    this.s = r.state;
    this.now = at;
    for (const effect of r.effects) {
      this.log.push({ at, effect });
      if (effect.kind === 'arm-timer') this.timer = effect.at_ms;
    }
    return [...r.effects];
  }
}
