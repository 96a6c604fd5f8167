// Check commands need no network, so these run in-process.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createMonitor } from '../../src/monitors/registry.js';
import type { Reading } from '../../src/monitors/types.js';
import { eventually } from '../helpers/netns.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tdl-check-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readingsOf(
  command: string,
  count: number,
  timeout_ms = 2000,
  interval_ms = 20,
): Promise<Reading[]> {
  const monitor = createMonitor({ kind: 'check', name: 'svc', command, interval_ms, timeout_ms });
  const seen: Reading[] = [];
  monitor.start((r) => seen.push(r));
  try {
    await eventually(() => seen.length >= count, 20_000, `${count} readings of ${command}`);
  } finally {
    await monitor.stop();
  }
  return seen;
}

test('check command: exit 0 is ok, reported on every run', async () => {
  const seen = await readingsOf('true', 3);
  assert.deepEqual(
    seen.slice(0, 3).map((r) => [r.kind, r.name, r.kind === 'check' && r.ok]),
    [
      ['check', 'svc', true],
      ['check', 'svc', true],
      ['check', 'svc', true],
    ],
  );
});

test('check command: a non-zero exit fails with the code and the last stderr line', async () => {
  const [r] = await readingsOf('echo "db is read-only" >&2; exit 3', 1);
  assert.equal(r?.kind === 'check' && r.ok, false);
  assert.equal(r?.detail, 'exit 3: db is read-only');
});

test('check command: a timeout fails and kills the whole process group', async () => {
  const pidFile = join(dir, 'child.pid');
  const [r] = await readingsOf(`sleep 30 & echo $! > ${pidFile}; wait`, 1, 300);
  assert.equal(r?.kind === 'check' && r.ok, false);
  assert.match(r?.detail ?? '', /timed out after 300 ms/);
  const pid = Number(await readFile(pidFile, 'utf8'));
  await eventually(() => !alive(pid), 5000, 'the backgrounded sleep is killed');
});

test('check command: runs never overlap, even when a run outlasts the interval', async () => {
  const lock = join(dir, 'lock');
  // mkdir fails if another run holds the lock: an overlap would show as exit 9.
  const seen = await readingsOf(`mkdir ${lock} || exit 9; sleep 0.1; rmdir ${lock}`, 5, 2000, 10);
  assert.ok(
    seen.every((r) => r.kind === 'check' && r.ok),
    JSON.stringify(seen),
  );
});

test('a monitor whose report callback throws keeps running', async () => {
  const monitor = createMonitor({
    kind: 'check',
    name: 'svc',
    command: 'true',
    interval_ms: 10,
    timeout_ms: 1000,
  });
  let calls = 0;
  monitor.start(() => {
    calls += 1;
    throw new Error('consumer bug');
  });
  try {
    await eventually(() => calls >= 3, 10_000, 'three reports despite throwing');
  } finally {
    await monitor.stop();
  }
});

test('stop() waits for the probe in flight and no reading follows it', async () => {
  const monitor = createMonitor({
    kind: 'check',
    name: 'svc',
    command: 'sleep 0.2',
    interval_ms: 10,
    timeout_ms: 5000,
  });
  const seen: Reading[] = [];
  monitor.start((r) => seen.push(r));
  await new Promise((r) => setTimeout(r, 50));
  await monitor.stop();
  const count = seen.length;
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(seen.length, count);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('rise/fall: a failure counts only after `fall` in a row, a recovery after `rise` in a row', async () => {
  // The script reads its verdicts in turn from a list: ok, one blip, ok, three failures, two oks.
  const list = join(dir, 'verdicts');
  const { writeFile } = await import('node:fs/promises');
  await writeFile(list, '0\n1\n0\n1\n1\n1\n0\n0\n0\n0\n');
  const command = `v=$(head -n1 ${list}); sed -i 1d ${list}; exit \${v:-0}`;
  const monitor = createMonitor({ kind: 'check', name: 'svc', command, interval_ms: 20, rise: 2, fall: 2 });
  const seen: boolean[] = [];
  monitor.start((r) => seen.push(r.kind === 'check' && r.ok));
  try {
    await eventually(() => seen.length >= 10, 20_000, '10 readings');
  } finally {
    await monitor.stop();
  }
  // raw:     ok  x   ok  x   x   x   ok  ok  ok  ok
  assert.deepEqual(seen.slice(0, 10), [true, true, true, true, false, false, false, true, true, true]);
});
