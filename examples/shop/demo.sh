#!/usr/bin/env bash
# make demo: run the shop manifest end to end on this machine, then audit it.
# It starts from nothing: what an earlier demo or tour left is deleted first (and said so).
set -euo pipefail
cd "$(dirname "$0")"
left=()
for path in build contracts reports .dde contracts.lock; do
  [ -e "$path" ] && left+=("examples/shop/$path")
done
if [ ${#left[@]} -gt 0 ]; then
  echo "== deleting what an earlier run left: ${left[*]}"
  rm -rf build contracts reports .dde contracts.lock
fi
iteration="Demo-$(date -u +%Y%m%d-%H%M%S)"
echo "== dde-ci validate"
dde-ci validate
echo "== dde-ci run --iteration $iteration"
dde-ci run --iteration "$iteration" --no-progress
echo "== dde-ci metrics"
metrics=$(dde-ci metrics --log "reports/$iteration/execution.log")
echo "$metrics"
echo "== dde-ci audit --iteration $iteration"
dde-ci audit --iteration "$iteration"
# a clean demo passes cleanly: every gate met, nothing to warn about
if ! grep -q "gate pass rate *100%" <<<"$metrics"; then
  echo "demo: expected every gate to pass on a clean run" >&2
  exit 1
fi
if ! python3 -c 'import json, sys; sys.exit(bool(json.load(open(sys.argv[1]))["warnings"]))' \
    "reports/$iteration/audit.json"; then
  echo "demo: the audit of a clean run has warnings (reports/$iteration/audit.md)" >&2
  exit 1
fi
echo
echo "Reports: examples/shop/reports/$iteration/ (execution.log, audit.md, per-node context, gates, results)"
echo "Next: the tour in README.md (cd examples/shop)"
