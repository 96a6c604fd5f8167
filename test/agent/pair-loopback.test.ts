// Two real agents in one process, talking over loopback UDP (127.0.0.1 ↔ 127.0.0.2): core, wire,
// transport, shell and status server together, without namespaces. Actions are recorders: the real VIP
// driver is exercised by the namespace end-to-end tests.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { pino } from 'pino';
import type { Action, ActionResult } from '../../src/actions/types.js';
import { parseConfig } from '../../src/agent/config.js';
import { type RunningAgent, startAgent } from '../../src/agent/node.js';

const dir = mkdtempSync(join(tmpdir(), 'tda-pair-'));
const KEY = 'bG9vcGJhY2stdGVzdC1wYWlyLWtleS0zMi1ieXRlcyEh';
const OTHER_KEY = 'YW5vdGhlci1rZXktdGhhdC1pcy1ub3QtdGhlLXBhaXJz';
const running: RunningAgent[] = [];
after(async () => {
  await Promise.allSettled(running.map((a) => a.shutdown()));
  rmSync(dir, { recursive: true, force: true });
});

class Recorder implements Action {
  readonly name = 'recorder';
  readonly kind = 'test-recorder';
  readonly calls: string[] = [];
  async preflight() {
    return [];
  }
  async claim(): Promise<ActionResult> {
    this.calls.push('claim');
    return { ok: true, duration_ms: 0, calls: 1 };
  }
  async release(): Promise<ActionResult> {
    this.calls.push('release');
    return { ok: true, duration_ms: 0, calls: 1 };
  }
  async observe() {
    return { target: 'none' as const };
  }
}

const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const NOTIFIED = join(dir, 'a.notified');

