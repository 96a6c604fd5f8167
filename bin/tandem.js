#!/usr/bin/env node
// The compiled CLI (npm run build). Running from a source checkout without a build is an error worth a clear word.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('tandem: dist/ is missing; run `npm run build` (or `bash scripts/setup.sh`) first');
  process.exit(2);
}
await import(entry.href);
