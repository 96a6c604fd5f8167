import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RouteAction } from '../../../src/actions/linux/route.js';
import type { RouteSpec } from '../../../src/actions/linux/spec.js';
import type { ActionContext } from '../../../src/actions/types.js';
import { createLan, type Lan, nsExec } from '../../helpers/netns.js';

const ctx: ActionContext = { deadline_ms: 2000 };
let lan: Lan;
let ns: string;
let gwB: string;
let gwC: string;

before(async () => {
  lan = await createLan({ hosts: ['r', 'b', 'c'] });
  ns = lan.host('r').ns;
  gwB = lan.host('b').lan.address;
  gwC = lan.host('c').lan.address;
});
after(async () => {
  await lan?.destroy();
});

const route = (extra: Partial<RouteSpec>): RouteAction =>
  new RouteAction({ kind: 'route', destination: '10.99.0.0/16', netns: ns, ...extra });

async function routes(table = 'main'): Promise<string> {
  return (await nsExec(ns, ['ip', 'route', 'show', 'table', table])).stdout;
}

test('claim adds the route, observe sees it as ours, release removes it; both idempotent', async () => {
  const r = route({ via: gwB });
  assert.deepEqual(await r.observe(ctx), { target: 'none' });
  assert.equal((await r.claim(ctx)).ok, true);
  assert.equal((await r.claim(ctx)).ok, true);
  assert.match(await routes(), new RegExp(`10\\.99\\.0\\.0/16 via ${gwB.replaceAll('.', '\\.')} dev lan0`));
  assert.deepEqual(await r.observe(ctx), { target: 'self' });
  assert.equal((await r.release(ctx)).ok, true);
  assert.equal((await r.release(ctx)).ok, true);
  assert.doesNotMatch(await routes(), /10\.99\.0\.0\/16/);
  assert.deepEqual(await r.observe(ctx), { target: 'none' });
});

test('a claim replaces another next hop, and observe reports a foreign next hop as other', async () => {
  const mine = route({ via: gwB });
  const theirs = route({ via: gwC });
  await theirs.claim(ctx);
  const seen = await mine.observe(ctx);
  assert.equal(seen.target, 'other');
  assert.match(seen.target === 'other' ? seen.detail : '', new RegExp(gwC.replaceAll('.', '\\.')));
  await mine.claim(ctx);
  assert.deepEqual(await mine.observe(ctx), { target: 'self' });
  assert.deepEqual(await theirs.observe(ctx), { target: 'other', detail: `via ${gwB} dev lan0` });
  await mine.release(ctx);
});

test('routes in another table and the default route work the same way', async () => {
  const r = route({ destination: 'default', via: gwB, table: 100, metric: 50 });
  assert.equal((await r.claim(ctx)).ok, true);
  assert.match(await routes('100'), /default via .* dev lan0 metric 50/);
  assert.deepEqual(await r.observe(ctx), { target: 'self' });
  assert.doesNotMatch(await routes(), /default/);
  assert.equal((await r.release(ctx)).ok, true);
  assert.equal(await routes('100').catch(() => ''), '');
});

test('a route without via or dev is refused with ROUTE_INVALID', async () => {
  const r = route({});
  const claimed = await r.claim(ctx);
  assert.equal(claimed.ok, false);
  assert.equal(claimed.ok ? '' : claimed.error.code, 'ROUTE_INVALID');
  const checks = await r.preflight(ctx);
  assert.equal(checks.find((c) => c.status === 'error')?.fix, 'add via or dev');
});

test('an unreachable next hop fails without retrying, with the kernel message', async () => {
  const r = route({ via: '192.0.2.1' });
  const claimed = await r.claim(ctx);
  assert.equal(claimed.ok, false);
  if (claimed.ok) return;
  assert.equal(claimed.error.retryable, false);
  assert.equal(claimed.calls, 1);
  assert.match(claimed.error.message, /gateway|unreachable/i);
});

