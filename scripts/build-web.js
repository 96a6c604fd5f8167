#!/usr/bin/env node
// Builds the dashboard into dist/web/: the browser modules with tsc (src/web/tsconfig.json: ES
// modules with DOM types, no bundler) into dist/web/web/, with the controller's API words
// (src/controller/api-words.ts, shared so the two cannot drift) into dist/web/controller/; then the
// static files (index.html, style.css) at dist/web/.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'dist', 'web');
rmSync(out, { recursive: true, force: true });
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'src', 'web', 'tsconfig.json')], {
  stdio: 'inherit',
});
if (r.status !== 0) process.exit(r.status ?? 1);
mkdirSync(out, { recursive: true });
const statics = join(root, 'src', 'web', 'static');
for (const name of readdirSync(statics)) copyFileSync(join(statics, name), join(out, name));
