import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initialState, step } from '../../src/core/machine.js';
import { Node, PRIMARY, peerAdvert, SECONDARY } from './fixture.js';

const activeSecondary = peerAdvert({ state: 'active' });

describe('boot', () => {
  it('a starting node listens for one dead interval and never claims at once', () => {
    const n = new Node(PRIMARY);
    assert.equal(n.state, 'init');
    n.advance(2999);
    assert.equal(n.state, 'init');
    assert.deepEqual(n.roleChanges(), []);
    n.advance(3000);
    assert.equal(n.state, 'active');
    assert.deepEqual(n.roleChanges(), [{ at: 3000, kind: 'claim' }]);
  });

  it('a starting node that hears an active peer becomes standby at once and does not claim', () => {
    const n = new Node({ ...PRIMARY, preempt: false });
    n.hear(activeSecondary, 100, 20_000);
    assert.equal(n.state, 'standby');
    assert.deepEqual(n.roleChanges(), []);
  });

  it('announces itself at once on start and then every interval', () => {
    const n = new Node(PRIMARY);
    n.advance(2500);
    const sent = n.log.filter((l) => l.effect.kind === 'send-keepalive').map((l) => l.at);
    assert.deepEqual(sent, [0, 1000, 2000]);
  });

  it('two standbys that hear each other elect the primary', () => {
    const n = new Node(SECONDARY);
    n.hear(peerAdvert({ role: 'primary', node_id: 1, priority: 200, state: 'init' }), 0, 5000);
    assert.equal(n.state, 'standby');
    const p = new Node(PRIMARY);
    p.hear(peerAdvert({ state: 'init' }), 0, 5000);
    assert.equal(p.state, 'active');
  });
});

describe('detection', () => {
  it('the standby takes over after 3 s of silence by default (interval × multiplier)', () => {
    const n = new Node(SECONDARY);
    n.hear(peerAdvert({ role: 'primary', node_id: 1, state: 'active' }), 0, 10_001);
    assert.equal(n.state, 'standby');
    const lastHeard = 10_000;
    n.advance(lastHeard + 2999);
    assert.equal(n.state, 'standby');
    n.advance(lastHeard + 3000);
    assert.equal(n.state, 'active');
    assert.deepEqual(n.events('peer-dead'), [{ kind: 'peer-dead', silent_ms: 3000 }]);
  });

  it('works at a 20 ms interval: dead after 60 ms', () => {
    const n = new Node({ ...SECONDARY, interval_ms: 20 });
    const primary = peerAdvert({ role: 'primary', node_id: 1, state: 'active', interval_ms: 20 });
    n.hear(primary, 0, 1001);
    assert.equal(n.state, 'standby');
    n.advance(1000 + 59);
    assert.equal(n.state, 'standby');
    n.advance(1000 + 60);
    assert.equal(n.state, 'active');
  });

  it('with several paths the peer is dead only when silent on every path', () => {
    const n = new Node({ ...SECONDARY, paths: ['lan', 'ha'] });
    const primary = peerAdvert({ role: 'primary', node_id: 1, state: 'active' });
    for (let t = 0; t < 5000; t += 1000) {
      n.feed({ kind: 'keepalive', path: 'lan', advert: primary }, t);
      n.feed({ kind: 'keepalive', path: 'ha', advert: primary }, t);
    }
    // The LAN path goes quiet, the HA path keeps talking: no takeover, just a path-down event.
    for (let t = 5000; t < 20_000; t += 1000) n.feed({ kind: 'keepalive', path: 'ha', advert: primary }, t);
    n.advance(20_000);
    assert.equal(n.state, 'standby');
    assert.deepEqual(n.events('path-down'), [{ kind: 'path-down', path: 'lan' }]);
    n.advance(22_000);
    assert.equal(n.state, 'active');
  });

  it('ignores keepalives on a path it does not know', () => {
    const n = new Node(SECONDARY);
    n.hear(peerAdvert({ role: 'primary', node_id: 1, state: 'active' }), 0, 10_000, 'rogue');
    assert.equal(n.state, 'active');
  });
});

