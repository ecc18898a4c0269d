"""Evaluating a node's gates: statuses by severity, bypass, gates.json, events, order."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

from dde_ci.gates import context_entries, evaluate_node_gates
from dde_ci.manifest.models import Manifest
from tests.gates.project import events, gates_json, make_step, write_project, write_result

NODES = """\
- {id: A, type: implementation}
- id: T
  type: test
  depends_on: [A]
  gates: [tests-pass, lines, cov-warn, cov-info]
"""


def _gates(lines_threshold: int) -> str:
    return f"""\
    gates:
      - name: deps
        phase: pre
        evaluator: {{type: dependencies}}
        applies_to: {{node_types: [test]}}
      - name: tests-pass
        evaluator: {{type: junit, path: reports/junit.xml}}
      - name: lines
        order: 1
        evaluator: {{type: coverage, path: reports/coverage.xml}}
        conditions: ["lines_covered >= {lines_threshold}"]
      - name: cov-warn
        severity: warning
        evaluator: {{type: coverage, path: reports/coverage.json}}
        conditions: ["line_rate >= 0.9"]
      - name: cov-info
        severity: info
        evaluator: {{type: coverage, path: reports/coverage.json}}
        conditions: [{{any: ["line_rate >= 0.95", "branch_rate >= 0.95"]}}]
      - name: disabled
        enabled: false
        evaluator: {{type: command, run: "exit 1"}}
        applies_to: {{nodes: ["*"]}}
    """


def _project(root: Path, reports: dict[str, Path], lines_threshold: int) -> Manifest:
    manifest = write_project(root, _gates(lines_threshold), NODES)
    (root / "reports").mkdir()
    shutil.copy(reports["junit"], root / "reports" / "junit.xml")
    shutil.copy(reports["cobertura"], root / "reports" / "coverage.xml")
    shutil.copy(reports["coverage_json"], root / "reports" / "coverage.json")
    return manifest


def _covered(reports: dict[str, Path]) -> int:
    text = reports["cobertura"].read_text()
    return int(text.split('lines-covered="', 1)[1].split('"', 1)[0])


def test_pre_gate_blocks_until_dependencies_complete(
    tmp_path: Path, sample_reports: dict[str, Path]
) -> None:
    manifest = _project(tmp_path, sample_reports, _covered(sample_reports))
    outcome = evaluate_node_gates(make_step(manifest, "T").run(), "pre")
    assert outcome.blocked
    assert outcome.message == "gate 'deps' failed on T: incomplete is 1, expected == 0"
    write_result(manifest, "A", "COMPLETED")
    outcome = evaluate_node_gates(make_step(manifest, "T").run(), "pre")
    assert not outcome.blocked
    assert [r.status for r in outcome.results] == ["passed"]


def test_post_gates_by_severity(tmp_path: Path, sample_reports: dict[str, Path]) -> None:
    covered = _covered(sample_reports)
    manifest = _project(tmp_path, sample_reports, covered)
    outcome = evaluate_node_gates(make_step(manifest, "T").run(), "post")
    by_name = {r.gate_name: r for r in outcome.results}
    # order: 'lines' has order 1, the rest 100 in file order; 'disabled' never runs
    assert list(by_name) == ["lines", "tests-pass", "cov-warn", "cov-info"]
    assert by_name["lines"].status == "passed"  # >= at exactly the threshold
    assert by_name["lines"].actual_value == covered
    assert by_name["lines"].expected_value == covered
    tests = by_name["tests-pass"]
    assert (tests.status, tests.severity) == ("failed", "blocking")
    assert tests.actual_value == {"failed": 1, "errors": 0, "total": 5}
    assert tests.expected_value == {"failed": "== 0", "errors": "== 0", "total": "> 0"}
    assert tests.threshold_condition == "failed == 0 and errors == 0 and total > 0"
    assert tests.message == "gate 'tests-pass' failed on T: failed is 1, expected == 0"
    assert tests.details["failing_cases"][0]["file"] == "test_calc.py"
    assert by_name["cov-warn"].status == "warning"
    assert by_name["cov-info"].status == "warning"
    assert by_name["cov-info"].severity == "info"
    assert outcome.blocked
    assert outcome.message == tests.message
    assert outcome.warnings == [by_name["cov-warn"].message]  # info is recorded only
    assert by_name["cov-warn"].message.startswith(
        "gate 'cov-warn' not met (warning) on T: line_rate is 0.666667, expected >= 0.9"
    )


def test_one_above_the_threshold_fails(tmp_path: Path, sample_reports: dict[str, Path]) -> None:
    covered = _covered(sample_reports)
    manifest = _project(tmp_path, sample_reports, covered + 1)
    outcome = evaluate_node_gates(make_step(manifest, "T").run(), "post")
    lines = outcome.results[0]
    assert (lines.gate_name, lines.status) == ("lines", "failed")
    assert lines.message == (
        f"gate 'lines' failed on T: lines_covered is {covered}, expected >= {covered + 1}"
    )


def test_gates_json_merges_phases_and_events_are_logged(
    tmp_path: Path, sample_reports: dict[str, Path]
) -> None:
    manifest = _project(tmp_path, sample_reports, _covered(sample_reports))
    write_result(manifest, "A", "COMPLETED")
    evaluate_node_gates(make_step(manifest, "T").run(), "pre")
    evaluate_node_gates(make_step(manifest, "T").run(), "post")
    evaluate_node_gates(make_step(manifest, "T").run(), "post")  # re-run replaces the post results
    data = gates_json(manifest, "T")
    assert (data["iteration_id"], data["node_id"]) == ("Iter-1", "T")
    assert [(r["phase"], r["gate_name"]) for r in data["results"]] == [
        ("pre", "deps"),
        ("post", "lines"),
        ("post", "tests-pass"),
        ("post", "cov-warn"),
        ("post", "cov-info"),
    ]
    assert set(data["results"][0]) == {
        "gate_name",
        "node_id",
        "phase",
        "status",
        "actual_value",
        "expected_value",
        "threshold_condition",
        "severity",
        "timestamp",
        "duration_ms",
        "message",
        "details",
        "adr",
    }
    logged = [e for e in events(manifest) if e["event_type"].startswith("gate.")]
    assert [e["event_type"] for e in logged[:5]] == [
        "gate.passed",
        "gate.passed",
        "gate.failed",
        "gate.warning",
        "gate.warning",
    ]
    first = logged[0]
    assert (first["node_id"], first["agent_id"], first["attempt"]) == ("T", "agent-1", 1)
    assert first["correlation_id"] == "corr-1"
    assert first["details"]["gate_name"] == "deps"
    assert first["details"]["threshold_condition"] == "incomplete == 0"


def test_bypass_keeps_the_actual_values(tmp_path: Path, sample_reports: dict[str, Path]) -> None:
    manifest = _project(tmp_path, sample_reports, _covered(sample_reports))
    folder = tmp_path / "docs" / "adr"
    folder.mkdir(parents=True)
    (folder / "0001-flaky-test.md").write_text(
        textwrap.dedent(
            """\
            ---
            status: accepted
            bypass:
              - {gate: tests-pass, node: T, expires: 2999-12-31}
            ---
            # Ship with test_broken failing until the fix lands
            """
        )
    )
    outcome = evaluate_node_gates(make_step(manifest, "T").run(), "post")
    tests = next(r for r in outcome.results if r.gate_name == "tests-pass")
    assert tests.status == "bypassed"
    assert tests.adr == "docs/adr/0001-flaky-test.md"
    assert tests.actual_value == {"failed": 1, "errors": 0, "total": 5}
    assert not outcome.blocked
    assert "gate.bypassed" in [e["event_type"] for e in events(manifest)]
    (folder / "0001-flaky-test.md").write_text(
        (folder / "0001-flaky-test.md").read_text().replace("2999-12-31", "2000-01-01")
    )
    outcome = evaluate_node_gates(make_step(manifest, "T").run(), "post")
    assert outcome.blocked
    assert outcome.message.endswith(
        "(bypass refused: docs/adr/0001-flaky-test.md: expired on 2000-01-01)"
    )


def test_gate_removed_from_the_file_fails_the_node(
    tmp_path: Path, sample_reports: dict[str, Path]
) -> None:
    manifest = _project(tmp_path, sample_reports, _covered(sample_reports))
    text = (tmp_path / "gates.yaml").read_text().replace("name: cov-info", "name: cov-note")
    (tmp_path / "gates.yaml").write_text(text + "\n")  # size changes: re-read (hot reload)
    outcome = evaluate_node_gates(make_step(manifest, "T").run(), "post")
    assert outcome.results[0].gate_name == "cov-info"
    assert outcome.results[0].message == (
        "gate 'cov-info' is named on node 'T' but no gate file defines it"
    )
    assert outcome.blocked


def test_context_entries(tmp_path: Path, sample_reports: dict[str, Path]) -> None:
    manifest = _project(tmp_path, sample_reports, 7)
    entries = context_entries(manifest, "T")
    assert [(e["name"], e["phase"], e["severity"]) for e in entries] == [
        ("deps", "pre", "blocking"),
        ("lines", "post", "blocking"),
        ("tests-pass", "post", "blocking"),
        ("cov-warn", "post", "warning"),
        ("cov-info", "post", "info"),
    ]
    assert entries[1]["threshold"] == "lines_covered >= 7"
    assert context_entries(manifest, manifest.node("A")) == []


def test_non_finite_metrics_never_pass(tmp_path: Path) -> None:
    manifest = write_project(
        tmp_path,
        """\
        gates:
          - name: m
            evaluator: {type: json-metric, path: m.json, pointer: /v}
            conditions: ["value >= 0"]
        """,
        "- {id: A, type: implementation, gates: [m]}\n",
    )
    (tmp_path / "m.json").write_text('{"v": NaN}')
    outcome = evaluate_node_gates(make_step(manifest, "A").run(), "post")
    assert outcome.blocked
    assert outcome.results[0].actual_value is None
    assert outcome.message == "gate 'm' failed on A: value is not reported, expected >= 0"
    assert gates_json(manifest, "A")["results"][0]["actual_value"] is None
