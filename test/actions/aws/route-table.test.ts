// route-table through @aws-sdk/client-ec2 against the simulator: claim, observe, faults, permissions, wrong ids.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { DEFAULT_RETRY } from '../../../src/actions/aws/client.js';
import { policyFor } from '../../../src/actions/aws/iam-policy.js';
import type { RouteTableAction } from '../../../src/actions/aws/route-table.js';
import { type Sim, startSim } from '../../../src/sim/server.js';
import {
  CTX,
  driver,
  ENI_A,
  ENI_B,
  I_A,
  IGW,
  OVERLAY,
  routeSpec,
  routeTargets,
  scenario,
  seeded,
  simPolicy,
  startTestSim,
  tableId,
} from './fixtures.js';

const TABLES = 3;
const DESTS = ['0.0.0.0/0', OVERLAY];

describe('aws-route-table', () => {
  let sim: Sim;
  beforeEach(async () => {
    sim = await startTestSim(TABLES);
  });
  afterEach(() => sim.close());

  it('points every route of every table at our ENI: ReplaceRoute, or CreateRoute where the route is missing', async () => {
    const b = driver(sim, 'node-b', routeSpec('b', TABLES));
    await b.prepare();
    const since = sim.calls.last_seq();
    const result = await b.claim(CTX);
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.deepEqual(routeTargets(sim, TABLES, DESTS), Array(TABLES * 2).fill(`${ENI_B}:active`));
    const calls = sim.calls.list({ since_seq: since });
    const mutating = calls.filter((c) => c.action !== 'DescribeRouteTables');
    // One mutating call per route, picked from what start-up saw: Replace for 0.0.0.0/0, Create for the overlay.
    assert.equal(mutating.filter((c) => c.action === 'ReplaceRoute').length, TABLES);
    assert.equal(mutating.filter((c) => c.action === 'CreateRoute').length, TABLES);
    assert.ok(mutating.every((c) => c.status === 200));
    const describes = calls.filter((c) => c.action === 'DescribeRouteTables');
    assert.ok(describes.length >= 1);
    assert.equal(result.calls, calls.length);
    b.close();
  });

  it('falls back to CreateRoute when a route vanished after start-up, and to ReplaceRoute when one appeared', async () => {
    const b = driver(sim, 'node-b', routeSpec('b', TABLES));
    await b.prepare();
    const admin = driver(sim, 'node-a', routeSpec('a', TABLES));
    // Between start-up and failover someone deletes 0.0.0.0/0 in table 0 and adds the overlay in table 1.
    sim.state.aws.routeTable(tableId(0)).routes = sim.state.aws
      .routeTable(tableId(0))
      .routes.filter((r) => r.destination !== '0.0.0.0/0');
    sim.state.aws
      .routeTable(tableId(1))
      .routes.push({ destination: OVERLAY, target_kind: 'gateway', target_id: IGW, origin: 'CreateRoute' });
    const result = await b.claim(CTX);
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.deepEqual(routeTargets(sim, TABLES, DESTS), Array(TABLES * 2).fill(`${ENI_B}:active`));
    admin.close();
    b.close();
  });

  it('observes self, peer, a blackhole (other) and a missing route (none)', async () => {
    const a = driver(
      sim,
      'node-a',
      routeSpec('a', 1, { destinations: ['0.0.0.0/0'] }),
    ) as unknown as RouteTableAction;
    assert.deepEqual(await a.observe(CTX), { target: 'self' });
    const b = driver(sim, 'node-b', routeSpec('b', 1, { destinations: ['0.0.0.0/0'] }));
    assert.deepEqual(await b.observe(CTX), { target: 'peer' });
    const overlay = driver(sim, 'node-a', routeSpec('a', 1, { destinations: [OVERLAY] }));
    assert.deepEqual(await overlay.observe(CTX), { target: 'none' });
    sim.state.aws.instance(I_A).state = 'terminated';
    const seen = await b.observe(CTX);
    assert.equal(seen.target, 'other');
    assert.match(seen.target === 'other' ? seen.detail : '', /blackhole eni-/);
    for (const x of [a, b, overlay]) x.close();
  });

  it('repairs a blackhole route on claim', async () => {
    sim.state.aws.instance(I_A).state = 'terminated';
    const b = driver(sim, 'node-b', routeSpec('b', TABLES));
    const result = await b.claim(CTX);
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.deepEqual(routeTargets(sim, TABLES, DESTS), Array(TABLES * 2).fill(`${ENI_B}:active`));
    b.close();
  });

  it('rides out throttling (503 RequestLimitExceeded) with backoff inside the deadline', async () => {
    const b = driver(sim, 'node-b', routeSpec('b', TABLES));
    await b.prepare();
    sim.faults.set({ action: 'ReplaceRoute', throttle_per_s: 2 });
    const since = sim.calls.last_seq();
    const result = await b.claim({ deadline_ms: 20_000 });
    assert.equal(result.ok, true, JSON.stringify(result));
    const throttled = sim.calls
      .list({ since_seq: since, action: 'ReplaceRoute' })
      .filter((c) => c.status === 503);
    assert.ok(throttled.length >= 1, 'the bucket of 2 must throttle a burst of 3');
    assert.ok(throttled.every((c) => c.code === 'RequestLimitExceeded'));
    assert.deepEqual(routeTargets(sim, TABLES, DESTS), Array(TABLES * 2).fill(`${ENI_B}:active`));
    b.close();
  });

  it('retries 5xx and succeeds; a route that never succeeds fails the claim at the deadline with a bounded number of calls', async () => {
    const b = driver(sim, 'node-b', routeSpec('b', TABLES));
    await b.prepare();
    sim.faults.set({ action: 'ReplaceRoute', error_rate: 0.5, error_status: 500 });
    const flaky = await b.claim({ deadline_ms: 20_000 });
    assert.equal(flaky.ok, true, JSON.stringify(flaky));
    sim.faults.set({ action: 'ReplaceRoute', error_rate: 1, error_status: 503, error_code: 'Unavailable' });
    const broken = await b.claim({ deadline_ms: 1500 });
    assert.equal(broken.ok, false);
    assert.equal(broken.ok ? '' : broken.error.code, 'AWS_DEADLINE');
    // Bounded by the policy: at most attempts_max (12) per route.
    assert.ok(broken.calls <= TABLES * DESTS.length * 12, `calls bounded, got ${broken.calls}`);
    b.close();
  });

  it('gives up on a hung endpoint at the deadline, and succeeds once it answers again', async () => {
    const b = driver(sim, 'node-b', { ...routeSpec('b', TABLES), request_timeout_ms: 300 });
    await b.prepare();
    sim.faults.set({ action: 'ReplaceRoute', hang: true });
    const started = performance.now();
    const hung = await b.claim({ deadline_ms: 1200 });
    assert.equal(hung.ok, false);
    assert.equal(hung.ok ? '' : hung.error.code, 'AWS_DEADLINE');
    assert.match(hung.ok ? '' : hung.error.message, /cannot reach|deadline/);
    // Generous bound: the claim must not wait for the hang, only for its own deadline.
    assert.ok(performance.now() - started < 8000);
    sim.faults.clear();
    const ok = await b.claim(CTX);
    assert.equal(ok.ok, true, JSON.stringify(ok));
    b.close();
  });

  it('a missing permission fails at once with AWS_FORBIDDEN, without retries', async () => {
    sim.iam.setPolicy('node-b', [{ actions: ['ec2:DescribeRouteTables'], resources: ['*'] }]);
    const b = driver(sim, 'node-b', routeSpec('b', 1, { destinations: ['0.0.0.0/0'] }));
    const since = sim.calls.last_seq();
    const result = await b.claim(CTX);
    assert.equal(result.ok, false);
    assert.equal(result.ok ? '' : result.error.code, 'AWS_FORBIDDEN');
    assert.equal(result.ok ? true : result.error.retryable, false);
    assert.equal(sim.calls.list({ since_seq: since, action: 'ReplaceRoute' }).length, 1);
    b.close();
  });

  it('a wrong route table id fails with AWS_NOT_FOUND', async () => {
    const b = driver(sim, 'node-b', routeSpec('b', 1, { route_tables: ['rtb-0badbadbadbadbad0'] }));
    const result = await b.claim(CTX);
    assert.equal(result.ok ? '' : result.error.code, 'AWS_NOT_FOUND');
    b.close();
  });

  it('finds route tables by tag and by subnet association', async () => {
    const spec = routeSpec('b', 0, {
      route_tables: [{ tag: 'Name', value: 'rt-2' }, { subnet: 'subnet-0000000000000000a' }],
      destinations: ['0.0.0.0/0'],
    });
    const b = driver(sim, 'node-b', spec);
    const result = await b.claim(CTX);
    assert.equal(result.ok, true, JSON.stringify(result));
    const targets = routeTargets(sim, TABLES, ['0.0.0.0/0']);
    assert.deepEqual(targets, [`${ENI_B}:active`, `${ENI_A}:active`, `${ENI_B}:active`]);
    b.close();
  });

  it('release keeps replace-style routes; on_release=delete removes only ours', async () => {
    const keep = driver(sim, 'node-a', routeSpec('a', TABLES));
    const kept = await keep.release(CTX);
    assert.deepEqual([kept.ok, kept.calls], [true, 0]);
    assert.equal(routeTargets(sim, TABLES, ['0.0.0.0/0'])[0], `${ENI_A}:active`);
    const delSpec = routeSpec('a', TABLES, { on_release: 'delete', destinations: ['0.0.0.0/0'] });
    // The generated policy grows ec2:DeleteRoute only for on_release=delete; without it this would be refused.
    sim.iam.setPolicy('node-a', simPolicy(policyFor([delSpec])));
    const del = driver(sim, 'node-a', delSpec);
    const deleted = await del.release(CTX);
    assert.equal(deleted.ok, true, JSON.stringify(deleted));
    assert.deepEqual(routeTargets(sim, TABLES, ['0.0.0.0/0']), Array(TABLES).fill('missing'));
    keep.close();
    del.close();
  });
});