describe('preemption', () => {
  it('a recovered primary asks the active peer to step down and claims once it has: never two holders', () => {
    const n = new Node(PRIMARY);
    n.hear(activeSecondary, 0, 3001);
    assert.equal(n.state, 'standby', 'no claim while the peer still holds the traffic');
    assert.equal(n.lastAdvert().takeover_request, true);
    assert.ok(
      n.log.find((l) => l.effect.kind === 'send-keepalive' && l.effect.advert.takeover_request)!.at >= 3000,
    );
    n.feed({ kind: 'keepalive', path: 'lan', advert: peerAdvert({ state: 'standby' }) }, 3005);
    assert.equal(n.state, 'active');
    assert.deepEqual(n.roleChanges(), [{ at: 3005, kind: 'claim' }]);
    assert.deepEqual(n.events('state-change').at(-1), {
      kind: 'state-change',
      from: 'standby',
      to: 'active',
      reason: 'preempt',
    });
  });

  it('the active node steps down for a preferred standby that asks, releasing before the peer claims', () => {
    const n = new Node(SECONDARY);
    n.advance(3000);
    assert.equal(n.state, 'active');
    const primary = peerAdvert({ role: 'primary', node_id: 1, priority: 200, state: 'standby' });
    n.hear(primary, 3000, 5000);
    assert.equal(n.state, 'active', 'a preferred standby that does not ask changes nothing');
    n.feed({ kind: 'keepalive', path: 'lan', advert: { ...primary, takeover_request: true } }, 5000);
    assert.equal(n.state, 'standby');
    assert.deepEqual(n.roleChanges().at(-1), { at: 5000, kind: 'release' });
    assert.equal(n.lastAdvert().state, 'standby', 'the peer learns at once that it may claim');
    assert.deepEqual(n.events('switchover-accepted'), [], 'answered by stepping down, not by a handover');
  });

  it('a less preferred standby that asks is answered by a handover, not by stepping down', () => {
    const n = new Node(PRIMARY);
    n.advance(3000);
    n.feed({ kind: 'keepalive', path: 'lan', advert: peerAdvert({ takeover_request: true }) }, 3000);
    assert.equal(n.state, 'active');
    assert.equal(n.lastAdvert().relinquish, true);
  });

  it('in no-preempt mode the recovered primary stays standby', () => {
    const n = new Node({ ...PRIMARY, preempt: false });
    n.hear(activeSecondary, 0, 60_000);
    assert.equal(n.state, 'standby');
  });

  it('with a preempt delay it waits, continuously fit, before taking over', () => {
    const n = new Node({ ...PRIMARY, preempt_delay_ms: 30_000 });
    n.hear(activeSecondary, 0, 20_000);
    n.feed({ kind: 'check', name: 'disk', ok: false }, 20_000);
    assert.equal(n.state, 'fault');
    n.feed({ kind: 'check', name: 'disk', ok: true }, 21_000);
    n.hear(activeSecondary, 21_000, 50_500);
    assert.equal(n.state, 'standby', 'the fault restarted the delay');
    n.hear(activeSecondary, 50_500, 51_001);
    assert.equal(n.state, 'standby');
    assert.equal(n.lastAdvert().takeover_request, true, 'asks at 51 000 ms, not before');
    n.feed({ kind: 'keepalive', path: 'lan', advert: peerAdvert() }, 51_001);
    assert.equal(n.state, 'active');
    assert.equal(n.roleChanges()[0]!.at, 51_001);
  });

  it('a primary without WAN does not preempt a secondary that has it', () => {
    const n = new Node(PRIMARY);
    n.feed({ kind: 'wan', ok: false }, 0);
    n.hear(activeSecondary, 0, 30_000);
    assert.equal(n.state, 'standby');
  });
});

describe('HA link', () => {
  it('switch mode: with its own HA port down the standby assumes a local fault and never takes over', () => {
    const n = new Node({ ...SECONDARY, ha_link: 'switch' });
    n.hear(peerAdvert({ role: 'primary', node_id: 1, state: 'active' }), 0, 5000);
    n.feed({ kind: 'ha-link', up: false }, 5000);
    n.advance(30_000);
    assert.equal(n.state, 'fault');
    assert.deepEqual(n.roleChanges(), []);
    n.feed({ kind: 'ha-link', up: true }, 30_000);
    assert.equal(n.state, 'standby', 'the silence it measured with its port down proves nothing');
    n.advance(32_999);
    assert.equal(n.state, 'standby');
    n.advance(33_000);
    assert.equal(n.state, 'active', 'port back and the peer silent for a whole dead interval: takes over');
  });

  it('direct mode: the standby takes over on silence whatever its port state', () => {
    const n = new Node({ ...SECONDARY, ha_link: 'direct' });
    n.hear(peerAdvert({ role: 'primary', node_id: 1, state: 'active' }), 0, 5000);
    n.feed({ kind: 'ha-link', up: false }, 5000);
    n.advance(30_000);
    assert.equal(n.state, 'active');
  });

  it('switch mode: the active node whose HA port goes down releases', () => {
    const n = new Node({ ...PRIMARY, ha_link: 'switch' });
    n.advance(5000);
    assert.equal(n.state, 'active');
    n.feed({ kind: 'ha-link', up: false }, 5000);
    assert.equal(n.state, 'fault');
    assert.deepEqual(n.roleChanges().at(-1), { at: 5000, kind: 'release' });
  });
});

