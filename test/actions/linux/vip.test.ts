import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { GarpOutcome } from '../../../src/actions/linux/garp.js';
import { removeStaleVip, VipAction } from '../../../src/actions/linux/vip.js';
import type { ActionContext } from '../../../src/actions/types.js';
import { addressesOf, createLan, eventually, type Lan, neighbourMac, nsExec } from '../../helpers/netns.js';

const ctx: ActionContext = { deadline_ms: 2000 };
let lan: Lan;
let vip: string;

before(async () => {
  lan = await createLan({ hosts: ['a', 'b', 'client'] });
  vip = lan.vip(0);
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
    { kind: 'vip', interface: 'lan0', address: `${vip}/24`, netns: lan.host(host).ns, ...extra },
    onGarp ? { onGarp } : {},
  );
}

test('preflight passes on a good config and names the wrong interface and the bad address', async () => {
  const good = await vipOn('a').preflight(ctx);
  assert.deepEqual(
    good.filter((c) => c.status !== 'ok'),
    [],
  );
  const badIf = await vipOn('a', { interface: 'eth9' }).preflight(ctx);
  const ifCheck = badIf.find((c) => c.check === 'interface eth9 exists');
  assert.equal(ifCheck?.status, 'wrong-id');
  assert.ok(ifCheck?.fix);
  const badAddr = await vipOn('a', { address: '10.77.0.300/24' }).preflight(ctx);
  assert.equal(badAddr.find((c) => c.check.startsWith('address'))?.status, 'error');
});

test('claim puts the VIP on the interface and the GARP moves the client from A to B', async () => {
  const a = vipOn('a');
  const b = vipOn('b');
  const client = lan.host('client').ns;
  const claimedA = await a.claim(ctx);
  assert.equal(claimedA.ok, true, JSON.stringify(claimedA));
  assert.ok((await addressesOf(lan.host('a').ns, 'lan0')).includes(`${vip}/24`));
  assert.deepEqual(await a.observe(ctx), { target: 'self' });
  await nsExec(client, ['ping', '-n', '-c', '1', '-W', '2', vip]);
  assert.equal(await neighbourMac(client, vip), lan.host('a').lan.mac);

  assert.equal((await a.release(ctx)).ok, true);
  assert.ok(!(await addressesOf(lan.host('a').ns, 'lan0')).includes(`${vip}/24`));
  assert.deepEqual(await a.observe(ctx), { target: 'none' });

  // No traffic from the client from here on: only B's gratuitous ARP can change its cache.
  assert.equal((await b.claim(ctx)).ok, true);
  await eventually(
    async () => (await neighbourMac(client, vip)) === lan.host('b').lan.mac,
    10_000,
    "client's neighbour entry for the VIP points at B",
  );
  assert.equal((await b.release(ctx)).ok, true);
});

test('with zero GARPs the client keeps the old MAC: the ARP update above came from the GARP', async () => {
  const a = vipOn('a');
  const b = vipOn('b', { garp: { count: 0 } });
  const client = lan.host('client').ns;
  await a.claim(ctx);
  await nsExec(client, ['ping', '-n', '-c', '1', '-W', '2', vip]);
  assert.equal(await neighbourMac(client, vip), lan.host('a').lan.mac);
  await a.release(ctx);
  await b.claim(ctx);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await neighbourMac(client, vip), lan.host('a').lan.mac);
  await b.release(ctx);
});

test('claim and release are idempotent', async () => {
  const a = vipOn('a');
  assert.equal((await a.claim(ctx)).ok, true);
  assert.equal((await a.claim(ctx)).ok, true);
  assert.equal((await addressesOf(lan.host('a').ns, 'lan0')).filter((x) => x === `${vip}/24`).length, 1);
  assert.equal((await a.release(ctx)).ok, true);
  assert.equal((await a.release(ctx)).ok, true);
});

test('every GARP of a claim is sent, alternating request and reply in `both` mode', async () => {
  const outcomes: GarpOutcome[] = [];
  const a = vipOn('a', { garp: { count: 3, spacing_ms: 50, mode: 'both' } }, (o) => outcomes.push(o));
  await a.claim(ctx);
  await eventually(() => outcomes.length >= 3, 10_000, 'three GARP outcomes');
  assert.deepEqual(outcomes.map((o) => (o.kind === 'sent' ? `${o.index}:${o.mode}` : o.error)).sort(), [
    '0:request',
    '1:reply',
    '2:request',
  ]);
  await a.release(ctx);
});

test('release cancels the GARPs still pending from the claim', async () => {
  const outcomes: GarpOutcome[] = [];
  const a = vipOn('a', { garp: { count: 4, spacing_ms: 300 } }, (o) => outcomes.push(o));
  await a.claim(ctx);
  await a.release(ctx);
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(
    outcomes.filter((o) => o.index > 0),
    [],
  );
});

