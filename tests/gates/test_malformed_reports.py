"""Gates fail closed: a report that does not match its format fails its gate (never exit 3),
and the other gates of the node still run and are recorded."""

from __future__ import annotations

import copy
import functools
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dde_ci.gates.evaluate import evaluate_phase
from dde_ci.gates.evaluators import GateContext
from dde_ci.layout import Layout
from tests.conftest import run_cli
from tests.gates.project import ITERATION, write_project

# every gate here passes on any well-formed report: only a malformed one can fail it
GATES = """\
gates:
  - name: sarif
    evaluator: {type: sarif, path: r.sarif}
    conditions: ["total >= 0"]
  - name: cobertura
    evaluator: {type: coverage, path: c.xml}
    conditions: ["line_rate >= 0"]
  - name: coverage-json
    evaluator: {type: coverage, path: c.json}
    conditions: ["line_rate >= 0"]
  - name: metric
    evaluator: {type: json-metric, path: m.json, pointer: /a, metric: a}
    conditions: ["a >= 0"]
"""

VALID_SARIF: dict[str, Any] = {
    "version": "2.1.0",
    "runs": [
        {
            "tool": {
                "driver": {
                    "name": "scanner",
                    "rules": [{"id": "R1", "defaultConfiguration": {"level": "note"}}],
                }
            },
            "results": [
                {
                    "ruleId": "R1",
                    "level": "note",
                    "message": {"text": "m"},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": "a.py"},
                                "region": {"startLine": 3},
                            }
                        }
                    ],
                }
            ],
        }
    ],
}


def _context(root: Path) -> GateContext:
    manifest = write_project(
        root,
        GATES,
        "- {id: A, type: implementation, gates: [sarif, cobertura, coverage-json, metric]}\n",
    )
    return GateContext(manifest, manifest.node("A"), Layout(root), ITERATION, "post")


def _statuses(root: Path) -> dict[str, tuple[str, str]]:
    outcome = evaluate_phase(_context(root))
    return {r.gate_name: (r.status, r.message) for r in outcome.results}


def _write_good(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "r.sarif").write_text(json.dumps(VALID_SARIF))
    (root / "c.xml").write_text('<coverage line-rate="0.5" branch-rate="0.25"/>')
    (root / "c.json").write_text('{"totals": {"num_statements": 10, "covered_lines": 5}}')
    (root / "m.json").write_text('{"a": 1}')


def test_well_formed_reports_pass(tmp_path: Path) -> None:
    _write_good(tmp_path)
    assert {k: v[0] for k, v in _statuses(tmp_path).items()} == dict.fromkeys(
        ("sarif", "cobertura", "coverage-json", "metric"), "passed"
    )


def _sarif_with(path: tuple[str | int, ...], value: Any) -> str:
    data = copy.deepcopy(VALID_SARIF)
    target: Any = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return json.dumps(data)