describe('deafness: silence the node could not have heard', () => {
  const activePrimary = peerAdvert({ role: 'primary', node_id: 1, priority: 200, state: 'active' });

  it('the active primary whose port went down and came back claims nothing until it hears the peer', () => {
    const n = new Node({ ...PRIMARY, ha_link: 'switch' });
    n.hear(peerAdvert(), 0, 5000);
    n.feed({ kind: 'ha-link', up: false }, 5000);
    assert.equal(n.state, 'fault');
    n.advance(20_000);
    n.feed({ kind: 'ha-link', up: true }, 20_000);
    n.advance(20_900);
    assert.equal(n.state, 'standby');
    assert.deepEqual(n.roleChanges(), [
      { at: 3000, kind: 'claim' },
      { at: 5000, kind: 'release' },
    ]);
    // The secondary took over meanwhile; hearing it, the primary asks for the role back.
    n.feed({ kind: 'keepalive', path: 'lan', advert: peerAdvert({ state: 'active' }) }, 20_900);
    assert.equal(n.state, 'standby');
    assert.equal(n.lastAdvert().takeover_request, true);
    assert.equal(n.roleChanges().length, 2);
  });

  it('direct mode: after its port returns the node listens one dead interval as at boot', () => {
    const n = new Node({ ...SECONDARY, ha_link: 'direct' });
    n.hear(activePrimary, 0, 5000);
    n.feed({ kind: 'ha-link', up: false }, 5000);
    n.feed({ kind: 'ha-link', up: true }, 5500);
    n.advance(7000);
    assert.equal(
      n.state,
      'standby',
      'the primary was last heard at 4000: dead at 7000 by the clock, but we were deaf',
    );
    n.advance(8499);
    assert.equal(n.state, 'standby');
    n.advance(8500);
    assert.equal(n.state, 'active');
  });

  it('a paused process does not claim on the silence it slept through', () => {
    const n = new Node(SECONDARY);
    n.hear(activePrimary, 0, 5000);
    // Paused from 4100 to 60 000: the shell notices its late timer and says so before anything else.
    n.now = 60_000;
    n.feed({ kind: 'deaf', since_ms: 4100 }, 60_000);
    n.feed({ kind: 'tick' }, 60_000);
    assert.equal(n.state, 'standby');
    assert.deepEqual(n.events('deaf'), [{ kind: 'deaf', cause: 'paused', until_ms: 63_000 }]);
    n.hear(activePrimary, 60_010, 70_000);
    assert.equal(n.state, 'standby', 'it hears the active peer: nothing to do');
    assert.deepEqual(n.roleChanges(), []);
  });

  it('after deafness an old advert does not make it claim: only what it hears since', () => {
    const n = new Node(PRIMARY);
    n.feed({ kind: 'check', name: 'app', ok: false }, 0);
    n.hear(peerAdvert({ state: 'fault', fit: false }), 0, 5001);
    n.feed({ kind: 'check', name: 'app', ok: true }, 5100);
    assert.equal(n.state, 'standby', 'the peer in fault at 5000 may have recovered since');
    n.feed({ kind: 'keepalive', path: 'lan', advert: peerAdvert({ state: 'fault', fit: false }) }, 6000);
    assert.equal(n.state, 'active', 'heard again in fault: takes over');
  });

  it('leaving a fault the node listens one dead interval before it claims on silence', () => {
    const n = new Node(SECONDARY);
    n.hear(activePrimary, 0, 5000);
    n.feed({ kind: 'check', name: 'app', ok: false }, 5000);
    n.feed({ kind: 'check', name: 'app', ok: true }, 10_000);
    assert.equal(n.state, 'standby');
    n.advance(12_999);
    assert.equal(n.state, 'standby');
    n.advance(13_000);
    assert.equal(n.state, 'active');
  });

  it('a path whose local address is gone is deaf: no claim on its silence, then a dead interval of listening', () => {
    const n = new Node(SECONDARY);
    n.hear(activePrimary, 0, 5000);
    // Our own admin down flushed the path's IPv6 address: the primary is last heard at 4000.
    n.feed({ kind: 'path-deaf', path: 'lan', deaf: true }, 4500);
    n.advance(30_000);
    assert.equal(n.state, 'standby', 'dead at 7000 by the clock, but nothing could reach us');
    assert.deepEqual(n.roleChanges(), []);
    n.feed({ kind: 'path-deaf', path: 'lan', deaf: false }, 30_000);
    assert.deepEqual(n.events('deaf'), [{ kind: 'deaf', cause: 'address-gone', until_ms: 33_000 }]);
    n.advance(32_999);
    assert.equal(n.state, 'standby', 'the address is back: it listens one dead interval first');
    n.advance(33_000);
    assert.equal(n.state, 'active', 'a whole dead interval of silence it could hear: the peer is dead');
  });

  it('with two paths, one losing its address changes nothing: the other one still hears', () => {
    const n = new Node({ ...SECONDARY, paths: ['lan', 'ha'] });
    for (let t = 0; t < 5000; t += 1000) {
      n.feed({ kind: 'keepalive', path: 'lan', advert: activePrimary }, t);
      n.feed({ kind: 'keepalive', path: 'ha', advert: activePrimary }, t);
    }
    n.feed({ kind: 'path-deaf', path: 'lan', deaf: true }, 4500);
    n.advance(6999);
    assert.equal(n.state, 'standby');
    n.advance(7000);
    assert.equal(n.state, 'active', 'silent on the path that can hear: dead');
    n.feed({ kind: 'path-deaf', path: 'lan', deaf: false }, 9000);
    assert.deepEqual(n.events('deaf'), [], 'never deaf on every path');
  });

  it('a node that was deaf while active keeps the role (the split-brain rule settles any overlap)', () => {
    const n = new Node(PRIMARY);
    n.advance(3000);
    n.feed({ kind: 'deaf', since_ms: 3000 }, 9000);
    assert.equal(n.state, 'active');
    assert.deepEqual(n.roleChanges(), [{ at: 3000, kind: 'claim' }]);
  });
});

