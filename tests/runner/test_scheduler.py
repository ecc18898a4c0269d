from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dde_ci.layout import Layout
from dde_ci.runner.scheduler import start_run
from dde_ci.runner.state import StateStore
from tests.runner.project import chain_manifest, events, load

CLOSING = {"node.completed", "node.failed", "node.cancelled"}


def check_log_invariants(log: list[dict[str, Any]], preds: dict[str, list[str]], wip: int) -> None:
    """No node starts before all its dependencies completed; never more than ``wip`` running."""
    completed: set[str] = set()
    running: set[str] = set()
    peak = 0
    for event in log:
        node, kind = event["node_id"], event["event_type"]
        if kind == "node.started":
            missing = [p for p in preds[node] if p not in completed]
            assert not missing, f"{node} started before {missing} completed"
            running.add(node)
            peak = max(peak, len(running))
            assert len(running) <= wip, f"WIP {wip} exceeded: {sorted(running)}"
        elif kind in CLOSING:
            running.discard(node)
            if kind == "node.completed":
                completed.add(node)
    assert peak >= 1


def test_runs_a_graph_and_records_the_run(tmp_path: Path) -> None:
    manifest = chain_manifest(
        tmp_path,
        {
            "A": ([], "echo a >> order.txt"),
            "B": (["A"], "echo b >> order.txt"),
            "C": (["A"], "echo c >> order.txt"),
            "D": (["B", "C"], "echo d >> order.txt"),
        },
    )
    summary = start_run(manifest, iteration_id="it1", jobs=2)
    assert summary.state == "COMPLETED" and summary.exit_code == 0
    assert summary.counts["COMPLETED"] == 4
    order = (tmp_path / "order.txt").read_text().split()
    assert order[0] == "a" and order[-1] == "d"
    log = events(manifest)
    assert log[0]["event_type"] == "workflow.started"
    assert log[-1]["event_type"] == "workflow.completed"
    assert {e["run_id"] for e in log} == {summary.run_id}
    check_log_invariants(log, {"A": [], "B": ["A"], "C": ["A"], "D": ["B", "C"]}, 2)
    with StateStore(Layout(tmp_path).state_db) as store:
        run = store.run(summary.run_id)
        assert (run.state, run.iteration_id, run.jobs) == ("COMPLETED", "it1", 2)
        assert {n.state for n in store.nodes(summary.run_id)} == {"COMPLETED"}
        assert {n.agent_id for n in store.nodes(summary.run_id)} == {"local"}


def test_critical_path_starts_first(tmp_path: Path) -> None:
    data = {
        "workflow": "t",
        "iteration": "it1",
        "settings": {"wip_limit": 1},
        "nodes": [
            {"id": "short", "type": "implementation", "run": "true", "estimated_effort": 1},
            {"id": "long1", "type": "implementation", "run": "true", "estimated_effort": 5},
            {
                "id": "long2",
                "type": "implementation",
                "run": "true",
                "depends_on": ["long1"],
                "estimated_effort": 3,
            },
        ],
    }
    manifest = load(tmp_path, json.dumps(data))
    start_run(manifest, iteration_id="it1")
    started = [e["node_id"] for e in events(manifest) if e["event_type"] == "node.started"]
    # long1 heads the heaviest remaining path; long2 becomes ready and still outweighs short
    assert started == ["long1", "long2", "short"]


def test_failure_skips_dependents_and_independent_branches_go_on(tmp_path: Path) -> None:
    manifest = chain_manifest(
        tmp_path,
        {
            "A": ([], "exit 4"),
            "B": (["A"], "true"),
            "C": (["B"], "true"),
            "X": ([], "sleep 0.2"),
            "Y": (["X"], "true"),
        },
    )
    summary = start_run(manifest, iteration_id="it1", jobs=2)
    assert summary.state == "FAILED" and summary.exit_code == 1
    assert summary.failed == ["A"]
    with StateStore(Layout(tmp_path).state_db) as store:
        nodes = {n.node_id: n for n in store.nodes(summary.run_id)}
    assert {n: r.state for n, r in nodes.items()} == {
        "A": "FAILED",
        "B": "SKIPPED",
        "C": "SKIPPED",
        "X": "COMPLETED",
        "Y": "COMPLETED",
    }
    assert nodes["C"].message == "dependency A failed"
    skipped = [e for e in events(manifest) if e["event_type"] == "node.skipped"]
    assert [(e["node_id"], e["details"]["because"]) for e in skipped] == [("B", "A"), ("C", "A")]
    assert events(manifest)[-1]["event_type"] == "workflow.failed"
    # the files staged for nodes that never ran are gone, with the folders made for them
    it_dir = Layout(tmp_path).iteration_dir("it1")
    assert sorted(p.name for p in it_dir.iterdir() if p.is_dir()) == ["A", "X", "Y"]
    assert not list(it_dir.rglob("*.staged"))
    for node in ("A", "X", "Y"):
        assert sorted(p.name for p in (it_dir / node).iterdir()) == [
            "context.json",
            "output.log",
            "result.json",
        ]


