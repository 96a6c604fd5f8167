import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { inspect } from 'node:util';
import { ConfigError, loadConfig, redactedConfig } from '../../src/agent/config.js';
import { agentValidators } from '../../src/agent/plugins.js';

const dir = mkdtempSync(join(tmpdir(), 'tda-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const KEY = 'c2VjcmV0LXBhaXIta2V5LW9mLWF0LWxlYXN0LTMyLWJ5dGVz'; // base64 of 36 bytes
writeFileSync(join(dir, 'pair.key'), `${KEY}\n`);

let n = 0;
function write(text: string): string {
  const file = join(dir, `node-${n++}.yaml`);
  writeFileSync(file, text);
  return file;
}

const MINIMAL = `
pair: edge-1
node: fw-a
role: primary
pair_key_file: pair.key
paths:
  - name: ha
    local_address: 10.0.0.1
    peer_address: 10.0.0.2
`;

function issuesOf(file: string, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    loadConfig(file, { env });
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('the config was accepted');
}

describe('agent config', () => {
  test('a minimal config gets the documented defaults', () => {
    const cfg = loadConfig(write(MINIMAL), { env: {} });
    assert.equal(cfg.paths[0]?.port, 20480);
    assert.equal(cfg.interval_ms, 1000);
    assert.equal(cfg.dead_multiplier, 3);
    assert.equal(cfg.keepalive_copies, 2);
    assert.equal(cfg.preempt, true);
    assert.equal(cfg.preempt_delay_ms, 0);
    assert.equal(cfg.ha_link, 'direct');
    assert.equal(cfg.wan_loss_relinquish_ms, 10_000);
    assert.deepEqual(cfg.status.listen, { host: '127.0.0.1', port: 20481 });
    assert.equal(cfg.pair_key.length, 36);
  });

  test('copies are a few ms apart, within a twentieth of the interval', () => {
    const fast = loadConfig(write(`${MINIMAL}interval_ms: 50\n`), { env: {} });
    assert.equal(fast.keepalive_spacing_ms, 2);
    assert.equal(loadConfig(write(MINIMAL), { env: {} }).keepalive_spacing_ms, 5);
  });

  test('every problem is reported at once, each with file, path and what was expected', () => {
    const file = write(`
pair: edge-1
node: fw-a
role: boss
pair_key_file: pair.key
interval_ms: 10
dead_multiplier: 1
colour: blue
paths:
  - name: ha
    local_address: 10.0.0.1
    peer_address: 10.0.0.2
    port: 70000
`);
    const err = issuesOf(file);
    const byPath = new Map(err.issues.map((i) => [i.path, i.message]));
    assert.match(byPath.get('role') ?? '', /one of "primary", "secondary", got "boss"/);
    assert.match(byPath.get('interval_ms') ?? '', /greater or equal to 20, got 10/);
    assert.match(byPath.get('dead_multiplier') ?? '', /greater or equal to 2, got 1/);
    assert.match(byPath.get('paths[0].port') ?? '', /less or equal to 65535, got 70000/);
    assert.match(byPath.get('colour') ?? '', /unknown key/);
    for (const line of err.message.split('\n')) assert.ok(line.startsWith(`${file}:`), line);
    const lineOf = new Map(err.issues.map((i) => [i.path, i.line]));
    assert.equal(lineOf.get('role'), 4);
    assert.equal(lineOf.get('colour'), 8);
    assert.equal(lineOf.get('paths[0].port'), 13);
    assert.match(err.message, new RegExp(`^${file}:4: role: `, 'm'));
  });

  test('semantic checks: addresses, unique path names, families, multicast groups', () => {
    const err = issuesOf(
      write(`
pair: p
node: a
role: secondary
pair_key_file: pair.key
paths:
  - { name: ha, local_address: 10.0.0.1, peer_address: not-an-ip }
  - { name: ha, local_address: 10.0.1.1, peer_address: "fd00::2" }
  - { name: lan, local_address: 10.0.2.1, peer_address: 10.0.2.2, multicast_group: 10.0.2.255 }
`),
    );
    const paths = err.issues.map((i) => i.path);
    assert.ok(paths.includes('paths[0].peer_address'));
    assert.ok(paths.includes('paths[1].name'));
    assert.ok(paths.includes('paths[1].peer_address'), 'mixed address families');
    assert.ok(paths.includes('paths[2].multicast_group'));
  });

  test('switch mode needs the HA port monitor, and it must name a link monitor', () => {
    const sw = issuesOf(write(`${MINIMAL}ha_link: switch\n`));
    assert.match(sw.message, /ha_port_monitor: expected a link monitor name/);
    const wrong = issuesOf(
      write(`${MINIMAL}ha_port_monitor: ha\nmonitors:\n  - { kind: icmp, name: ha, target: 192.0.2.1 }\n`),
    );
    assert.match(
      wrong.message,
      /ha_port_monitor: expected the name of a link monitor \(none configured\), got "ha"/,
    );
  });

  test('at least one path is required', () => {
    const err = issuesOf(write('pair: p\nnode: a\nrole: primary\npair_key_file: pair.key\npaths: []\n'));
    assert.match(err.message, /paths: expected array length to be greater or equal to 1/);
  });

  test('the key comes from an environment variable and never shows up in output', () => {
    const file = write(MINIMAL.replace('pair_key_file: pair.key', 'pair_key_env: TANDEM_TEST_KEY'));
    const cfg = loadConfig(file, { env: { TANDEM_TEST_KEY: KEY } });
    const secretBytes = Buffer.from(KEY, 'base64').toString('latin1');
    for (const text of [
      JSON.stringify(redactedConfig(cfg)),
      JSON.stringify(cfg),
      inspect(cfg, { depth: 5 }),
    ]) {
      assert.ok(!text.includes(KEY), 'base64 key printed');
      assert.ok(!text.includes(secretBytes), 'raw key printed');
      assert.match(text, /redacted/);
    }
  });

  test('a missing, short or doubly given key is refused without echoing it', () => {
    const envFile = write(MINIMAL.replace('pair_key_file: pair.key', 'pair_key_env: TANDEM_TEST_KEY'));
    assert.match(issuesOf(envFile).message, /pair_key_env: .*TANDEM_TEST_KEY.*unset/);
    const short = issuesOf(envFile, { TANDEM_TEST_KEY: 'c2hvcnQ=' });
    assert.match(short.message, /pair_key_env: .*too short/);
    assert.ok(!short.message.includes('c2hvcnQ'));
    const both = issuesOf(write(`${MINIMAL}pair_key_env: X\n`), { X: KEY });
    assert.match(both.message, /exactly one of pair_key_file or pair_key_env/);
    assert.match(
      issuesOf(write(MINIMAL.replace('pair.key', 'nope.key'))).message,
      /pair_key_file: expected a readable key file/,
    );
  });

  test('YAML syntax errors and unreadable files name the file', () => {
    const file = write('pair: [unclosed\n');
    assert.match(issuesOf(file).message, new RegExp(`^${file}: line \\d+: YAML`));
    const missing = join(dir, 'absent.yaml');
    assert.match(issuesOf(missing).message, new RegExp(`^${missing}: \\(root\\): cannot read the file`));
  });

  test('monitor and action entries are checked by their registry, with paths inside the list', () => {
    const file = write(`${MINIMAL}actions:\n  - kind: warp-drive\n`);
    try {
      loadConfig(file, {
        env: {},
        validateAction: (spec) =>
          spec.kind === 'vip' ? [] : [{ path: 'kind', message: `expected "vip", got "${spec.kind}"` }],
      });
      assert.fail('accepted');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /: actions\[0\]\.kind: expected "vip", got "warp-drive"/);
    }
  });
});

describe('the checker checks values (issue 15)', () => {
  const NODE = `pair: p
node: a
role: primary
pair_key_file: pair.key
paths: [{ name: lan, local_address: 10.0.0.1, peer_address: 10.0.0.2 }]
`;
  const issuesIn = (text: string): ConfigError => {
    try {
      loadConfig(write(text), { env: {}, validateAction: agentValidators().validateAction });
    } catch (err) {
      if (err instanceof ConfigError) return err;
      throw err;
    }
    assert.fail('the config was accepted');
  };
  const vip = (address: string) => `  - { kind: vip, interface: eth0, address: ${address} }\n`;

  test('each broken VIP is refused with its line', () => {
    const err = issuesIn(
      `${NODE}actions:\n${vip('10.0.0.300/24')}${vip('10.0.0.10/33')}${vip('10.0.0.10')}${vip('10.0.0.1/24')}${vip('10.0.0.50/24')}${vip('10.0.0.50/24')}`,
    );
    const at = new Map(err.issues.map((i) => [i.path, i]));
    assert.match(at.get('actions[0].address')?.message ?? '', /CIDR form.*got "10\.0\.0\.300\/24"/);
    assert.equal(at.get('actions[0].address')?.line, 7);
    assert.match(at.get('actions[1].address')?.message ?? '', /got "10\.0\.0\.10\/33"/);
    assert.match(at.get('actions[2].address')?.message ?? '', /CIDR form.*got "10\.0\.0\.10"/);
    assert.match(at.get('actions[3].address')?.message ?? '', /not this node's own/);
    assert.match(
      at.get('actions[5].address')?.message ?? '',
      /each VIP once, 10\.0\.0\.50 is already actions\[4\]/,
    );
    assert.equal(at.has('actions[4].address'), false);
  });

  test('an IPv6 VIP passes; twice, or with the ARP-only observe_duplicates, it is refused with its line', () => {
    const v6 = (extra = '') => `  - { kind: vip, interface: eth0, address: "2001:db8::10/64"${extra} }\n`;
    const err = issuesIn(`${NODE}actions:\n${v6()}${v6(', observe_duplicates: true')}${vip('"ff02::1/64"')}`);
    const at = new Map(err.issues.map((i) => [i.path, i]));
    assert.equal(at.has('actions[0].address'), false);
    assert.match(
      at.get('actions[1].address')?.message ?? '',
      /each VIP once, 2001:db8::10 is already actions\[0\]/,
    );
    assert.match(at.get('actions[1].observe_duplicates')?.message ?? '', /IPv4 only/);
    assert.equal(at.get('actions[1].observe_duplicates')?.line, 8);
    assert.match(at.get('actions[2].address')?.message ?? '', /unicast host address.*multicast/);
  });

  test('a route to "banana", a peer equal to the local address, a typo and a bad enum are all reported at once', () => {
    const err = issuesIn(`pair: p
node: a
role: primry
pair_key_file: pair.key
intervl_ms: 100
paths: [{ name: lan, local_address: 10.0.0.1, peer_address: 10.0.0.1 }]
actions:
  - { kind: route, destination: banana, via: 10.0.0.254 }
  - { kind: route, destination: 10.1.0.0/16, table: [1] }
`);
    const at = new Map(err.issues.map((i) => [i.path, i]));
    assert.match(at.get('role')?.message ?? '', /one of "primary", "secondary", got "primry"/);
    assert.match(at.get('intervl_ms')?.message ?? '', /did you mean "interval_ms"\?/);
    assert.equal(at.get('intervl_ms')?.line, 5);
    assert.match(at.get('paths[0].peer_address')?.message ?? '', /this node's own local_address/);
    assert.match(at.get('actions[0].destination')?.message ?? '', /network in CIDR form.*or "default"/);
    assert.match(at.get('actions[1].table')?.message ?? '', /expected an integer or a string/);
    assert.doesNotMatch(err.message, /\^|\$'|\[A-Za-z/, 'no raw regular expression is shown');
  });

  test('a name with a bad character is explained, not shown as a regex', () => {
    const err = issuesIn(NODE.replace('node: a', 'node: "fw a"'));
    assert.match(err.message, /node: expected a name of letters, digits/);
  });

  test('files that must exist: the enrollment token (until a credential is stored), the admin token directory', () => {
    const err = issuesIn(
      `${NODE}controller_url: http://127.0.0.1:1\ncontroller_enrollment_token_file: absent.token\nstatus: { admin_token_file: /nonexistent-dir/admin.token }\n`,
    );
    const at = new Map(err.issues.map((i) => [i.path, i.message]));
    assert.match(at.get('controller_enrollment_token_file') ?? '', /absent\.token does not exist/);
    assert.match(at.get('status.admin_token_file') ?? '', /\/nonexistent-dir does not exist/);
  });
});
