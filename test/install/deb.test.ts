// The Debian package as an operator gets it: built by `npm run package:deb` (from the built dist/), installed
// with dpkg on this machine, the installed `tandem` run (agent, controller, the cloud SDKs it ships), the units
// verified by systemd, then purged, leaving the machine as it was.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

const ROOT = new URL('../../', import.meta.url).pathname;
const out = mkdtempSync(join(tmpdir(), 'tandem-deb-test-'));
const UNITS = ['tandem-agent@.service', 'tandem-controller.service', 'tandem-pathwatch.service'];

function sh(file: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
  return spawnSync(file, args, { encoding: 'utf8', ...options });
}

const installed = (): boolean =>
  sh('dpkg-query', ['-W', '--showformat', '$' + '{Status}', 'tandem']).stdout.includes('ok installed');
const userExists = (): boolean => sh('getent', ['passwd', 'tandem']).status === 0;

let deb = '';
before(() => {
  // Never clobber a real installation or a user of that name: the purge below would remove them.
  assert.equal(installed(), false, 'a tandem package is installed on this machine: remove it first');
  assert.equal(userExists(), false, 'a user "tandem" exists on this machine: this test would delete it');
  assert.ok(existsSync(join(ROOT, 'dist/cli/main.js')), 'dist/ is missing: run `npm run build` first');
  const built = sh(process.execPath, ['scripts/package-deb.js', '--no-build', '--out', out], { cwd: ROOT });
  assert.equal(built.status, 0, built.stderr);
  deb = built.stdout.trim().split('\n').at(-1) ?? '';
  assert.match(deb, /tandem_\d+\.\d+\.\d+_[a-z0-9]+\.deb$/);
});

after(() => {
  if (installed()) sh('dpkg', ['--purge', 'tandem']);
  rmSync(out, { recursive: true, force: true });
});