AGENTS = """
workflow: t
iteration: it1
settings: {wip_limit: 4, default_agent: generalist}
agents:
  - id: py1
    capabilities: [{name: "Backend:Python", proficiency: 4}]
  - id: py2
    capabilities: [{name: "Backend:Python", proficiency: 4}]
  - id: expert
    capabilities: [{name: "Backend:Python:FastAPI", proficiency: 5}]
  - id: generalist
    capabilities: ["Docs"]
    concurrency: 2
nodes:
  - {id: api, type: implementation, capabilities: ["Backend:Python:FastAPI"], run: sleep 0.2}
  - {id: p1, type: implementation, capabilities: ["Backend:Python"], run: sleep 0.2}
  - {id: p2, type: implementation, capabilities: ["Backend:Python"], run: sleep 0.2}
  - {id: ops, type: implementation, capabilities: ["Ops:Deploy"], run: "true"}
"""


def test_agents_by_capability_then_load_with_fallback(tmp_path: Path) -> None:
    manifest = load(tmp_path, AGENTS)
    summary = start_run(manifest, iteration_id="it1")
    assert summary.state == "COMPLETED"
    log = events(manifest)
    agents = {e["node_id"]: e["agent_id"] for e in log if e["event_type"] == "node.started"}
    assert agents["api"] == "expert"
    # the expert is the best match for plain Backend:Python too, but it is busy: next best
    assert {agents["p1"], agents["p2"]} == {"py1", "py2"}
    assert agents["ops"] == "generalist"
    warnings = [e for e in log if e["event_type"] == "node.warning"]
    assert [(e["node_id"], e["details"]["reason"]) for e in warnings] == [("ops", "agent_fallback")]
    assert "no agent offers Ops:Deploy" in warnings[0]["details"]["message"]


def test_agent_concurrency_limits_parallelism(tmp_path: Path) -> None:
    data = {
        "workflow": "t",
        "iteration": "it1",
        "agents": [{"id": "solo", "capabilities": ["X"], "concurrency": 1}],
        "nodes": [
            {"id": f"n{i}", "type": "implementation", "capabilities": ["X"], "run": "sleep 0.05"}
            for i in range(4)
        ],
    }
    manifest = load(tmp_path, json.dumps(data))
    start_run(manifest, iteration_id="it1", jobs=4)
    check_log_invariants(events(manifest), {f"n{i}": [] for i in range(4)}, 1)


@st.composite
def dags(draw: st.DrawFn) -> tuple[dict[str, list[str]], dict[str, int], int]:
    size = draw(st.integers(min_value=1, max_value=8))
    names = [f"n{i}" for i in range(size)]
    preds = {
        name: sorted(draw(st.sets(st.sampled_from(names[:i]), max_size=3)) if i else [])
        for i, name in enumerate(names)
    }
    failing = draw(st.sets(st.sampled_from(names), max_size=2))
    codes = {n: (3 if n in failing else 0) for n in names}
    return preds, codes, draw(st.integers(min_value=1, max_value=3))


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=dags())
def test_random_dags_respect_dependencies_and_wip(
    tmp_path_factory: Any, case: tuple[dict[str, list[str]], dict[str, int], int]
) -> None:
    preds, codes, wip = case
    folder = tmp_path_factory.mktemp("dag")
    manifest = chain_manifest(folder, {n: (p, f"exit {codes[n]}") for n, p in preds.items()})
    summary = start_run(manifest, iteration_id="it1", jobs=wip)
    log = events(manifest)
    check_log_invariants(log, preds, wip)
    with StateStore(Layout(folder).state_db) as store:
        states = {n.node_id: n.state for n in store.nodes(summary.run_id)}
    for node, deps in preds.items():
        if codes[node] == 0 and all(states[d] == "COMPLETED" for d in deps):
            assert states[node] == "COMPLETED"
        elif any(states[d] != "COMPLETED" for d in deps):
            assert states[node] == "SKIPPED"
        else:
            assert states[node] == "FAILED"
    assert summary.state == ("FAILED" if "FAILED" in states.values() else "COMPLETED")