describe('WAN loss', () => {
  it('the active node announces relinquish only after every WAN probe failed for 10 s', () => {
    const n = new Node(PRIMARY);
    n.hear(peerAdvert(), 0, 5000);
    assert.equal(n.state, 'active');
    n.feed({ kind: 'wan', ok: false }, 5000);
    n.advance(14_999);
    assert.equal(n.lastAdvert().relinquish, false);
    n.advance(15_000);
    assert.equal(n.lastAdvert().relinquish, true);
    assert.equal(n.lastAdvert().wan_ok, false);
    assert.deepEqual(n.events('relinquish'), [{ kind: 'relinquish', reason: 'wan-lost' }]);
  });

  it('a WAN blip shorter than 10 s changes nothing', () => {
    const n = new Node(PRIMARY);
    n.advance(5000);
    n.feed({ kind: 'wan', ok: false }, 5000);
    n.feed({ kind: 'wan', ok: true }, 14_000);
    n.feed({ kind: 'wan', ok: false }, 14_500);
    n.advance(24_000);
    assert.equal(n.lastAdvert().relinquish, false);
  });

  it('the standby takes over at once from a relinquishing active, without waiting a dead interval', () => {
    const n = new Node(SECONDARY);
    const primary = peerAdvert({ role: 'primary', node_id: 1, state: 'active' });
    n.hear(primary, 0, 10_001);
    n.feed(
      { kind: 'keepalive', path: 'lan', advert: { ...primary, relinquish: true, wan_ok: false } },
      10_500,
    );
    assert.equal(n.state, 'active');
    assert.deepEqual(n.roleChanges(), [{ at: 10_500, kind: 'claim' }]);
  });

  it('the relinquishing active yields as soon as the peer is active', () => {
    const n = new Node(PRIMARY);
    n.hear(peerAdvert(), 0, 5000);
    n.feed({ kind: 'wan', ok: false }, 5000);
    n.hear(peerAdvert(), 5000, 16_000);
    assert.equal(n.state, 'active');
    n.feed({ kind: 'keepalive', path: 'lan', advert: peerAdvert({ state: 'active' }) }, 16_000);
    assert.equal(n.state, 'standby');
  });

  it('a standby whose own WAN is lost does not take over from a relinquishing active', () => {
    const n = new Node(SECONDARY);
    n.feed({ kind: 'wan', ok: false }, 0);
    const primary = peerAdvert({
      role: 'primary',
      node_id: 1,
      state: 'active',
      relinquish: true,
      wan_ok: false,
    });
    n.hear(primary, 0, 60_000);
    assert.equal(n.state, 'standby');
    assert.deepEqual(n.roleChanges(), []);
  });

  it('a standby whose own WAN is down does not take over from silence either', () => {
    const n = new Node(SECONDARY);
    n.feed({ kind: 'wan', ok: false }, 0);
    n.hear(peerAdvert({ role: 'primary', node_id: 1, state: 'active' }), 0, 20_000);
    n.advance(60_000);
    assert.equal(n.state, 'standby');
    n.feed({ kind: 'wan', ok: true }, 60_000);
    assert.equal(n.state, 'active');
  });
});

