#!/usr/bin/env bash
# make demo: run the shop manifest end to end on this machine, then audit it.
set -euo pipefail
cd "$(dirname "$0")"
rm -rf build contracts reports .dde contracts.lock
echo "== dde-ci validate"
dde-ci validate dde.yaml
echo "== dde-ci run"
dde-ci run dde.yaml --iteration "Demo-$(date -u +%Y%m%d-%H%M%S)" --no-progress
