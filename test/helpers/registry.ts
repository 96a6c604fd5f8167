// A package registry on loopback that serves what is already in a node_modules folder: each package's
// package.json as its manifest, its folder (without nested node_modules) as its tarball, made on request.
// So `npm install -g <tarball> --registry <this>` runs npm's real install (resolution, extraction, bin links)
// with no network beyond loopback. Type declarations, maps and other platforms' builds are left out of the
// tarballs, as the Debian package does, to keep the install quick on a shared host.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

interface Found {
  readonly dir: string;
  readonly manifest: Record<string, unknown>;
}

export interface Registry {
  readonly url: string;
  /** Packument and tarball requests answered, by name (for assertions that npm really used us). */
  readonly served: Set<string>;
  close(): Promise<void>;
}

/** Every package folder under `modules`, nested ones included, by name and version. */
function collect(
  modules: string,
  out = new Map<string, Map<string, Found>>(),
): Map<string, Map<string, Found>> {
  if (!existsSync(modules)) return out;
  for (const entry of readdirSync(modules)) {
    if (entry.startsWith('.')) continue;
    const dirs = entry.startsWith('@')
      ? readdirSync(join(modules, entry)).map((n) => join(modules, entry, n))
      : [join(modules, entry)];
    for (const dir of dirs) {
      const file = join(dir, 'package.json');
      if (!existsSync(file)) continue;
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      const name = manifest.name as string;
      const version = manifest.version as string;
      if (!out.has(name)) out.set(name, new Map());
      out.get(name)!.set(version, { dir, manifest });
      collect(join(dir, 'node_modules'), out);
    }
  }
  return out;
}

const EXCLUDE = [
  './node_modules',
  '*.d.ts',
  '*.d.mts',
  '*.d.cts',
  '*.map',
  './dist/browser',
  './dist/react-native',
];

export async function serveModules(modules: string): Promise<Registry> {
  const packages = collect(modules);
  const served = new Set<string>();
  let base = '';
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
    const tarball = /^(.+)\/-\/([^/]+)\.tgz$/.exec(path);
    if (tarball) {
      const name = tarball[1]!;
      const prefix = `${name.split('/').at(-1)}-`;
      const version = tarball[2]!.startsWith(prefix) ? tarball[2]!.slice(prefix.length) : '';
      const found = packages.get(name)?.get(version);
      if (!found) return void res.writeHead(404).end();
      served.add(name);
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const tar = spawn(
        'tar',
        [
          '-c',
          '-C',
          found.dir,
          '--transform',
          's,^\\.,package,',
          ...EXCLUDE.map((e) => `--exclude=${e}`),
          '.',
        ],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      );
      const gzip = spawn('gzip', ['-1'], { stdio: ['pipe', 'pipe', 'ignore'] });
      tar.stdout.pipe(gzip.stdin);
      gzip.stdout.pipe(res);
      return;
    }
    const versions = packages.get(path);
    if (!versions) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{}');
    served.add(path);
    const entries = [...versions.entries()].map(([v, f]) => {
      const file = `${path.split('/').at(-1)}-${v}.tgz`;
      return [v, { ...f.manifest, dist: { tarball: `${base}/${path}/-/${file}` } }] as const;
    });
    const latest = entries
      .map(([v]) => v)
      .sort(compareVersions)
      .at(-1)!;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ name: path, 'dist-tags': { latest }, versions: Object.fromEntries(entries) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/`,
    served,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Release versions only matter here (x.y.z); a pre-release sorts before its release. */
function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const pb = b.split(/[.-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}