describe('split brain', () => {
  it('when keepalives flow again the primary wins and the secondary releases', () => {
    const s = new Node(SECONDARY);
    s.advance(10_000);
    assert.equal(s.state, 'active');
    s.feed({
      kind: 'keepalive',
      path: 'lan',
      advert: peerAdvert({ role: 'primary', node_id: 1, state: 'active' }),
    });
    assert.equal(s.state, 'standby');
    assert.deepEqual(s.events('split-brain'), [{ kind: 'split-brain', winner: 'peer' }]);

    const p = new Node(PRIMARY);
    p.advance(10_000);
    p.feed({ kind: 'keepalive', path: 'lan', advert: peerAdvert({ state: 'active' }) });
    assert.equal(p.state, 'active');
    assert.deepEqual(p.events('split-brain'), [{ kind: 'split-brain', winner: 'self' }]);
    // The loser's claim may have been the last the network saw: the winner claims again.
    assert.deepEqual(
      p.roleChanges().map((c) => c.kind),
      ['claim', 'claim'],
    );
  });

  it('the winner claims again when the loser stepped down before the winner heard it', () => {
    const p = new Node(PRIMARY);
    p.advance(10_000);
    assert.equal(p.state, 'active');
    const effects = p.feed({ kind: 'keepalive', path: 'lan', advert: peerAdvert({ state: 'standby' }) });
    assert.equal(p.state, 'active');
    assert.ok(
      effects.some((e) => e.kind === 'claim'),
      JSON.stringify(effects),
    );
    // Only once: the peer is alive now.
    const again = p.feed(
      { kind: 'keepalive', path: 'lan', advert: peerAdvert({ state: 'standby' }) },
      10_100,
    );
    assert.ok(!again.some((e) => e.kind === 'claim'));
  });

  it('a restarting peer (init) does not make the active node claim again', () => {
    const p = new Node(PRIMARY);
    p.advance(10_000);
    const effects = p.feed({ kind: 'keepalive', path: 'lan', advert: peerAdvert({ state: 'init' }) });
    assert.ok(!effects.some((e) => e.kind === 'claim'), JSON.stringify(effects));
  });

  it('the healthier node wins: a primary without WAN yields to a secondary with it', () => {
    const p = new Node(PRIMARY);
    p.advance(5000);
    assert.equal(p.state, 'active', 'alone, it serves');
    p.feed({ kind: 'wan', ok: false }, 5000);
    p.advance(20_000);
    assert.equal(p.state, 'active', 'alone and without WAN, it keeps serving');
    p.feed({ kind: 'keepalive', path: 'lan', advert: peerAdvert({ state: 'active' }) });
    assert.equal(p.state, 'standby');
  });

  it('a lone node that starts with its WAN down does not claim until the WAN works', () => {
    const p = new Node(PRIMARY);
    p.feed({ kind: 'wan', ok: false }, 0);
    p.advance(20_000);
    assert.equal(p.state, 'standby');
    p.feed({ kind: 'wan', ok: true }, 20_000);
    assert.equal(p.state, 'active');
  });
});

describe('the cloud as arbiter', () => {
  const claims = (n: Node) => n.roleChanges().filter((c) => c.kind === 'claim').length;

  it('traffic seen at the peer while we are active: the primary claims again, once per episode', () => {
    const p = new Node(PRIMARY);
    p.hear(peerAdvert(), 0, 5000);
    p.advance(20_000);
    assert.equal(p.state, 'active');
    assert.equal(claims(p), 1);
    p.feed({ kind: 'observed', target: 'peer' });
    assert.equal(claims(p), 2);
    assert.deepEqual(p.events('split-brain'), [{ kind: 'split-brain', winner: 'self' }]);
    p.feed({ kind: 'observed', target: 'peer' }, 21_000);
    assert.equal(claims(p), 2, 'no second claim in the same episode: no route ping-pong');
    p.feed({ kind: 'observed', target: 'self' }, 22_000);
    p.feed({ kind: 'observed', target: 'peer' }, 23_000);
    assert.equal(claims(p), 3, 'a new episode is answered again');
  });

  it('the secondary does not fight for a route the primary holds, and keeps its state', () => {
    const s = new Node(SECONDARY);
    s.advance(10_000);
    assert.equal(s.state, 'active');
    s.feed({ kind: 'observed', target: 'peer' });
    s.feed({ kind: 'observed', target: 'peer' }, 11_000);
    assert.equal(claims(s), 1);
    assert.deepEqual(s.events('split-brain'), [{ kind: 'split-brain', winner: 'peer' }]);
  });

  it('traffic left at a live standby peer (a late claim) is taken back by the active node, whatever its rank', () => {
    const s = new Node(SECONDARY);
    s.hear(peerAdvert({ role: 'primary', node_id: 1, state: 'standby' }), 0, 1000);
    s.hear(peerAdvert({ role: 'primary', node_id: 1, state: 'fault', fit: false }), 1000, 5000);
    assert.equal(s.state, 'active');
    s.hear(peerAdvert({ role: 'primary', node_id: 1, state: 'standby' }), 5000, 6000);
    s.feed({ kind: 'observed', target: 'peer' }, 6000);
    assert.equal(claims(s), 2);
  });

  it('a standby ignores observations', () => {
    const s = new Node(SECONDARY);
    s.hear(peerAdvert({ role: 'primary', node_id: 1, state: 'active' }), 0, 5000);
    s.feed({ kind: 'observed', target: 'peer' });
    assert.deepEqual(s.events('split-brain'), []);
    assert.equal(claims(s), 0);
  });
});

