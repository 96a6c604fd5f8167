import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initialState, start, step, type WatchState } from '../../src/pathwatch/machine.js';
import type {
  Effect,
  Input,
  PathEvent,
  PathName,
  RouteView,
  Rule,
  WatchConfig,
} from '../../src/pathwatch/types.js';

const REFERENCE: WatchConfig = {
  primary_rule: { kind: 'all' },
  backup_rule: null,
  failover_rounds: 1,
  failback_rounds: 10,
  min_backup_ms: 0,
};

const NONE: RouteView = { ours: 0, missing: 2, conflicts: [] };
const OURS: RouteView = { ours: 2, missing: 0, conflicts: [] };

/** A pathwatch with its route tables simulated: effects are answered at once, as a working cloud would. */
class Watch {
  s: WatchState;
  now = 0;
  readonly log: { at: number; effect: Effect }[] = [];
  routes: RouteView;
  /** When set, route writes fail (the cloud API is down). */
  broken = false;

  constructor(config: Partial<WatchConfig> = {}, routes: RouteView = NONE) {
    this.routes = routes;
    this.s = initialState({ ...REFERENCE, ...config });
    this.run(start(this.s).effects, start(this.s).state);
  }

  feed(input: Input): void {
    const r = step(this.s, input, this.now);
    this.run(r.effects, r.state);
  }

  private run(effects: readonly Effect[], state: WatchState): void {
    this.s = state;
    const follow: Input[] = [];
    for (const effect of effects) {
      this.log.push({ at: this.now, effect });
      if (effect.kind === 'observe') follow.push({ kind: 'observed', routes: this.routes });
      if (effect.kind === 'failover' || effect.kind === 'failback') {
        if (!this.broken) this.routes = effect.kind === 'failover' ? OURS : NONE;
        follow.push({
          kind: 'switched',
          op: effect.kind,
          ok: !this.broken,
          routes: this.routes,
          ...(this.broken ? { error: 'API down' } : {}),
        });
      }
    }
    for (const f of follow) this.feed(f);
  }

  /** One round on `path` at `at_ms`: every target answers (`up`) or none does. */
  round(path: PathName, up: boolean, at_ms = this.now + 2000, targets = 1): void {
    this.now = at_ms;
    this.feed({
      kind: 'round',
      round: {
        path,
        targets: Array.from({ length: targets }, (_, i) => ({
          target: `10.50.0.${i + 1}`,
          sent: 3,
          received: up ? 3 : 0,
          rtt_ms: up ? [10, 12, 14] : [],
        })),
      },
    });
  }

  rounds(path: PathName, pattern: string): void {
    for (const c of pattern) this.round(path, c === 'u');
  }

  switches(): string[] {
    return this.log
      .filter((l) => l.effect.kind === 'failover' || l.effect.kind === 'failback')
      .map((l) => `${l.effect.kind}@${l.at}`);
  }

  events<K extends PathEvent['kind']>(kind: K): Extract<PathEvent, { kind: K }>[] {
    return this.log
      .map((l) => l.effect)
      .filter((e): e is Extract<Effect, { kind: 'event' }> => e.kind === 'event')
      .map((e) => e.event)
      .filter((e): e is Extract<PathEvent, { kind: K }> => e.kind === kind);
  }
}

describe('the reference behaviour (3 probes, a round every 2 s, 10 healthy rounds)', () => {
  it('reads the route tables before anything else', () => {
    const w = new Watch();
    assert.deepEqual(w.log[0]?.effect, { kind: 'observe' });
    assert.equal(w.s.active, 'primary');
    assert.deepEqual(w.events('resumed'), [{ kind: 'resumed', active_path: 'primary', routes: NONE }]);
  });

  it('one round with every probe lost while on the primary path creates the route at once', () => {
    const w = new Watch();
    w.rounds('primary', 'uuu');
    assert.deepEqual(w.switches(), []);
    w.round('primary', false);
    assert.deepEqual(w.switches(), ['failover@8000']);
    assert.equal(w.s.active, 'backup');
    assert.equal(w.events('switch-done')[0]?.ok, true);
  });

  it('fails back only after 10 consecutive healthy rounds; a bad round starts the count again', () => {
    const w = new Watch();
    w.round('primary', false);
    w.rounds('primary', 'uuuuuuuuu'); // 9 healthy
    w.round('primary', false); // the count starts again
    w.rounds('primary', 'uuuuuuuuu');
    assert.deepEqual(w.switches(), ['failover@2000']);
    w.round('primary', true); // the 10th in a row
    assert.deepEqual(w.switches(), ['failover@2000', 'failback@42000']);
    assert.equal(w.s.active, 'primary');
    assert.deepEqual(w.events('failback-started'), [
      { kind: 'failback-started', healthy_rounds: 10, on_backup_ms: 40_000 },
    ]);
  });

  it('a primary down again while on the backup path writes nothing more', () => {
    const w = new Watch();
    w.rounds('primary', 'ddddd');
    assert.deepEqual(w.switches(), ['failover@2000']);
  });

  it('logs every round with the reachability and the active path', () => {
    const w = new Watch();
    w.round('primary', true);
    w.round('primary', false);
    const probes = w
      .events('probe')
      .map((p) => `${p.reachable ? 'reachable' : 'unreachable'} ${p.active_path}`);
    // The round that trips the rule is logged on the path it was measured on.
    assert.deepEqual(probes, ['reachable primary', 'unreachable primary']);
    w.round('primary', false);
    assert.equal(w.events('probe').at(-1)?.active_path, 'backup');
    assert.deepEqual(w.events('probe').at(-1)?.failed, ['10.50.0.1']);
  });
});