/** The operator's command, as a child process (the agents in this process keep answering meanwhile). */
async function tandem(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const out = await promisify(execFile)(process.execPath, ['--import', 'tsx', CLI, ...args]);
    return { code: 0, ...out };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function switchover(
  agent: RunningAgent,
  node: 'a' | 'b',
): Promise<{ code: number; stdout: string; stderr: string }> {
  return tandem('switchover', '--url', agent.statusUrl, '--token-file', join(dir, `${node}.token`));
}

const port = 30000 + Math.floor(Math.random() * 20000);

async function start(node: 'a' | 'b', extra = ''): Promise<{ agent: RunningAgent; recorder: Recorder }> {
  const self = node === 'a' ? '127.0.0.1' : '127.0.0.2';
  const peer = node === 'a' ? '127.0.0.2' : '127.0.0.1';
  const token = join(dir, `${node}.token`);
  const cfg = parseConfig(
    join(dir, `${node}.yaml`),
    `pair: loop
node: ${node}
role: ${node === 'a' ? 'primary' : 'secondary'}
pair_key_env: KEY
interval_ms: 50
dead_multiplier: 60
paths: [{ name: lo, local_address: ${self}, peer_address: ${peer}, port: ${port} }]
actions: [{ kind: test-recorder }]
status: { listen: "127.0.0.1:0", admin_token_file: ${token} }
log_level: warn
# In-process agents: leave the test runner's own scheduling alone.
nice: 0
realtime_priority: 0
${extra}`,
    { env: { KEY } },
  );
  const recorder = new Recorder();
  const agent = await startAgent(cfg, {
    log: pino({ level: process.env.TDA_LOG ?? 'warn', base: { node } }),
    plugins: { createAction: () => recorder, createMonitor: () => assert.fail('no monitors here') },
  });
  running.push(agent);
  return { agent, recorder };
}

async function until(what: string, cond: () => boolean | Promise<boolean>, timeout_ms = 5000): Promise<void> {
  const deadline = Date.now() + timeout_ms;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting for: ${what}`);
}

async function statusOf(
  agent: RunningAgent,
): Promise<{ status: { state: string }; counters: { rejected: Record<string, number> } }> {
  const res = await fetch(`${agent.statusUrl}/status`);
  return (await res.json()) as { status: { state: string }; counters: { rejected: Record<string, number> } };
}

describe('a pair on loopback', () => {
  let a: Awaited<ReturnType<typeof start>>;
  let b: Awaited<ReturnType<typeof start>>;

  test('the primary becomes active and claims; the secondary stands by', async () => {
    // The notify script records each change of a, in the order it ran ($1 = new state, $2 = previous).
    a = await start('a', `notify: { commands: ['echo "$2 $1 $TANDEM_NODE" >> ${NOTIFIED}'] }`);
    b = await start('b');
    await until(
      'a active, b standby',
      () => a.agent.shell.status().state === 'active' && b.agent.shell.status().state === 'standby',
    );
    await until('a claimed', () => a.recorder.calls.includes('claim'));
    assert.ok(!b.recorder.calls.includes('claim'));
    assert.equal((await statusOf(a.agent)).status.state, 'active');
    await until('ready', () => a.agent.shell.readiness?.ready === true);
    const status = await tandem('status', '--json', '--url', a.agent.statusUrl);
    assert.equal(status.code, 0, 'Ready: exit 0');
    assert.equal(JSON.parse(status.stdout).status.state, 'active', 'pure JSON on stdout');
  });

  test('packets from another address, or signed with another key, are counted and ignored', async () => {
    const { encodeKeepalive, pairIdOf, nodeIdOf } = await import('../../src/wire/index.js');
    const { parsePairKey } = await import('../../src/wire/index.js');
    const forged = (key: string) =>
      encodeKeepalive(
        {
          pair_id: pairIdOf('loop'),
          node_id: nodeIdOf('a'),
          role: 'primary',
          state: 'active',
          priority: 255,
          flags: {
            relinquish: true,
            wan_ok: true,
            ha_port_ok: true,
            fit: true,
            takeover_request: false,
            peer_heard: true,
          },
          version: { major: 0, minor: 1, patch: 0 },
          interval_ms: 50,
          boot_id: 1n,
          seq: 1n,
          sent_at_ms: Date.now(),
        },
        parsePairKey(key),
      );
    // From 127.0.0.1 (a's address) with the wrong key: bad MAC. From 127.0.0.3: not the peer.
    for (const [bindTo, key] of [
      ['127.0.0.1', OTHER_KEY],
      ['127.0.0.3', KEY],
    ] as const) {
      const s = createSocket('udp4');
      await new Promise<void>((r) => s.bind({ address: bindTo, port: 0 }, () => r()));
      await new Promise<void>((r, j) => s.send(forged(key), port, '127.0.0.2', (e) => (e ? j(e) : r())));
      s.close();
    }
    await until('both rejects counted', async () => {
      const r = (await statusOf(b.agent)).counters.rejected;
      return (r['bad-mac'] ?? 0) >= 1 && (r['unknown-source'] ?? 0) >= 1;
    });
    assert.equal(b.agent.shell.status().state, 'standby', 'a forged relinquish must not move the role');
  });

  test('metrics expose state, keepalives and peer silence', async () => {
    const text = await (await fetch(`${b.agent.statusUrl}/metrics`)).text();
    assert.match(text, /tandem_state\{state="standby"\} 1/);
    assert.match(text, /tandem_keepalives_received_total\{path="lo"\} [1-9]/);
    assert.match(text, /tandem_keepalives_rejected_total\{path="lo",reason="bad-mac"\} 1/);
    assert.match(text, /tandem_peer_silence_seconds\{path="lo"\} \d/);
  });

  // The dead interval is 60 × 50 ms = 3 s: a handover seen well before that came from the protocol, not detection.
  test('a switchover needs the admin token, then hands the role to the standby', async () => {
    const denied = await fetch(`${b.agent.statusUrl}/admin/switchover`, { method: 'POST' });
    assert.equal(denied.status, 401);
    const token = readFileSync(join(dir, 'b.token'), 'utf8').trim();
    const ok = await fetch(`${b.agent.statusUrl}/admin/switchover`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(ok.status, 200);
    await until(
      'b active, a standby',
      () => b.agent.shell.status().state === 'active' && a.agent.shell.status().state === 'standby',
      1500,
    );
    await until('a released', () => a.recorder.calls.at(-1) === 'release');
    assert.equal(b.recorder.calls.at(-1), 'claim');
  });

  test('tandem switchover waits for the role to move and says so, from the active and from the standby', async () => {
    const fromActive = await switchover(b.agent, 'b');
    assert.equal(fromActive.code, 0, fromActive.stderr);
    assert.match(fromActive.stdout, /switchover: done; this node went from active to standby/);
    assert.equal(a.agent.shell.status().state, 'active');
    const fromStandby = await switchover(b.agent, 'b');
    assert.equal(fromStandby.code, 0, fromStandby.stderr);
    assert.match(fromStandby.stdout, /switchover: done; this node went from standby to active/);
  });

  test('a graceful stop of the active node releases and hands over without waiting for detection', async () => {
    await b.agent.shutdown();
    assert.equal(b.recorder.calls.at(-1), 'release');
    await until('a active again', () => a.agent.shell.status().state === 'active', 1500);
    await until('a claimed', () => a.recorder.calls.at(-1) === 'claim');
  });

  test('a switchover the core refuses exits 1 with the reason (the peer is gone)', async () => {
    // b's last keepalive announced its stop; the refusal names silence once a no longer hears b at all.
    await until('a no longer hears b', () => !a.agent.shell.status().peer.alive, 10_000);
    const refused = await switchover(a.agent, 'a');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /switchover refused: peer-silent: the peer is not heard/);
    assert.equal(a.agent.shell.status().state, 'active');
    const json = await tandem(
      'switchover',
      '--json',
      '--url',
      a.agent.statusUrl,
      '--token-file',
      join(dir, 'a.token'),
    );
    assert.equal(json.code, 1);
    assert.deepEqual(JSON.parse(json.stdout).reason, 'peer-silent', 'pure JSON on stdout');
  });

  test('the notify command saw every change of a, in order, with its arguments and environment', async () => {
    await until('five changes notified', () => readFileSync(NOTIFIED, 'utf8').trim().split('\n').length >= 5);
    assert.deepEqual(readFileSync(NOTIFIED, 'utf8').trim().split('\n'), [
      'init active a',
      'active standby a',
      'standby active a',
      'active standby a',
      'standby active a',
    ]);
  });
});
