// eni, secondary-ip and eip through @aws-sdk/client-ec2 against the simulator (CLOUD.md §1.4–1.5).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { ipCommand } from '../../../src/actions/aws/local-address.js';
import type { EipSpec, EniSpec, SecondaryIpSpec } from '../../../src/actions/aws/schema.js';
import type { Sim } from '../../../src/sim/server.js';
import {
  CTX,
  driver,
  EIP,
  ENI_A,
  ENI_B,
  ENI_FLOAT,
  I_A,
  I_B,
  I_C,
  nodeSpecs,
  SECONDARY_IP,
  startTestSim,
} from './fixtures.js';

const specOf = <K extends string>(node: 'a' | 'b', kind: K) => {
  const s = nodeSpecs(node, 1).find((x) => x.kind === kind);
  if (!s) throw new Error(kind);
  return s;
};

describe('aws-eni', () => {
  let sim: Sim;
  beforeEach(async () => {
    sim = await startTestSim(1);
  });
  afterEach(() => sim.close());

  const eniSpec = (node: 'a' | 'b', extra: Partial<EniSpec> = {}): EniSpec => ({
    ...(specOf(node, 'aws-eni') as EniSpec),
    instance_id: node === 'a' ? I_A : I_B,
    ...extra,
  });

  it('moves the ENI from the peer: forced detach, wait for available, attach at the device index', async () => {
    const b = driver(sim, 'node-b', eniSpec('b'));
    assert.deepEqual(await b.observe(CTX), { target: 'peer' });
    const since = sim.calls.last_seq();
    const result = await b.claim(CTX);
    assert.equal(result.ok, true, JSON.stringify(result));
    const eni = sim.state.eni(ENI_FLOAT);
    assert.deepEqual(
      [eni.attachment?.instance_id, eni.attachment?.device_index, eni.attachment?.status],
      [I_B, 1, 'attached'],
    );
    const actions = sim.calls.list({ since_seq: since }).map((c) => c.action);
    assert.deepEqual(
      actions.filter((a) => a !== 'DescribeNetworkInterfaces'),
      ['DetachNetworkInterface', 'AttachNetworkInterface'],
    );
    assert.deepEqual(await b.observe(CTX), { target: 'self' });
    // Claiming what we hold is one read and no write.
    const again = await b.claim(CTX);
    assert.deepEqual([again.ok, again.calls], [true, 1]);
    b.close();
  });

  it('refuses a cross-AZ pair at preflight and at claim', async () => {
    const c = driver(sim, 'node-c', { ...eniSpec('a'), instance_id: I_C, peer_instance_id: I_A });
    const checks = await c.preflight(CTX);
    const az = checks.find((x) => /share an AZ/.test(x.check));
    assert.equal(az?.status, 'error');
    assert.match(az?.fix ?? '', /aws-route-table/);
    const result = await c.claim(CTX);
    assert.equal(result.ok ? '' : result.error.code, 'AWS_CROSS_AZ');
    assert.equal(sim.state.eni(ENI_FLOAT).attachment?.instance_id, I_A, 'nothing moved');
    c.close();
  });

  it('a vanished ENI fails the claim with AWS_NOT_FOUND and observes as unknown', async () => {
    const b = driver(sim, 'node-b', eniSpec('b'));
    await b.prepare();
    assert.ok(sim.vanish(ENI_FLOAT));
    const result = await b.claim(CTX);
    assert.equal(result.ok ? '' : result.error.code, 'AWS_NOT_FOUND');
    const seen = await b.observe(CTX);
    assert.equal(seen.target, 'unknown');
    b.close();
  });

  it('gives up at the deadline when the detach never completes', async () => {
    sim.state.aws.data.detach_delay_ms = 60_000;
    const b = driver(sim, 'node-b', eniSpec('b'));
    // A deadline long enough for the calls themselves on a loaded host, far shorter than the detach.
    const result = await b.claim({ deadline_ms: 4000 });
    assert.equal(result.ok ? '' : result.error.code, 'AWS_NOT_CONFIRMED');
    assert.match(result.ok ? '' : result.error.message, /not available/);
    b.close();
  });

  it('release detaches gracefully, so the next claim needs no Force', async () => {
    const a = driver(sim, 'node-a', eniSpec('a'));
    assert.equal((await a.release(CTX)).ok, true);
    const b = driver(sim, 'node-b', eniSpec('b'));
    const since = sim.calls.last_seq();
    assert.equal((await b.claim(CTX)).ok, true);
    assert.equal(sim.calls.list({ since_seq: since, action: 'DetachNetworkInterface' }).length, 0);
    a.close();
    b.close();
  });

  it('a claim right after our own release waits for the detach to finish and attaches again', async () => {
    const a = driver(sim, 'node-a', eniSpec('a'));
    assert.equal((await a.release(CTX)).ok, true);
    assert.equal(sim.state.eni(ENI_FLOAT).attachment?.status, 'detaching');
    const result = await a.claim(CTX);
    assert.equal(result.ok, true, JSON.stringify(result));
    const att = sim.state.eni(ENI_FLOAT).attachment;
    assert.deepEqual([att?.instance_id, att?.status], [I_A, 'attached']);
    a.close();
  });

  it('finds this instance and its AZ from IMDSv2 when instance_id is not configured', async () => {
    const b = driver(sim, 'node-b', { ...(specOf('b', 'aws-eni') as EniSpec), imds_url: sim.imds_urls[I_B] });
    assert.equal((await b.claim(CTX)).ok, true);
    assert.equal(sim.state.eni(ENI_FLOAT).attachment?.instance_id, I_B);
    b.close();
  });
});

