// `tandem import keepalived.conf` on the shapes operators have: unicast, multicast with several VIP
// forms and includes, track_script, several instances, sync groups (mapped, or refused when their
// instances disagree), and unsafe or broken files. Every result must pass the agent's own checker;
// keepalived's password and the new key never appear in any output.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { type AgentConfig, loadConfig } from '../../src/agent/config.js';
import { agentValidators } from '../../src/agent/plugins.js';
import { type ImportFlags, importKeepalived } from '../../src/import/keepalived/command.js';
import { tandemName } from '../../src/import/keepalived/convert.js';
import { KeepalivedSyntaxError, parseKeepalived } from '../../src/import/keepalived/syntax.js';

const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tandem-import-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The real command, as a child process: the wiring, stdout and the exit code. */
async function tandemImportCli(...args: string[]): Promise<Run> {
  try {
    const out = await promisify(execFile)(process.execPath, ['--import', 'tsx', CLI, 'import', ...args]);
    return { code: 0, ...out };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const FLAGS: Record<string, keyof ImportFlags> = {
  '--out': 'out',
  '--instance': 'instance',
  '--node': 'node',
  '--role': 'role',
  '--key-file': 'keyFile',
  '--local-address': 'localAddress',
  '--peer-address': 'peerAddress',
};

/** The same command in this process (a child per case costs seconds on a loaded host). */
async function tandemImport(file: string, ...args: string[]): Promise<Run> {
  const flags: ImportFlags = {};
  for (let i = 0; i < args.length; i += 2) flags[FLAGS[args[i]!]!] = args[i + 1]!;
  let stdout = '';
  const stderr: string[] = [];
  const code = importKeepalived(file, flags, { out: (t) => (stdout += t), err: (l) => stderr.push(l) });
  return { code, stdout, stderr: stderr.join('\n') };
}

const fixture = (name: string): string => join(FIXTURES, name);
const validation = agentValidators();
/** The agent's own loader and checker, as `tandem agent --check` runs them. */
function load(file: string): AgentConfig {
  return loadConfig(file, {
    validateAction: validation.validateAction,
    validateMonitor: validation.validateMonitor,
  });
}

function assertSecretsHidden(run: Run, keyFile: string, ...secrets: string[]): void {
  const key = readFileSync(keyFile, 'utf8').trim();
  for (const s of [key, ...secrets]) {
    assert.ok(!run.stdout.includes(s), 'a secret in stdout');
    assert.ok(!run.stderr.includes(s), 'a secret in stderr');
  }
}

describe('tandem import keepalived.conf', () => {
  it('unicast with track_script, PASS auth and notify_master: a checked config, a new 0600 key, every unmapped line named', async () => {
    const key = join(dir, 'web.key');
    const run = await tandemImportCli(fixture('unicast.conf'), '--key-file', key);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(statSync(key).mode & 0o777, 0o600);
    assertSecretsHidden(run, key, 'Hunter2x');
    const file = join(dir, 'web.yaml');
    writeFileSync(file, run.stdout);
    const cfg = load(file);
    assert.equal(cfg.pair, 'VI_WEB');
    assert.equal(cfg.node, 'lb-east-1', 'router_id names the node');
    assert.equal(cfg.role, 'primary');
    assert.equal(cfg.priority, 150);
    assert.equal(cfg.interval_ms, 1000);
    assert.deepEqual(
      cfg.paths.map((p) => [p.local_address, p.peer_address]),
      [['10.20.0.11', '10.20.0.12']],
    );
    assert.deepEqual(cfg.actions, [{ kind: 'vip', interface: 'ens3', address: '10.20.0.100/24' }]);
    assert.deepEqual(cfg.monitors[0], {
      kind: 'check',
      name: 'chk_haproxy',
      command: '/usr/bin/killall -0 haproxy',
      interval_ms: 2000,
      timeout_ms: 1000,
      rise: 2,
      fall: 3,
    });
    assert.deepEqual(cfg.monitors[1], { kind: 'link', name: 'link-ens3', interface: 'ens3' });
    assert.deepEqual(cfg.notify?.states, ['active']);
    // Each finding names keepalived's file and line, on stderr and in the YAML's header.
    for (const expected of [
      /replaced: unicast\.conf:29: authentication \(auth_type PASS\)/,
      /changed: unicast\.conf:37: track_script chk_haproxy weight 20/,
      /not mapped: unicast\.conf:40: smtp_alert/,
      /not mapped: unicast\.conf:5: global_defs smtp_server/,
      /changed: unicast\.conf:3: node lb-east-1 from router_id: the peer's config needs another node name/,
    ]) {
      assert.match(run.stderr, expected);
      assert.match(run.stdout, new RegExp(`^# .*${expected.source}`, 'm'));
    }
    assert.match(run.stderr, /a new pair key in .*web\.key \(0600, not shown\): copy it to the peer/);

    // Run again with the same key file (the peer's import after copying it): the key is kept as is.
    const before = readFileSync(key, 'utf8');
    const again = await tandemImport(fixture('unicast.conf'), '--key-file', key, '--role', 'secondary');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(readFileSync(key, 'utf8'), before);
    assert.match(again.stderr, /exists and is kept/);
    assert.equal((parse(again.stdout) as { role: string }).role, 'secondary');
  });

  it('multicast: refused without the peer address; with it, several VIP forms, included scripts, nopreempt and notify', async () => {
    const key = join(dir, 'gw.key');
    const refused = await tandemImport(fixture('multicast.conf'), '--key-file', key);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /multicast\.conf:9: VI_GW: .*multicast.*--peer-address and --local-address/);
    assert.equal(refused.stdout, '');
    assert.ok(!existsSync(key), 'nothing written on refusal');

    const out = join(dir, 'gw.yaml');
    const run = await tandemImport(
      fixture('multicast.conf'),
      '--out',
      out,
      '--local-address',
      '192.168.50.11',
      '--peer-address',
      '192.168.50.12',
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '', 'with --out nothing on stdout');
    assertSecretsHidden(run, join(dir, 'VI_GW.key'), 'abcdefgh');
    const cfg = load(out);
    assert.equal(cfg.role, 'secondary');
    assert.match(run.stderr, /multicast\.conf:10: state BACKUP → role secondary.*--role primary/);
    assert.equal(cfg.paths[0]?.multicast_group, '224.0.0.19', 'vrrp_mcast_group4 from global_defs');
    assert.equal(cfg.interval_ms, 500, 'advert_int 0.5');
    assert.equal(cfg.preempt, false);
    assert.equal(cfg.preempt_delay_ms, 30_000);
    assert.deepEqual(
      cfg.actions.map((a) => `${String(a.interface)} ${String(a.address)}`),
      ['eth0 192.168.50.1/24', 'eth1 192.168.60.1/24', 'eth0 192.168.50.2/32', 'eth2 192.168.70.1/24'],
    );
    assert.deepEqual(
      cfg.monitors.map((m) => m.name),
      ['link-eth1', 'link-eth2', 'chk_gateway', 'link-eth0'],
    );
    assert.equal(cfg.monitors[2]?.command, '/usr/local/sbin/check-upstream.sh 198.51.100.1');
    assert.equal(cfg.monitors[2]?.rise, 4);
    assert.equal(cfg.monitors[2]?.fall, 2);
    assert.deepEqual(cfg.notify?.states, ['standby', 'fault', 'stopped', 'active']);
    for (const expected of [
      /replaced: multicast\.conf:17: authentication \(auth_type AH\)/,
      /changed: multicast\.conf:23: label eth1:gw/,
      /changed: multicast\.conf:24: virtual_ipaddress 192\.168\.50\.2: no prefix/,
      /changed: multicast\.conf:30: track_interface eth1 weight -10/,
      /changed: multicast\.conf:34: track_script chk_gateway weight -30/,
      /not mapped: scripts\.conf:7: vrrp_script chk_gateway user nobody/,
      /not mapped: multicast\.conf:40: garp_master_delay 2/,
    ])
      assert.match(run.stderr, expected);
  });

  it('notify scripts receive what keepalived gave them: notify_* on their state, notify with TYPE NAME STATE PRIORITY', async () => {
    const log = join(dir, 'notify.log');
    const script = join(dir, 'notify.sh');
    writeFileSync(script, `#!/bin/sh\necho "$0 $*" >> ${log}\n`);
    chmodSync(script, 0o755);
    const conf = join(dir, 'notify.conf');
    writeFileSync(
      conf,
      `global_defs { router_id LVS_DEVEL }
vrrp_instance N1 {
  notify ${script}
  state MASTER
  interface eth0
  priority 120
  unicast_src_ip 10.9.0.1
  unicast_peer { 10.9.0.2 }
  virtual_ipaddress { 10.9.0.10/24 }
  notify_master "${script} became-master"
}
`,
    );
    const run = await tandemImport(conf, '--key-file', join(dir, 'n.key'));
    assert.equal(run.code, 0, run.stderr);
    const imported = parse(run.stdout) as { node: string; notify: { commands: string[] } };
    // keepalived's sample router_id, often left on both nodes, would give them one name: the host's instead.
    assert.equal(imported.node, tandemName(hostname(), 'node'));
    const commands = imported.notify.commands;
    // As the agent runs them: /bin/sh -c LINE tandem-notify <state> <previous> <pair> <node>. The
    // priority is right though `notify` comes before `priority` in the file.
    for (const [to, from] of [
      ['active', 'standby'],
      ['fault', 'active'],
      ['maintenance', 'fault'],
    ])
      for (const c of commands)
        await promisify(execFile)('/bin/sh', ['-c', c, 'tandem-notify', to!, from!, 'N1', 'x']);
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), [
      `${script} INSTANCE N1 MASTER 120`,
      `${script} became-master`,
      `${script} INSTANCE N1 FAULT 120`,
    ]);
  });

  it('IPv6 multicast: the IPv6 VRRP group, /128 for a VIP without prefix, advert_int 0.1', async () => {
    const run = await tandemImport(
      fixture('ipv6.conf'),
      '--out',
      join(dir, 'v6.yaml'),
      '--local-address',
      '2001:db8:10::11',
      '--peer-address',
      '2001:db8:10::12',
    );
    assert.equal(run.code, 0, run.stderr);
    const cfg = load(join(dir, 'v6.yaml'));
    assert.equal(cfg.paths[0]?.multicast_group, 'ff02::12');
    assert.equal(cfg.interval_ms, 100);
    assert.deepEqual(
      cfg.actions.map((a) => a.address),
      ['2001:db8:10::1/64', '2001:db8:10::2/128'],
    );
    assert.match(run.stderr, /not mapped: ipv6\.conf:8: version 3/);
  });

  it('several instances: a clear error without --out; with --out DIR one checked config each, on their own ports', async () => {
    const none = await tandemImportCli(fixture('several.conf'));
    assert.equal(none.code, 2);
    assert.match(none.stderr, /2 instances or sync groups \(VI_OUT, VI_IN\).*--out DIR.*--instance NAME/);
    const out = join(dir, 'fw');
    const run = await tandemImport(fixture('several.conf'), '--out', out);
    assert.equal(run.code, 0, run.stderr);
    const outside = load(join(out, 'VI_OUT.yaml'));
    const inside = load(join(out, 'VI_IN.yaml'));
    assert.equal(outside.role, 'primary');
    assert.equal(inside.role, 'secondary');
    assert.deepEqual([outside.paths[0]?.port, inside.paths[0]?.port], [20480, 20482]);
    assert.deepEqual([outside.status.listen.port, inside.status.listen.port], [20481, 20483]);
    assert.notEqual(
      readFileSync(join(out, 'VI_OUT.key'), 'utf8'),
      readFileSync(join(out, 'VI_IN.key'), 'utf8'),
      'a key per pair',
    );
    const one = await tandemImport(
      fixture('several.conf'),
      '--instance',
      'VI_IN',
      '--key-file',
      join(dir, 'in.key'),
    );
    assert.equal(one.code, 0, one.stderr);
    assert.equal((parse(one.stdout) as { pair: string }).pair, 'VI_IN');
  });

  it('a vrrp_sync_group is one pair: a path per instance, all VIPs and routes, the group’s notify; disagreeing states are refused', async () => {
    const run = await tandemImport(fixture('syncgroup.conf'), '--out', join(dir, 'fw.yaml'));
    assert.equal(run.code, 0, run.stderr);
    const cfg = load(join(dir, 'fw.yaml'));
    assert.equal(cfg.pair, 'FW');
    assert.deepEqual(
      cfg.paths.map((p) => `${p.name} ${p.local_address}→${p.peer_address}`),
      ['eth0 203.0.113.2→203.0.113.3', 'eth1 172.16.0.2→172.16.0.3'],
    );
    assert.deepEqual(
      cfg.actions.map((a) => a.kind),
      ['vip', 'route', 'vip'],
    );
    assert.deepEqual(cfg.notify?.commands, ['case "$1" in active) /etc/fw/become-master.sh ;; esac']);
    assert.match(
      readFileSync(join(dir, 'fw.yaml'), 'utf8'),
      /vrrp_instance VI_OUT \(line 9\), vrrp_instance VI_IN \(line 26\)/,
    );

    const refused = await tandemImport(
      fixture('syncgroup-disagree.conf'),
      '--out',
      join(dir, 'fw2', 'fw.yaml'),
    );
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /syncgroup-disagree\.conf:28: FW: the group's instances disagree on state \(MASTER at line 10, BACKUP at line 28\)/,
    );
    assert.ok(!existsSync(join(dir, 'fw2')), 'nothing written on refusal');
  });

  it('refuses what is unsafe or broken, with keepalived’s lines, and leaves nothing behind', async () => {
    const unsafe = await tandemImport(fixture('unsafe.conf'), '--key-file', join(dir, 'u.key'));
    assert.equal(unsafe.code, 2);
    assert.match(
      unsafe.stderr,
      /unsafe\.conf:6: VI_3: unicast_peer lists 2 peers \(10\.1\.0\.2, 10\.1\.0\.3\)/,
    );
    assert.match(
      unsafe.stderr,
      /unsafe\.conf:14: VI_3: track_script chk_missing: no vrrp_script chk_missing/,
    );
    assert.ok(!existsSync(join(dir, 'u.key')));

    const bad = await tandemImport(fixture('bad-vip.conf'), '--key-file', join(dir, 'b.key'));
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /bad-vip\.conf:10: tandem's checker: actions\[0\]\.address: .*"10\.1\.0\.300\/24"/,
    );
    assert.ok(!existsSync(join(dir, 'b.key')), 'the key made for a refused config is removed');
    assert.equal(bad.stdout, '');
  });
});