describe('switchover', () => {
  it('the active node hands over: relinquish, the peer claims, then it releases and does not preempt back', () => {
    const n = new Node(PRIMARY);
    n.hear(peerAdvert(), 0, 5000);
    n.feed({ kind: 'admin', command: 'switchover' }, 5000);
    assert.deepEqual(n.events('switchover-accepted'), [{ kind: 'switchover-accepted' }]);
    assert.equal(n.lastAdvert().relinquish, true);
    assert.equal(n.state, 'active', 'keeps serving until the peer has taken over');
    n.hear(peerAdvert({ state: 'active' }), 5010, 60_000);
    assert.equal(n.state, 'standby');
    assert.deepEqual(n.roleChanges().at(-1), { at: 5010, kind: 'release' });
  });

  it('is refused, with the reason, when the peer is not healthy', () => {
    const silent = new Node(PRIMARY);
    silent.advance(5000);
    silent.feed({ kind: 'admin', command: 'switchover' });
    assert.deepEqual(silent.events('switchover-refused'), [
      { kind: 'switchover-refused', reason: 'peer-silent' },
    ]);

    const unfit = new Node(PRIMARY);
    unfit.hear(peerAdvert({ state: 'fault', fit: false }), 0, 5000);
    unfit.feed({ kind: 'admin', command: 'switchover' });
    assert.deepEqual(unfit.events('switchover-refused'), [
      { kind: 'switchover-refused', reason: 'peer-unfit' },
    ]);

    const noWan = new Node(PRIMARY);
    noWan.hear(peerAdvert({ wan_ok: false }), 0, 5000);
    noWan.feed({ kind: 'admin', command: 'switchover' });
    assert.deepEqual(noWan.events('switchover-refused'), [
      { kind: 'switchover-refused', reason: 'peer-wan-down' },
    ]);
    assert.equal(noWan.lastAdvert().relinquish, false);
  });

  it('a standby asks the active to hand over; the active answers once', () => {
    const s = new Node(SECONDARY);
    const primary = peerAdvert({ role: 'primary', node_id: 1, state: 'active' });
    s.hear(primary, 0, 5000);
    s.feed({ kind: 'admin', command: 'switchover' }, 5000);
    assert.equal(s.lastAdvert().takeover_request, true);

    const p = new Node(PRIMARY);
    p.hear(peerAdvert(), 0, 5000);
    p.hear(peerAdvert({ takeover_request: true }), 5000, 8000);
    assert.deepEqual(p.events('switchover-accepted'), [{ kind: 'switchover-accepted' }]);
    assert.equal(p.lastAdvert().relinquish, true);
  });

  it('a handover the peer never answers ends, and the node stays active', () => {
    const n = new Node(PRIMARY);
    n.hear(peerAdvert(), 0, 5000);
    n.feed({ kind: 'admin', command: 'switchover' }, 5000);
    n.hear(peerAdvert(), 5000, 20_000);
    assert.equal(n.state, 'active');
    assert.equal(n.lastAdvert().relinquish, false);
  });
});

describe('health', () => {
  it('a failed user check puts the node in fault and releases; recovery returns it to service', () => {
    const n = new Node(PRIMARY);
    n.advance(5000);
    n.feed({ kind: 'check', name: 'daemon', ok: false }, 5000);
    assert.equal(n.state, 'fault');
    assert.equal(n.lastAdvert().fit, false);
    n.feed({ kind: 'check', name: 'daemon', ok: true }, 6000);
    assert.equal(n.state, 'standby', 'back in service, listening before it claims on silence');
    n.advance(9000);
    assert.equal(n.state, 'active');
  });

  it('never fails over to an unfit standby: a node in fault does not claim on silence', () => {
    const n = new Node(SECONDARY);
    n.feed({ kind: 'check', name: 'daemon', ok: false }, 0);
    n.advance(60_000);
    assert.equal(n.state, 'fault');
    assert.deepEqual(n.roleChanges(), []);
  });

  it('the standby takes over at once from a peer that reports a fault', () => {
    const n = new Node(SECONDARY);
    n.hear(peerAdvert({ role: 'primary', node_id: 1, state: 'active' }), 0, 5000);
    n.feed({
      kind: 'keepalive',
      path: 'lan',
      advert: peerAdvert({ role: 'primary', node_id: 1, state: 'fault' }),
    });
    assert.equal(n.state, 'active');
  });
});