describe('aws-route-table against EC2-sized request buckets', () => {
  // Buckets are per API: 60 ReplaceRoute calls against one 50-token bucket.
  const MANY = 60;
  let sim: Sim;
  before(async () => {
    sim = await startSim({ scenario: scenario(MANY), aws_throttle: true });
  });
  after(() => sim.close());

  it('60 routes overrun the 50-token mutating bucket; backoff waits for the refill and every route lands', async () => {
    // The production retry policy (seeded): the test one gives up too early for a 5-token/s refill.
    const b = driver(sim, 'node-b', routeSpec('b', MANY, { destinations: ['0.0.0.0/0'] }), {
      retry: { ...DEFAULT_RETRY, random: seeded(3) },
    });
    await b.prepare();
    const since = sim.calls.last_seq();
    const result = await b.claim({ deadline_ms: 30_000 });
    assert.equal(result.ok, true, JSON.stringify(result));
    const throttled = sim.calls.list({ since_seq: since }).filter((c) => c.code === 'RequestLimitExceeded');
    assert.ok(throttled.length >= 1, 'the burst must hit the bucket');
    assert.deepEqual(routeTargets(sim, MANY, ['0.0.0.0/0']), Array(MANY).fill(`${ENI_B}:active`));
    b.close();
  });
});

