"""The gates inside the real node step: a failing pre gate stops the command, a failing
blocking post gate fails the node with a message naming the gate, a warning gate keeps it
COMPLETED with the warning in result.json, and a changed gate file applies at the next start."""

from __future__ import annotations

import json
from pathlib import Path

from dde_ci.layout import Layout
from dde_ci.node import COMPLETED, FAILED, run_node_step
from tests.gates.project import ITERATION, events, make_step, write_project, write_result

GATES = """\
gates:
  - name: deps
    phase: pre
    evaluator: {type: dependencies}
    applies_to: {nodes: ["*"]}
  - name: score
    evaluator: {type: json-metric, path: out/score.json, pointer: /score}
    conditions: ["value >= 0.9"]
  - name: score-warn
    severity: warning
    evaluator: {type: json-metric, path: out/score.json, pointer: /score}
    conditions: ["value >= 0.99"]
"""

NODES = """\
- {id: A, type: implementation, run: "true"}
- id: B
  type: implementation
  depends_on: [A]
  gates: [score, score-warn]
  run: |
    mkdir -p out
    printf '{"score": %s}' "$SCORE" > out/score.json
    touch ran.txt
  env: {SCORE: "0.95"}
"""


def _result(root: Path, node: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(Layout(root).result_file(ITERATION, node).read_text())
    return data


def test_pre_gate_stops_the_command(tmp_path: Path) -> None:
    manifest = write_project(tmp_path, GATES, NODES)
    outcome = run_node_step(make_step(manifest, "B"))
    assert outcome.status == FAILED
    assert outcome.message == "gate 'deps' failed on B: incomplete is 1, expected == 0"
    assert not (tmp_path / "ran.txt").exists()
    assert "node.started" not in [e["event_type"] for e in events(manifest) if e["node_id"] == "B"]


def test_post_gates_decide_the_outcome(tmp_path: Path) -> None:
    manifest = write_project(tmp_path, GATES, NODES)
    write_result(manifest, "A", "COMPLETED")
    outcome = run_node_step(make_step(manifest, "B"))
    assert (tmp_path / "ran.txt").exists()
    assert outcome.status == COMPLETED
    assert outcome.warnings == [
        "gate 'score-warn' not met (warning) on B: value is 0.95, expected >= 0.99"
    ]
    assert _result(tmp_path, "B")["warnings"] == outcome.warnings

    # QA raises the bar; the next start of the node reads the changed file (hot reload)
    (tmp_path / "gates.yaml").write_text(GATES.replace('value >= 0.9"', 'value >= 0.96"'))
    outcome = run_node_step(make_step(manifest, "B"))
    assert outcome.status == FAILED
    assert outcome.message == "gate 'score' failed on B: value is 0.95, expected >= 0.96"
    assert _result(tmp_path, "B")["status"] == FAILED
    kinds = [e["event_type"] for e in events(manifest) if e["event_type"].startswith("gate.")]
    assert kinds[-3:] == ["gate.passed", "gate.failed", "gate.warning"]
