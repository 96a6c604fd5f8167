import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { GarpOutcome } from '../../../src/actions/linux/garp.js';
import { removeStaleVip, VipAction } from '../../../src/actions/linux/vip.js';
import type { ActionContext } from '../../../src/actions/types.js';
import { addressesOf, createLan, eventually, type Lan, neighbourMac, nsExec } from '../../helpers/netns.js';
import { captureAnnouncements } from '../../helpers/wire.js';

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

test('preflight says so when socat (the announcer) is not installed', async () => {
  // A PATH with ip but no socat: the same lookup a host without the package makes.
  const bin = await mkdtemp(join(tmpdir(), 'tandem-nosocat-'));
  await symlink('/usr/sbin/ip', join(bin, 'ip'));
  const path = process.env.PATH;
  process.env.PATH = bin;
  try {
    const checks = await vipOn('a').preflight(ctx);
    const socat = checks.find((c) => c.check === 'socat is installed');
    assert.equal(socat?.status, 'error');
    assert.equal(socat?.fix, 'apt-get install socat');
  } finally {
    process.env.PATH = path;
    await rm(bin, { recursive: true });
  }
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
  // Not armed, `a` starts its announcer on this claim: the GARP leaves once socat has its socket, and a
  // ping sent before that still goes to B's MAC (the last test's). Ping until A answers.
  await eventually(
    async () => {
      await nsExec(client, ['ping', '-n', '-c', '1', '-W', '1', vip], { allow_failure: true });
      return (await neighbourMac(client, vip)) === lan.host('a').lan.mac;
    },
    10_000,
    "the client's neighbour entry for the VIP points at A",
  );
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
  assert.deepEqual(outcomes.map((o) => (o.kind === 'sent' ? `${o.index}:${o.mode}` : o.kind)).sort(), [
    '0:request',
    '1:reply',
    '2:request',
  ]);
  await a.release(ctx);
});

test('release cancels the announcements still pending from the claim: none on the wire after it', async () => {
  const outcomes: GarpOutcome[] = [];
  const a = vipOn('a', { garp: { count: 4, spacing_ms: 1000 } }, (o) => outcomes.push(o));
  const wire = await captureAnnouncements(lan.host('client').ns, 'lan0', vip);
  try {
    await a.claim(ctx);
    await a.release(ctx);
    await new Promise((r) => setTimeout(r, 2500));
    assert.deepEqual(
      outcomes.filter((o) => o.kind === 'sent' && o.index > 0),
      [],
    );
    assert.deepEqual(
      wire.announcements().map((w) => `${w.kind} ${w.mac}`),
      [`arp-request ${lan.host('a').lan.mac}`],
    );
  } finally {
    wire.stop();
    a.close();
  }
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

/** The protocols (hex, as /proc/net/packet in `ns` lists them) of the packet sockets process `pid` holds. */
async function packetProtocols(ns: string, pid: number): Promise<string[]> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1] !== undefined) inodes.add(m[1]);
    } catch {
      // An fd closed while we list them.
    }
  }
  const rows = (await nsExec(ns, ['cat', '/proc/net/packet'])).stdout.split('\n').slice(1);
  // Columns: sk RefCnt Type Proto Iface R Rmem User Inode.
  return rows
    .map((r) => r.trim().split(/\s+/))
    .filter((c) => c.length >= 9 && inodes.has(c[8]!))
    .map((c) => c[3]!);
}