test('observe with duplicate detection sees the peer holding the VIP', async () => {
  const a = vipOn('a');
  const b = vipOn('b', { observe_duplicates: true });
  await a.claim(ctx);
  try {
    assert.deepEqual(await b.observe(ctx), { target: 'peer' });
  } finally {
    await a.release(ctx);
  }
  assert.deepEqual(await b.observe(ctx), { target: 'none' });
});

test('a restarted agent removes a VIP left on its interface, and only then', async () => {
  // The previous run was SIGKILLed while active: the address is still there.
  await vipOn('a', { garp: { count: 0 } }).claim(ctx);
  const restarted = vipOn('a');
  const first = await removeStaleVip(restarted, ctx);
  assert.equal(first.removed, true);
  assert.ok(!(await addressesOf(lan.host('a').ns, 'lan0')).includes(`${vip}/24`));
  assert.equal((await removeStaleVip(restarted, ctx)).removed, false);
});

test('claim on a missing interface retries until the deadline and fails with INTERFACE_MISSING', async () => {
  const r = await vipOn('a', { interface: 'eth9' }).claim({ deadline_ms: 300 });
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.error.code, 'INTERFACE_MISSING');
  assert.ok(r.calls > 1, `retried (${r.calls} calls)`);
  assert.match(r.error.message, /eth9/);
});

test('claim with an invalid address fails at once with VIP_INVALID_ADDRESS', async () => {
  const r = await vipOn('a', { address: '10.77.0.1/40' }).claim(ctx);
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.error.code, 'VIP_INVALID_ADDRESS');
  assert.equal(r.calls, 0);
});

test('armed (the agent): claim and release go through one ip batch process, the first GARP was waiting ahead', async () => {
  const outcomes: GarpOutcome[] = [];
  const a = new VipAction(
    { kind: 'vip', interface: 'lan0', address: `${vip}/24`, netns: lan.host('a').ns, garp: { count: 2 } },
    { armed: true, onGarp: (o) => outcomes.push(o) },
  );
  try {
    await eventually(
      async () =>
        (await pgrepArgs(`tandem-armed ip netns exec ${lan.host('a').ns} arping -U -c 1 -I lan0 ${vip}`)) !==
        '',
      10_000,
      'the first announcement waits at its shell before any claim',
    );
    const batch = await pgrepArgs(`ip -n ${lan.host('a').ns} -force -batch -`);
    assert.notEqual(batch, '', 'the ip batch process runs before any claim');
    const client = lan.host('client').ns;
    // The claim says it holds the traffic once the address is added and its announcement started.
    let held = 0;
    assert.equal((await a.claim({ ...ctx, holding: () => void held++ })).ok, true);
    assert.equal(held, 1);
    assert.ok((await addressesOf(lan.host('a').ns, 'lan0')).includes(`${vip}/24`));
    await eventually(() => outcomes.length === 2, 10_000, 'both announcements reported');
    assert.deepEqual(
      outcomes.map((o) => o.kind),
      ['sent', 'sent'],
    );
    await nsExec(client, ['ping', '-n', '-c', '1', '-W', '2', vip]);
    assert.equal(await neighbourMac(client, vip), lan.host('a').lan.mac);
    // The same batch process served the claim and serves the release; a new announcement waits again.
    assert.equal((await a.release(ctx)).ok, true);
    assert.equal(await pgrepArgs(`ip -n ${lan.host('a').ns} -force -batch -`), batch);
    assert.ok(!(await addressesOf(lan.host('a').ns, 'lan0')).includes(`${vip}/24`));
    await eventually(
      async () =>
        (await pgrepArgs(`tandem-armed ip netns exec ${lan.host('a').ns} arping -U -c 1 -I lan0 ${vip}`)) !==
        '',
      10_000,
      'the next first announcement is armed again',
    );
    // An ip failure comes back through the batch as an ordinary failure, with ip's own words.
    const wrong = new VipAction(
      { kind: 'vip', interface: 'nosuch0', address: `${vip}/24`, netns: lan.host('a').ns },
      { armed: true },
    );
    let wrongHeld = 0;
    const failed = await wrong.claim({ deadline_ms: 300, holding: () => void wrongHeld++ });
    wrong.close();
    assert.equal(failed.ok, false);
    assert.equal(wrongHeld, 0, 'a claim whose address was refused never says it holds the traffic');
    assert.match(failed.ok ? '' : failed.error.message, /nosuch0/);
  } finally {
    a.close();
  }
  await eventually(
    async () => (await pgrepArgs(`ip -n ${lan.host('a').ns} -force -batch -`)) === '',
    10_000,
    'close() ends the batch process',
  );
});

/** Pids of this test process's children whose command line matches `pattern` ('' when none). */
async function pgrepArgs(pattern: string): Promise<string> {
  return new Promise((resolve) => {
    execFile('pgrep', ['-P', String(process.pid), '-f', pattern], (_err, stdout) => resolve(stdout.trim()));
  });
}
