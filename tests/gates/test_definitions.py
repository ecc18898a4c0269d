"""Gate files: loading, every problem reported as path:line:col, hot reload, the schema."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from dde_ci.errors import InputError, ValidationError
from dde_ci.gates.definitions import gates_schema, load_gate_file, load_gates
from dde_ci.manifest.loader import load_manifest
from dde_ci.schemas import schema_text
from tests.conftest import REPO_ROOT
from tests.gates.project import write_project

GOOD = """\
version: "1"
gates:
  - name: tests-pass
    description: Every test passes.
    evaluator: {type: junit, path: reports/junit.xml}
  - name: coverage-80
    severity: warning
    order: 5
    evaluator: {type: coverage, path: reports/coverage.xml}
    conditions: ["line_rate >= 80%"]
    bypass: {allowed: true, require_expiry: true, max_days: 30}
    applies_to: {node_types: [implementation], capabilities: ["Backend:*"]}
  - name: deps
    phase: pre
    evaluator: {type: dependencies}
  - name: p95
    evaluator: {type: json-metric, path: m.json, pointer: /latency/p95, metric: p95}
    conditions: [{metric: p95, op: "<", value: 250}]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gates.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def _errors(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        load_gate_file(path, display="gates.yaml")
    return [str(d) for d in info.value.diagnostics]


def test_a_good_file_loads_with_defaults_filled_in(tmp_path: Path) -> None:
    gates = load_gate_file(_write(tmp_path, GOOD))
    by_name = {g.name: g for g in gates}
    assert list(by_name) == ["tests-pass", "coverage-80", "deps", "p95"]
    tests = by_name["tests-pass"]
    assert (tests.phase, tests.severity, tests.definition.order) == ("post", "blocking", 100)
    assert [str(c) for c in tests.conditions] == ["failed == 0", "errors == 0", "total > 0"]
    assert tests.location.line == 3
    cov = by_name["coverage-80"]
    assert [str(c) for c in cov.conditions] == ["line_rate >= 0.8"]
    assert cov.definition.bypass.max_days == 30
    assert by_name["deps"].evaluator_name == "dependencies"


def test_every_problem_is_reported_with_its_place(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
        gates:
          - name: tests
            evaluator: {type: junt, path: j.xml}
          - name: cov
            evaluator: {type: coverage, pth: c.xml}
            severity: fatal
          - name: bad cond
            evaluator: {type: junit, path: j.xml}
            conditions: ["failed = 0"]
            bypas: false
        """,
    )
    assert _errors(path) == [
        "gates.yaml:3:23: unknown evaluator 'junt' (did you mean 'junit'?); choose from "
        "command, junit, coverage, sarif, artifacts, dependencies, json-metric, openapi-valid, "
        "contract-conformance",
        "gates.yaml:5:16: gates[1].evaluator is missing the required key 'path'",
        "gates.yaml:5:33: unknown key 'pth' in gates[1].evaluator (did you mean 'path'?)",
        "gates.yaml:6:15: gates[1].severity: 'fatal' is not one of 'blocking', 'warning', 'info'",
        "gates.yaml:7:11: gates[2].name: 'bad cond' is not a valid name; use letters, digits, "
        "'.', '_' or '-', starting with a letter or digit",
        "gates.yaml:9:18: gates[2].conditions[0]: condition 'failed = 0' is not 'metric op "
        "value' (op one of >=, <=, ==, !=, >, <), e.g. 'line_rate >= 0.8'",
        "gates.yaml:10:5: unknown key 'bypas' in gates[2] (did you mean 'bypass'?)",
    ]


def test_metric_names_phase_and_duplicates_are_checked(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
        gates:
          - name: cov
            evaluator: {type: coverage, path: c.xml}
            conditions: [{any: ["line_rate >= 0.8", "branch_rat >= 0.5"]}]
          - name: cov
            evaluator: {type: artifacts}
          - name: junit-pre
            phase: pre
            evaluator: {type: junit, path: j.xml}
          - name: metric
            evaluator: {type: json-metric, path: m.json, pointer: /a}
        """,
    )
    errors = _errors(path)
    assert errors[0].startswith(
        "gates.yaml:4:45: gate 'cov': evaluator 'coverage' reports no metric 'branch_rat' "
        "(did you mean 'branch_rate'?); it reports branch_percent, branch_rate,"
    )
    assert errors[1:] == [
        "gates.yaml:5:11: duplicate gate name 'cov' (first defined at line 2)",
        "gates.yaml:8:12: gate 'junit-pre': evaluator 'junit' works in phase post, not 'pre'",
        "gates.yaml:11:16: gate 'metric': evaluator 'json-metric' has no default conditions; "
        "add 'conditions', e.g. ['value >= 1']",
    ]


def test_yaml_level_errors_keep_their_place(tmp_path: Path) -> None:
    path = _write(tmp_path, "gates:\n  - name: a\n    name: b\n")
    assert _errors(path) == ["gates.yaml:3:5: duplicate key 'name' (first defined at line 2)"]
    path.write_text("- just a list\n")
    assert _errors(path) == ["gates.yaml:1:1: gate file must be a YAML mapping with a 'gates' list"]


def test_changed_files_are_read_again(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    first = load_gate_file(path)
    assert load_gate_file(path) is first  # cached: unchanged mtime and size
    text = path.read_text().replace("line_rate >= 80%", "line_rate >= 90%")
    stat = path.stat()
    path.write_text(text)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    second = load_gate_file(path)
    assert second is not first
    assert [str(c) for c in second[1].conditions] == ["line_rate >= 0.9"]


def test_gate_names_on_nodes_must_be_defined(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        write_project(
            tmp_path,
            GOOD,
            """\
            - id: A
              type: implementation
              gates: [tests-pass, coverage80]
            """,
        )
    (diag,) = info.value.diagnostics
    assert str(diag) == (
        f"{tmp_path / 'dde.yaml'}:8:25: node 'A' names unknown gate 'coverage80' "
        "(did you mean 'coverage-80'?)"
    )


def test_gate_names_without_gate_files(tmp_path: Path) -> None:
    (tmp_path / "dde.yaml").write_text(
        "workflow: w\nnodes:\n  - {id: A, type: implementation, gates: [x]}\n"
    )
    with pytest.raises(ValidationError) as info:
        load_manifest(tmp_path / "dde.yaml")
    assert str(info.value.diagnostics[0]).endswith(
        ":3:43: node 'A' names gate 'x' but the manifest lists no gate_files; add "
        "'gate_files: [gates.yaml]'"
    )


def test_a_broken_gate_file_breaks_the_manifest(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        write_project(tmp_path, "gates: []\n", "- {id: A, type: implementation}\n")
    assert "gates.yaml:1:8: gates: list should have at least 1 item" in str(info.value)


def test_names_are_unique_across_gate_files(tmp_path: Path) -> None:
    manifest = write_project(tmp_path, GOOD, "- {id: A, type: implementation}\n")
    (tmp_path / "more.yaml").write_text("gates:\n  - {name: deps, evaluator: {type: artifacts}}\n")
    manifest = manifest.model_copy(update={"gate_files": ["gates.yaml", "more.yaml"]})
    object.__setattr__(manifest, "_path", tmp_path / "dde.yaml")
    with pytest.raises(ValidationError, match=r"more.yaml:2:5: gate 'deps' is defined twice"):
        load_gates(manifest)


def test_committed_schema_is_current_and_validates_the_example() -> None:
    import jsonschema

    from dde_ci.yamlio import load_yaml_file

    committed = (REPO_ROOT / "schemas" / "gates.schema.json").read_text()
    assert committed == schema_text("gates"), "run: dde-ci schema --write schemas"
    schema = gates_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    example = REPO_ROOT / "examples" / "shop" / "gates.yaml"
    if example.exists():
        assert list(validator.iter_errors(load_yaml_file(example).data)) == []
    bad = json.loads(json.dumps(load_yaml_file(example).data)) if example.exists() else None
    if bad is not None:
        bad["gates"][0]["evaluator"]["type"] = "nope"
        assert list(validator.iter_errors(bad))


def test_the_policy_in_the_docs_is_a_valid_gate_file(tmp_path: Path) -> None:
    text = (REPO_ROOT / "docs" / "gates.md").read_text()
    block = text.split("```yaml\n# gates.yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "gates.yaml"
    path.write_text(block)
    names = [g.name for g in load_gate_file(path)]
    assert "coverage-80" in names and "no-high-findings" in names


def test_gate_files_must_stay_inside_the_project(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (tmp_path / "outside.yaml").write_text(GOOD)
    (root / "dde.yaml").write_text(
        "workflow: w\ngate_files: [../outside.yaml]\nnodes:\n  - {id: A, type: implementation}\n"
    )
    with pytest.raises(ValidationError) as info:
        load_manifest(root / "dde.yaml")
    assert [str(d) for d in info.value.diagnostics] == [
        f"{root / 'dde.yaml'}:2:13: gate_files[0] '../outside.yaml' must be a relative path "
        "inside the project"
    ]
    (root / "dde.yaml").write_text(
        "workflow: w\ngate_files: [gone.yaml]\nnodes:\n  - {id: A, type: implementation}\n"
    )
    with pytest.raises(ValidationError, match=r"gate file 'gone\.yaml' listed in gate_files"):
        load_manifest(root / "dde.yaml")


def test_a_huge_gate_timeout_is_refused(tmp_path: Path) -> None:
    gates = (
        'version: "1"\ngates:\n  - name: slow\n'
        "    evaluator: {type: command, run: 'true', timeout: 3000000h}\n"
    )
    with pytest.raises(ValidationError) as info:
        write_project(tmp_path, gates, "- {id: A, type: implementation, gates: [slow]}\n")
    assert info.value.exit_code == 2
    assert "timeout: input should be less than or equal to 604800" in str(info.value)
