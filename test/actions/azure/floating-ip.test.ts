// azure-floating-ip through @azure/arm-network against the simulator over HTTPS: the move by address with a
// primary ipConfiguration not named ipconfig1, the NIC delay on an injected clock with progress, 409/412/429/5xx,
// a missing permission, a dead peer VM, and both nodes claiming at once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ActionProgress } from '../../../src/actions/types.js';
import { ManualClock } from '../../../src/sim/clock.js';
import { type Sim, startSim } from '../../../src/sim/server.js';
import { startTestSim, testScenario } from '../../sim/helpers.js';
import { caFile, driver, FLOAT, floatingSpec, holders } from './fixtures.js';

const CTX = { deadline_ms: 60_000 };

describe('azure-floating-ip', () => {
  let sim: Sim;
  let ca: string;
  before(async () => {
    sim = await startTestSim();
    ca = caFile(sim);
  });
  after(() => sim.close());

  it('moves the address from the peer NIC (found by address) to ours, in our primary "ipv4config" subnet, and reads it back', async () => {
    assert.deepEqual(holders(sim, FLOAT), ['node-a-nic']);
    const b = driver(sim, 'node-b', floatingSpec(sim, 'node-b', ca));
    const a = driver(sim, 'node-a', floatingSpec(sim, 'node-a', ca));
    assert.equal((await b.observe(CTX)).target, 'peer');
    const phases: ActionProgress[] = [];
    const result = await b.claim({ ...CTX, progress: (p) => phases.push(p) });
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.deepEqual(holders(sim, FLOAT), ['node-b-nic']);
    const nic =
      sim.state.azure.data.nics[
        Object.keys(sim.state.azure.data.nics).find((k) => k.endsWith('node-b-nic'))!
      ]!;
    const added = nic.ip_configurations.find((c) => c.private_ip === FLOAT)!;
    assert.equal(added.primary, false);
    assert.equal(added.subnet_id, nic.ip_configurations.find((c) => c.primary)!.subnet_id);
    assert.equal(
      nic.ip_configurations.find((c) => c.primary)!.name,
      'ipv4config',
      'the primary kept its name',
    );
    const order = phases.map((p) => p.phase).filter((p, i, all) => all.indexOf(p) === i);
    assert.deepEqual(order, ['peer-nic-read', 'peer-nic-update', 'own-nic-update', 'confirmed']);
    assert.equal((await b.observe(CTX)).target, 'self');
    assert.equal((await a.observe(CTX)).target, 'peer');
    // And back: node-a's primary is "ipconfig1"; the name of ours never matters.
    assert.equal((await a.claim(CTX)).ok, true);
    assert.deepEqual(holders(sim, FLOAT), ['node-a-nic']);
    // Claiming what we already hold is one read of each NIC, no write.
    const mark = sim.calls.last_seq();
    assert.equal((await a.claim(CTX)).ok, true);
    assert.equal(sim.calls.list({ since_seq: mark }).filter((c) => c.action.endsWith('/write')).length, 0);
  });

  it('a dead peer VM: its NIC is a separate resource, so the move still works', async () => {
    const vm = Object.values(sim.state.azure.data.vms).find((v) => v.name === 'node-a')!;
    const nicHolder = holders(sim, FLOAT);
    assert.deepEqual(nicHolder, ['node-a-nic']);
    assert.equal(sim.vanish(vm.id), true);
    const b = driver(sim, 'node-b', floatingSpec(sim, 'node-b', ca));
    assert.equal((await b.claim(CTX)).ok, true);
    assert.deepEqual(holders(sim, FLOAT), ['node-b-nic']);
  });

  it('409, 412, 429 (Retry-After) and 5xx on the writes are retried inside the deadline; the end state is read back', async () => {
    const write = 'Microsoft.Network/networkInterfaces/write';
    const cases = [
      { error_status: 409, error_code: 'AnotherOperationInProgress' },
      { error_status: 412, error_code: 'PreconditionFailed' },
      { error_status: 429, error_code: 'TooManyRequests', retry_after_s: 0 },
      { error_status: 500, error_code: 'InternalServerError' },
      { error_status: 503, error_code: 'ServiceUnavailable' },
    ];
    let at = holders(sim, FLOAT)[0]!;
    for (const c of cases) {
      const node = at === 'node-a-nic' ? 'node-b' : 'node-a';
      sim.faults.set({ action: write, error_rate: 0.6, ...c });
      const mark = sim.calls.last_seq();
      const result = await driver(sim, node, floatingSpec(sim, node, ca)).claim(CTX);
      sim.faults.clear();
      assert.equal(result.ok, true, `${c.error_code}: ${JSON.stringify(result)}`);
      const hits = sim.calls.list({ since_seq: mark }).filter((x) => x.status === c.error_status);
      assert.ok(hits.length >= 1, `${c.error_code} was injected at least once`);
      at = `${node}-nic`;
      assert.deepEqual(holders(sim, FLOAT), [at]);
    }
  });

  it('an update whose operation ends Failed is done again from a fresh read', async () => {
    const node = holders(sim, FLOAT)[0] === 'node-a-nic' ? 'node-b' : 'node-a';
    sim.faults.set({ action: 'Microsoft.Network/networkInterfaces/write', fail_operation: true });
    const d = driver(sim, node, floatingSpec(sim, node, ca));
    const pending = d.claim(CTX);
    await new Promise((r) => setTimeout(r, 1500));
    sim.faults.clear();
    const result = await pending;
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.deepEqual(holders(sim, FLOAT), [`${node}-nic`]);
  });

  it('a missing permission fails at once with AZURE_FORBIDDEN (no retry until the deadline), and nothing moved', async () => {
    const before = holders(sim, FLOAT);
    const node = before[0] === 'node-a-nic' ? 'node-b' : 'node-a';
    const started = performance.now();
    const result = await driver(sim, 'readonly', floatingSpec(sim, node, ca)).claim(CTX);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, 'AZURE_FORBIDDEN');
    assert.equal(!result.ok && result.error.retryable, false);
    assert.match(!result.ok ? result.error.message : '', /azure-role/);
    assert.ok(performance.now() - started < CTX.deadline_ms / 2, 'did not wait for the deadline');
    assert.deepEqual(holders(sim, FLOAT), before);
  });

  it('both nodes claiming at once: the address ends on exactly one NIC and stays there', async () => {
    for (let round = 0; round < 2; round++) {
      const a = driver(sim, 'node-a', floatingSpec(sim, 'node-a', ca));
      const b = driver(sim, 'node-b', floatingSpec(sim, 'node-b', ca));
      const [ra, rb] = await Promise.all([a.claim(CTX), b.claim(CTX)]);
      assert.ok(ra.ok || rb.ok, `one claim succeeds: ${JSON.stringify([ra, rb])}`);
      const held = holders(sim, FLOAT);
      assert.equal(held.length, 1, `exactly one holder: ${held}`);
      await new Promise((r) => setTimeout(r, 1000));
      assert.deepEqual(holders(sim, FLOAT), held, 'and it stays');
      const seen = [(await a.observe(CTX)).target, (await b.observe(CTX)).target].sort();
      assert.deepEqual(seen, ['peer', 'self']);
    }
    // Now with the address on neither NIC (a third party removed it).
    const nics = Object.values(sim.state.azure.data.nics);
    for (const n of nics) n.ip_configurations = n.ip_configurations.filter((c) => c.private_ip !== FLOAT);
    assert.deepEqual(holders(sim, FLOAT), []);
    const a = driver(sim, 'node-a', floatingSpec(sim, 'node-a', ca));
    const b = driver(sim, 'node-b', floatingSpec(sim, 'node-b', ca));
    const results = await Promise.all([a.claim(CTX), b.claim(CTX)]);
    const held = holders(sim, FLOAT);
    assert.equal(held.length, 1, `exactly one holder: ${held} ${JSON.stringify(results)}`);
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(holders(sim, FLOAT), held);
    const loser = results.find((r) => !r.ok);
    if (loser && !loser.ok) assert.equal(loser.error.code, 'AZURE_PEER_CLAIMED');
  });
});

