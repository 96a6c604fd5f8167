#!/usr/bin/env bash
# Sets up a fresh machine and runs the whole test suite: types, lint, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --with-test-deps
npm run --silent typecheck
npm run --silent lint
node scripts/run-tests.js
