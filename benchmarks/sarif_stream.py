"""Benchmark: the sarif gate evaluator's peak memory stays under 10x the file's size.

Run: .venv/bin/python benchmarks/sarif_stream.py [MB ...]   (default: 30 90)

For each size, writes a SARIF 2.1.0 log of that many megabytes (one run, minimal valid
results, one in 50 an error) and measures, each in a new process so that the peak
resident memory (``ru_maxrss``) is that reader's alone:

* baseline: ``json.loads`` of the whole file and a count of its results (what the
  evaluator did before it streamed);
* dde-ci: the ``sarif`` evaluator's :func:`count_sarif` (ijson streaming, every result
  checked against the SARIF 2.1.0 schema).

Prints the peak RSS of each, the peak less the process's RSS before reading (the cost
of the file), that cost over the file size, the time, and dde-ci / baseline ratios.
Exits 1 when dde-ci's peak RSS exceeds 10x the file size for any size: the target.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 10.0

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[3])
mode, path = sys.argv[1], sys.argv[2]
if mode == "dde-ci":
    from dde_ci.gates.evaluators.sarif import _validator, count_sarif, LEVELS
    for kind in (None, "run", "result"):
        _validator(kind)  # compiled before the measure starts: its cost is not the file's
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
if mode == "dde-ci":
    counts = dict.fromkeys((*LEVELS, "total", "suppressed", "allowed"), 0)
    with open(path, "rb") as handle:
        count_sarif(handle, path, set(), counts)
    errors = counts["error"]
else:
    with open(path, encoding="utf-8") as handle:
        data = json.loads(handle.read())
    errors = sum(
        1 for run in data["runs"] for r in run["results"] if r.get("level") == "error"
    )
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"before_kib": before, "peak_kib": peak, "seconds": seconds, "errors": errors}))
"""


def write_sarif(path: Path, megabytes: float) -> int:
    """A valid SARIF log of about ``megabytes`` MB; returns the number of error results."""
    target = int(megabytes * 1e6)
    note = json.dumps({"ruleId": "R1", "message": {"text": "m"}}) + ","
    error = json.dumps({"ruleId": "R2", "level": "error", "message": {"text": "bad"}}) + ","
    errors = 0
    with path.open("w", encoding="utf-8") as out:
        out.write('{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "bench"}}, ')
        out.write('"results": [')
        written, i = 0, 0
        while written < target:
            piece = error if i % 50 == 0 else note
            errors += i % 50 == 0
            out.write(piece)
            written += len(piece)
            i += 1
        out.write('{"ruleId": "R1", "message": {"text": "last"}}]}]}')
    return errors


def measure(mode: str, path: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(path), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    data: dict[str, float] = json.loads(done.stdout)
    return data


def main() -> int:
    sizes = [float(a) for a in sys.argv[1:]] or [30.0, 90.0]
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for megabytes in sizes:
            path = Path(tmp) / f"bench-{megabytes:g}.sarif"
            errors = write_sarif(path, megabytes)
            size_mib = path.stat().st_size / 2**20
            print(f"SARIF file: {size_mib:.1f} MiB, {errors:,} error results")
            rows = {}
            for mode in ("baseline", "dde-ci"):
                got = measure(mode, path)
                assert got["errors"] == errors, (mode, got["errors"], errors)
                peak, cost = got["peak_kib"] / 1024, (got["peak_kib"] - got["before_kib"]) / 1024
                rows[mode] = (peak, cost, got["seconds"])
                print(
                    f"  {mode:<9} peak RSS {peak:8.1f} MiB ({peak / size_mib:5.2f}x the file), "
                    f"reading cost {cost:8.1f} MiB ({cost / size_mib:5.2f}x), "
                    f"{got['seconds']:6.2f} s"
                )
            (p_new, c_new, t_new), (p_old, c_old, t_old) = rows["dde-ci"], rows["baseline"]
            print(
                f"  dde-ci / baseline: peak RSS {p_new / p_old:.3f}, "
                f"reading cost {c_new / max(c_old, 1e-9):.3f}, time {t_new / t_old:.2f}"
            )
            worst = max(worst, p_new / size_mib)
    print(f"worst dde-ci peak RSS: {worst:.2f}x the file size (target <= {TARGET_RATIO:g}x)")
    return 0 if worst <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
