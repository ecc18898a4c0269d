from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.openmetrics import parser as openmetrics

from dde_ci.log import encode_event, make_event
from dde_ci.metrics import compute_metrics, to_markdown, to_openmetrics
from tests.conftest import run_cli
from tests.runner.project import chain_manifest


def families(text: str) -> dict[str, Any]:
    """Parse OpenMetrics text with the Prometheus client's strict parser."""
    parse: Any = openmetrics.text_string_to_metric_families
    return {f.name: f for f in parse(text)}


def at(seconds: float) -> str:
    whole = int(seconds)
    return f"2026-11-27T10:00:{whole:02d}.{round((seconds - whole) * 1e6):06d}Z"


def ev(kind: str, t: float, node: str | None = None, run: str = "r1", **kw: Any) -> dict[str, Any]:
    return make_event(kind, iteration_id="it1", run_id=run, node_id=node, timestamp=at(t), **kw)


# A -> C, B -> C; WIP 2.  A runs 0-4 (one retry), B 0-2, C 4-6; two gates, one failed.
LOG = [
    ev(
        "workflow.started",
        0,
        details={
            "wip_limit": 2,
            "planned_critical_path": ["B", "C"],
            "depends_on": {"A": [], "B": [], "C": ["A", "B"]},
        },
    ),
    ev("node.ready", 0, "A"),
    ev("node.ready", 0, "B"),
    ev("node.started", 0.5, "A", attempt=1, agent_id="a1"),
    ev("node.started", 1, "B", attempt=1, agent_id="a2"),
    ev("node.retrying", 1.5, "A", attempt=1),
    ev("node.started", 2, "A", attempt=2, agent_id="a1"),
    ev("node.completed", 3, "B", attempt=1),
    ev("gate.passed", 3, "B"),
    ev("node.completed", 4.5, "A", attempt=2),
    ev("gate.failed", 4.5, "A"),
    ev("node.ready", 4.5, "C", details={"waited_for": "A"}),
    ev("node.started", 5, "C", attempt=1, agent_id="a1"),
    ev("node.completed", 6.5, "C", attempt=1),
    ev("workflow.completed", 6.5),
    ev("node.started", 9, "Z", run="other", attempt=1),
]


def test_metrics_from_the_log() -> None:
    m = compute_metrics(LOG)
    assert m.run_id == "other"  # default: the run of the last event
    m = compute_metrics(LOG, "r1")
    assert m.state == "COMPLETED"
    assert m.total_duration_seconds == pytest.approx(6.5)
    by = {n.node_id: n for n in m.nodes}
    assert by["A"].execution_seconds == pytest.approx(4.0)
    assert by["A"].queue_wait_seconds == pytest.approx(0.5)
    assert (by["A"].attempts, by["A"].retries) == (2, 1)
    assert by["C"].queue_wait_seconds == pytest.approx(0.5)
    assert m.gate_pass_rate == pytest.approx(0.5)
    # (4 + 2 + 1.5) / (6.5 x 2)
    assert m.parallel_efficiency == pytest.approx(7.5 / 13)
    assert m.planned_critical_path == ["B", "C"]
    assert m.actual_critical_path == ["A", "C"]
    data = m.to_json()
    assert data["critical_path"]["actual_seconds"] == pytest.approx(5.5)
    assert data["critical_path"]["planned_seconds"] == pytest.approx(3.5)
    assert data["retries_total"] == 1


def test_openmetrics_text_parses() -> None:
    text = to_openmetrics(compute_metrics(LOG, "r1"))
    assert text.endswith("# EOF\n")
    found = families(text)
    runtime = found["dde_run_duration_seconds"].samples[0]
    assert runtime.value == pytest.approx(6.5)
    retries = {
        s.labels["node_id"]: s.value
        for s in found["dde_node_retries"].samples
        if s.name == "dde_node_retries_total"
    }
    assert retries == {"A": 1, "B": 0, "C": 0}
    assert found["dde_node_execution_seconds"].type == "gauge"


def test_markdown_table() -> None:
    md = to_markdown(compute_metrics(LOG, "r1"))
    assert "| parallel efficiency | 58% |" in md
    assert "| A | COMPLETED | a1 | 4.00s | 0.50s | 2 | 1 |" in md
    assert "actual critical path | A → C (5.50s)" in md


def test_metrics_command_with_a_log_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "execution.log"
    log.write_bytes(b"".join(encode_event(e) for e in LOG) + b'{"torn')
    assert run_cli("metrics", "r1", "--log", str(log), "--format", "json") == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["total_duration_seconds"] == pytest.approx(6.5)
    assert "torn last line" in err
    assert run_cli("metrics", "nope", "--log", str(log)) == 2


def test_metrics_command_for_the_latest_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = chain_manifest(tmp_path, {"A": ([], "true"), "B": (["A"], "true")})
    assert run_cli("run", "-m", str(manifest.path), "--run-id", "m1", "--no-progress") == 0
    capsys.readouterr()
    assert run_cli("metrics", "-m", str(manifest.path), "--format", "prometheus") == 0
    out = capsys.readouterr().out
    names = set(families(out))
    assert {"dde_run_duration_seconds", "dde_parallel_efficiency"} <= names
    assert 'run_id="m1"' in out