describe('maintenance and disable', () => {
  it('maintenance drains: the active keeps serving until the peer is active, then stays out', () => {
    const n = new Node(PRIMARY);
    n.hear(peerAdvert(), 0, 5000);
    n.feed({ kind: 'admin', command: 'maintenance-on' }, 5000);
    assert.equal(n.state, 'active');
    assert.equal(n.lastAdvert().relinquish, true);
    n.hear(peerAdvert({ state: 'active' }), 5100, 30_000);
    assert.equal(n.state, 'maintenance');
    n.feed({ kind: 'admin', command: 'maintenance-off' }, 30_000);
    n.hear(peerAdvert({ state: 'active' }), 30_000, 31_001);
    assert.equal(n.lastAdvert().takeover_request, true, 'back in service, the primary asks for the role');
    n.feed({ kind: 'keepalive', path: 'lan', advert: peerAdvert() }, 31_001);
    assert.equal(n.state, 'active', 'and takes it once the peer has stepped down');
  });

  it('disable releases at once and announces it', () => {
    const n = new Node(PRIMARY);
    n.hear(peerAdvert(), 0, 5000);
    n.feed({ kind: 'admin', command: 'disable' }, 5000);
    assert.equal(n.state, 'disabled');
    assert.equal(n.lastAdvert().state, 'disabled');
    assert.deepEqual(n.roleChanges().at(-1), { at: 5000, kind: 'release' });
  });
});

describe('readiness', () => {
  it('is Ready with one active, one standby, keepalives both ways, WAN on both and the same major', () => {
    const n = new Node(PRIMARY);
    n.hear(peerAdvert(), 0, 5000);
    assert.deepEqual(n.s.readiness, {
      connected: true,
      keepalive: true,
      same_version: true,
      ready: true,
      active: 'primary',
    });
  });

  it('a different major version shows Not Ready but never blocks failover', () => {
    const n = new Node(SECONDARY);
    const old = peerAdvert({
      role: 'primary',
      node_id: 1,
      state: 'active',
      version: { major: 0, minor: 9, patch: 0 },
    });
    n.hear(old, 0, 5000);
    assert.equal(n.s.readiness.same_version, false);
    assert.equal(n.s.readiness.ready, false);
    assert.equal(n.events('version-mismatch').length, 1);
    n.advance(9000);
    assert.equal(n.state, 'active');
  });

  it('is Not Ready while the peer is silent, and says who is active', () => {
    const n = new Node(PRIMARY);
    n.advance(5000);
    assert.equal(n.s.readiness.ready, false);
    assert.equal(n.s.readiness.keepalive, false);
    assert.equal(n.s.readiness.active, 'primary');
  });

  it('emits indicators only when they change', () => {
    const n = new Node(PRIMARY);
    n.hear(peerAdvert(), 0, 30_000);
    const changes = n.log.filter((l) => l.effect.kind === 'indicators');
    assert.ok(changes.length >= 1 && changes.length <= 3, `got ${changes.length}`);
  });
});

describe('the machine itself', () => {
  it('does nothing before start and rejects a nonsensical config', () => {
    const s = initialState(PRIMARY);
    const r = step(s, { kind: 'tick' }, 10_000);
    assert.deepEqual(r.effects, []);
    assert.throws(() => initialState({ ...PRIMARY, paths: [] }), /keepalive path/);
    assert.throws(() => initialState({ ...PRIMARY, dead_multiplier: 1 }), /dead_multiplier/);
  });

  it('marks exact only a deadline that may claim, not a keepalive send', () => {
    const n = new Node(SECONDARY);
    n.hear(peerAdvert({ role: 'primary', state: 'active', priority: 200, interval_ms: 1000 }), 0, 10_000);
    assert.equal(n.state, 'standby');
    const arms = n.log.filter((l) => l.at >= 5000).map((l) => l.effect);
    // Heard every interval: the next send is always the earliest deadline, a plain one.
    assert.ok(arms.some((e) => e.kind === 'arm-timer'));
    for (const e of arms) if (e.kind === 'arm-timer') assert.equal(e.exact, false, `${e.at_ms}`);
    // Silent: after its last send before the peer's dead deadline, the node arms that deadline, exact.
    n.log.length = 0;
    n.advance(12_000);
    const last = n.log.filter((l) => l.effect.kind === 'arm-timer').map((l) => l.effect);
    const deadline = last.find((e) => e.kind === 'arm-timer' && e.exact);
    assert.ok(deadline?.kind === 'arm-timer', 'an exact deadline is armed');
    assert.equal(deadline.at_ms, 9000 + 3000, 'the peer dead deadline: last heard + 3 intervals');
  });

  it('always arms a timer in the future or now, never in the past', () => {
    const n = new Node(PRIMARY);
    n.hear(peerAdvert(), 0, 20_000);
    for (const l of n.log) if (l.effect.kind === 'arm-timer') assert.ok(l.effect.at_ms >= l.at);
  });
});

