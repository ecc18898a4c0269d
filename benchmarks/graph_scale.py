"""Validate + build the graph of synthetic manifests, as a ratio to merely parsing them.

For 1k, 5k and 20k nodes: time ``yaml.load(CSafeLoader)`` on the file (the baseline),
then ``load_manifest`` (safe YAML with positions, pydantic, whole-manifest checks,
routing) plus ``build_graph`` with order, levels and critical path.  Prints the
ratio per size and the growth per node from 1k to 20k.  Target: <= 3x at 5k nodes,
growth close to linear.

    .venv/bin/python benchmarks/graph_scale.py
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from dde_ci.graph import build_graph
from dde_ci.manifest.loader import load_manifest

TYPES = ["implementation", "test", "integration", "action"]


def synthetic_manifest(n: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    interfaces = max(1, n // 50)
    lines = [
        'version: "1"',
        "workflow: synthetic",
        "iteration: Bench-1",
        "settings: {wip_limit: 8, default_runs_on: [self-hosted]}",
        "runners:",
        "  - name: py",
        "    labels: [self-hosted, linux, python]",
        '    capabilities: ["Backend:Python:FastAPI", "QA:Python", "Contracts:OpenAPI"]',
        "  - name: web",
        "    labels: [self-hosted, linux, node]",
        '    capabilities: ["Frontend:React", "QA:JavaScript"]',
        "contracts:",
    ]
    for i in range(interfaces):
        lines.append(f"  - {{name: api-{i}, domain: d{i % 7}, type: openapi, path: api/{i}.yaml}}")
    lines.append("nodes:")
    for i in range(n):
        node_id = f"N{i:05d}"
        if i < interfaces:
            lines += [
                f"  - id: {node_id}",
                "    type: interface",
                f"    name: Interface {i}",
                f"    produces: [api-{i}]",
                '    capabilities: ["Contracts:OpenAPI"]',
                f"    run: python3 scripts/write_spec.py {i}",
                f"    estimated_effort: {rng.randint(10, 120)}",
            ]
            continue
        deps = sorted(
            {f"N{rng.randrange(max(interfaces, i - 200), i):05d}" for _ in range(rng.randint(0, 3))}
            if i > interfaces
            else set()
        )
        cap = rng.choice(["Backend:Python", "QA:Python", "Frontend:React", "QA:JavaScript"])
        lines += [
            f"  - id: {node_id}",
            f"    type: {rng.choice(TYPES)}",
            f"    name: Work item {i}",
            f"    description: Synthetic node number {i} for the scale benchmark.",
            f"    depends_on: [{', '.join(deps)}]",
            f"    consumes: [api-{rng.randrange(interfaces)}]",
            f'    capabilities: ["{cap}"]',
            f"    run: make target-{i}",
            "    env: {MODE: ci, LEVEL: 3}",
            "    timeout: 10m",
            "    retry: {max_attempts: 2, initial_delay: 0.5}",
            f"    artifacts: [build/{node_id}/**]",
            f"    estimated_effort: {rng.randint(5, 240)}",
        ]
    return "\n".join(lines) + "\n"


def best_of(repeat: int, func: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for n in (1_000, 5_000, 20_000):
            path = Path(folder) / f"dde-{n}.yaml"
            path.write_text(synthetic_manifest(n))
            repeat = 5 if n <= 5_000 else 2

            def parse(p: Path = path) -> object:
                return yaml.load(p.read_text(), Loader=yaml.CSafeLoader)

            def validate(p: Path = path) -> object:
                graph = build_graph(load_manifest(p))
                return graph.order, graph.levels, graph.critical_path

            base = best_of(repeat, parse)
            ours = best_of(repeat, validate)
            rows.append((n, path.stat().st_size, base, ours))
            print(
                f"{n:>6} nodes  {path.stat().st_size / 1e6:5.1f} MB  "
                f"parse {base * 1000:8.1f} ms  validate+graph {ours * 1000:8.1f} ms  "
                f"ratio {ours / base:4.2f}x"
            )
    per_node = [ours / n for n, _, _, ours in rows]
    growth = per_node[-1] / per_node[0]
    print(f"per-node cost 20k vs 1k: {growth:.2f}x (1.00 = perfectly linear)")
    ratio_5k = next(ours / base for n, _, base, ours in rows if n == 5_000)
    print(f"target <= 3x at 5k nodes: {'met' if ratio_5k <= 3 else 'NOT met'} ({ratio_5k:.2f}x)")
    print(f"median ratio: {statistics.median(o / b for _, _, b, o in rows):.2f}x")


if __name__ == "__main__":
    main()
