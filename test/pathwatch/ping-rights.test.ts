// `tandem preflight` on a pathwatch config checks that the ICMP probes can run, for real: the CLI runs in a
// network namespace of its own (its own net.ipv4.ping_group_range) with CAP_NET_RAW out of its bounding set.
// The system ping (cap_net_raw=ep) then cannot even be executed; a ping without file capabilities (as on
// hosts that rely on ICMP sockets) can open neither socket until ping_group_range admits our group.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const NS = `tdpwping${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'tandem-pw-ping-'));
const CONFIG = join(dir, 'pw.yaml');

interface Check {
  check: string;
  status: string;
  detail?: string;
  fix?: string;
}

/** The preflight's probe check, from a CLI without CAP_NET_RAW inside the namespace. */
async function probeCheck(path = process.env.PATH): Promise<Check> {
  const argv = ['netns', 'exec', NS, 'setpriv', '--inh-caps=-net_raw', '--bounding-set=-net_raw'];
  const cli = [process.execPath, '--import', 'tsx', CLI, 'preflight', '--json', '--config', CONFIG];
  const out = await run('ip', [...argv, ...cli], { env: { ...process.env, PATH: path } }).catch(
    (e: { stdout: string }) => e,
  );
  const report = JSON.parse(out.stdout) as { results: { action: string; checks: Check[] }[] };
  const probes = report.results.find((r) => r.action === 'probes');
  assert.ok(probes, out.stdout);
  return probes.checks[0]!;
}

describe('tandem preflight: the rights ICMP probes need', () => {
  before(async () => {
    await run('ip', ['netns', 'add', NS]);
    // A ping without file capabilities: copying drops them.
    mkdirSync(join(dir, 'bin'));
    copyFileSync((await run('sh', ['-c', 'command -v ping'])).stdout.trim(), join(dir, 'bin', 'ping'));
    await run('ip', ['netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up']);
    writeFileSync(
      CONFIG,
      `name: pw
primary:
  targets: [{ kind: icmp, address: 192.168.10.10 }]
routes:
  - kind: linux-route
    destination: 192.168.0.0/16
    dev: lo
`,
    );
  });
  after(async () => {
    await run('ip', ['netns', 'del', NS]).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  it('ping with cap_net_raw=ep under a bounding set without it: refused at exec, the service fix named', async () => {
    const c = await probeCheck();
    assert.equal(c.status, 'wrong-setting', JSON.stringify(c));
    assert.match(c.detail ?? '', /cannot run ping: spawn EPERM: its file capability cap_net_raw/);
    assert.match(c.fix ?? '', /CapabilityBoundingSet=/);
  });

  it('without CAP_NET_RAW and outside ping_group_range: refused, with both fixes named', async () => {
    await run('ip', ['netns', 'exec', NS, 'sysctl', '-q', '-w', 'net.ipv4.ping_group_range=1 0']);
    const c = await probeCheck(`${join(dir, 'bin')}:${process.env.PATH}`);
    assert.equal(c.status, 'wrong-setting', JSON.stringify(c));
    assert.match(
      c.detail ?? '',
      /CAP_NET_RAW not held; net\.ipv4\.ping_group_range "1 0" excludes our gid 0/,
    );
    assert.match(c.fix ?? '', /AmbientCapabilities=CAP_NET_RAW/);
    assert.match(c.fix ?? '', /ping_group_range="0 2147483647"/);
  });

  it('with the sysctl fix (ICMP sockets for our group): OK', async () => {
    await run('ip', ['netns', 'exec', NS, 'sysctl', '-q', '-w', 'net.ipv4.ping_group_range=0 2147483647']);
    const c = await probeCheck(`${join(dir, 'bin')}:${process.env.PATH}`);
    assert.equal(c.status, 'ok', JSON.stringify(c));
    assert.match(c.detail ?? '', /includes our gid 0/);
  });
});