describe('the Debian package', () => {
  test('declares what it needs and ships units, example and the runtime (no sources, no tests)', () => {
    const control = execFileSync('dpkg-deb', ['--field', deb], { encoding: 'utf8' });
    assert.match(control, /^Depends: nodejs \(>= 20\.10\), nodejs \(<< \d+\), iproute2, socat, passwd$/m);
    const files = execFileSync('dpkg-deb', ['--contents', deb], { encoding: 'utf8', maxBuffer: 64 << 20 });
    for (const f of [
      './usr/bin/tandem',
      './usr/lib/tandem/bin/tandem.js',
      './usr/lib/tandem/dist/cli/main.js',
      './usr/lib/tandem/dist/vendor/typebox/index.js',
      './usr/lib/tandem/dist/web/index.html',
      './usr/lib/tandem/node_modules/pino/package.json',
      './etc/tandem/node.yaml.example',
      ...UNITS.map((u) => `./lib/systemd/system/${u}`),
    ])
      assert.ok(files.includes(` ${f}\n`), `${f} is in the package`);
    assert.doesNotMatch(files, /\.\/usr\/lib\/tandem\/(src|test|scripts|bench)\//);
    // Development dependencies stay out.
    assert.doesNotMatch(
      files,
      /\.\/usr\/lib\/tandem\/node_modules\/(typescript|@biomejs|tsx|playwright-core)\//,
    );
  });

  test('dpkg -i: tandem on the PATH, a system user, /etc/tandem 0750 root:tandem, the agent reads its key', async () => {
    const inst = sh('dpkg', ['-i', deb]);
    assert.equal(inst.status, 0, inst.stderr);
    assert.equal(
      sh('/usr/bin/env', ['tandem', '--version']).stdout.trim(),
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version,
    );
    assert.ok(userExists());
    const etc = statSync('/etc/tandem');
    assert.equal(etc.mode & 0o777, 0o750);
    assert.equal(etc.uid, 0);
    assert.equal(etc.gid, Number(sh('getent', ['group', 'tandem']).stdout.split(':')[2]));
    assert.equal(statSync('/etc/tandem/node.yaml.example').mode & 0o777, 0o640);
    assert.equal(statSync('/var/lib/tandem').mode & 0o777, 0o750);

    // The example, set up as its own comment says, passes --check as the unit's user.
    writeFileSync('/etc/tandem/node.yaml', readFileSync('/etc/tandem/node.yaml.example'), { mode: 0o640 });
    execFileSync('chgrp', ['tandem', '/etc/tandem/node.yaml']);
    writeFileSync('/etc/tandem/pair.key', `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    execFileSync('chown', ['tandem:tandem', '/etc/tandem/pair.key']);
    const check = sh('runuser', [
      '-u',
      'tandem',
      '--',
      'tandem',
      'agent',
      '--config',
      '/etc/tandem/node.yaml',
      '--check',
    ]);
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stdout, /node\.yaml: OK \(pair edge-1, node fw-a/);

    // What the agent writes must go where the unit lets it write: /etc/tandem is not the tandem user's.
    const managed = join('/etc/tandem', 'managed.yaml');
    const base = readFileSync('/etc/tandem/node.yaml', 'utf8');
    const asAgent = (yaml: string) => {
      writeFileSync(managed, yaml, { mode: 0o640 });
      execFileSync('chgrp', ['tandem', managed]);
      return sh('runuser', ['-u', 'tandem', '--', 'tandem', 'agent', '--config', managed, '--check'], {
        env: { ...process.env, ENROLL: 'token' },
      });
    };
    const controller =
      'controller_url: https://controller.example\ncontroller_enrollment_token_env: ENROLL\n';
    const inEtc = asAgent(
      `${base.replace('/var/lib/tandem/admin.token', '/etc/tandem/admin.token')}${controller}`,
    );
    assert.equal(inEtc.status, 2, inEtc.stdout);
    assert.match(
      inEtc.stderr,
      /controller_url: expected the credential's directory to be writable .*\/etc\/tandem is not/,
    );
    assert.match(
      inEtc.stderr,
      /status\.admin_token_file: expected a writable directory .*\/etc\/tandem is not/,
    );
    const inState = asAgent(
      `${base}${controller}controller_credential_file: /var/lib/tandem/fw-a.credential.json\n`,
    );
    assert.equal(inState.status, 0, inState.stderr);

    // The heavy dependencies load from /usr/lib/tandem: the cloud SDKs and the controller's native SQLite.
    const sdks = sh(
      '/usr/bin/node',
      [
        '--input-type=module',
        '-e',
        "for (const m of ['@aws-sdk/client-ec2', '@azure/arm-network', '@azure/identity', 'better-sqlite3', 'pg']) await import(m); console.log('loaded')",
      ],
      { cwd: '/usr/lib/tandem' },
    );
    assert.equal(sdks.stdout.trim(), 'loaded', sdks.stderr);
    await controllerAnswers();
  });

  test('systemd-analyze verify accepts the installed units', () => {
    for (const u of UNITS) {
      const r = sh('systemd-analyze', ['verify', `/lib/systemd/system/${u}`]);
      assert.equal(r.status, 0, `${u}: ${r.stderr}`);
      assert.equal(r.stderr.trim(), '', `${u}: ${r.stderr}`);
    }
    const agent = readFileSync('/lib/systemd/system/tandem-agent@.service', 'utf8');
    assert.match(agent, /^ExecStartPre=\/usr\/bin\/tandem agent --config \/etc\/tandem\/%i\.yaml --check$/m);
    assert.match(
      agent,
      /^ExecStopPost=-\/usr\/bin\/tandem agent --config \/etc\/tandem\/%i\.yaml --release-vips$/m,
    );
    assert.match(agent, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    assert.match(agent, /^RestrictRealtime=no$/m);
    // The small nursery and single V8 helper thread the footprint figures were measured with (bench:failover starts the agent the same way).
    assert.match(agent, /^Environment="NODE_OPTIONS=--max-semi-space-size=1 --v8-pool-size=1"$/m);
    assert.match(agent, /^ProtectSystem=strict$/m);
    assert.match(agent, /^StateDirectory=tandem$/m);
  });

  test('dpkg --purge leaves nothing: files, units, /etc/tandem, state, user', () => {
    const purge = sh('dpkg', ['--purge', 'tandem']);
    assert.equal(purge.status, 0, purge.stderr);
    assert.equal(installed(), false);
    assert.equal(userExists(), false);
    assert.equal(sh('getent', ['group', 'tandem']).status, 2);
    for (const p of [
      '/usr/bin/tandem',
      '/usr/lib/tandem',
      '/etc/tandem',
      '/var/lib/tandem',
      ...UNITS.map((u) => `/lib/systemd/system/${u}`),
    ])
      assert.equal(existsSync(p), false, `${p} is gone`);
  });
});

/** The installed controller starts on SQLite and says where it listens; then SIGTERM. */
function controllerAnswers(): Promise<void> {
  const store = join(out, 'controller.db');
  const child = spawn('tandem', ['controller', '--store', store, '--listen', '127.0.0.1:0'], {
    env: { ...process.env, TANDEM_ADMIN_TOKEN: randomBytes(24).toString('base64') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the controller did not start: ${text}`));
    }, 30_000);
    child.stdout.on('data', (b: Buffer) => {
      text += b.toString();
      if (/listening on http:\/\/127\.0\.0\.1:\d+ \(store: sqlite\)/.test(text)) {
        clearTimeout(timer);
        child.kill('SIGTERM');
        child.once('exit', () => resolve());
      }
    });
  });
}
