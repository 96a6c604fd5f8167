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
  test('agent --check accepts a good config in one line; with --print it shows it with the key redacted', () => {
    const file = join(dir, 'good.yaml');
    writeFileSync(file, CONFIG);
    const out = tandem('agent', '--config', file, '--check');
    assert.equal(out.status, 0, out.stderr);
    // One line: the unit runs this before every start, and the config does not belong in the journal.
    assert.equal(out.stdout, `${file}: OK (pair cli, node a, 1 path(s), 0 monitor(s), 0 action(s))\n`);
    const printed = tandem('agent', '--config', file, '--check', '--print');
    assert.equal(printed.status, 0, printed.stderr);
    assert.match(printed.stdout, /: OK/);
    assert.match(printed.stdout, /redacted, 32 bytes from env TDA_KEY/);
    assert.ok(!printed.stdout.includes(KEY));
  });

  test('agent --check refuses a bad config with file, path and expectation, exit code 2', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, `${CONFIG}interval_ms: 5\nactions: [{ kind: vip, interface: eth0 }]\n`);
    const out = tandem('agent', '--config', file, '--check');
    assert.equal(out.status, 2);
    assert.match(
      out.stderr,
      new RegExp(`${file}:6: interval_ms: expected integer to be greater or equal to 20, got 5`),
    );
    assert.match(out.stderr, new RegExp(`${file}:7: actions\\[0\\]\\.address: a required key is missing`));
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
    assert.match(out.stderr, new RegExp(`${bad}:6: actions\\[0\\]\\.observe_duplicates: .*IPv4 only`));
    assert.match(out.stderr, new RegExp(`${bad}:6: actions\\[0\\]\\.garp\\.mode: `));
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
    assert.equal(status.status, 1, 'alone, the node is not ready: exit 1 for a monitoring check');
    assert.match(status.stdout, /^peer\s+silent$/m);
    assert.match(status.stdout, /same_version=\?/, 'no version to compare with a silent peer');
    assert.doesNotMatch(status.stdout, /wan=|ha_port=/, 'nothing watches them');
    assert.match(status.stdout, /^state\s+\w+ for \d+ s/m);
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
    // Alone, the node cannot hand over: the core refuses, and the command says why and fails.
    const refused = await tandemAsync('switchover', '--url', agent.statusUrl, '--token-file', token);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /switchover refused: peer-silent/);
    const drain = await tandemAsync(
      'switchover',
      '--url',
      agent.statusUrl,
      '--token-file',
      token,
      '--command',
      'maintenance-on',
    );
    assert.equal(drain.status, 0, drain.stderr);
    assert.match(drain.stdout, /maintenance-on: done; this node is active/);
  });
});

describe('tandem status table', () => {
  test('names the failing checks and probes, shows the peer version; fault exits 2', async () => {
    const { exitCodeOf, formatStatus } = await import('../../src/agent/status-table.js');
    const body = {
      pair: 'p',
      node: 'a',
      version: '1.2.0',
      in_state_ms: 125_000,
      watched: { ha_port: 'ha' },
      monitors: { wan: { isp1: false, isp2: true }, links: { ha: true }, checks: { nginx: false } },
      status: {
        state: 'fault',
        role: 'primary',
        fit: false,
        wan_ok: true,
        ha_port_ok: true,
        failed_checks: ['nginx'],
        peer: {
          alive: true,
          advert: {
            role: 'secondary',
            state: 'active',
            priority: 100,
            version: { major: 1, minor: 3, patch: 1 },
          },
        },
      },
      readiness: { ready: false, connected: true, keepalive: true, same_version: true, active: 'secondary' },
    };
    const text = formatStatus(body);
    assert.match(text, /^state\s+fault for 2 min$/m);
    assert.match(text, /^health\s+fit=no wan=yes ha_port=yes failing: nginx$/m);
    assert.match(text, /^peer\s+secondary active \(priority 100, tandem 1\.3\.1\)$/m);
    assert.match(text, /^isp1\s+wan probe\s+FAILING$/m);
    assert.match(text, /^nginx\s+check\s+FAILING$/m);
    assert.equal(exitCodeOf(body), 2);
    assert.equal(exitCodeOf({ ...body, status: { ...body.status, state: 'standby' } }), 1);
    assert.equal(exitCodeOf({ status: { state: 'active' }, readiness: { ready: true } }), 0);
  });
});

describe('tandem preflight on a LAN pair', () => {
  test("runs the vip and route actions' own preflight; a missing interface fails it; --json is pure JSON", () => {
    const file = join(dir, 'lan.yaml');
    writeFileSync(
      file,
      `${CONFIG}actions:
  - { kind: vip, interface: nosuch0, address: 192.0.2.10/24 }
  - { kind: route, destination: 198.51.100.0/24, dev: lo }
`,
    );
    const out = tandem('preflight', '--config', file, '--json');
    assert.equal(out.status, 1, out.stderr);
    const report = JSON.parse(out.stdout) as {
      ok: boolean;
      results: { kind: string; checks: { check: string; status: string }[] }[];
    };
    assert.equal(report.ok, false);
    const vip = report.results.find((r) => r.kind === 'vip');
    assert.ok(vip?.checks.some((c) => c.check === 'interface nosuch0 exists' && c.status === 'wrong-id'));
    assert.ok(report.results.some((r) => r.kind === 'route' && r.checks.length > 0));
    const text = tandem('preflight', '--config', file);
    assert.match(text.stdout, /Not ready: \d+ check\(s\) failed/);
  });
});

describe('tandem schema', () => {
  test('prints the JSON Schema of the config, each monitor and action kind with its own keys', () => {
    const out = tandem('schema');
    assert.equal(out.status, 0, out.stderr);
    const schema = JSON.parse(out.stdout) as {
      properties: Record<string, { items?: { anyOf: { properties: Record<string, { const?: string }> }[] } }>;
      required: string[];
    };
    assert.deepEqual(schema.required.sort(), ['node', 'pair', 'paths', 'role']);
    assert.ok(schema.properties.notify && schema.properties.pair_key_next_file);
    const kinds = (list: string) =>
      schema.properties[list]?.items?.anyOf.map((s) => s.properties.kind?.const) ?? [];
    assert.ok(kinds('monitors').includes('check'));
    assert.ok(['vip', 'route', 'aws-route-table'].every((k) => kinds('actions').includes(k)));
    const check = schema.properties.monitors?.items?.anyOf.find((s) => s.properties.kind?.const === 'check');
    assert.ok(check && 'rise' in check.properties && 'fall' in check.properties);
  });
});