RUN = ("runs", 0)
RESULT = (*RUN, "results", 0)


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [
        (
            "sarif",
            _sarif_with((*RUN, "results"), {"a": {}}),
            "results: {'a': {}} is not of",
        ),
        ("sarif", _sarif_with(("runs",), [1, "x"]), "runs[0]: 1 is not of type 'object'"),
        ("sarif", _sarif_with((*RUN, "tool"), 7), "runs[0].tool: 7 is not of type 'object'"),
        ("sarif", _sarif_with((*RESULT, "ruleId"), {}), "runs[0].results[0].ruleId: {} is not of"),
        ("sarif", _sarif_with((*RESULT, "message"), "x"), "runs[0].results[0].message: 'x' is not"),
        (
            "sarif",
            _sarif_with((*RESULT, "level"), "fatal"),
            "level: 'fatal' is not one of",
        ),
        ("sarif", "[" * 100_000, "r.sarif: not"),
        ("cobertura", '<coverage line-rate="5"/>', "line-rate='5' is not a rate from 0 to 1"),
        ("cobertura", '<coverage line-rate="nan"/>', "not a rate"),
        ("cobertura", '<coverage line-rate="0.5" branch-rate="abc"/>', "branch-rate='abc'"),
        (
            "cobertura",
            '<coverage lines-valid="1" lines-covered="10"/>',
            "10 lines covered of 1 valid",
        ),
        ("cobertura", '<coverage lines-valid="-3" lines-covered="-4"/>', "'-3', not a whole"),
        (
            "coverage-json",
            '{"totals": {"num_statements": 10, "covered_lines": 1e308}}',
            "covered_lines is 1e+308, not a whole number",
        ),
        (
            "coverage-json",
            '{"totals": {"num_statements": 10, "covered_lines": 1e400}}',
            "covered_lines is inf",
        ),
        ("coverage-json", '{"totals": {"num_statements": 1, "covered_lines": 2}}', "2 lines"),
        ("coverage-json", '{"totals": {"num_statements": true, "covered_lines": 0}}', "True"),
        ("metric", '{"a": ' * 100_000 + "1" + "}" * 100_000, "nested too deeply"),
    ],
)
def test_a_malformed_report_fails_its_gate_naming_the_file(
    tmp_path: Path, name: str, text: str, said: str
) -> None:
    _write_good(tmp_path)
    file = {"sarif": "r.sarif", "cobertura": "c.xml", "coverage-json": "c.json"}.get(name, "m.json")
    (tmp_path / file).write_text(text)
    statuses = _statuses(tmp_path)
    status, message = statuses.pop(name)
    assert status == "failed"
    assert file in message and said in message
    assert {s for s, _ in statuses.values()} == {"passed"}  # the other gates still ran


def test_a_crashing_report_inside_a_run_keeps_every_gates_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_project(
        tmp_path,
        GATES,
        """\
        - id: A
          type: implementation
          gates: [sarif, metric, coverage-json]
          run: |
            python3 -c 'print("{\\"a\\": " * 100000 + "1" + "}" * 100000)' > m.json
            echo '{"totals": {"num_statements": 10, "covered_lines": 1e400}}' > c.json
        """,
    )
    (tmp_path / "r.sarif").write_text(json.dumps(VALID_SARIF))
    code = run_cli("run", "-m", str(tmp_path / "dde.yaml"), "--no-progress")
    capsys.readouterr()
    assert code == 1
    gates = json.loads((tmp_path / "reports" / ITERATION / "A" / "gates.json").read_text())
    assert {r["gate_name"]: r["status"] for r in gates["results"]} == {
        "sarif": "passed",
        "metric": "failed",
        "coverage-json": "failed",
    }


