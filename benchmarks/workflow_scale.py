"""How big and how fast `dde-ci generate` is, and what its jobs cost in time.

Prints, for random manifests of 500 and 2,000 nodes (with runners, capabilities
and estimated_effort in minutes):

* the time to load the manifest and generate the workflow (graph, jobs, YAML
  text), the generation alone as a ratio to loading the same manifest in the
  same run, and the total against the target of 2 s for 2,000 nodes.  Times
  are the best of 5 runs, as wall time and as this process's CPU time; the
  target is judged on CPU time, which other processes on a shared machine do
  not inflate (the load average is printed with it);
* jobs per node and bytes per node of the workflow ``generate`` writes, against
  the baseline of one job per node (twins in a matrix) measured in the same run,
  and whether GitHub's 500 KB limit accepts each (target: 2,000 nodes fit);
* the predicted makespan with a per-job overhead (runner start, checkout,
  set-up, artifact transfer; ``--job-overhead SECONDS``, default 20) and each
  matrix's ``max-parallel`` (the WIP limit), against the graph's critical path,
  for both plans;
* for 120 random DAGs: the makespan the one-job-per-node `needs` imply against
  the graph's critical path (they must be equal), and jobs against nodes.

Exit code 1 when a target is missed.
Run: .venv/bin/python benchmarks/workflow_scale.py [--job-overhead SECONDS]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dde_ci.github.emit import yaml_document
from dde_ci.github.workflow import (
    MAX_WORKFLOW_BYTES,
    GeneratedWorkflow,
    WorkflowOptions,
    generate_workflow,
    header_lines,
    plan_jobs,
    simulate_makespan,
    workflow_document,
)
from dde_ci.graph import build_graph
from dde_ci.manifest.loader import load_manifest, load_manifest_text

TARGET_SECONDS_2000 = 2.0
OPTIONS = WorkflowOptions("dde.yaml", ".github/workflows/dde.yml")  # actions: $/ (as the repo)
CAPABILITIES = ["Backend:Python", "Frontend:JavaScript", "QA:Python", "Ops:Deploy"]
RUNNERS = """runners:
  - {name: py, labels: [self-hosted, linux, python], capabilities: ["Backend:Python", "QA:Python"]}
  - {name: web, labels: [self-hosted, linux, node], capabilities: ["Frontend:JavaScript"]}
  - {name: ops, labels: [self-hosted, linux, deploy], capabilities: ["Ops:Deploy"]}
