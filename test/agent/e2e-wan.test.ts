// WAN loss (probe target blocked with nftables): the active node relinquishes and the standby takes over
// while the active is still alive (no dead interval involved); with WAN lost on both, nobody moves.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inLab, nft, sleep, until } from './lab.js';

test('WAN lost on both ⇒ nobody moves; WAN back on the standby only ⇒ relinquish and takeover', () =>
  inLab(async (lab) => {
    const wan = {
      wan_loss_relinquish_ms: 1000,
      // A dead interval of 10 s: any takeover before it came from relinquish, not detection.
      dead_multiplier: 100,
      monitors: [{ kind: 'icmp', name: 'wan', target: lab.addr('wan'), interval_ms: 200, timeout_ms: 150 }],
    };
    const a = lab.startAgent('a', wan);
    const b = lab.startAgent('b', wan);
    await a.waitState('active', 30_000);
    await b.waitState('standby', 30_000);

    await lab.rule(nft.blockIcmpTo(lab.ns('a'), lab.addr('wan')));
    const bBlocked = await lab.rule(nft.blockIcmpTo(lab.ns('b'), lab.addr('wan')));
    await until('a relinquishing', () => a.lines.some((l) => l.msg === 'relinquish'));
    // Past the 1 s threshold on both: the relinquished role has nowhere better to go.
    await sleep(2000);
    assert.equal(a.state, 'active');
    assert.equal(b.state, 'standby');
    await lab.untilServedBy('a');

    const t0 = performance.now();
    await bBlocked.remove();
    await b.waitState('active');
    await a.waitState('standby');
    assert.ok(performance.now() - t0 < 10_000, 'took over before the 10 s dead interval');
    await lab.untilServedBy('b');
    assert.equal(await lab.hasVip('a'), false);
  }));
