// End to end: two `tandem agent` processes on loopback, each an EC2 instance of the simulator with its own
// instance role. Kill -9 the active one: every route's next hop becomes the survivor's ENI. Start it again:
// preemption moves them back, and the routes stay there.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Sim } from '../../../src/sim/server.js';
import { ENI_A, ENI_B, startTestSim } from './fixtures.js';
import { allAt, Pair, targets, until } from './pair-harness.js';

const TABLES = 3;

describe('aws pair end to end (two agent processes, simulated EC2)', () => {
  let sim: Sim;
  let pair: Pair;
  before(async () => {
    sim = await startTestSim(TABLES);
    pair = new Pair({ sim, tables: TABLES, interval_ms: 100, dead_multiplier: 5, observe_interval_ms: 300 });
  });
  after(async () => {
    await pair.stop();
    await sim.close();
  });

  it('fails over to the survivor, then preemption moves every route back to the primary', async () => {
    const dests = pair.destinations;
    const a = pair.start('a');
    const b = pair.start('b');
    await until('node a active', async () => (await a.state()) === 'active', 30_000);
    await until('node b standby', async () => (await b.state()) === 'standby', 30_000);
    await until('every route at node a', () => allAt(sim, TABLES, dests, ENI_A), 15_000);

    a.kill('SIGKILL');
    await a.exited;
    await until('every route at node b', () => allAt(sim, TABLES, dests, ENI_B), 20_000);
    assert.equal(await b.state(), 'active');
    // The survivor used the instance role from its metadata, not keys: its calls carry node-b's identity.
    const writers = new Set(
      sim.calls
        .list({ action: 'ReplaceRoute' })
        .concat(sim.calls.list({ action: 'CreateRoute' }))
        .map((c) => c.identity),
    );
    assert.ok(writers.has('node-b'), [...writers].join(','));

    const a2 = pair.start('a');
    await until('node a active again (preemption)', async () => (await a2.state()) === 'active', 30_000);
    await until('every route back at node a', () => allAt(sim, TABLES, dests, ENI_A), 20_000);
    await until('node b standby again', async () => (await b.state()) === 'standby', 10_000);
    // Stays there: the demoted node does not fight, the arbiter of the active node finds nothing to repair.
    const since = sim.calls.last_seq();
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(targets(sim, TABLES, dests), Array(TABLES * dests.length).fill(`${ENI_A}:active`));
    const writes = sim.calls
      .list({ since_seq: since })
      .filter((c) => c.action === 'ReplaceRoute' || c.action === 'CreateRoute');
    assert.equal(writes.length, 0, JSON.stringify(writes));
  });
});

describe('aws pair end to end: a split brain does not flap the routes', () => {
  let sim: Sim;
  let pair: Pair;
  before(async () => {
    sim = await startTestSim(TABLES);
    // Different pair keys: each node rejects the other's keepalives, so both become active.
    pair = new Pair({
      sim,
      tables: TABLES,
      interval_ms: 100,
      dead_multiplier: 5,
      observe_interval_ms: 200,
      split_keys: true,
    });
  });
  after(async () => {
    await pair.stop();
    await sim.close();
  });

  it('both active: core gives the routes back to the primary once, the secondary never fights, nothing flaps', async () => {
    await splitBrain().catch((err: unknown) => {
      console.log(pair.dump());
      throw err;
    });
  });

  async function splitBrain(): Promise<void> {
    const dests = pair.destinations;
    const a = pair.start('a');
    await until('node a active', async () => (await a.state()) === 'active', 30_000);
    await until('every route at node a', () => allAt(sim, TABLES, dests, ENI_A), 15_000);
    const b = pair.start('b');
    await until('node b active too', async () => (await b.state()) === 'active', 30_000);
    await until(
      'node a sees the routes at its peer',
      () => a.logged('aws arbiter: split-brain').length > 0,
      20_000,
    );
    // The keepalives cannot cross (different keys), so the cloud is the arbiter: the primary claims again.
    await until('every route back at node a', () => allAt(sim, TABLES, dests, ENI_A), 20_000);
    await until('node b reports it too', () => b.logged('aws arbiter: split-brain').length > 0, 20_000);
    assert.equal(await a.state(), 'active', 'core (keepalives) cannot see the peer: both stay active');
    assert.equal(await b.state(), 'active');
    const since = sim.calls.last_seq();
    await new Promise((r) => setTimeout(r, 2000));
    const writes = sim.calls
      .list({ since_seq: since })
      .filter((c) => c.action === 'ReplaceRoute' || c.action === 'CreateRoute');
    assert.equal(writes.length, 0, `nobody fights over the routes: ${JSON.stringify(writes)}`);
    assert.deepEqual(targets(sim, TABLES, dests), Array(TABLES * dests.length).fill(`${ENI_A}:active`));
    assert.equal(a.logged('aws arbiter: split-brain').length, 1, 'reported once, not at every interval');
    assert.equal(b.logged('aws arbiter: split-brain').length, 1);
  }
});
