// SIGHUP reloads the config in place: the active node keeps its role while its VIP moves to the new
// address; a config that does not load is refused with its errors logged, and the old one runs on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressesOf } from '../helpers/netns.js';
import { inLab, until } from './lab.js';

test('SIGHUP with a changed VIP keeps the role and moves the VIP; an invalid file keeps the agent running', () =>
  inLab(async (lab) => {
    const a = lab.startAgent('a');
    const b = lab.startAgent('b');
    await a.waitState('active');
    await b.waitState('standby');
    await lab.untilServedBy('a');

    const moved = lab.lan.vip(1);
    const mark = a.lines.length;
    const markB = b.lines.length;
    lab.config('a', {
      interval_ms: 200,
      actions: [{ kind: 'vip', interface: lab.ifname, address: `${moved}/24` }],
    });
    a.kill('SIGHUP');
    await until('a logs "config reloaded"', () =>
      a.lines.slice(mark).some((l) => l.msg === 'config reloaded'),
    );
    await until('the new VIP on a', async () =>
      (await addressesOf(lab.ns('a'), lab.ifname)).includes(`${moved}/24`),
    );
    await until('the old VIP gone from a', async () => !(await lab.hasVip('a')));
    assert.deepEqual(a.changesSince(mark), [], 'a never left active');
    assert.deepEqual(b.changesSince(markB), [], 'b never left standby');
    assert.equal(((await lab.statusOf('a')).status as { state: string }).state, 'active');

    const bad = a.lines.length;
    lab.config('a', { interval_ms: 5, paths: 'none' });
    a.kill('SIGHUP');
    const refused = await until('a refuses the reload', () =>
      a.lines.slice(bad).find((l) => l.msg.startsWith('reload refused')),
    );
    const issues = refused.issues as { path: string; message: string }[];
    assert.ok(
      issues.some((i) => i.path === 'interval_ms'),
      JSON.stringify(issues),
    );
    assert.ok(
      issues.some((i) => i.path === 'paths'),
      JSON.stringify(issues),
    );

    // A key that needs a restart is refused as a whole, naming the key.
    const restart = a.lines.length;
    lab.config('a', {
      role: 'secondary',
      actions: [{ kind: 'vip', interface: lab.ifname, address: `${moved}/24` }],
    });
    a.kill('SIGHUP');
    const refusedRole = await until('a refuses a role change', () =>
      a.lines.slice(restart).find((l) => l.msg.startsWith('reload refused')),
    );
    assert.match(JSON.stringify(refusedRole.issues), /"role".*restart the agent/);

    assert.equal(a.state, 'active');
    assert.deepEqual(a.changesSince(mark), []);
    assert.ok((await addressesOf(lab.ns('a'), lab.ifname)).includes(`${moved}/24`), 'the VIP stayed');
    assert.equal(a.proc.child.exitCode, null, 'still running');
  }));