describe('aws-secondary-ip', () => {
  let sim: Sim;
  const ns = `tdaws-${randomBytes(3).toString('hex')}`;
  before(() => {
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['-n', ns, 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'lan0p']);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lan0', 'up']);
  });
  after(() => {
    execFileSync('ip', ['netns', 'del', ns]);
  });
  beforeEach(async () => {
    sim = await startTestSim(1);
  });
  afterEach(() => sim.close());

  const ipSpec = (node: 'a' | 'b'): SecondaryIpSpec => ({
    ...(specOf(node, 'aws-secondary-ip') as SecondaryIpSpec),
    eni_id: node === 'a' ? ENI_A : ENI_B,
    local_interface: 'lan0',
    prefix_length: 24,
  });

  it('moves the address to our ENI in one call (AllowReassignment), puts it on the interface, and the EIP follows', async () => {
    const local = ipCommand(ns);
    const b = driver(sim, 'node-b', ipSpec('b'), { local });
    assert.deepEqual(await b.observe(CTX), { target: 'peer' });
    const since = sim.calls.last_seq();
    const result = await b.claim(CTX);
    assert.equal(result.ok, true, JSON.stringify(result));
    const writes = sim.calls.list({ since_seq: since }).filter((c) => !c.action.startsWith('Describe'));
    assert.deepEqual(
      writes.map((c) => c.action),
      ['AssignPrivateIpAddresses'],
    );
    assert.ok(sim.state.eni(ENI_B).private_ips.some((p) => p.ip === SECONDARY_IP));
    assert.ok(!sim.state.eni(ENI_A).private_ips.some((p) => p.ip === SECONDARY_IP));
    assert.equal(await local.has('lan0', SECONDARY_IP), true);
    assert.equal(
      sim.state.aws.address(EIP).association?.eni_id,
      ENI_B,
      'an associated EIP moves with the address',
    );
    assert.deepEqual(await b.observe(CTX), { target: 'self' });
    // The OS lost the address (someone ran ip addr flush): observe says so, it is not "self".
    await local.remove('lan0', `${SECONDARY_IP}/24`);
    assert.equal((await b.observe(CTX)).target, 'other');
    assert.equal((await b.release(CTX)).ok, true);
    b.close();
  });

  it('release removes the address from the interface and leaves the platform mapping to the next claim', async () => {
    const local = ipCommand(ns);
    const b = driver(sim, 'node-b', ipSpec('b'), { local });
    assert.equal((await b.claim(CTX)).ok, true);
    assert.equal((await b.release(CTX)).ok, true);
    assert.equal(await local.has('lan0', SECONDARY_IP), false);
    assert.ok(sim.state.eni(ENI_B).private_ips.some((p) => p.ip === SECONDARY_IP));
    b.close();
  });
});

describe('aws-eip', () => {
  let sim: Sim;
  beforeEach(async () => {
    sim = await startTestSim(1);
  });
  afterEach(() => sim.close());

  it('reassociates the Elastic IP onto our ENI and private IP, then confirms it', async () => {
    // The secondary address moves first (as in a pair running both actions), then the EIP follows to it.
    sim.state.aws.data.enis[ENI_A]!.private_ips = sim.state
      .eni(ENI_A)
      .private_ips.filter((p) => p.ip !== SECONDARY_IP);
    sim.state.eni(ENI_B).private_ips.push({ ip: SECONDARY_IP, primary: false });
    const b = driver(sim, 'node-b', { ...specOf('b', 'aws-eip'), eni_id: ENI_B });
    assert.equal((await b.observe(CTX)).target, 'peer');
    const result = await b.claim(CTX);
    assert.equal(result.ok, true, JSON.stringify(result));
    const assoc = sim.state.aws.address(EIP).association;
    assert.deepEqual([assoc?.eni_id, assoc?.private_ip], [ENI_B, SECONDARY_IP]);
    assert.deepEqual(await b.observe(CTX), { target: 'self' });
    b.close();
  });

  it('retries a throttled AssociateAddress and succeeds', async () => {
    const b = driver(sim, 'node-b', {
      ...(specOf('b', 'aws-eip') as EipSpec),
      eni_id: ENI_B,
      private_ip: undefined,
    });
    await b.prepare();
    sim.faults.set({
      action: 'AssociateAddress',
      error_rate: 0.6,
      error_status: 503,
      error_code: 'RequestLimitExceeded',
    });
    const result = await b.claim({ deadline_ms: 20_000 });
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(sim.state.aws.address(EIP).association?.eni_id, ENI_B);
    b.close();
  });
});
