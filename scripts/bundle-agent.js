#!/usr/bin/env node
// Bundles `tandem agent` (dist/cli/commands/agent.js and what it imports) into dist/agent-bundle/, which
// dist/cli/main.js loads instead when it is there. Why: a module costs memory of its own besides its
// code, and the agent's config validation alone pulled in ~900 ES modules (TypeBox); one bundle keeps
// a LAN agent ~15 MB smaller (bench:failover reports its RSS). Run after tsc (npm run build does).
// Only the pure-JS libraries the agent always needs are bundled; everything else (the cloud SDKs,
// loaded only by a config with cloud actions; pino, which loads its transports by file name) stays a
// plain import from node_modules, and a cloud's drivers stay lazy (split into their own chunks).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'dist', 'agent-bundle');
const BUNDLED = new Set(['@sinclair/typebox', 'yaml', 'ipaddr.js', 'prom-client', 'tdigest', 'bintrees']);

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`). */
function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: { agent: join(root, 'dist', 'cli', 'commands', 'agent.js') },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  // CommonJS libraries inside an ES bundle still call require() for Node's own modules.
  banner: {
    js: "import { createRequire as __tandemRequire } from 'node:module'; const require = __tandemRequire(import.meta.url);",
  },
  logLevel: 'warning',
  plugins: [
    {
      name: 'external-packages',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => {
          if (args.path.startsWith('node:')) return { external: true };
          return BUNDLED.has(packageOf(args.path)) ? undefined : { path: args.path, external: true };
        });
      },
    },
  ],
});
