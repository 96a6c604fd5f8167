#!/usr/bin/env node
// Bundles TypeBox, yaml, commander and ipaddr.js into dist/vendor/ and points the compiled modules at the
// bundles. Why: TypeBox ships as ~250 small ES modules, yaml as ~70 CommonJS files, and an ES import of a
// CommonJS package makes Node lex its source for export names; the loaders pay per file, and on a loaded host
// that was most of `tandem agent --check` (goal: 300 ms in all). One bundle each loads in a fraction of it.
// Same code, same versions (package-lock), only fewer files; the source and tests keep importing the packages.
// yaml's ES build (its "browser" folder) is plain ES2020 that also runs on Node: Buffer is used when present.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { buildSync } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
const modulesDir = join(root, 'node_modules');
const typebox = join(modulesDir, '@sinclair', 'typebox', 'build', 'esm');

/** esbuild turns the require() calls of CommonJS code into a shim that needs a `require` in scope. */
const REQUIRE_BANNER =
  "import { createRequire as vendorRequire } from 'node:module';\nconst require = vendorRequire(import.meta.url);";

/**
 * Each bundle: its folder under dist/vendor/, per package specifier the source imports its entry, and whether
 * it holds CommonJS code (then it gets `require`).
 */
const BUNDLES = [
  {
    dir: 'typebox',
    entries: {
      '@sinclair/typebox': { name: 'index', file: join(typebox, 'index.mjs') },
      '@sinclair/typebox/value': { name: 'value', file: join(typebox, 'value', 'index.mjs') },
      '@sinclair/typebox/compiler': { name: 'compiler', file: join(typebox, 'compiler', 'index.mjs') },
    },
    cjs: false,
  },
  {
    dir: 'yaml',
    entries: { yaml: { name: 'index', file: join(modulesDir, 'yaml', 'browser', 'index.js') } },
    cjs: false,
  },
  // commander's own ES wrapper (esm.mjs) gives the named exports; ipaddr.js is imported as a default.
  {
    dir: 'commander',
    entries: { commander: { name: 'index', file: join(modulesDir, 'commander', 'esm.mjs') } },
    cjs: true,
  },
  {
    dir: 'ipaddr',
    entries: { 'ipaddr.js': { name: 'index', file: join(modulesDir, 'ipaddr.js', 'lib', 'ipaddr.js') } },
    cjs: true,
  },
];

/** Package specifier → the bundle file that replaces it. */
const target = new Map();
for (const b of BUNDLES) {
  const out = join(dist, 'vendor', b.dir);
  const entries = Object.values(b.entries);
  buildSync({
    entryPoints: Object.fromEntries(entries.map((e) => [e.name, e.file])),
    bundle: true,
    // Shared code goes to one chunk, so every entry of a package sees the same classes and symbols.
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir: out,
    legalComments: 'inline',
    logLevel: 'warning',
    ...(b.cjs ? { banner: { js: REQUIRE_BANNER } } : {}),
  });
  for (const [spec, e] of Object.entries(b.entries)) target.set(spec, join(out, `${e.name}.js`));
}

function* modules(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (path === join(dist, 'vendor') || path === join(dist, 'web')) continue;
    if (statSync(path).isDirectory()) yield* modules(path);
    else if (name.endsWith('.js')) yield path;
  }
}

// tsc writes `from 'yaml'` verbatim (type-only imports are already gone); only quoted specifiers in
// import/export statements and import() calls are rewritten, so a string in the code cannot be touched by chance.
const escaped = [...target.keys()].map((k) => k.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
const pattern = new RegExp(`(\\bfrom\\s*|\\bimport\\s*\\(\\s*)(['"])(${escaped.join('|')})\\2`, 'g');
let rewritten = 0;
for (const file of modules(dist)) {
  const text = readFileSync(file, 'utf8');
  const next = text.replace(pattern, (_m, lead, quote, spec) => {
    let rel = relative(dirname(file), target.get(spec));
    if (!rel.startsWith('.')) rel = `./${rel}`;
    return `${lead}${quote}${rel}${quote}`;
  });
  if (next !== text) {
    writeFileSync(file, next);
    rewritten++;
  }
}
if (rewritten === 0) {
  console.error('build-vendor: no module imports a vendored package; is dist/ built?');
  process.exit(1);
}