describe('azure-floating-ip: the NIC delay on an injected clock', () => {
  it('waits out a 120 s NIC update per step (longer than the agent-wide 30 s), reporting progress, then confirms', async () => {
    const clock = new ManualClock();
    const sim = await startSim({
      clock,
      scenario: testScenario((s) => {
        s.azure!.nic_update_delay_ms = 120_000;
      }),
    });
    try {
      const ca = caFile(sim);
      const phases: string[] = [];
      const b = driver(sim, 'node-b', floatingSpec(sim, 'node-b', ca));
      const pending = b.claim({ deadline_ms: 180_000, progress: (p) => phases.push(p.phase) });
      const until = async (what: string, ok: () => boolean): Promise<void> => {
        for (let i = 0; i < 600 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
        assert.ok(ok(), what);
      };
      await until('the peer update started', () => phases.includes('peer-nic-update'));
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(
        sim.state.azure.holderOf(FLOAT)?.name,
        'node-a-nic',
        'held by the peer until its update completes',
      );
      assert.ok(!phases.includes('own-nic-update'), 'step 2 waits for step 1');
      clock.advance(60_000);
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(!phases.includes('own-nic-update'), 'half way: still waiting');
      clock.advance(60_000);
      await until('our update started', () => phases.includes('own-nic-update'));
      // The phase is reported just before the PUT: advance only once the simulator has the update running.
      const ours = Object.values(sim.state.azure.data.nics).find((n) => n.name === 'node-b-nic')!;
      await until('our update reached the simulator', () => ours.provisioning_state === 'Updating');
      clock.advance(120_000);
      const result = await pending;
      assert.equal(result.ok, true, JSON.stringify(result));
      assert.deepEqual(holders(sim, FLOAT), ['node-b-nic']);
      assert.equal(phases.at(-1), 'confirmed');
    } finally {
      await sim.close();
    }
  });
});
