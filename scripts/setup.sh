#!/usr/bin/env bash
# Installs everything tandem needs on a fresh Debian machine: system packages, npm packages, the build.
# Idempotent: a second run only checks. Usage: bash scripts/setup.sh [--with-test-deps]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(iproute2 iputils-ping iputils-arping socat nftables procps)
if [[ "${1:-}" == "--with-test-deps" ]]; then
  # keepalived is the reference in the failover benchmark; postgresql and chromium serve the controller tests.
  packages+=(keepalived postgresql chromium)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: installing npm packages"
  # `npm ci`, not `npm install`: it installs exactly the lock and never rewrites package-lock.json, so the
  # work tree stays clean and a `git pull` upgrade does not conflict (a lock out of step with package.json
  # fails here instead; test/install/npm-pack.test.ts checks they agree).
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
