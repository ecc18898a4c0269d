#!/usr/bin/env bash
# make demo: run the shop manifest end to end on this machine, then audit it.
set -euo pipefail
cd "$(dirname "$0")"
rm -rf build contracts reports .dde contracts.lock
iteration="Demo-$(date -u +%Y%m%d-%H%M%S)"
echo "== dde-ci validate"
dde-ci validate dde.yaml
echo "== dde-ci run (iteration $iteration)"
dde-ci run dde.yaml --iteration "$iteration" --no-progress
echo "== dde-ci metrics"
dde-ci metrics --log "reports/$iteration/execution.log" --format markdown
echo "== dde-ci audit"
dde-ci audit dde.yaml --iteration "$iteration" --format text
echo
echo "Reports: examples/shop/reports/$iteration/ (execution.log, audit.md, per-node context, gates, results)"