describe('hysteresis', () => {
  it('a primary flapping every other round moves the route once and never back', () => {
    const w = new Watch();
    w.rounds('primary', 'ud'.repeat(30));
    assert.deepEqual(w.switches(), ['failover@4000']);
  });

  it('failback also waits for the minimum time on the backup path', () => {
    const w = new Watch({ failback_rounds: 3, min_backup_ms: 30_000 });
    w.round('primary', false, 1000);
    w.rounds('primary', 'uuu'); // 3 healthy rounds by 7000: too early
    assert.deepEqual(w.switches(), ['failover@1000']);
    w.round('primary', true, 30_999);
    assert.deepEqual(w.switches(), ['failover@1000']);
    w.round('primary', true, 31_000);
    assert.deepEqual(w.switches(), ['failover@1000', 'failback@31000']);
  });

  it('failover_rounds asks for that many down rounds in a row', () => {
    const w = new Watch({ failover_rounds: 3 });
    w.rounds('primary', 'ddudd');
    assert.deepEqual(w.switches(), []);
    w.round('primary', false);
    assert.deepEqual(w.switches(), ['failover@12000']);
  });
});

describe('rules over several targets', () => {
  const twoTargets = (rule: Rule, answered: [number, number]) => {
    const w = new Watch({ primary_rule: rule });
    w.now += 2000;
    w.feed({
      kind: 'round',
      round: {
        path: 'primary',
        targets: [
          { target: 'a', sent: 3, received: answered[0], rtt_ms: Array(answered[0]).fill(5) },
          { target: 'b', sent: 3, received: answered[1], rtt_ms: Array(answered[1]).fill(5) },
        ],
      },
    });
    return w;
  };

  it('all: one target answering keeps the primary up', () => {
    assert.deepEqual(twoTargets({ kind: 'all' }, [0, 1]).switches(), []);
    assert.equal(twoTargets({ kind: 'all' }, [0, 0]).switches().length, 1);
  });

  it('any: one silent target is enough to fail over', () => {
    assert.equal(twoTargets({ kind: 'any' }, [0, 3]).switches().length, 1);
    assert.deepEqual(twoTargets({ kind: 'any' }, [1, 1]).switches(), []);
  });

  it('loss: the lost share over the window decides, not one round', () => {
    const w = new Watch({ primary_rule: { kind: 'loss', percent: 50, window_rounds: 4 } });
    const round = (received: number) => {
      w.now += 2000;
      w.feed({
        kind: 'round',
        round: { path: 'primary', targets: [{ target: 'a', sent: 3, received, rtt_ms: [] }] },
      });
    };
    round(3);
    round(3);
    round(0); // 3 of 9 lost: 33 %
    round(1); // 5 of 12 lost: 42 %
    assert.deepEqual(w.switches(), []);
    round(0); // the window slides: 3 3 0 1 → 3 0 1 0 = 8 of 12 lost: 67 %
    assert.equal(w.switches().length, 1);
    assert.equal(w.events('probe').at(-1)?.loss_pct, 100);
  });
});

describe('the backup watcher', () => {
  it('vetoes failover onto a backup path that is down, once, then fails over when it comes back', () => {
    const w = new Watch({ backup_rule: { kind: 'all' } });
    w.round('backup', false);
    w.rounds('primary', 'ddd');
    assert.deepEqual(w.switches(), []);
    assert.equal(w.events('failover-vetoed').length, 1);
    w.round('backup', true); // the primary is still down: go now
    assert.deepEqual(w.switches(), ['failover@10000']);
  });

  it('a backup never probed yet does not veto', () => {
    const w = new Watch({ backup_rule: { kind: 'all' } });
    w.round('primary', false);
    assert.equal(w.switches().length, 1);
  });
});

