"""dde-ci run vs make -j4 on the same random DAGs, and the runner's per-node overhead.

Prints, for random DAGs of about 200 nodes that each sleep 20-100 ms (WIP 4):
the makespan of ``dde-ci run`` (workflow.started to its closing event, from the
execution log) against ``make -j4`` on an equivalent Makefile, and against the
lower bound max(critical path, total work / WIP).  Then the per-node overhead
with 1,000 nodes that run ``true``: (dde-ci makespan - make makespan) / 1,000,
at WIP 1 (every node's cost in series) and at WIP 4.

Targets: makespan at most 1.10x make's; per-node overhead at most 10 ms.

    .venv/bin/python benchmarks/runner_vs_make.py [--seeds 3] [--nodes 200]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DDE_CI = str(Path(sys.executable).parent / "dde-ci")


def random_dag(seed: int, size: int) -> tuple[list[str], dict[str, list[str]], dict[str, float]]:
    rng = random.Random(seed)
    names = [f"n{i:04d}" for i in range(size)]
    preds = {}
    for i, name in enumerate(names):
        window = names[max(0, i - 30) : i]
        preds[name] = sorted(rng.sample(window, k=min(len(window), rng.randint(0, 3))))
    seconds = {n: rng.randint(20, 100) / 1000 for n in names}
    return names, preds, seconds


def write_project(
    folder: Path,
    names: list[str],
    preds: dict[str, list[str]],
    commands: dict[str, str],
    effort: dict[str, float] | None,
) -> Path:
    folder.mkdir(parents=True)
    nodes = []
    for n in names:
        node: dict[str, object] = {
            "id": n,
            "type": "implementation",
            "depends_on": preds[n],
            "run": commands[n],
        }
        if effort is not None:
            node["estimated_effort"] = effort[n]
        nodes.append(node)
    manifest = {"workflow": "bench", "iteration": "bench", "nodes": nodes}
    (folder / "dde.yaml").write_text(json.dumps(manifest))
    lines = [".PHONY: all " + " ".join(names), "all: " + " ".join(names), ""]
    for n in names:
        lines += [f"{n}: {' '.join(preds[n])}".rstrip(), f"\t@{commands[n]}", ""]
    (folder / "Makefile").write_text("\n".join(lines))
    return folder / "dde.yaml"


def make_seconds(folder: Path, jobs: int) -> float:
    start = time.perf_counter()
    subprocess.run(["make", "-s", f"-j{jobs}", "-C", str(folder), "all"], check=True)
    return time.perf_counter() - start


def dde_seconds(manifest: Path, jobs: int) -> tuple[float, float]:
    """(makespan from the log, wall time of the whole command)."""
    start = time.perf_counter()
    subprocess.run(
        [DDE_CI, "run", "-m", str(manifest), "--jobs", str(jobs), "--no-progress"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    from dde_ci.log import parse_timestamp, read_log

    events = read_log(manifest.parent / "reports" / "bench" / "execution.log").events
    first = parse_timestamp(events[0]["timestamp"])
    last = parse_timestamp(events[-1]["timestamp"])
    return (last - first).total_seconds(), wall


def lower_bound(
    names: list[str], preds: dict[str, list[str]], secs: dict[str, float], wip: int
) -> float:
    finish: dict[str, float] = {}
    for n in names:
        finish[n] = secs[n] + max((finish[p] for p in preds[n]), default=0.0)
    return max(max(finish.values()), sum(secs.values()) / wip)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--overhead-nodes", type=int, default=1000)
    args = parser.parse_args()
    wip = 4
    ratios: list[float] = []
    cpus = os.cpu_count()
    print(f"machine: {cpus} CPUs, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print(f"== makespan: {args.nodes}-node random DAGs, nodes sleep 20-100 ms, WIP {wip}")
        for seed in range(args.seeds):
            names, preds, secs = random_dag(seed, args.nodes)
            commands = {n: f"sleep {secs[n]:.3f}" for n in names}
            # the plan's estimated_effort: each node's expected minutes (here its sleep)
            manifest = write_project(root / f"dag{seed}", names, preds, commands, secs)
            make_s = make_seconds(manifest.parent, wip)
            dde_s, wall = dde_seconds(manifest, wip)
            bound = lower_bound(names, preds, secs, wip)
            ratios.append(dde_s / make_s)
            print(
                f"seed {seed}: dde-ci {dde_s:.3f}s (command {wall:.3f}s)  make -j{wip} "
                f"{make_s:.3f}s  lower bound {bound:.3f}s  ratio to make {dde_s / make_s:.3f}  "
                f"ratio to bound {dde_s / bound:.3f}"
            )
        within = sum(r <= 1.10 for r in ratios)
        if ratios:
            print(
                f"makespan ratio to make (target <= 1.10): median "
                f"{statistics.median(ratios):.3f}, worst {max(ratios):.3f}, "
                f"{within} of {len(ratios)} within the target"
            )

        n = args.overhead_nodes
        print(f"== per-node overhead: {n} nodes running 'true'")
        rng = random.Random(99)
        names = [f"t{i:04d}" for i in range(n)]
        preds = {
            name: sorted(rng.sample(names[max(0, i - 30) : i], k=min(i, rng.randint(0, 2))))
            for i, name in enumerate(names)
        }
        commands = dict.fromkeys(names, "true")
        for jobs in (1, wip) if n else ():
            manifest = write_project(root / f"true{jobs}", names, preds, commands, None)
            make_s = make_seconds(manifest.parent, jobs)
            dde_s, wall = dde_seconds(manifest, jobs)
            per_node = (dde_s - make_s) / n
            print(
                f"WIP {jobs}: dde-ci {dde_s:.3f}s (command {wall:.3f}s)  make -j{jobs} "
                f"{make_s:.3f}s  overhead per node {per_node * 1000:.2f} ms (target <= 10 ms)  "
                f"wall per node {dde_s / n * 1000:.2f} ms"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