describe("keepalived's syntax", () => {
  const write = (name: string, text: string): string => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };

  it('comments (# and !), quoted strings, a brace on the next line, one-line blocks, continued lines, includes', () => {
    write('inc-part.conf', 'vrrp_script s1 {\n  script "/bin/check # not a comment"\n}\n');
    const top = parseKeepalived(
      write(
        'syntax.conf',
        [
          '! a comment',
          'global_defs { router_id r1 }  # trailing',
          'include inc-p*.conf',
          'vrrp_instance V',
          '{',
          '  unicast_peer { 10.0.0.2 }',
          '  notify_master "/bin/a b" ! comment',
          '  virtual_ipaddress {',
          '    10.0.0.9/24 \\',
          '      dev eth3',
          '  }',
          '}',
        ].join('\n'),
      ),
    );
    assert.deepEqual(
      top.map((s) => [s.words.join(' '), s.at.line]),
      [
        ['global_defs', 2],
        ['vrrp_script s1', 1],
        ['vrrp_instance V', 4],
      ],
    );
    assert.ok(top[1]!.at.file.endsWith('inc-part.conf'));
    assert.deepEqual(top[1]!.block?.[0]?.words, ['script', '/bin/check # not a comment']);
    const body = top[2]!.block!;
    assert.deepEqual(body[0]?.block?.[0]?.words, ['10.0.0.2']);
    assert.deepEqual(body[1]?.words, ['notify_master', '/bin/a b']);
    assert.deepEqual(body[2]?.block?.[0]?.words, ['10.0.0.9/24', 'dev', 'eth3']);
  });

  it('errors name the file and line: an unclosed brace, a stray one, an open quote, an include loop', () => {
    const cases: [string, string, RegExp][] = [
      ['open.conf', 'vrrp_instance V {\n  state MASTER\n', /open\.conf:1: this `\{` is never closed/],
      ['stray.conf', 'a\n}\n', /stray\.conf:2: `\}` without a `\{`/],
      ['quote.conf', 'x {\n  script "/bin/true\n}\n', /quote\.conf:2: a quoted string is not closed/],
      ['loop.conf', 'include loop.conf\n', /loop\.conf:1: includes nest deeper than 8/],
    ];
    for (const [name, text, expected] of cases)
      assert.throws(
        () => parseKeepalived(write(name, text)),
        (err: unknown) => err instanceof KeepalivedSyntaxError && expected.test(err.message),
        name,
      );
  });
});
