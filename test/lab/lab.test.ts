// `tandem lab --json` end to end, for every scenario on every cloud kind this machine can run: the summary's
// figures must tell the story (the survivor took over after the failure, the traffic followed, came back,
// the controller recorded it and notified), not only the exit code. Deadlines are generous sanity bounds.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, test } from 'node:test';
import { CLOUDS, SCENARIOS } from '../../src/lab/registry.js';

const REPO = new URL('../../', import.meta.url).pathname;
const INTERVAL_MS = 200;
const DEAD_MS = 3 * INTERVAL_MS;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly summary: Record<string, unknown>;
}

function lab(args: readonly string[], timeout_ms = 150_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'lab', '--json', ...args], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout_ms);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').at(-1) ?? '';
      let summary: Record<string, unknown> = {};
      try {
        summary = JSON.parse(last) as Record<string, unknown>;
      } catch {
        // Left empty: the assertions below show stdout.
      }
      resolve({ code, stdout, stderr, summary });
    });
  });
}

const num = (s: Record<string, unknown>, k: string): number => {
  const v = s[k];
  assert.equal(typeof v, 'number', `${k} is a number in ${JSON.stringify(s)}`);
  return v as number;
};

/** What every scenario's summary must show. */
function checkSummary(run: Run, cloud: string, scenario: string): void {
  const context = `stdout:\n${run.stdout.slice(-3000)}\nstderr:\n${run.stderr.slice(-2000)}`;
  assert.equal(run.code, 0, context);
  const s = run.summary;
  assert.equal(s.cloud, cloud, context);
  assert.equal(s.scenario, scenario);
  assert.equal(s.steps_failed, 0);
  const traffic = cloud === 'physical' ? 'vip_moved_ms' : 'routes_confirmed_ms';
  const detection = num(s, 'detection_ms');
  const moved = num(s, traffic);
  // Sanity bounds from the configured timing (never a performance claim): the survivor cannot act before
  // the failure, and the traffic follows its claim.
  assert.ok(detection >= 0, `detection ${detection}`);
  const extra = scenario === 'wan-loss' ? 10 * INTERVAL_MS : 0;
  assert.ok(detection <= 10 * DEAD_MS + extra + 5000, `detection ${detection} ms is beyond any sane bound`);
  assert.ok(moved >= detection, `${traffic} ${moved} < detection ${detection}`);
  assert.ok(num(s, 'failback_ms') >= 0);
  assert.ok(
    num(s, 'ready_again_ms') >= num(s, 'failback_ms') - 50,
    'Ready is not shown before the traffic is back',
  );
  // The controller saw it: enrollments and state changes at least, each one notified through the webhook.
  const byType = s.events_by_type as Record<string, number>;
  assert.equal(byType['node-enrolled'], 2);
  assert.ok((byType['state-change'] ?? 0) >= 4, JSON.stringify(byType));
  assert.ok(num(s, 'events') >= 6);
  assert.equal(num(s, 'notifications'), num(s, 'events'), 'every event matched the lab rule and was sent');
  assert.ok(num(s, 'notifications_received') >= num(s, 'notifications'), 'the receiver got them');
  if (cloud !== 'physical') assert.ok(num(s, 'api_calls') > 0);
  // The controller's view: the API test's verdicts, and (clouds, managed) the settings change applied.
  assert.deepEqual(s.api_test, { primary: 'ok', secondary: 'ok' });
  if (cloud !== 'physical') assert.ok(num(s, 'settings_applied_ms') >= 0);
  if (!['split-brain', 'switchover'].includes(scenario)) {
    // The failover event's claim time, as the survivor reported it.
    assert.ok(num(s, 'controller_claim_ms') > 0);
    assert.ok((byType.failover ?? 0) >= 1, JSON.stringify(byType));
  }
  if (scenario === 'split-brain') {
    assert.ok((byType['split-brain'] ?? 0) >= 1, 'the controller recorded the split brain');
    if (cloud === 'aws') assert.equal(num(s, 'route_writes_during_split'), 0, 'the routes did not flap');
  }
  if (scenario === 'api-throttle') assert.ok(num(s, 'api_errors') > 0, 'the faults were really hit');
  if (scenario === 'wan-loss')
    assert.ok(detection >= 10 * INTERVAL_MS, 'no takeover before the relinquish delay');
}

