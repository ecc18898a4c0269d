"""Benchmark: lock a synthetic OpenAPI contract of 1,000 operations, then lock a changed copy.

Locking checks the spec (openapi-spec-validator), digests its canonical form,
and, for the second version, diffs it against the first.  The baseline,
measured in the same run, is loading the document with ``json.loads`` and
hashing its raw bytes; the script prints each step's ratio to it.  A no-op
re-lock (same digest) must stay cheap: it is what every re-run of an
interface node pays.

    .venv/bin/python benchmarks/contract_lock.py [--operations 300]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from contract_diff import build, modify

from dde_ci.contracts.lock import lock_contract
from dde_ci.contracts.types import check_contract
from dde_ci.layout import Layout
from dde_ci.manifest.loader import load_manifest

MANIFEST = """\
version: "1"
workflow: bench
iteration: Iter-1
contracts:
  - {name: big-api, domain: bench, type: openapi, path: big.json}
nodes:
  - {id: API.Big, type: interface, produces: [big-api], run: "true"}
"""


def timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--operations", type=int, default=300)
    args = parser.parse_args()
    base = build(args.operations)
    revision = modify(base)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "dde.yaml").write_text(MANIFEST)
        spec = root / "big.json"
        spec.write_text(json.dumps(base))
        size = spec.stat().st_size
        manifest = load_manifest(root / "dde.yaml")
        layout = Layout(manifest.root)

        def baseline() -> str:
            raw = spec.read_bytes()
            json.loads(raw)
            return hashlib.sha256(raw).hexdigest()

        base_s, _ = timed(baseline)
        check_s, _ = timed(lambda: check_contract("openapi", spec, root))
        first_s, first = timed(lambda: lock_contract(manifest, "big-api", layout))
        again_s, again = timed(lambda: lock_contract(manifest, "big-api", layout))
        spec.write_text(json.dumps(revision))
        second_s, second = timed(lambda: lock_contract(manifest, "big-api", layout))
    assert first.created and not again.created and second.created
    ops = sum(len(item) for item in base["paths"].values())
    print(f"{ops} operations, {size / 1e6:.1f} MB JSON")

    def row(label: str, seconds: float) -> None:
        print(f"{label:<52} {seconds:8.3f} s {seconds / base_s:8.1f}x")

    row("baseline  json.loads + sha256 of the raw bytes", base_s)
    row("dde-ci    check (validate + canonical digest)", check_s)
    row("dde-ci    first lock (1.0.0)", first_s)
    row("dde-ci    re-lock, same content (no-op)", again_s)
    row(f"dde-ci    lock a changed copy ({second.kind}, {second.contract.version})", second_s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