describe('state survives a restart: the route tables are the truth', () => {
  it('started while our route is in place and the primary is still down: keeps it', () => {
    const w = new Watch({}, OURS);
    assert.equal(w.s.active, 'backup');
    w.rounds('primary', 'ddddd');
    assert.deepEqual(w.switches(), []);
  });

  it('started while our route is in place and the primary is healthy: deletes it after the full count', () => {
    const w = new Watch({}, OURS);
    w.rounds('primary', 'uuuuuuuuu');
    assert.deepEqual(w.switches(), []);
    w.round('primary', true);
    assert.equal(w.switches().length, 1);
  });

  it('the minimum time on backup counts from the restart, not from zero', () => {
    const w = new Watch({ failback_rounds: 1, min_backup_ms: 10_000 }, OURS);
    w.round('primary', true, 5000);
    assert.deepEqual(w.switches(), []);
    w.round('primary', true, 10_000);
    assert.equal(w.switches().length, 1);
  });

  it('until the tables have been read no route is touched; every round asks again', () => {
    const s0 = initialState(REFERENCE);
    let s = start(s0).state;
    const failed = step(s, { kind: 'observed', routes: null, error: 'timeout' }, 0);
    assert.deepEqual(
      failed.effects.map((e) => e.kind),
      ['event'],
    ); // no immediate retry: the next round asks
    s = failed.state;
    const r = step(s, { kind: 'round', round: { path: 'primary', targets: [] } }, 2000);
    assert.deepEqual(
      r.effects.filter((e) => e.kind !== 'event'),
      [{ kind: 'observe' }],
    );
    assert.equal(r.state.active, 'unknown');
  });

  it('a route deleted by hand while the primary is down is created again', () => {
    const w = new Watch();
    w.round('primary', false);
    w.routes = NONE;
    w.feed({ kind: 'observed', routes: NONE });
    assert.deepEqual(w.events('routes-changed').at(-1), {
      kind: 'routes-changed',
      from: 'backup',
      to: 'primary',
      routes: NONE,
    });
    assert.equal(w.switches().length, 2);
    assert.equal(w.s.active, 'backup');
  });
});

describe('failures', () => {
  it('a failover the API refused is tried again at the next down round, not at once', () => {
    const w = new Watch();
    w.broken = true;
    w.round('primary', false);
    assert.equal(w.switches().length, 1);
    assert.equal(w.s.active, 'primary');
    assert.equal(w.events('switch-done')[0]?.ok, false);
    w.broken = false;
    w.round('primary', false);
    assert.equal(w.switches().length, 2);
    assert.equal(w.s.active, 'backup');
  });

  it('a partial failover (one table refused) completes at the next down round', () => {
    const down: Input = { kind: 'round', round: { path: 'primary', targets: [] } };
    let r = start(initialState(REFERENCE));
    r = step(r.state, { kind: 'observed', routes: NONE }, 0);
    r = step(r.state, down, 2000);
    assert.ok(r.effects.some((e) => e.kind === 'failover'));
    const partial: RouteView = { ours: 1, missing: 1, conflicts: [] };
    r = step(r.state, { kind: 'switched', op: 'failover', ok: false, routes: partial }, 2100);
    assert.equal(r.state.active, 'backup');
    assert.ok(!r.effects.some((e) => e.kind === 'failover'));
    r = step(r.state, down, 4000);
    assert.ok(r.effects.some((e) => e.kind === 'failover'));
  });

  it('a route that points elsewhere is reported once, and is not ours to delete', () => {
    const conflict: RouteView = { ours: 0, missing: 1, conflicts: ['rtb-1 10.50.0.0/16 → eni-other'] };
    const w = new Watch({}, conflict);
    assert.deepEqual(w.events('route-conflict'), [{ kind: 'route-conflict', conflicts: conflict.conflicts }]);
    assert.equal(w.s.active, 'primary');
    w.feed({ kind: 'observed', routes: conflict });
    assert.equal(w.events('route-conflict').length, 1);
  });

  it('when every route points elsewhere a dead primary writes nothing, round after round', () => {
    const w = new Watch({}, { ours: 0, missing: 0, conflicts: ['rtb-1 10.50.0.0/16 → eni-other'] });
    w.rounds('primary', 'ddddd');
    assert.deepEqual(w.switches(), []);
    assert.equal(w.events('route-conflict').length, 1);
  });
});
