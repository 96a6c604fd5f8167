// The long-lived `ip -batch` a VIP claim writes to: answers stay matched to their commands around the
// pings that keep it checked, and a wedged batch is killed by its ping and replaced by the next one,
// before any claim needs it. Read-only commands in the host's namespace: nothing is changed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IpBatch } from '../../../src/actions/linux/ip-batch.js';
import { eventually } from '../../helpers/netns.js';

/** The batch process's pid, read from /proc (IpBatch does not expose its child). */
async function batchPids(): Promise<number[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const pids: number[] = [];
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const cmd = await readFile(`/proc/${d}/cmdline`, 'utf8').catch(() => '');
    if (cmd.split('\0').join(' ').startsWith('ip -force -batch -')) pids.push(Number(d));
  }
  return pids.filter((p) => p !== process.pid);
}

test('answers stay with their commands around pings', async () => {
  const batch = new IpBatch(undefined);
  batch.start();
  try {
    assert.equal(await batch.ping(), true);
    const answers = await Promise.all([
      batch.run(['link', 'show', 'dev', 'nosuch-batch0']),
      batch.ping(),
      batch.run(['link', 'show', 'dev', 'lo']),
      batch.ping(),
      batch.run(['link', 'show', 'dev', 'nosuch-batch1']),
    ]);
    const [bad0, ping0, good, ping1, bad1] = answers as [
      { code: number | null; stderr: string },
      boolean,
      { code: number | null; stderr: string },
      boolean,
      { code: number | null; stderr: string },
    ];
    assert.equal(bad0.code, 1);
    assert.match(bad0.stderr, /nosuch-batch0/);
    assert.equal(ping0, true);
    assert.deepEqual([good.code, good.stderr], [0, '']);
    assert.equal(ping1, true);
    assert.equal(bad1.code, 1);
    assert.match(bad1.stderr, /nosuch-batch1/);
    assert.doesNotMatch(bad1.stderr, /nosuch-batch0|marker/);
  } finally {
    batch.close();
  }
});

test('a wedged batch fails its ping, is killed, and the next ping period starts a fresh one', async () => {
  const batch = new IpBatch(undefined, { ping_every_ms: 300, timeout_ms: 200 });
  batch.start();
  try {
    assert.equal(await batch.ping(), true);
    const [wedged] = await batchPids();
    assert.ok(wedged !== undefined, 'the batch process runs');
    process.kill(wedged, 'SIGSTOP');
    assert.equal(await batch.ping(), false, 'no answer within the bound');
    await eventually(async () => !(await batchPids()).includes(wedged), 5000, 'the wedged batch is killed');
    await eventually(async () => (await batchPids()).length === 1, 5000, 'a fresh batch runs');
    assert.equal(await batch.ping(), true);
    const done = batch.run(['link', 'show', 'dev', 'lo']);
    assert.ok(done !== null, 'a command goes through the fresh batch, not an ordinary run');
    assert.equal((await done).code, 0);
  } finally {
    batch.close();
  }
  await eventually(async () => (await batchPids()).length === 0, 5000, 'close() ends the batch');
});
