"""SHA-256 of a 1 GB file: dde-ci's hashing against ``sha256sum`` (target: at least 90%).

Creates the file in a temporary folder (written in 8 MiB blocks, so memory
stays bounded), then alternates ``sha256sum`` and :func:`dde_ci.stamping.hash_file`
(and the copy-while-hashing path stamping uses) a few times, all reading from
the page cache, and prints the throughput ratios of the best runs.
``BENCH_SIZE_MB`` changes the size.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dde_ci.stamping import copy_and_hash, hash_file

SIZE_MB = int(os.environ.get("BENCH_SIZE_MB", "1024"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
TARGET = 0.90


def make_file(path: Path) -> None:
    block = os.urandom(8 * 1024 * 1024)
    with path.open("wb") as handle:
        for _ in range(SIZE_MB // 8):
            handle.write(block)


def best(func: object, rounds: int) -> tuple[float, str]:
    times = []
    digest = ""
    for _ in range(rounds):
        start = time.perf_counter()
        digest = func()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times), digest


def main() -> int:
    if shutil.which("sha256sum") is None:
        print("sha256sum is not installed; nothing to compare with")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "artifact.bin"
        make_file(path)
        hash_file(path)  # warm the page cache

        def coreutils() -> str:
            out = subprocess.run(["sha256sum", str(path)], capture_output=True, check=True)
            return out.stdout.split()[0].decode()

        def ours() -> str:
            return hash_file(path)

        def stamping_copy() -> str:
            digest, _ = copy_and_hash(path, Path(tmp) / "copy.bin")
            return digest

        base_times, our_times = [], []
        for _ in range(ROUNDS):  # alternate, so both see the same machine load
            t, ref = best(coreutils, 1)
            base_times.append(t)
            t, got = best(ours, 1)
            our_times.append(t)
            if got != ref:
                print(f"digest mismatch: {got} != {ref}")
                return 1
        copy_time, copied = best(stamping_copy, 1)
        if copied != ref:
            print("copy digest mismatch")
            return 1
    base, mine = min(base_times), min(our_times)
    mb = SIZE_MB
    print(f"sha256sum                    {base:6.2f} s  {mb / base:7.1f} MB/s")
    print(f"dde_ci.stamping.hash_file    {mine:6.2f} s  {mb / mine:7.1f} MB/s")
    print(f"copy_and_hash (stamp+store)  {copy_time:6.2f} s  {mb / copy_time:7.1f} MB/s")
    ratio = base / mine
    print(f"hash_file speed vs sha256sum: {ratio:.0%} (target >= {TARGET:.0%})")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