test('armed (the agent): claim and release go through one ip batch process, the announcer was waiting ahead', async () => {
  const outcomes: GarpOutcome[] = [];
  const a = new VipAction(
    { kind: 'vip', interface: 'lan0', address: `${vip}/24`, netns: lan.host('a').ns, garp: { count: 2 } },
    { armed: true, onGarp: (o) => outcomes.push(o) },
  );
  const wire = await captureAnnouncements(lan.host('client').ns, 'lan0', vip);
  let announcer: number | undefined;
  try {
    const socat = `socat -u -b 86 STDIN SOCKET-SENDTO:17:3:0:`;
    await eventually(
      async () =>
        a.announcerPid !== undefined && (await pgrepArgs(socat)).split('\n').includes(String(a.announcerPid)),
      10_000,
      'the announcer holds its raw socket before any claim',
    );
    announcer = a.announcerPid;
    // Protocol 0: the kernel hands the announcer's socket no received frame (ETH_P_ALL would copy the LAN's).
    await eventually(
      async () => (await packetProtocols(lan.host('a').ns, announcer!)).join() === '0000',
      10_000,
      "the announcer's one packet socket has protocol 0",
    );
    const batch = await pgrepArgs(`ip -n ${lan.host('a').ns} -force -batch -`);
    assert.notEqual(batch, '', 'the ip batch process runs before any claim');
    const client = lan.host('client').ns;
    // The claim says it holds the traffic once the address is added and its first frame written.
    let held = 0;
    assert.equal((await a.claim({ ...ctx, holding: () => void held++ })).ok, true);
    assert.equal(held, 1);
    assert.ok((await addressesOf(lan.host('a').ns, 'lan0')).includes(`${vip}/24`));
    await eventually(() => outcomes.length === 2, 10_000, 'both announcements reported');
    assert.deepEqual(
      outcomes.map((o) => o.kind),
      ['sent', 'sent'],
    );
    await eventually(() => wire.announcements().length === 2, 10_000, 'both announcements on the wire');
    assert.deepEqual(
      wire.announcements().map((w) => `${w.kind} ${w.mac}`),
      [`arp-request ${lan.host('a').lan.mac}`, `arp-request ${lan.host('a').lan.mac}`],
    );
    await nsExec(client, ['ping', '-n', '-c', '1', '-W', '2', vip]);
    assert.equal(await neighbourMac(client, vip), lan.host('a').lan.mac);
    // The same batch process and announcer served the claim and serve the release.
    assert.equal((await a.release(ctx)).ok, true);
    assert.equal(await pgrepArgs(`ip -n ${lan.host('a').ns} -force -batch -`), batch);
    assert.equal(a.announcerPid, announcer);
    assert.ok(!(await addressesOf(lan.host('a').ns, 'lan0')).includes(`${vip}/24`));
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
    wire.stop();
    a.close();
  }
  await eventually(
    async () => (await pgrepArgs(`ip -n ${lan.host('a').ns} -force -batch -`)) === '',
    10_000,
    'close() ends the batch process',
  );
  await eventually(
    async () => !(await pgrepArgs('socat')).split('\n').includes(String(announcer)),
    10_000,
    'close() ends the announcer',
  );
});

test('a killed announcer is started again, and a claim right after a kill still announces', async () => {
  const outcomes: GarpOutcome[] = [];
  const a = new VipAction(
    { kind: 'vip', interface: 'lan0', address: `${vip}/24`, netns: lan.host('a').ns, garp: { count: 1 } },
    { armed: true, onGarp: (o) => outcomes.push(o) },
  );
  const wire = await captureAnnouncements(lan.host('client').ns, 'lan0', vip);
  try {
    await eventually(() => a.announcerPid !== undefined, 10_000, 'the announcer runs');
    const first = a.announcerPid;
    process.kill(first ?? 0, 'SIGKILL');
    await eventually(
      () => a.announcerPid !== undefined && a.announcerPid !== first,
      10_000,
      'a new announcer replaces the killed one (after its backoff)',
    );
    assert.ok(outcomes.some((o) => o.kind === 'announcer-stopped'));
    assert.equal((await a.claim(ctx)).ok, true);
    await eventually(() => wire.announcements().length === 1, 10_000, 'the claim announced on the wire');
    assert.equal((await a.release(ctx)).ok, true);
    // Killed just before a claim (no time for the backoff): the claim starts one on the spot.
    process.kill(a.announcerPid ?? 0, 'SIGKILL');
    await eventually(() => a.announcerPid === undefined, 10_000, 'the kill is seen');
    assert.equal((await a.claim(ctx)).ok, true);
    await eventually(
      () => wire.announcements().length === 2,
      10_000,
      'the second claim announced on the wire',
    );
    assert.ok(wire.announcements().every((w) => w.mac === lan.host('a').lan.mac));
    assert.equal((await a.release(ctx)).ok, true);
  } finally {
    wire.stop();
    a.close();
  }
});

/** Pids of this test process's children whose command line matches `pattern` ('' when none). */
async function pgrepArgs(pattern: string): Promise<string> {
  return new Promise((resolve) => {
    execFile('pgrep', ['-P', String(process.pid), '-f', pattern], (_err, stdout) => resolve(stdout.trim()));
  });
}
