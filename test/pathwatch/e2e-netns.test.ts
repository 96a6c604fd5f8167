// The bar, end to end: `tandem pathwatch` in a namespace probing an on-premises namespace over a
// primary and a backup link, writing the simulated AWS route tables through the EC2 SDK. Blocking the primary
// with nftables makes the static route win over the propagated one; unblocking deletes it only after the
// configured healthy rounds; a restart in the middle keeps the route; a flapping primary moves it once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../helpers/netns.js';
import { ENI_VPN, effective, RTB_1, RTB_2, VGW } from './fixtures.js';
import { type Pathwatch, Rig } from './rig.js';

const HEALTHY_ROUNDS = 8;
const VIA_VPN = `${ENI_VPN} CreateRoute`;
const VIA_DX = `${VGW} EnableVgwRoutePropagation`;

describe('pathwatch on namespaces (200 ms rounds)', { timeout: 120_000 }, () => {
  let rig: Rig;
  let pw: Pathwatch;
  before(async () => {
    rig = await Rig.start({ interval_ms: 200, healthy_rounds: HEALTHY_ROUNDS });
  });
  after(async () => {
    await pw?.stop();
    await rig?.destroy();
  });

  const tables = (): string[] => [effective(rig.sim, RTB_1), effective(rig.sim, RTB_2)];
  const writes = (since: number): string[] =>
    rig.sim.calls
      .list({ since_seq: since })
      .filter((c) => c.action !== 'DescribeRouteTables')
      .map((c) => `${c.action} ${c.status}`);
  const primaryRounds = (p: Pathwatch) => p.events('probe').filter((l) => l.path === 'primary');

  it('starts on the propagated Direct Connect route and sees both paths up', async () => {
    pw = rig.startPathwatch();
    await eventually(() => pw.events('resumed').length > 0, 30_000, 'resumed');
    assert.equal(pw.events('resumed')[0]?.active_path, 'primary');
    await eventually(
      () => primaryRounds(pw).filter((l) => l.reachable === true).length >= 3,
      10_000,
      'rounds',
    );
    assert.deepEqual(tables(), [VIA_DX, VIA_DX]);
    const round = primaryRounds(pw).at(-1)!;
    assert.equal(round.msg, '192.168.10.10: reachable – active_path: direct-connect');
    assert.equal(typeof round.rtt_ms, 'number');
  });

  it('blocking the primary creates the static route: it becomes the effective route in every table', async () => {
    const since = rig.sim.calls.last_seq();
    await rig.blockPrimary();
    await eventually(() => tables().every((t) => t === VIA_VPN), 15_000, 'static route effective');
    await eventually(() => pw.events('switch-done').length > 0, 5000, 'switch-done logged');
    assert.deepEqual(writes(since), ['CreateRoute 200', 'CreateRoute 200']);
    assert.equal(pw.events('failover-started').length, 1);
    await eventually(
      () => primaryRounds(pw).at(-1)?.msg === '192.168.10.10: unreachable – active_path: vpn',
      5000,
      'the reference log line',
    );
  });

  it('a restart while the primary is still down keeps the route', async () => {
    await pw.stop();
    const since = rig.sim.calls.last_seq();
    pw = rig.startPathwatch();
    await eventually(() => pw.events('resumed').length > 0, 30_000, 'resumed after restart');
    assert.equal(pw.events('resumed')[0]?.active_path, 'backup');
    // Well past the healthy-round count, the primary still down: nothing is written.
    await eventually(() => primaryRounds(pw).length >= HEALTHY_ROUNDS + 4, 10_000, 'rounds after restart');
    assert.deepEqual(writes(since), []);
    assert.deepEqual(tables(), [VIA_VPN, VIA_VPN]);
  });

  it('unblocking deletes the route only after the configured healthy rounds', async () => {
    const since = rig.sim.calls.last_seq();
    await rig.unblockPrimary();
    await eventually(() => tables().every((t) => t === VIA_DX), 15_000, 'back on the propagated route');
    assert.deepEqual(writes(since), ['DeleteRoute 200', 'DeleteRoute 200']);
    const started = pw.events('failback-started');
    assert.equal(started.length, 1);
    assert.equal(started[0]?.healthy_rounds, HEALTHY_ROUNDS);
    // The log shows those rounds: exactly that many reachable primary rounds after the last unreachable one.
    const before = pw.lines
      .slice(0, pw.lines.indexOf(started[0]!))
      .filter((l) => l.event === 'probe' && l.path === 'primary');
    const lastDown = before.map((l) => l.reachable).lastIndexOf(false);
    assert.equal(before.length - 1 - lastDown, HEALTHY_ROUNDS);
  });

  it('a primary flapping every second moves the route once and never back while it flaps', async () => {
    const since = rig.sim.calls.last_seq();
    for (let i = 0; i < 4; i++) {
      await rig.blockPrimary();
      await new Promise((r) => setTimeout(r, 1000));
      await rig.unblockPrimary();
      // Up for 1 s = 5 rounds, fewer than the 8 the failback needs.
      await new Promise((r) => setTimeout(r, 1000));
    }
    await rig.blockPrimary();
    await new Promise((r) => setTimeout(r, 600));
    assert.deepEqual(writes(since), ['CreateRoute 200', 'CreateRoute 200']);
    assert.deepEqual(tables(), [VIA_VPN, VIA_VPN]);
    await rig.unblockPrimary();
    await eventually(() => tables().every((t) => t === VIA_DX), 15_000, 'failback once stable');
    assert.deepEqual(writes(since), [
      'CreateRoute 200',
      'CreateRoute 200',
      'DeleteRoute 200',
      'DeleteRoute 200',
    ]);
  });

  it('with the backup path down too, a dead primary moves nothing; once the backup answers, it fails over', async () => {
    const since = rig.sim.calls.last_seq();
    await rig.blockBackup();
    await eventually(
      () =>
        pw
          .events('probe')
          .filter((l) => l.path === 'backup')
          .at(-1)?.reachable === false,
      5000,
      'the backup seen down',
    );
    await rig.blockPrimary();
    await eventually(() => pw.events('failover-vetoed').length === 1, 5000, 'the failover refused');
    // Rounds go by with both down: refused once, nothing written.
    const rounds = primaryRounds(pw).length;
    await eventually(() => primaryRounds(pw).length >= rounds + 5, 5000, 'rounds with both down');
    assert.equal(pw.events('failover-vetoed').length, 1);
    assert.deepEqual(writes(since), []);
    assert.deepEqual(tables(), [VIA_DX, VIA_DX]);
    await rig.unblockBackup();
    await eventually(() => tables().every((t) => t === VIA_VPN), 15_000, 'failover once the backup answers');
    assert.deepEqual(writes(since), ['CreateRoute 200', 'CreateRoute 200']);
    await rig.unblockPrimary();
  });
});
