#!/usr/bin/env bash
# Sets up a fresh machine and runs the lab: a pair, the controller and a simulated cloud, with a failover to watch.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node bin/tandem.js lab "$@"
