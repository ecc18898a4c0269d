"""Each evaluator on real inputs: a real pytest run, real coverage, a real bandit scan."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dde_ci.gates.evaluators import EVALUATORS, GateContext, Measurement
from dde_ci.gates.evaluators.json_metric import PointerError, resolve_pointer
from dde_ci.layout import Layout
from tests.gates.project import ITERATION, write_project, write_result

GATES = """\
gates:
  - name: noop
    evaluator: {type: artifacts}
"""


def _context(root: Path, nodes: str | None = None, phase: str = "post") -> GateContext:
    manifest = write_project(
        root,
        GATES,
        nodes
        or """\
        - {id: A, type: implementation}
        - {id: B, type: implementation}
        - {id: T, type: test, depends_on: [A, B], artifacts: [out/*.txt, out/report.json]}
        """,
    )
    node_id = manifest.nodes[-1].id
    return GateContext(manifest, manifest.node(node_id), Layout(root), ITERATION, phase)


def _measure(kind: str, params: dict[str, Any], context: GateContext) -> Measurement:
    evaluator = EVALUATORS[kind]
    return evaluator.evaluate(evaluator.params.model_validate({"type": kind, **params}), context)


# -- junit ----------------------------------------------------------------------------------


def test_junit_counts_a_real_pytest_report(tmp_path: Path, sample_reports: dict[str, Path]) -> None:
    context = _context(tmp_path)
    shutil.copy(sample_reports["junit"], tmp_path / "junit.xml")
    m = _measure("junit", {"path": "junit.xml"}, context)
    assert m.error is None
    assert m.metrics == {
        "total": 5,
        "passed": 3,
        "failed": 1,
        "errors": 0,
        "skipped": 1,
        "pass_rate": 0.75,
        "files": 1,
    }
    (finding,) = m.findings
    assert finding.file == "test_calc.py"
    assert finding.line == 17  # xunit1 testcase attributes
    assert "test_calc.test_broken" in finding.message
    assert "assert 4 == 5" in finding.message


def test_junit_takes_the_line_from_the_failure_text(tmp_path: Path) -> None:
    context = _context(tmp_path)
    (tmp_path / "j.xml").write_text(
        '<testsuite><testcase classname="t" name="x">'
        "<error>Traceback\ntests/test_x.py:42: KeyError</error></testcase></testsuite>"
    )
    m = _measure("junit", {"path": "j.xml"}, context)
    assert m.metrics["errors"] == 1
    assert (m.findings[0].file, m.findings[0].line) == ("tests/test_x.py", 42)


def test_junit_glob_adds_files_up(tmp_path: Path, sample_reports: dict[str, Path]) -> None:
    context = _context(tmp_path)
    (tmp_path / "reports").mkdir()
    for name in ("a", "b"):
        shutil.copy(sample_reports["junit"], tmp_path / "reports" / f"{name}.xml")
    m = _measure("junit", {"path": "reports/*.xml"}, context)
    assert (m.metrics["total"], m.metrics["failed"], m.metrics["files"]) == (10, 2, 2)


def test_junit_missing_and_broken_reports_are_errors(tmp_path: Path) -> None:
    context = _context(tmp_path)
    m = _measure("junit", {"path": "reports/{node}/junit.xml"}, context)
    assert m.error is not None
    assert "JUnit report 'reports/T/junit.xml' not found" in m.error
    (tmp_path / "bad.xml").write_text("<testsuite><testcase></testsuite>")
    m = _measure("junit", {"path": "bad.xml"}, context)
    assert m.error is not None
    assert m.error.startswith("bad.xml:1:")
    assert "not valid JUnit XML" in m.error


def test_junit_refuses_entity_expansion(tmp_path: Path) -> None:
    context = _context(tmp_path)
    (tmp_path / "bomb.xml").write_text(
        '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><testsuite name="&b;"/>'
    )
    m = _measure("junit", {"path": "bomb.xml"}, context)
    assert m.error is not None
    assert "refused unsafe XML" in m.error


def test_cobertura_broken_and_unsafe_xml_are_errors(tmp_path: Path) -> None:
    context = _context(tmp_path)
    (tmp_path / "bad.xml").write_text("<?xml version='1.0'?>\n<coverage line-rate=1>")
    m = _measure("coverage", {"path": "bad.xml"}, context)
    assert m.error is not None
    assert m.error.startswith("bad.xml:2:") and "not valid Cobertura XML" in m.error
    (tmp_path / "bomb.xml").write_text(
        '<?xml version="1.0"?><!DOCTYPE c [<!ENTITY a "aaaaaaaaaa">]><coverage v="&a;"/>'
    )
    m = _measure("coverage", {"path": "bomb.xml"}, context)
    assert m.error is not None
    assert "refused unsafe XML" in m.error


def test_junit_path_may_not_leave_the_project(tmp_path: Path) -> None:
    context = _context(tmp_path / "p")
    m = _measure("junit", {"path": "../outside.xml"}, context)
    assert m.error == "JUnit report '../outside.xml' must be a relative path inside the project"


# -- coverage -------------------------------------------------------------------------------


def test_cobertura_and_coverage_json_agree(tmp_path: Path, sample_reports: dict[str, Path]) -> None:
    context = _context(tmp_path)
    shutil.copy(sample_reports["cobertura"], tmp_path / "coverage.xml")
    shutil.copy(sample_reports["coverage_json"], tmp_path / "coverage.json")
    xml = _measure("coverage", {"path": "coverage.xml"}, context)
    js = _measure("coverage", {"path": "coverage.json"}, context)
    assert xml.error is None and js.error is None
    totals = json.loads((tmp_path / "coverage.json").read_text())["totals"]
    expected_rate = totals["covered_lines"] / totals["num_statements"]
    assert xml.metrics == js.metrics
    assert xml.metrics["line_rate"] == pytest.approx(expected_rate)
    assert xml.metrics["line_percent"] == pytest.approx(expected_rate * 100)
    assert xml.metrics["branch_rate"] == pytest.approx(
        totals["covered_branches"] / totals["num_branches"]
    )
    assert xml.details["format"] == "cobertura"
    assert js.details["format"] == "coverage-json"


def test_coverage_rejects_other_files(tmp_path: Path) -> None:
    context = _context(tmp_path)
    (tmp_path / "x.xml").write_text("<report/>")
    (tmp_path / "x.json").write_text('{"meta": {}}')
    assert _measure("coverage", {"path": "x.xml"}, context).error == (
        "x.xml: root element is <report>, not Cobertura <coverage>"
    )
    assert _measure("coverage", {"path": "x.json"}, context).error == (
        "x.json: not coverage.py JSON (no 'totals.num_statements')"
    )


# -- sarif ----------------------------------------------------------------------------------


def test_sarif_counts_a_real_bandit_scan(tmp_path: Path, bandit_sarif: Path) -> None:
    context = _context(tmp_path)
    shutil.copy(bandit_sarif, tmp_path / "findings.sarif")
    m = _measure("sarif", {"path": "findings.sarif"}, context)
    assert m.error is None
    assert m.metrics["error"] == 1  # B602 subprocess with shell=True, HIGH
    assert m.metrics["note"] == 3
    assert m.metrics["total"] == 4
    errors = [f for f in m.findings if f.level == "error"]
    assert errors[0].message.startswith("B602")
    assert (errors[0].file, errors[0].line) == ("app.py", 5)


def test_sarif_allow_list_and_suppressions(tmp_path: Path, bandit_sarif: Path) -> None:
    context = _context(tmp_path)
    data = json.loads(bandit_sarif.read_text())
    results = data["runs"][0]["results"]
    for r in results:
        if r["ruleId"] == "B105":
            r["suppressions"] = [{"kind": "inSource"}]
    (tmp_path / "f.sarif").write_text(json.dumps(data))
    m = _measure("sarif", {"path": "f.sarif", "allow_rules": ["B602"]}, context)
    assert (m.metrics["error"], m.metrics["allowed"], m.metrics["suppressed"]) == (0, 1, 1)
    assert m.metrics["total"] == 2


def test_sarif_level_defaults_to_rule_then_warning(tmp_path: Path) -> None:
    context = _context(tmp_path)
    log = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "x",
                        "rules": [{"id": "R1", "defaultConfiguration": {"level": "error"}}],
                    }
                },
                "results": [
                    {"ruleId": "R1", "message": {"text": "a"}},
                    {"ruleId": "R2", "message": {"text": "b"}},
                ],
            }
        ],
    }
    (tmp_path / "f.sarif").write_text(json.dumps(log))
    m = _measure("sarif", {"path": "f.sarif"}, context)
    assert (m.metrics["error"], m.metrics["warning"]) == (1, 1)
    log["version"] = "2.0.0"
    (tmp_path / "f.sarif").write_text(json.dumps(log))
    assert _measure("sarif", {"path": "f.sarif"}, context).error == (
        "f.sarif: not a SARIF 2.1.0 log: version: '2.0.0' is not one of ['2.1.0']"
    )


# -- artifacts, dependencies ----------------------------------------------------------------


def test_artifacts_present_missing_and_empty(tmp_path: Path) -> None:
    context = _context(tmp_path)
    m = _measure("artifacts", {}, context)
    assert m.metrics == {"declared": 2, "present": 0, "missing": 2, "empty": 0}
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "a.txt").write_text("a")
    (tmp_path / "out" / "b.txt").write_text("")
    (tmp_path / "out" / "report.json").write_text("{}")
    m = _measure("artifacts", {}, context)
    assert m.metrics == {"declared": 2, "present": 2, "missing": 0, "empty": 1}
    assert m.details["empty"] == ["out/b.txt"]


def test_dependencies_reads_result_files(tmp_path: Path) -> None:
    context = _context(tmp_path, phase="pre")
    write_result(context.manifest, "A", "COMPLETED")
    m = _measure("dependencies", {}, context)
    assert m.metrics == {"total": 2, "completed": 1, "incomplete": 1}
    assert m.details["dependencies"] == {"A": "COMPLETED", "B": "NOT_RUN"}
    write_result(context.manifest, "B", "FAILED")
    m = _measure("dependencies", {}, context)
    assert m.details["dependencies"]["B"] == "FAILED"
    assert "dependency 'B' is FAILED, not COMPLETED" in m.findings[0].message
    write_result(context.manifest, "B", "COMPLETED")
    assert _measure("dependencies", {}, context).metrics["incomplete"] == 0


# -- command, json-metric -------------------------------------------------------------------


def test_command_exit_code_and_stdout_metrics(tmp_path: Path) -> None:
    context = _context(tmp_path)
    script = tmp_path / "lint.py"
    script.write_text(
        "import json, os\n"
        "print(json.dumps({'lint': {'errors': 2, 'ok': False}, 'node': os.environ['DDE_NODE'],"
        " 'phase_is_post': os.environ['DDE_PHASE'] == 'post'}))\n"
    )
    run = f"{sys.executable} lint.py"
    m = _measure("command", {"run": run, "metrics_from_stdout": True}, context)
    assert m.error is None
    assert m.metrics == {
        "exit_code": 0,
        "timed_out": False,
        "lint.errors": 2,
        "lint.ok": False,
        "phase_is_post": True,
    }
    m = _measure("command", {"run": "exit 3"}, context)
    assert m.metrics["exit_code"] == 3
    m = _measure("command", {"run": "echo not json", "metrics_from_stdout": True}, context)
    assert m.error is not None
    assert "did not print a JSON object" in m.error


def test_command_timeout(tmp_path: Path) -> None:
    context = _context(tmp_path)
    m = _measure("command", {"run": "sleep 5", "timeout": "0.2s"}, context)
    assert m.error == "command 'sleep 5' timed out after 0.2s"


def test_json_metric_pointer(tmp_path: Path) -> None:
    context = _context(tmp_path)
    (tmp_path / "m.json").write_text(json.dumps({"a/b": [{"x": 0.93}], "s": "12", "o": {}}))
    m = _measure("json-metric", {"path": "m.json", "pointer": "/a~1b/0/x"}, context)
    assert m.metrics == {"value": 0.93}
    m = _measure("json-metric", {"path": "m.json", "pointer": "/s", "metric": "n"}, context)
    assert m.metrics == {"n": 12.0}
    m = _measure("json-metric", {"path": "m.json", "pointer": "/a~1b/3"}, context)
    assert m.error == "m.json: JSON Pointer '/a~1b/3': '/a~1b/3': index 3 is past the end (1)"
    m = _measure("json-metric", {"path": "m.json", "pointer": "/o"}, context)
    assert m.error == "m.json: /o: value {} is not a number or a boolean"


def test_resolve_pointer_follows_rfc6901() -> None:
    doc = {"foo": ["bar", "baz"], "": 0, "a/b": 1, "m~n": 8, " ": 7}
    assert resolve_pointer(doc, "") == doc
    assert resolve_pointer(doc, "/foo/0") == "bar"
    assert resolve_pointer(doc, "/") == 0
    assert resolve_pointer(doc, "/a~1b") == 1
    assert resolve_pointer(doc, "/m~0n") == 8
    assert resolve_pointer(doc, "/ ") == 7
    with pytest.raises(PointerError):
        resolve_pointer(doc, "/foo/01")


# -- openapi-valid, contract-conformance ----------------------------------------------------

VALID_OPENAPI = """\
openapi: 3.0.3
info: {title: Orders, version: "1.0.0"}
paths:
  /orders/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: the order
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Order"}
components:
  schemas:
    Order:
      type: object
      properties: {id: {type: string}}
"""


def _openapi_context(root: Path) -> GateContext:
    manifest = write_project(
        root,
        GATES,
        """\
        - {id: API, type: interface, produces: [orders]}
        """,
        extra="contracts:\n  - {name: orders, domain: shop, type: openapi, path: api.yaml}\n",
    )
    return GateContext(manifest, manifest.node("API"), Layout(root), ITERATION, "post")


def test_openapi_valid_on_the_nodes_contract(tmp_path: Path) -> None:
    context = _openapi_context(tmp_path)
    (tmp_path / "api.yaml").write_text(VALID_OPENAPI)
    m = _measure("openapi-valid", {}, context)
    assert m.metrics == {"errors": 0, "documents": 1}


def test_openapi_invalid_documents(tmp_path: Path) -> None:
    context = _openapi_context(tmp_path)
    (tmp_path / "api.yaml").write_text(VALID_OPENAPI.replace("#/components/schemas/Order", "#/x"))
    m = _measure("openapi-valid", {}, context)
    assert m.metrics["errors"] == 1
    assert "$ref '#/x' points nowhere" in m.findings[0].message
    remote = VALID_OPENAPI.replace("#/components/schemas/Order", "https://example.com/o.yaml")
    (tmp_path / "api.yaml").write_text(remote)
    m = _measure("openapi-valid", {}, context)
    assert "is not local" in m.findings[0].message
    (tmp_path / "api.yaml").write_text(VALID_OPENAPI.replace("    get:", "    fetch:"))
    m = _measure("openapi-valid", {"path": "api.yaml"}, context)
    assert (m.metrics["errors"] or 0) >= 1


def test_openapi_valid_checks_a_3x_document_as_contract_lock_does(tmp_path: Path) -> None:
    """The gate and the lock give one verdict, with the line of each problem (the lock's
    checker is linear in the document; openapi-spec-validator's was not)."""
    context = _openapi_context(tmp_path)
    (tmp_path / "api.yaml").write_text(VALID_OPENAPI.replace("required: true", "required: no"))
    m = _measure("openapi-valid", {}, context)
    assert m.metrics["errors"] == len(m.findings) >= 1
    assert {f.line for f in m.findings} == {7}, m.findings
    assert m.findings[0].message == (
        '"no" is not of type "boolean" (at /paths/~1orders~1{id}/get/parameters/0/required)'
    )


def test_contract_conformance_fails_clearly_when_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = _context(tmp_path)
    monkeypatch.setitem(sys.modules, "dde_ci.contracts.verify", None)
    m = _measure("contract-conformance", {}, context)
    assert m.error is not None
    assert "contract verification is not available" in m.error
    assert m.metrics == {}


def test_artifacts_double_star_means_every_file_below(tmp_path: Path) -> None:
    context = _context(tmp_path)
    (tmp_path / "build" / "pkg" / "sub").mkdir(parents=True)
    m = _measure("artifacts", {"paths": ["build/**"]}, context)
    assert m.metrics["missing"] == 1
    (tmp_path / "build" / "pkg" / "sub" / "x.py").write_text("x = 1\n")
    (tmp_path / "build" / "top.txt").write_text("t")
    m = _measure("artifacts", {"paths": ["build/**"]}, context)
    assert m.details["present"] == ["build/pkg/sub/x.py", "build/top.txt"]


def test_contract_conformance_delegates_to_contract_verification(tmp_path: Path) -> None:
    from dde_ci.contracts.lock import lock_contract
    from dde_ci.contracts.registry import context_entries
    from dde_ci.log import ExecutionLog, read_log
    from dde_ci.manifest.loader import load_manifest
    from tests.contracts.contract_project import make_project, openapi

    manifest = load_manifest(make_project(tmp_path))
    layout = Layout(manifest.root)
    for name in ("orders-api", "order-created"):
        lock_contract(manifest, name, layout)
    node = manifest.node("BE.Orders")
    context_file = layout.context_file(ITERATION, node.id)
    context_file.parent.mkdir(parents=True)
    entries = context_entries(manifest, node, layout)
    context_file.write_text(json.dumps({"node_id": node.id, "locked_contracts": entries}))
    log = ExecutionLog(layout.execution_log(ITERATION), ITERATION, "r")
    context = GateContext(manifest, node, layout, ITERATION, "post", context_file, log)
    m = _measure("contract-conformance", {}, context)
    assert m.error is None
    assert m.metrics == {"ok": 1, "findings": 0}
    assert m.details["contracts"] == ["orders-api", "order-created"]
    assert read_log(log.path).events[-1]["event_type"] == "contract.verified"

    served = openapi()
    del served["paths"]["/orders/{orderId}"]
    (tmp_path / "build" / "openapi.json").write_text(json.dumps(served, indent=2))
    m = _measure("contract-conformance", {}, context)
    assert m.metrics["ok"] == 0
    assert (m.metrics["findings"] or 0) >= 1
    assert any("api-path-removed" in f.message for f in m.findings), m.findings


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.sampled_from(["pass", "failure", "error", "skipped", "failure+skipped"]),
        max_size=30,
    )
)
def test_junit_counts_match_what_was_written(outcomes: list[str]) -> None:
    from io import BytesIO

    from dde_ci.gates.evaluators.junit import JUnitCounts, count_junit

    body = {
        "pass": "<system-out>x &amp; y</system-out>",
        "failure": '<failure message="m">f.py:3: boom</failure>',
        "error": "<error>e</error>",
        "skipped": "<skipped/>",
        "failure+skipped": "<skipped/><failure>f</failure>",
    }
    cases = "".join(
        f'<testcase classname="c" name="t{i}">{body[o]}</testcase>' for i, o in enumerate(outcomes)
    )
    xml = f'<testsuites><testsuite name="s">{cases}</testsuite><testsuite name="e"/></testsuites>'
    counts = JUnitCounts()
    count_junit(BytesIO(xml.encode()), counts, "x.xml")
    failed = outcomes.count("failure") + outcomes.count("failure+skipped")
    assert (counts.total, counts.failed) == (len(outcomes), failed)
    assert (counts.errors, counts.skipped) == (outcomes.count("error"), outcomes.count("skipped"))
    assert counts.passed == outcomes.count("pass")
    assert len(counts.failures) == failed + outcomes.count("error")