test('a route to the same destination at another metric is neither ours nor in the way (pathwatch failover)', async () => {
  const primary = route({ via: gwC, metric: 100 });
  const failover = route({ via: gwB, metric: 10 });
  assert.equal((await primary.claim(ctx)).ok, true);
  assert.deepEqual(await failover.observe(ctx), { target: 'none' });
  assert.equal((await failover.claim(ctx)).ok, true);
  assert.deepEqual(await failover.observe(ctx), { target: 'self' });
  assert.deepEqual(await primary.observe(ctx), { target: 'self' });
  assert.equal((await failover.release(ctx)).ok, true);
  assert.match(await routes(), /10\.99\.0\.0\/16 via .* metric 100/);
  await primary.release(ctx);
});

test('a list of destinations is claimed, observed and released as one, each via the same next hop', async () => {
  const ranges = ['10.61.0.0/16', '10.62.1.0/24', '172.30.0.0/20'];
  const r = new RouteAction({ kind: 'route', destinations: ranges, via: gwB, netns: ns });
  assert.equal(r.name, `route 3 destinations via ${gwB}`);
  assert.deepEqual(await r.observe(ctx), { target: 'none' });
  assert.equal((await r.claim(ctx)).ok, true);
  for (const d of ranges) assert.match(await routes(), new RegExp(`${d.replaceAll('.', '\\.')} via ${gwB}`));
  assert.deepEqual(await r.observe(ctx), { target: 'self' });
  // One of them removed by hand: the list is no longer whole, and a claim puts it back.
  await nsExec(ns, ['ip', 'route', 'del', '10.62.1.0/24']);
  assert.deepEqual(await r.observe(ctx), { target: 'none' });
  assert.equal((await r.claim(ctx)).ok, true);
  assert.deepEqual(await r.observe(ctx), { target: 'self' });
  // Another next hop on one of them is somebody else's route, named.
  await nsExec(ns, ['ip', 'route', 'replace', '172.30.0.0/20', 'via', gwC]);
  assert.deepEqual(await r.observe(ctx), { target: 'other', detail: `172.30.0.0/20 via ${gwC} dev lan0` });
  assert.equal((await r.release(ctx)).ok, true);
  assert.equal((await r.release(ctx)).ok, true);
  // The one another next hop held is not ours to delete (`del … via` matches ours only).
  assert.doesNotMatch(await routes(), /10\.61\.0\.0|10\.62\.1\.0/);
  assert.match(await routes(), new RegExp(`172\\.30\\.0\\.0/20 via ${gwC.replaceAll('.', '\\.')}`));
  await nsExec(ns, ['ip', 'route', 'del', '172.30.0.0/20']);
});

test('an empty list holds nothing: claim and release succeed, and it observes as ours', async () => {
  const r = new RouteAction({ kind: 'route', destinations: [], via: gwB, netns: ns });
  assert.equal((await r.claim(ctx)).ok, true);
  assert.deepEqual(await r.observe(ctx), { target: 'self' });
  assert.equal((await r.release(ctx)).ok, true);
});

test('a release leaves what a successor holds the same way (a range kept across a change), and removes the rest', async () => {
  const old = new RouteAction({
    kind: 'route',
    destinations: ['10.71.0.0/16', '10.72.0.0/16'],
    via: gwB,
    netns: ns,
  });
  const next = new RouteAction({
    kind: 'route',
    destinations: ['10.72.0.0/16', '10.73.0.0/16'],
    via: gwB,
    netns: ns,
  });
  const elsewhere = new RouteAction({ kind: 'route', destinations: ['10.71.0.0/16'], via: gwC, netns: ns });
  assert.equal((await old.claim(ctx)).ok, true);
  assert.equal((await next.claim(ctx)).ok, true);
  // 10.71 is held by a successor only via another next hop: not the same route, so it goes.
  assert.equal((await old.release({ ...ctx, successors: [next, elsewhere] })).ok, true);
  const now = await routes();
  assert.doesNotMatch(now, /10\.71\.0\.0/);
  assert.match(now, new RegExp(`10\\.72\\.0\\.0/16 via ${gwB.replaceAll('.', '\\.')}`));
  assert.match(now, /10\.73\.0\.0\/16/);
  assert.deepEqual(await next.observe(ctx), { target: 'self' });
  assert.equal((await next.release(ctx)).ok, true);
});
