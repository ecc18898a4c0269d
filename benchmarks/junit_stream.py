"""Benchmark: the junit gate evaluator streams a 100,000-case JUnit file in < 2 s, flat memory.

Run: .venv/bin/python benchmarks/junit_stream.py [CASES]

Prints the time of dde-ci's defusedxml streaming count against two baselines
measured in the same run: plain ``xml.etree.ElementTree.iterparse`` counting
(C accelerated, no safety checks) and ``ElementTree.parse`` of the whole tree;
and the peak Python memory (tracemalloc) of each, at CASES and 4 x CASES cases,
to show that the streaming evaluator's memory does not grow with the file.
Exits 1 when the 100,000-case evaluation takes 2 s or more.
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from dde_ci.gates.evaluators.junit import JUnitCounts, count_junit

LIMIT_SECONDS = 2.0


def write_junit(path: Path, cases: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<testsuites>\n')
        per_suite = 1000
        for start in range(0, cases, per_suite):
            out.write(f'<testsuite name="suite{start // per_suite}" tests="{per_suite}">\n')
            for i in range(start, min(cases, start + per_suite)):
                name = f'classname="tests.test_mod{i % 97}" name="test_case_{i}" time="0.001"'
                if i % 500 == 0:
                    out.write(
                        f'<testcase {name} file="tests/test_mod.py" line="{i % 400 + 1}">'
                        '<failure message="assert 1 == 2">tests/test_mod.py:12: AssertionError'
                        "</failure></testcase>\n"
                    )
                elif i % 41 == 0:
                    out.write(f'<testcase {name}><skipped message="later"/></testcase>\n')
                else:
                    out.write(f"<testcase {name}><system-out>ok</system-out></testcase>\n")
            out.write("</testsuite>\n")
        out.write("</testsuites>\n")


def ours(path: Path) -> int:
    counts = JUnitCounts()
    with path.open("rb") as handle:
        count_junit(handle, counts, str(path))
    return counts.total


def baseline_iterparse(path: Path) -> int:
    total = 0
    for _event, elem in ET.iterparse(path):
        if elem.tag == "testcase":
            total += 1
            elem.clear()
    return total


def baseline_parse(path: Path) -> int:
    return sum(1 for _ in ET.parse(path).getroot().iter("testcase"))


def timed(func: Callable[[Path], int], path: Path, repeat: int = 3) -> tuple[float, int]:
    best = float("inf")
    result = 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = func(path)
        best = min(best, time.perf_counter() - start)
    return best, result


def peak(func: Callable[[Path], int], path: Path) -> int:
    tracemalloc.start()
    try:
        func(path)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> int:
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        small, large = Path(tmp) / "junit.xml", Path(tmp) / "junit-4x.xml"
        write_junit(small, cases)
        write_junit(large, cases * 4)
        size = small.stat().st_size / 1e6
        print(f"JUnit file: {cases:,} test cases, {size:.1f} MB")
        t_ours, n1 = timed(ours, small)
        t_iter, n2 = timed(baseline_iterparse, small)
        t_parse, n3 = timed(baseline_parse, small)
        assert n1 == n2 == n3 == cases, (n1, n2, n3)
        print(f"  dde-ci junit (defusedxml, streaming): {t_ours:.3f} s")
        print(
            f"  baseline ElementTree.iterparse count: {t_iter:.3f} s  "
            f"(dde-ci / baseline = {t_ours / t_iter:.2f}x)"
        )
        print(
            f"  baseline ElementTree.parse whole tree: {t_parse:.3f} s  "
            f"(dde-ci / baseline = {t_ours / t_parse:.2f}x)"
        )
        m_small, m_large = peak(ours, small), peak(ours, large)
        p_small, p_large = peak(baseline_parse, small), peak(baseline_parse, large)
        mib = 1024 * 1024
        print(
            f"  peak memory dde-ci: {m_small / mib:.2f} MiB at {cases:,} cases, "
            f"{m_large / mib:.2f} MiB at {cases * 4:,} (x{m_large / max(m_small, 1):.2f})"
        )
        print(
            f"  peak memory ElementTree.parse: {p_small / mib:.2f} MiB, {p_large / mib:.2f} MiB "
            f"(x{p_large / max(p_small, 1):.2f})"
        )
        ok = t_ours < LIMIT_SECONDS or cases > 100_000
        print(f"  limit {LIMIT_SECONDS:.1f} s for 100,000 cases: {'ok' if ok else 'TOO SLOW'}")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
