// The npm tarball: `npm pack` ships the built dist/ (the vendored bundles included), the bin, the units and
// examples, and nothing of the sources, tests or tools; `npm install -g --prefix` installs it and its
// `tandem` runs `--version` and `agent --check`. The dependencies come from a registry on loopback that
// serves this checkout's node_modules (test/helpers/registry.ts): npm's real install, no network.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { serveModules } from '../helpers/registry.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tandem-pack-test-'));
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  scripts: Record<string, string>;
  files: string[];
};

let files: string[] = [];
let tarball = '';
before(() => {
  assert.ok(existsSync(join(ROOT, 'dist/cli/main.js')), 'dist/ is missing: run `npm run build` first');
  // --ignore-scripts: the prepack build (a clean tsc run) takes a minute; dist/ is built by the set-up.
  const packed = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(packed.status, 0, packed.stderr);
  const info = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  files = info[0]!.files.map((f) => f.path);
  tarball = join(dir, info[0]!.filename);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('the npm tarball', () => {
  test('a clean build before packing: prepack empties dist/ and builds', () => {
    assert.equal(PKG.scripts.prepack, 'rm -rf dist && npm run build');
    assert.match(PKG.scripts.build!, /^tsc -p tsconfig\.json && node scripts\/build-vendor\.js && /);
  });

  test('the lock agrees with package.json: the set-up runs npm ci, which never rewrites it', () => {
    const ci = spawnSync('npm', ['ci', '--dry-run', '--no-audit', '--no-fund'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    assert.equal(ci.status, 0, ci.stderr);
    assert.match(readFileSync(join(ROOT, 'scripts/setup.sh'), 'utf8'), /^ {2}npm ci /m);
  });

  test('holds the runtime files and nothing else', () => {
    for (const f of [
      'package.json',
      'README.md',
      'bin/tandem.js',
      'dist/cli/main.js',
      'dist/agent/run.js',
      'dist/vendor/typebox/index.js',
      'dist/vendor/typebox/value.js',
      'dist/vendor/yaml/index.js',
      'dist/vendor/commander/index.js',
      'dist/vendor/ipaddr/index.js',
      'dist/web/index.html',
      'deploy/systemd/tandem-agent@.service',
      'deploy/systemd/tandem-controller.service',
      'examples/node.yaml',
    ])
      assert.ok(files.includes(f), `${f} is packed`);
    const stray = files.filter(
      (f) => /^(src|test|bench|scripts|standby|node_modules)\//.test(f) || f.endsWith('.map'),
    );
    assert.deepEqual(stray, []);
    // The compiled modules import the bundles, never the many-file packages (start-up time).
    const config = readFileSync(join(ROOT, 'dist/agent/config.js'), 'utf8');
    assert.match(config, /from '\.\.\/vendor\/typebox\/value\.js'/);
    assert.match(config, /from '\.\.\/vendor\/yaml\/index\.js'/);
  });

  test('npm install -g --prefix installs it (dependencies from a loopback registry); tandem --version and agent --check run', async () => {
    const registry = await serveModules(join(ROOT, 'node_modules'));
    const prefix = join(dir, 'prefix');
    try {
      // --ignore-scripts: better-sqlite3's install script would download a prebuilt binary; the registry
      // serves the one this checkout built.
      // Asynchronous: the registry answers from this very process, so its event loop must keep running.
      const install = await npm(
        [
          'install',
          '-g',
          '--prefix',
          prefix,
          '--registry',
          registry.url,
          '--cache',
          join(dir, 'cache'),
          '--ignore-scripts',
          '--no-audit',
          '--no-fund',
          '--loglevel=error',
          tarball,
        ],
        dir,
      );
      assert.equal(install.code, 0, install.stderr);
      // npm really resolved the dependencies through the registry, the heavy ones included.
      for (const name of ['commander', 'pino', '@aws-sdk/client-ec2', 'better-sqlite3'])
        assert.ok(registry.served.has(name), name);
    } finally {
      await registry.close();
    }
    const tandem = join(prefix, 'bin', 'tandem');
    const version = spawnSync(tandem, ['--version'], { encoding: 'utf8' });
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout.trim(), PKG.version);

    const pkgDir = join(prefix, 'lib', 'node_modules', 'tandem');
    const etc = join(dir, 'etc');
    mkdirSync(etc);
    const yaml = readFileSync(join(pkgDir, 'examples', 'node.yaml'), 'utf8')
      .replaceAll('/etc/tandem/pair.key', 'pair.key')
      .replaceAll('/var/lib/tandem/admin.token', 'admin.token');
    writeFileSync(join(etc, 'node.yaml'), yaml);
    writeFileSync(join(etc, 'pair.key'), randomBytes(32).toString('base64'), { mode: 0o600 });
    const check = spawnSync(tandem, ['agent', '--config', join(etc, 'node.yaml'), '--check'], {
      encoding: 'utf8',
    });
    assert.equal(check.status, 0, check.stderr);
    assert.equal(
      check.stdout,
      `${join(etc, 'node.yaml')}: OK (pair edge-1, node fw-a, 2 path(s), 1 monitor(s), 1 action(s))\n`,
    );
    const bad = spawnSync(tandem, ['agent', '--config', join(etc, 'missing.yaml'), '--check'], {
      encoding: 'utf8',
    });
    assert.equal(bad.status, 2);
  });
});

function npm(args: readonly string[], cwd: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npm', args, { cwd, encoding: 'utf8', maxBuffer: 16 << 20 }, (err, _stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stderr });
    });
  });
}