describe('reload (reconfigure)', () => {
  it('an active node keeps its role and the traffic across a reload; the new interval paces keepalives', () => {
    const n = new Node(PRIMARY);
    n.hear(peerAdvert(), 0, 4001);
    assert.equal(n.state, 'active');
    const claims = n.roleChanges().length;
    n.feed({ kind: 'reconfigure', config: { ...PRIMARY, interval_ms: 200, priority: 250 } }, 4050);
    n.hear(peerAdvert({ interval_ms: 200 }), 4100, 6000, 'lan', 200);
    assert.equal(n.state, 'active');
    assert.equal(n.roleChanges().length, claims, 'no release and no second claim');
    const sent = n.log.filter((l) => l.effect.kind === 'send-keepalive' && l.at > 5000).map((l) => l.at);
    assert.ok(sent.length >= 4, `keepalives every 200 ms after the reload, got ${sent.join(',')}`);
  });

  it('a shorter interval of our own does not shorten the deadline of a peer still advertising a longer one', () => {
    const n = new Node(SECONDARY);
    n.hear(peerAdvert({ role: 'primary', node_id: 1, state: 'active' }), 0, 10_001);
    n.feed({ kind: 'reconfigure', config: { ...SECONDARY, interval_ms: 100 } }, 10_050);
    // The peer last said 1000 ms: it is dead after 3 × 1000, not 3 × 100.
    assert.equal(n.s.dead_after_ms, 3000);
    n.advance(10_000 + 2999);
    assert.equal(n.state, 'standby');
    n.advance(10_000 + 3000);
    assert.equal(n.state, 'active');
  });

  it('once the peer advertises the shorter interval too, the shorter deadline applies', () => {
    const n = new Node(SECONDARY);
    const primary = peerAdvert({ role: 'primary', node_id: 1, state: 'active' });
    n.hear(primary, 0, 10_001);
    n.feed({ kind: 'reconfigure', config: { ...SECONDARY, interval_ms: 100 } }, 10_050);
    n.feed({ kind: 'keepalive', path: 'lan', advert: { ...primary, interval_ms: 100 } }, 10_100);
    assert.equal(n.s.dead_after_ms, 300);
    n.advance(10_100 + 299);
    assert.equal(n.state, 'standby');
    n.advance(10_100 + 300);
    assert.equal(n.state, 'active');
  });

  it('a peer that slows down stretches our deadline before our own config follows', () => {
    const n = new Node(SECONDARY);
    const primary = peerAdvert({ role: 'primary', node_id: 1, state: 'active' });
    n.hear(primary, 0, 5001);
    // The peer took 4000 ms first; it now sends every 4 s and we still run at 1000.
    n.hear({ ...primary, interval_ms: 4000 }, 5001, 30_000, 'lan', 4000);
    assert.equal(n.state, 'standby');
    assert.equal(n.s.dead_after_ms, 12_000);
    assert.deepEqual(n.roleChanges(), []);
  });

  it("a peer's advertised interval stretches the deadline only up to the agent's own bound", () => {
    const n = new Node(SECONDARY);
    n.feed({ kind: 'keepalive', path: 'lan', advert: peerAdvert({ interval_ms: 4_000_000_000 }) }, 10);
    assert.equal(n.s.dead_after_ms, 60_000 * 3);
  });

  it('a path added on reload starts unheard; a removed path no longer keeps the peer alive', () => {
    const n = new Node(SECONDARY);
    n.hear(peerAdvert({ role: 'primary', node_id: 1, state: 'active' }), 0, 5001, 'lan');
    n.feed({ kind: 'reconfigure', config: { ...SECONDARY, paths: ['wan'] } }, 5001);
    assert.deepEqual(n.s.last_seen_ms, { wan: null });
    n.advance(6000);
    assert.equal(n.state, 'active', 'only the removed path heard the peer');
  });

  it('a reload never changes identity: a new role is refused', () => {
    const n = new Node(SECONDARY);
    assert.throws(() => n.feed({ kind: 'reconfigure', config: { ...PRIMARY } }), /cannot change/);
  });
});