"""


def random_manifest(n: int, rng: random.Random, width: int = 40) -> str:
    """A layered random DAG: each node depends on up to 3 of the previous `width` nodes."""
    lines = [
        "workflow: scale",
        "settings: {wip_limit: 8, default_runs_on: [self-hosted, linux]}",
        RUNNERS.rstrip("\n"),
        "nodes:",
    ]
    for i in range(n):
        pool = range(max(0, i - width), i)
        deps = sorted(rng.sample(pool, k=min(len(pool), rng.randint(0, 3)))) if i else []
        cap = rng.choice(CAPABILITIES)
        lines.append(
            f"  - {{id: N{i:05d}, type: action, name: 'Node {i}', run: 'make n{i}',"
            f" capabilities: ['{cap}'], estimated_effort: {rng.randint(1, 120)},"
            f" artifacts: ['build/n{i}/**'], depends_on: [{', '.join(f'N{d:05d}' for d in deps)}]}}"
        )
    return "\n".join(lines) + "\n"


def best_of(runs: int, work: Callable[[], Any]) -> tuple[float, float, Any]:
    """(best wall seconds, best CPU seconds, last result) of ``runs`` runs of ``work``."""
    wall = cpu = float("inf")
    result: Any = None
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = work()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu, result


def generate(path: Path) -> GeneratedWorkflow:
    return generate_workflow(load_manifest(path), OPTIONS)


def one_job_per_node(path: Path) -> tuple[int, int, Any]:
    """The baseline: bytes and jobs of one job per node (twins in a matrix), and its plan."""
    manifest = load_manifest(path)
    plan = plan_jobs(manifest, build_graph(manifest), "twins")
    text = yaml_document(workflow_document(manifest, plan, OPTIONS), header_lines(OPTIONS))
    return len(text.encode()), len(plan.jobs), plan


def scale(n: int, folder: Path, rng: random.Random, overhead_s: float) -> bool:
    path = folder / f"dde-{n}.yaml"
    path.write_text(random_manifest(n, rng))
    load_wall, load_cpu, _ = best_of(5, lambda: load_manifest(path))
    wall, cpu, generated = best_of(5, lambda: generate(path))
    alone = cpu - load_cpu
    size, jobs = generated.size, len(generated.plan.jobs)
    base_size, base_jobs, base_plan = one_job_per_node(path)
    graph = build_graph(load_manifest(path))
    overhead = overhead_s / 60  # estimated_effort is in minutes
    critical = graph.critical_path_length
    wip = load_manifest(path).settings.wip_limit  # each matrix's max-parallel
    span = simulate_makespan(generated.plan, graph.weights, overhead, wip)
    base_span = simulate_makespan(base_plan, graph.weights, overhead, wip)
    fits = size <= MAX_WORKFLOW_BYTES
    ok = n != 2000 or (cpu <= TARGET_SECONDS_2000 and fits)
    target = f"  targets <= 2 s, <= 500 KB: {'ok' if ok else 'MISSED'}" if n == 2000 else ""
    print(
        f"{n:>5} nodes: load {load_cpu:5.2f} s cpu ({load_wall:5.2f} wall); load+generate "
        f"{cpu:5.2f} s cpu ({wall:5.2f} wall){target}\n"
        f"             generate alone {alone:5.2f} s cpu = {alone / load_cpu:4.2f}x loading the "
        f"manifest\n"
        f"             baseline, one job per node: {base_jobs / n:.3f} jobs/node, "
        f"{base_size / n:5.0f} B/node, {base_size / 1000:,.0f} KB "
        f"({'fits' if base_size <= MAX_WORKFLOW_BYTES else 'over 500 KB'}); predicted makespan "
        f"{base_span:,.0f} min = {base_span / critical:.3f}x the critical path\n"
        f"             written ({generated.plan.grouping}): {jobs / n:.3f} jobs/node, "
        f"{size / n:5.0f} B/node, {size / 1000:,.0f} KB ({'fits' if fits else 'OVER 500 KB'}) "
        f"= {size / base_size:.2f}x the baseline's bytes; predicted makespan {span:,.0f} min "
        f"= {span / critical:.3f}x the critical path ({critical:,.0f} min; "
        f"job overhead {overhead_s:g} s)"
    )
    return ok


def makespans(rng: random.Random, cases: int = 120) -> bool:
    equal = 0
    fewer_jobs = 0
    matrices = 0
    worst_ratio = 1.0
    for case in range(cases):
        n = rng.randint(2, 200)
        # Narrow windows make twins (shared parents and children) common.
        text = random_manifest(n, rng, width=rng.choice([2, 4, 40]))
        manifest = load_manifest_text(text)
        graph = build_graph(manifest)
        plan = plan_jobs(manifest, graph)
        span = simulate_makespan(plan, graph.weights)
        critical = graph.critical_path_length
        equal += span == critical
        worst_ratio = max(worst_ratio, span / critical)
        fewer_jobs += len(plan.jobs) <= len(manifest.nodes)
        matrices += sum(1 for job in plan.jobs if job.is_matrix)
        if span != critical:
            print(f"  case {case}: makespan {span} != critical path {critical}")
    print(
        f"makespan implied by needs == critical path in {equal}/{cases} random DAGs "
        f"(worst ratio {worst_ratio:.3f}); jobs <= nodes in {fewer_jobs}/{cases}; "
        f"{matrices} matrix jobs of twins"
    )
    return equal == cases and fewer_jobs == cases


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--job-overhead", type=float, default=20.0, metavar="SECONDS")
    overhead = parser.parse_args(argv).job_overhead
    rng = random.Random(20261127)
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        ok = all([scale(n, Path(tmp), rng, overhead) for n in (500, 2000)])
    ok = makespans(rng) and ok
    print("OK" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
