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
    # nodes that never ran leave no folder
    it_dir = Layout(tmp_path).iteration_dir("it1")
    assert sorted(p.name for p in it_dir.iterdir() if p.is_dir()) == ["A", "X", "Y"]
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


def test_the_run_log_redacts_once_for_the_file_and_the_listeners(tmp_path: Path) -> None:
    from dde_ci.runner.scheduler import RunLog

    seen: list[dict[str, Any]] = []
    log = RunLog(
        tmp_path / "execution.log", "it", "r1", secrets=["s3cr3t-value"], listeners=[seen.append]
    )
    written = log.emit("node.warning", node_id="A", details={"message": "uses s3cr3t-value"})
    log.append({**written, "details": {"message": "again s3cr3t-value"}})
    log.close()
    text = (tmp_path / "execution.log").read_text()
    assert "s3cr3t-value" not in text and text.count("***") == 2
    assert [e["details"]["message"] for e in seen] == ["uses ***", "again ***"]
    assert written["details"]["message"] == "uses ***"


def test_a_node_steps_events_reach_the_log_through_the_owner(tmp_path: Path) -> None:
    """Workers never write the log: a node's secret is redacted in its step, and the
    events of one node keep their order."""
    text = json.dumps(
        {
            "workflow": "t",
            "iteration": "it1",
            "nodes": [
                {
                    "id": n,
                    "type": "implementation",
                    "env": {"API_TOKEN": f"tok-{n}-secret"},
                    "run": 'echo "$API_TOKEN"',
                }
                for n in "ABC"
            ],
        }
    )
    manifest = load(tmp_path, text)
    assert start_run(manifest, iteration_id="it1", jobs=3).state == "COMPLETED"
    log = (tmp_path / "reports/it1/execution.log").read_text()
    assert "secret" not in log
    for node in "ABC":
        kinds = [e["event_type"] for e in events(manifest) if e.get("node_id") == node]
        assert kinds == ["node.ready", "node.started", "node.completed"]


def test_the_state_database_failing_mid_run_stops_the_run_and_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error the owner cannot get past (the database gone bad) stops the run at once,
    with an error (exit 2) that names the file and says what to do."""
    import sqlite3
    import time

    from dde_ci.errors import StateError
    from dde_ci.runner.state import StateStore

    real = StateStore.apply
    calls: list[int] = []

    def apply(self: StateStore, run_id: str, changes: Any) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise sqlite3.OperationalError("database or disk is full")
        real(self, run_id, changes)

    monkeypatch.setattr(StateStore, "apply", apply)
    nodes: dict[str, tuple[list[str], str]] = {n: ([], "sleep 0.05") for n in "ABCDEF"}
    manifest = chain_manifest(tmp_path, nodes)
    started = time.monotonic()
    with pytest.raises(StateError, match=r"state\.db: no space left on the device") as caught:
        start_run(manifest, iteration_id="it1", jobs=2)
    assert caught.value.exit_code == 2
    assert time.monotonic() - started < 10


def test_a_log_that_cannot_be_written_stops_the_run_with_that_error(tmp_path: Path) -> None:
    """Even the failed outcome cannot be logged: the run stops with the error, it does not
    wait for the node forever."""
    import time

    from dde_ci.errors import StateError

    def listener(event: dict[str, Any]) -> None:
        if event["event_type"] in ("node.completed", "node.failed") and event["node_id"] == "B":
            raise OSError(28, "No space left on device")

    nodes: dict[str, tuple[list[str], str]] = {"A": ([], "true"), "B": ([], "true")}
    manifest = chain_manifest(tmp_path, nodes)
    started = time.monotonic()
    with pytest.raises(StateError, match="no space left on the device"):
        start_run(manifest, iteration_id="it1", jobs=2, listeners=[listener])
    assert time.monotonic() - started < 10