def test_observed_log_redacts_once_for_the_file_and_the_listeners(tmp_path: Path) -> None:
    from dde_ci.runner.scheduler import ObservedLog

    seen: list[dict[str, Any]] = []
    log = ObservedLog(
        tmp_path / "execution.log", "it", "r1", secrets=["s3cr3t-value"], listeners=[seen.append]
    )
    log.start_background_sync(interval=0.01)
    written = log.emit("node.warning", node_id="A", details={"message": "uses s3cr3t-value"})
    log.append({**written, "details": {"message": "again s3cr3t-value"}})
    log.sync()
    log.close()
    text = (tmp_path / "execution.log").read_text()
    assert "s3cr3t-value" not in text and text.count("***") == 2
    assert [e["details"]["message"] for e in seen] == ["uses ***", "again ***"]
    assert written["details"]["message"] == "uses ***"


def _spy_prepared(monkeypatch: pytest.MonkeyPatch, fail: bool = False) -> list[str]:
    """Record the nodes whose context the scheduler prepared while they waited."""
    from dde_ci.runner.scheduler import Prepared, Scheduler

    prepared: list[str] = []
    real = Scheduler._prepare

    def prepare(self: Scheduler, node_id: str, agent: str) -> Prepared:
        prepared.append(node_id)
        if fail:
            raise OSError(28, "No space left on device")
        return real(self, node_id, agent)

    monkeypatch.setattr(Scheduler, "_prepare", prepare)
    return prepared


FAN_OUT = {
    "A": ([], 'echo "release=1.2" >> "$DDE_OUTPUT"'),
    **{n: (["A"], 'cp "$DDE_CONTEXT" "seen-$0.json"; sleep 0.05') for n in ("B", "C", "D", "E")},
}


@pytest.mark.parametrize("fail", [False, True])
def test_waiting_nodes_get_the_context_they_would_have_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail: bool
) -> None:
    """Built while a node waits for a slot (or by the step when that failed): the same file."""
    from dde_ci.context import build_context

    prepared = _spy_prepared(monkeypatch, fail=fail)
    manifest = chain_manifest(tmp_path, FAN_OUT)
    summary = start_run(manifest, iteration_id="it1", jobs=1)
    assert summary.state == "COMPLETED"
    assert len(prepared) >= 2  # B, C, D and E wait behind one another at WIP 1
    layout = Layout(tmp_path)
    for node in ("B", "C", "D", "E"):
        seen = json.loads((tmp_path / f"seen-{node}.json").read_text())
        assert seen == build_context(
            manifest, node, layout, iteration_id="it1", run_id=summary.run_id, agent_id="local"
        )
        assert seen["depends_on_outputs"]["A"]["outputs"] == {"release": "1.2"}
    check_log_invariants(events(manifest), {n: deps for n, (deps, _) in FAN_OUT.items()}, 1)