describe('aws-route-table discovery', () => {
  let sim: Sim;
  before(async () => {
    sim = await startTestSim(TABLES);
  });
  after(() => sim.close());

  it('finds our ENI and the region from IMDSv2 when the config names neither', async () => {
    const spec = {
      ...routeSpec('b', TABLES),
      eni_id: undefined,
      region: undefined,
      imds_url: sim.imds_urls['i-0000000000000000b'],
    };
    const b = driver(sim, 'node-b', spec);
    const result = await b.claim(CTX);
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.deepEqual(routeTargets(sim, TABLES, DESTS), Array(TABLES * 2).fill(`${ENI_B}:active`));
    const imds = sim.calls.list({ cloud: 'imds' });
    assert.ok(
      imds.some((c) => c.action === 'PUT /latest/api/token'),
      'IMDSv2: a token first',
    );
    b.close();
  });

  it('a metadata service that does not answer is an AWS_DISCOVERY error naming the fix', async () => {
    const spec = { ...routeSpec('b', TABLES), eni_id: undefined, imds_url: 'http://127.0.0.1:9' };
    const b = driver(sim, 'node-b', spec);
    const result = await b.claim(CTX);
    assert.equal(result.ok ? '' : result.error.code, 'AWS_DISCOVERY');
    assert.match(result.ok ? '' : result.error.message, /IMDSv2|ids in the config/);
    b.close();
  });
});