const root = process.getuid?.() === 0;

for (const cloud of Object.keys(CLOUDS)) {
  // The physical lab needs root (namespaces); without it the lab must say so and exit 2 (tested below).
  const runnable = cloud !== 'physical' || root;
  describe(`tandem lab --cloud ${cloud}`, { concurrency: 2 }, () => {
    for (const [name, scenario] of Object.entries(SCENARIOS)) {
      if (!scenario.supports(cloud) || !runnable) continue;
      test(`${name}: the summary shows the failover and the way back`, async () => {
        const run = await lab(['--cloud', cloud, '--scenario', name, '--interval', String(INTERVAL_MS)]);
        checkSummary(run, cloud, name);
      });
    }
  });
}

describe('tandem lab refuses what it cannot do, with a clear message and exit 2', () => {
  test('an unknown scenario names the known ones', async () => {
    const run = await lab(['--scenario', 'meteor']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /unknown --scenario "meteor"; expected one of kill, linkdown/);
  });
  test('the physical lab without root says how to run it', async () => {
    // As root, drop to nobody for this one run (setpriv, util-linux); otherwise we are already not root.
    const argv = ['--import', 'tsx', 'src/cli/main.ts', 'lab', '--cloud', 'physical'];
    const [file, args] = root
      ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...argv]]
      : [process.execPath, argv];
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(file, args, {
        cwd: REPO,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, HOME: tmpdir() },
      });
      let err = '';
      child.stderr.on('data', (b: Buffer) => {
        err += b.toString();
      });
      child.on('error', reject);
      child.on('close', (c) => resolve({ code: c, stderr: err }));
    });
    assert.equal(code, 2, stderr);
    assert.match(stderr, /needs root: run it with sudo, or use --cloud aws/);
  });

  test('a scenario that does not apply to the cloud', async () => {
    const run = await lab(['--cloud', 'physical', '--scenario', 'api-throttle']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /does not apply to --cloud physical/);
  });
});

describe('a step that misses its deadline', () => {
  test('exit 1, the step named in the message and the JSON, everything removed', async () => {
    const run = await lab(['--deadline-scale', '0.01']);
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stdout, /FAILED: step "node-a up and active" did not happen within 450 ms/);
    assert.equal(run.summary.steps_failed, 1);
    assert.match(String(run.summary.failed_step), /^step "node-a up and active"/);
    assert.equal(run.summary.detection_ms, null);
    const dir = /SQLite in (\S+)\)/.exec(run.stdout)?.[1];
    assert.ok(dir !== undefined && !existsSync(dir), `${dir} removed`);
  });
});

describe('tandem lab cleans up after Ctrl-C', () => {
  test('SIGINT during the scenario: exit 130, the folder and the agents are gone', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'lab', '--scenario', 'split-brain'],
      {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let dir: string | null = null;
    const started = new Promise<void>((resolve) => {
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        dir ??= /SQLite in (\S+)\)/.exec(out)?.[1] ?? null;
        if (out.includes('hold the partition')) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    await started;
    assert.ok(dir !== null && existsSync(dir), out);
    child.kill('SIGINT');
    const code = await exited;
    clearTimeout(timer);
    assert.equal(code, 130, out);
    assert.equal(existsSync(dir), false, `${dir} removed`);
    // No process is left running with a config from that folder.
    const left = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir as string);
        } catch {
          return false;
        }
      });
    assert.deepEqual(left, []);
  });
});