def test_a_program_a_dependency_puts_earlier_on_path_is_the_one_that_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A waiting node's command is looked up on PATH while it is READY (its dependencies
    have completed): what they installed is found; a retry looks again."""
    prepared = _spy_prepared(monkeypatch)
    early, late = tmp_path / "early", tmp_path / "late"
    early.mkdir()
    late.mkdir()
    tool = late / "mytool"
    tool.write_text(
        "#!/bin/sh\n"
        "sleep 0.2\n"  # long enough for the next node to be prepared meanwhile
        'echo "late $0" >> "$DDE_ROOT/marks"\n'
        '[ "$DDE_NODE" != E ] || { cp "$DDE_ROOT/early.sh" "$DDE_ROOT/early/othertool"; exit 1; }\n'
    )
    tool.chmod(0o755)
    (late / "othertool").write_bytes(tool.read_bytes())
    (late / "othertool").chmod(0o755)
    (tmp_path / "early.sh").write_text(
        '#!/bin/sh\nsleep 0.2\necho "early $0" >> "$DDE_ROOT/marks"\n'
    )
    path = f"{early}:{late}:/usr/bin:/bin"
    install = f'cp early.sh early/mytool && chmod +x early.sh early/mytool && echo "{path}"'
    text = json.dumps(
        {
            "workflow": "t",
            "iteration": "it1",
            "settings": {"wip_limit": 1},
            "nodes": [
                {"id": "A", "type": "implementation", "run": install},
                *[
                    {
                        "id": n,
                        "type": "implementation",
                        "depends_on": ["A"],
                        "run": "mytool",
                        "env": {"PATH": path},
                    }
                    for n in ("B", "C", "D")
                ],
                {
                    "id": "E",
                    "type": "implementation",
                    "depends_on": ["A"],
                    "run": "othertool",
                    "env": {"PATH": path},
                    "retry": {"max_attempts": 2, "initial_delay": 0.01},
                },
            ],
        }
    )
    manifest = load(tmp_path, text)
    summary = start_run(manifest, iteration_id="it1", jobs=1)
    assert summary.state == "COMPLETED", summary
    assert prepared  # B to E wait behind one another at WIP 1: one at least is prepared
    marks = (tmp_path / "marks").read_text().splitlines()
    assert marks.count(f"early {early}/mytool") == 3  # B, C, D: never the late one
    # E: the first attempt runs what was there when E became READY, the retry looks again
    assert [m for m in marks if "othertool" in m] == [
        f"late {late}/othertool",
        f"early {early}/othertool",
    ]


def test_contexts_are_prepared_only_for_nodes_one_agent_alone_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared = _spy_prepared(monkeypatch)
    docs = '  - {id: docs, type: implementation, capabilities: ["Docs"], run: "true"}\n'
    text = AGENTS.replace("wip_limit: 4", "wip_limit: 1").replace(
        "  - {id: p1,", docs + "  - {id: p1,"
    )
    manifest = load(tmp_path, text)
    assert start_run(manifest, iteration_id="it1").state == "COMPLETED"
    assert "docs" in prepared  # only the generalist offers Docs
    # p1 and p2 may go to py1, py2 or expert (by load); ops to the default agent (fallback)
    assert not {"p1", "p2", "ops"} & set(prepared)


def test_a_worker_that_cannot_record_an_end_stops_the_run_with_that_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workers record ends themselves: when that fails (the database gone bad), the
    run stops with the error instead of waiting for a node that will never end."""
    import sqlite3
    import time

    from dde_ci.runner.state import StateStore

    real = StateStore.apply
    calls: list[int] = []

    def apply(self: StateStore, run_id: str, changes: Any) -> None:
        calls.append(1)
        if len(calls) == 4:  # the main thread's first two, then the workers'
            raise sqlite3.OperationalError("disk I/O error")
        real(self, run_id, changes)

    monkeypatch.setattr(StateStore, "apply", apply)
    nodes: dict[str, tuple[list[str], str]] = {n: ([], "sleep 0.05") for n in "ABCDEF"}
    manifest = chain_manifest(tmp_path, nodes)
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
        start_run(manifest, iteration_id="it1", jobs=2)
    assert time.monotonic() - started < 10


def test_a_log_that_cannot_be_written_stops_the_run_with_that_error(tmp_path: Path) -> None:
    """Even the failed outcome cannot be logged: the run stops with the error, it does not
    wait for the node forever."""
    import time

    def listener(event: dict[str, Any]) -> None:
        if event["event_type"] in ("node.completed", "node.failed") and event["node_id"] == "B":
            raise OSError(28, "No space left on device")

    nodes: dict[str, tuple[list[str], str]] = {"A": ([], "true"), "B": ([], "true")}
    manifest = chain_manifest(tmp_path, nodes)
    started = time.monotonic()
    with pytest.raises(OSError, match="No space left"):
        start_run(manifest, iteration_id="it1", jobs=2, listeners=[listener])
    assert time.monotonic() - started < 10