# -- property: random malformed reports ---------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
SARIF_PLACES: list[tuple[str | int, ...]] = [
    ("version",),
    ("runs",),
    RUN,
    (*RUN, "tool"),
    (*RUN, "tool", "driver"),
    (*RUN, "tool", "driver", "name"),
    (*RUN, "tool", "driver", "rules"),
    (*RUN, "tool", "driver", "rules", 0),
    (*RUN, "tool", "driver", "rules", 0, "id"),
    (*RUN, "tool", "driver", "rules", 0, "defaultConfiguration"),
    (*RUN, "results"),
    RESULT,
    (*RESULT, "ruleId"),
    (*RESULT, "level"),
    (*RESULT, "message"),
    (*RESULT, "message", "text"),
    (*RESULT, "locations"),
    (*RESULT, "locations", 0, "physicalLocation", "region", "startLine"),
    (*RESULT, "suppressions"),
    (*RESULT, "rule"),
]
numbers_as_text = st.one_of(
    st.integers(-5, 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["1e400", "-1e400", "1e308", "0.5", "true", "null", '"7"', "[]", "{}"]),
)
attribute_values = st.one_of(
    st.integers(-5, 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(alphabet="0123456789.-eE+naif ", max_size=6),
)


@functools.cache
def _official() -> Any:
    from jsonschema import Draft4Validator

    schema = resources.files("dde_ci.resources").joinpath("sarif", "sarif-schema-2.1.0.json")
    return Draft4Validator(json.loads(schema.read_text()))


def _sarif_schema_valid(text: str) -> bool:
    """An independent check (jsonschema, not the evaluator's fastjsonschema)."""
    return bool(_official().is_valid(json.loads(text)))


def _counts_ok(valid: Any, covered: Any) -> bool:
    return (
        all(isinstance(v, int) and not isinstance(v, bool) for v in (valid, covered))
        and 0 <= covered <= valid
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    place=st.sampled_from(SARIF_PLACES),
    value=json_values,
    statements=numbers_as_text,
    covered=numbers_as_text,
    attrs=st.dictionaries(
        st.sampled_from(["line-rate", "branch-rate", "lines-valid", "lines-covered"]),
        attribute_values,
    ),
)
def test_no_malformed_report_passes_its_gate(
    tmp_path: Path,
    place: tuple[str | int, ...],
    value: Any,
    statements: str,
    covered: str,
    attrs: dict[str, str],
) -> None:
    _write_good(tmp_path)
    sarif = _sarif_with(place, value)
    (tmp_path / "r.sarif").write_text(sarif)
    coverage_json = f'{{"totals": {{"num_statements": {statements}, "covered_lines": {covered}}}}}'
    (tmp_path / "c.json").write_text(coverage_json)
    shown = " ".join(f'{k}="{v}"' for k, v in attrs.items())
    (tmp_path / "c.xml").write_text(f"<coverage {shown}/>")
    statuses = {k: v[0] for k, v in _statuses(tmp_path).items()}  # never raises
    if not _sarif_schema_valid(sarif):
        assert statuses["sarif"] == "failed"
    try:
        totals = json.loads(coverage_json)["totals"]
    except ValueError:  # 'inf', 'nan': not JSON at all
        totals = {"num_statements": None, "covered_lines": None}
    if not _counts_ok(totals["num_statements"], totals["covered_lines"]):
        assert statuses["coverage-json"] == "failed"
    if "lines-valid" in attrs:
        parsed = [
            int(attrs[k]) if re.fullmatch("[0-9]{1,18}", attrs.get(k, "")) else None
            for k in ("lines-valid", "lines-covered")
        ]
        if not _counts_ok(*parsed):
            assert statuses["cobertura"] == "failed"
    elif "line-rate" not in attrs:
        assert statuses["cobertura"] == "failed"
    else:
        rates = [attrs[k] for k in ("line-rate", "branch-rate") if k in attrs]
        if not all(_is_rate(r) for r in rates):
            assert statuses["cobertura"] == "failed"


def _is_rate(text: str) -> bool:
    try:
        return 0.0 <= float(text) <= 1.0
    except ValueError:
        return False


SELF_REFERENCING = """\
openapi: %s
info: {title: t, version: "1", description: %s}
paths: {}
components:
  schemas:
    A: {$ref: "#/components/schemas/A"}
"""


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_a_self_referencing_openapi_schema_is_a_short_finding(tmp_path: Path, version: str) -> None:
    from dde_ci.gates.evaluators import EVALUATORS

    context = _context(tmp_path)
    (tmp_path / "api.yaml").write_text(SELF_REFERENCING % (version, "x" * 5000))
    evaluator = EVALUATORS["openapi-valid"]
    params = evaluator.params.model_validate({"type": "openapi-valid", "path": "api.yaml"})
    measured = evaluator.evaluate(params, context)  # was: RecursionError (exit 3)
    assert [f.message for f in measured.findings] == [
        "cyclic $ref: #/components/schemas/A -> #/components/schemas/A includes itself "
        "without nesting, so it can never be checked; give the cycle a property or array "
        "item in between"
    ]
