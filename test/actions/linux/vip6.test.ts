// An IPv6 VIP on real namespaces: added without DAD, announced with unsolicited neighbour
// advertisements (frames.ts, written by the announcer), and a client's neighbour entry follows it from one node to the other with
// no traffic of its own.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { GarpOutcome } from '../../../src/actions/linux/garp.js';
import { LINUX_REGISTRY } from '../../../src/actions/linux/index.js';
import { VipAction } from '../../../src/actions/linux/vip.js';
import type { ActionContext } from '../../../src/actions/types.js';
import { addressesOf, createLan, eventually, type Lan, neighbourMac, nsExec } from '../../helpers/netns.js';

const ctx: ActionContext = { deadline_ms: 2000 };
let lan: Lan;
let vip: string;

before(async () => {
  lan = await createLan({ hosts: ['a', 'b', 'client'], ipv6: true });
  vip = lan.vip6(0);
});
after(async () => {
  await lan?.destroy();
});

function vipOn(
  host: string,
  extra: Partial<ConstructorParameters<typeof VipAction>[0]> = {},
  onGarp?: (o: GarpOutcome) => void,
) {
  return new VipAction(
    { kind: 'vip', interface: 'lan0', address: `${vip}/64`, netns: lan.host(host).ns, ...extra },
    onGarp ? { onGarp } : {},
  );
}

const held = async (host: string) =>
  (await addressesOf(lan.host(host).ns, 'lan0', 'inet6')).includes(`${vip}/64`);

test('--check (the registry) accepts an IPv6 VIP and refuses what the runtime cannot do, by key', () => {
  const spec = { kind: 'vip', interface: 'eth1', address: '2001:db8::10/64' };
  assert.deepEqual(LINUX_REGISTRY.validate(spec), []);
  const paths = (s: Record<string, unknown>) => LINUX_REGISTRY.validate({ ...spec, ...s }).map((i) => i.path);
  assert.deepEqual(paths({ observe_duplicates: true }), ['observe_duplicates']);
  assert.deepEqual(paths({ garp: { mode: 'reply' } }), ['garp.mode']);
  assert.deepEqual(paths({ garp: { count: 5, spacing_ms: 100 } }), []);
  assert.deepEqual(paths({ address: '2001:db8::10' }), ['address'], 'the prefix length is required');
  assert.deepEqual(paths({ address: 'ff02::1/64' }), ['address']);
  assert.deepEqual(paths({ address: '::1/128' }), ['address']);
  assert.deepEqual(paths({ address: '2001:db8::10/129' }), ['address']);
  assert.deepEqual(paths({ address: 'fe80::1%eth0/64' }), ['address']);
  assert.deepEqual(paths({ address: '192.0.2.10/33' }), ['address']);
  assert.deepEqual(paths({ address: '010.0.0.1/24' }), ['address']);
  // IPv4 keeps its ARP-only options.
  assert.deepEqual(paths({ address: '192.0.2.10/24', observe_duplicates: true, garp: { mode: 'both' } }), []);
  const [issue] = LINUX_REGISTRY.validate({ ...spec, observe_duplicates: true });
  assert.match(issue?.message ?? '', /IPv4 only/);
});

test('preflight passes for an IPv6 VIP (socat installed, IPv6 on) and names a disabled interface', async () => {
  const good = await vipOn('a').preflight(ctx);
  assert.deepEqual(
    good.filter((c) => c.status !== 'ok'),
    [],
  );
  assert.ok(good.some((c) => c.check === 'socat is installed'));
  const ns = lan.host('client').ns;
  await nsExec(ns, ['ip', 'link', 'add', 'dummy6', 'type', 'veth', 'peer', 'name', 'dummy6p']);
  await nsExec(ns, ['sysctl', '-qw', 'net.ipv6.conf.dummy6.disable_ipv6=1']);
  const off = await vipOn('client', { interface: 'dummy6' }).preflight(ctx);
  const check = off.find((c) => c.check === 'IPv6 enabled on dummy6');
  assert.equal(check?.status, 'error');
  assert.match(check?.fix ?? '', /disable_ipv6=0/);
  await nsExec(ns, ['ip', 'link', 'del', 'dummy6']);
});

test('claim adds the VIP without DAD; the NA moves the client from A to B; observe and release', async () => {
  const outcomes: GarpOutcome[] = [];
  const a = vipOn('a');
  const b = vipOn('b', {}, (o) => outcomes.push(o));
  const client = lan.host('client').ns;
  assert.equal((await a.claim(ctx)).ok, true);
  const shown = await nsExec(lan.host('a').ns, ['ip', '-j', '-6', 'addr', 'show', 'dev', 'lan0']);
  const info = (JSON.parse(shown.stdout) as { addr_info: Record<string, unknown>[] }[])[0]?.addr_info ?? [];
  const entry = info.find((x) => x.local === vip);
  assert.equal(entry?.nodad, true, JSON.stringify(entry));
  assert.equal(entry?.tentative, undefined, 'usable at once, not tentative');
  assert.deepEqual(await a.observe(ctx), { target: 'self' });
  await nsExec(client, ['ping', '-n', '-c', '1', '-W', '2', vip]);
  assert.equal(await neighbourMac(client, vip), lan.host('a').lan.mac);

  assert.equal((await a.release(ctx)).ok, true);
  assert.equal(await held('a'), false);
  assert.deepEqual(await a.observe(ctx), { target: 'none' });

  // No traffic from the client from here on: only B's neighbour advertisement can change its cache.
  assert.equal((await b.claim(ctx)).ok, true);
  assert.equal(await held('b'), true);
  await eventually(
    async () => (await neighbourMac(client, vip)) === lan.host('b').lan.mac,
    10_000,
    "client's neighbour entry for the VIP points at B",
  );
  await eventually(() => outcomes.length >= 3, 10_000, 'three NA outcomes');
  assert.deepEqual(outcomes.map((o) => (o.kind === 'sent' ? `${o.index}:${o.mode}` : o.error)).sort(), [
    '0:na',
    '1:na',
    '2:na',
  ]);
  await nsExec(client, ['ping', '-n', '-c', '1', '-W', '2', vip]);
  assert.equal((await b.release(ctx)).ok, true);
  assert.equal((await b.release(ctx)).ok, true, 'release is idempotent');
});

test('with zero announcements the client keeps the old MAC: the update above came from the NA', async () => {
  const a = vipOn('a');
  const b = vipOn('b', { garp: { count: 0 } });
  const client = lan.host('client').ns;
  await a.claim(ctx);
  // Until A's NA lands, the client's entry still points at B (from the test above): ping until a reply.
  await nsExec(client, ['ping', '-n', '-c', '1', '-w', '5', vip]);
  assert.equal(await neighbourMac(client, vip), lan.host('a').lan.mac);
  await a.release(ctx);
  await b.claim(ctx);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await neighbourMac(client, vip), lan.host('a').lan.mac);
  await b.release(ctx);
});

test('an action built from a spec --check refuses does not claim', async () => {
  const bad = vipOn('a', { observe_duplicates: true });
  const r = await bad.claim(ctx);
  assert.equal(r.ok, false);
  assert.equal(r.ok ? '' : r.error.code, 'VIP_INVALID_ADDRESS');
  assert.equal(await held('a'), false);
});
