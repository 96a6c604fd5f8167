import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { inspect } from 'node:util';
import { ConfigError, loadConfig, redactedConfig } from '../../src/agent/config.js';

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

  test('copies are spaced within a quarter of the interval', () => {
    const cfg = loadConfig(write(`${MINIMAL}interval_ms: 20\n`), { env: {} });
    assert.ok(
      cfg.keepalive_spacing_ms >= 1 && cfg.keepalive_spacing_ms <= 5,
      String(cfg.keepalive_spacing_ms),
    );
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
    for (const line of err.message.split('\n')) assert.ok(line.startsWith(`${file}: `), line);
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
