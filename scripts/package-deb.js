#!/usr/bin/env node
// Builds the Debian package: `npm run package:deb [-- --no-build] [-- --out DIR]` → DIR/tandem_<version>_<arch>.deb
// (DIR defaults to packages/, ignored by git).
//
// Layout: the npm tarball's files (the `files` list of package.json, so both installs ship the same thing) and
// the production node_modules in /usr/lib/tandem; /usr/bin/tandem runs them with Debian's nodejs; the systemd
// units in /lib/systemd/system; /etc/tandem (root:tandem 0750) with an example config; a system user `tandem`.
// The node_modules are copied from this checkout (production dependencies only, as `npm ls --omit=dev` lists
// them), so building needs no registry; better-sqlite3's native module is built for this Node's ABI, hence the
// upper bound on nodejs in Depends.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const args = process.argv.slice(2);
const build = !args.includes('--no-build');
const outIndex = args.indexOf('--out');
const outDir = resolve(outIndex >= 0 && args[outIndex + 1] ? args[outIndex + 1] : join(root, 'packages'));

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const nodeMajor = Number(process.versions.node.split('.')[0]);

function run(file, argv, options = {}) {
  return execFileSync(file, argv, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20, ...options });
}

if (build) {
  // The same clean build as `npm pack` (prepack): no stale module of a deleted source in dist/.
  const r = spawnSync('npm', ['run', '--silent', 'prepack'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
} else if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
  console.error('package-deb: dist/ is missing; run `npm run build` or drop --no-build');
  process.exit(2);
}

const stage = mkdtempSync(join(tmpdir(), 'tandem-deb-'));
// The stage is the package's "/": 0755 like every directory it holds (mkdtemp makes it 0700).
chmodSync(stage, 0o755);
try {
  const lib = join(stage, 'usr', 'lib', 'tandem');

  // 1. What `npm pack` would ship: one list for both ways of installing.
  const packed = JSON.parse(run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts']));
  for (const { path } of packed[0].files) {
    mkdirSync(dirname(join(lib, path)), { recursive: true });
    // Times kept: the CLI loads dist/agent-bundle/ only when it is not older than the modules it bundles.
    cpSync(join(root, path), join(lib, path), { preserveTimestamps: true });
  }

  // 2. The production dependencies, each package folder without its own node_modules (nested packages are
  // in the list themselves). Type declarations, source maps and native sources are not needed at run time.
  const prod = run('npm', ['ls', '--omit=dev', '--all', '--parseable'])
    .split('\n')
    .filter((p) => p.startsWith(join(root, 'node_modules')));
  // TypeScript (declarations and the sources some packages ship), maps, docs and repo files: every file costs
  // dpkg time at install and removal. Licence files stay, whatever their extension.
  const skip = /\.(ts|mts|cts|map|tsbuildinfo|md|markdown|yml|yaml|gitattributes)$/i;
  const licence = /(^|\/)(licen[cs]e|copying|notice)[^/]*$/i;
  for (const dir of new Set(prod)) {
    const rel = relative(root, dir);
    cpSync(dir, join(lib, rel), {
      recursive: true,
      dereference: true,
      filter: (src) => {
        const inner = relative(dir, src);
        if (inner === 'node_modules' || inner.startsWith(`node_modules/`)) return false;
        if (rel === 'node_modules/better-sqlite3' && /^(deps|src)(\/|$)/.test(inner)) return false;
        // Builds for other platforms (the Azure SDK ships four copies): Node never picks these export conditions.
        if (/^dist\/(browser|react-native)(\/|$)/.test(inner)) return false;
        return licence.test(src) || !skip.test(src);
      },
    });
  }

  // 3. The command on the PATH.
  const bin = join(stage, 'usr', 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'tandem'), '#!/bin/sh\nexec /usr/bin/node /usr/lib/tandem/bin/tandem.js "$@"\n');
  chmodSync(join(bin, 'tandem'), 0o755);

  // 4. Units, example config, docs.
  const units = join(stage, 'lib', 'systemd', 'system');
  mkdirSync(units, { recursive: true });
  for (const u of ['tandem-agent@.service', 'tandem-controller.service', 'tandem-pathwatch.service'])
    cpSync(join(root, 'deploy', 'systemd', u), join(units, u));
  mkdirSync(join(stage, 'etc', 'tandem'), { recursive: true });
  cpSync(join(root, 'examples', 'node.yaml'), join(stage, 'etc', 'tandem', 'node.yaml.example'));
  const doc = join(stage, 'usr', 'share', 'doc', 'tandem');
  mkdirSync(doc, { recursive: true });
  cpSync(join(root, 'README.md'), join(doc, 'README.md'));
  cpSync(join(root, 'docs'), join(doc, 'docs'), { recursive: true });

  // 5. Package metadata and maintainer scripts.
  const arch = run('dpkg', ['--print-architecture']).trim();
  const debian = join(stage, 'DEBIAN');
  mkdirSync(debian);
  const installedKb = Number(run('du', ['-sk', '--exclude=DEBIAN', stage]).split('\t')[0]);
  writeFileSync(
    join(debian, 'control'),
    `Package: tandem
Version: ${pkg.version}
Architecture: ${arch}
Maintainer: tandem maintainers <tandem@localhost>
Installed-Size: ${installedKb}
Depends: nodejs (>= 20.10), nodejs (<< ${nodeMajor + 1}), iproute2, socat, passwd
Recommends: iputils-arping, iputils-ping, util-linux
Suggests: nftables
Section: net
Priority: optional
Description: ${pkg.description}
 tandem keeps one of two nodes active: a virtual IP with gratuitous ARP on a LAN, or AWS route tables
 and ENIs, or Azure routes and floating IPs. Includes the agent (tandem-agent@.service, one instance per
 pair), the fleet controller (tandem-controller.service) and pathwatch (tandem-pathwatch.service).
`,
  );
  writeFileSync(join(debian, 'conffiles'), '/etc/tandem/node.yaml.example\n');
  script(
    debian,
    'postinst',
    `case "$1" in
configure)
  if ! getent passwd tandem >/dev/null; then
    useradd --system --user-group --home-dir /var/lib/tandem --no-create-home --shell /usr/sbin/nologin \\
      --comment "tandem HA agent" tandem
  fi
  # /etc/tandem: root writes, the agent (group tandem) reads. Keys: the agent's alone.
  install -d -m 0750 -o root -g tandem /etc/tandem
  install -d -m 0750 -o tandem -g tandem /var/lib/tandem
  chown root:tandem /etc/tandem/node.yaml.example
  chmod 0640 /etc/tandem/node.yaml.example
  for key in /etc/tandem/*.key; do
    [ -f "$key" ] || continue
    chown tandem:tandem "$key"
    chmod 0600 "$key"
  done
  if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
  ;;
esac
exit 0
`,
  );
  script(
    debian,
    'prerm',
    `# Removal stops the services (the agents release their VIPs: the peer takes over). An upgrade does not:
# restart each node in turn (docs/runbook-upgrade.md).
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
  systemctl stop 'tandem-agent@*.service' tandem-controller.service tandem-pathwatch.service || true
  systemctl disable tandem-controller.service tandem-pathwatch.service >/dev/null 2>&1 || true
fi
exit 0
`,
  );
  script(
    debian,
    'postrm',
    `case "$1" in
purge)
  # Purge removes what the package made: the config directory (keys included), the state, the user.
  rm -rf /etc/tandem /var/lib/tandem /var/lib/tandem-controller
  if getent passwd tandem >/dev/null; then userdel tandem || true; fi
  if getent group tandem >/dev/null; then groupdel tandem || true; fi
  ;;
esac
if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
exit 0
`,
  );

  mkdirSync(outDir, { recursive: true });
  const deb = join(outDir, `tandem_${pkg.version}_${arch}.deb`);
  // gzip, fast level: xz, or gzip -9, takes minutes for ~80 MB of node_modules on a small build host.
  run('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z1', '--build', stage, deb], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  console.log(deb);
} finally {
  rmSync(stage, { recursive: true, force: true });
}

function script(dir, name, body) {
  writeFileSync(join(dir, name), `#!/bin/sh\nset -e\n${body}`);
  chmodSync(join(dir, name), 0o755);
}
