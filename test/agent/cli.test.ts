// The agent's commands as an operator runs them: `agent --check`, `status`, `switchover`.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { parseConfig } from '../../src/agent/config.js';
import { type RunningAgent, startAgent } from '../../src/agent/node.js';

const run = promisify(execFile);

/** Async, so that the agent running in this process keeps answering meanwhile. */
async function tandemAsync(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const out = await run(process.execPath, ['--import', 'tsx', CLI, ...args], {
      env: { ...process.env, TDA_KEY: KEY },
    });
    return { status: 0, ...out };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { status: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tda-cli-'));
const KEY = 'Y2xpLXRlc3Qta2V5LXRoYXQtaXMtbG9uZy1lbm91Z2g=';
const agents: RunningAgent[] = [];
after(async () => {
  await Promise.allSettled(agents.map((a) => a.shutdown()));
  rmSync(dir, { recursive: true, force: true });
});

const tandem = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, TDA_KEY: KEY },
  });

const CONFIG = `pair: cli
node: a
role: primary
pair_key_env: TDA_KEY
paths: [{ name: lan, local_address: 127.0.0.1, peer_address: 127.0.0.2 }]
`;

describe('tandem agent / status / switchover', () => {
  test('agent --check accepts a good config and prints it with the key redacted', () => {
    const file = join(dir, 'good.yaml');
    writeFileSync(file, CONFIG);
    const out = tandem('agent', '--config', file, '--check');
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /: OK/);
    assert.match(out.stdout, /redacted, 32 bytes from env TDA_KEY/);
    assert.ok(!out.stdout.includes(KEY));
  });

  test('agent --check refuses a bad config with file, path and expectation, exit code 2', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, `${CONFIG}interval_ms: 5\nactions: [{ kind: vip, interface: eth0 }]\n`);
    const out = tandem('agent', '--config', file, '--check');
    assert.equal(out.status, 2);
    assert.match(
      out.stderr,
      new RegExp(`${file}: interval_ms: expected integer to be greater or equal to 20, got 5`),
    );
    assert.match(out.stderr, new RegExp(`${file}: actions\\[0\\]\\.address: a required key is missing`));
  });

  test('agent --check accepts an IPv6 pair and VIP, and refuses only what the IPv6 runtime cannot do', () => {
    const v6 = `pair: cli
node: a
role: primary
pair_key_env: TDA_KEY
paths: [{ name: lan, local_address: "2001:db8::11", peer_address: "2001:db8::12", multicast_group: "ff02::4:5480" }]
actions: [{ kind: vip, interface: eth0, address: "2001:db8::100/64", garp: { count: 3, spacing_ms: 100 } }]
`;
    const good = join(dir, 'v6.yaml');
    writeFileSync(good, v6);
    const ok = tandem('agent', '--config', good, '--check');
    assert.equal(ok.status, 0, ok.stderr);
    const bad = join(dir, 'v6-bad.yaml');
    writeFileSync(
      bad,
      v6.replace('spacing_ms: 100 } }', 'spacing_ms: 100, mode: both }, observe_duplicates: true }'),
    );
    const out = tandem('agent', '--config', bad, '--check');
    assert.equal(out.status, 2);
    assert.match(out.stderr, new RegExp(`${bad}: actions\\[0\\]\\.observe_duplicates: .*IPv4 only`));
    assert.match(out.stderr, new RegExp(`${bad}: actions\\[0\\]\\.garp\\.mode: `));
  });

  test('agent with an address this host does not have: a clear error, exit code 1', async () => {
    const file = join(dir, 'elsewhere.yaml');
    writeFileSync(file, CONFIG.replace('local_address: 127.0.0.1', 'local_address: 192.0.2.77'));
    const out = await tandemAsync('agent', '--config', file);
    assert.equal(out.status, 1);
    assert.match(
      out.stderr,
      /path lan: cannot bind 192\.0\.2\.77:20480 \(EADDRNOTAVAIL\); is 192\.0\.2\.77 configured/,
    );
  });

  test('status prints the table; switchover needs the admin token', async () => {
    const token = join(dir, 'admin.token');
    const cfg = parseConfig(
      join(dir, 'run.yaml'),
      `${CONFIG.replace('127.0.0.1, peer', `127.0.0.1, port: ${30000 + Math.floor(Math.random() * 20000)}, peer`)}interval_ms: 50
nice: 0
realtime_priority: 0
status: { listen: "127.0.0.1:0", admin_token_file: ${token} }
`,
      { env: { TDA_KEY: KEY } },
    );
    const agent = await startAgent(cfg, {
      log: pino({ level: 'silent' }),
      plugins: { createAction: () => assert.fail(), createMonitor: () => assert.fail() },
    });
    agents.push(agent);
    const status = await tandemAsync('status', '--url', agent.statusUrl);
    assert.match(status.stdout, /^pair\s+cli$/m);
    assert.match(status.stdout, /^node\s+a \(primary\)/m);
    assert.match(status.stdout, /^PATH\s+PEER SILENCE\s+SENT\s+RECEIVED$/m);
    assert.match(status.stdout, /^lan\s+never\s+\d+\s+0$/m);

    const malformed = await tandemAsync(
      'switchover',
      '--url',
      agent.statusUrl,
      '--token-file',
      join(dir, 'good.yaml'),
    );
    assert.equal(malformed.status, 2);
    assert.ok(!malformed.stderr.includes('pair_key_env'), 'the file content is never echoed');
    const wrong = join(dir, 'wrong.token');
    writeFileSync(wrong, 'not-the-right-token-at-all\n');
    const denied = await tandemAsync('switchover', '--url', agent.statusUrl, '--token-file', wrong);
    assert.equal(denied.status, 1);
    assert.match(denied.stderr, /refused \(HTTP 401\)/);
    const ok = await tandemAsync('switchover', '--url', agent.statusUrl, '--token-file', token);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /switchover: accepted/);
  });
});
