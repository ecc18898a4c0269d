"""``dde-ci gate``: check, list and run, in every format, with GitHub annotations."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dde_ci.cli.main import main
from dde_ci.gates.evaluators import EVALUATORS, GateContext
from dde_ci.layout import Layout
from dde_ci.log import ExecutionLog
from tests.gates.conftest import bandit_sarif, sample_reports
from tests.gates.project import write_project, write_result

__all__ = ["bandit_sarif", "sample_reports"]  # session fixtures shared with tests/gates

GATES = """\
gates:
  - name: deps
    phase: pre
    evaluator: {type: dependencies}
    applies_to: {node_types: [test]}
  - name: tests-pass
    evaluator: {type: junit, path: reports/junit.xml}
  - name: findings
    severity: warning
    evaluator: {type: sarif, path: reports/findings.sarif}
"""

NODES = """\
- {id: A, type: implementation}
- {id: T, type: test, depends_on: [A], gates: [tests-pass, findings]}
"""


@pytest.fixture
def project(tmp_path: Path, sample_reports: dict[str, Path], bandit_sarif: Path) -> Path:
    write_project(tmp_path, GATES, NODES)
    (tmp_path / "reports").mkdir()
    shutil.copy(sample_reports["junit"], tmp_path / "reports" / "junit.xml")
    shutil.copy(bandit_sarif, tmp_path / "reports" / "findings.sarif")
    return tmp_path


def _run(project: Path, *args: str) -> int:
    return main(["gate", "run", *args[:1], "-m", str(project / "dde.yaml"), *args[1:]])


def test_check_ok_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "gates.yaml"
    path.write_text(GATES)
    assert main(["gate", "check", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: ok: 3 gates (deps, tests-pass, findings)\n"
    assert main(["gate", "check", str(path), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "valid": True,
        "files": [{"file": str(path), "gates": ["deps", "tests-pass", "findings"]}],
    }


def test_check_reports_every_problem_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("gates.yaml").write_text(GATES.replace("junit, path", "junit, pat").replace("deps", "d e"))
    assert main(["gate", "check", "gates.yaml", "missing.yaml"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "gates.yaml:2:11: gates[0].name: 'd e' is not a valid name; use letters, digits, '.', "
        "'_' or '-', starting with a letter or digit",
        "gates.yaml:7:16: gates[1].evaluator is missing the required key 'path'",
        "gates.yaml:7:30: unknown key 'pat' in gates[1].evaluator (did you mean 'path'?)",
        "missing.yaml: gate file not found",
    ]


def test_check_annotates_on_github(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    Path("gates.yaml").write_text(GATES.replace("type: sarif", "type: sarf"))
    assert main(["gate", "check", "gates.yaml"]) == 2
    out = capsys.readouterr().out
    assert out.startswith("::error file=gates.yaml,line=10,col=23::unknown evaluator 'sarf'")


def test_list(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gate", "list", "-m", str(project / "dde.yaml")]) == 0
    assert capsys.readouterr().out == (
        "A: (no gates)\n"
        "T:\n"
        "  pre  blocking deps: incomplete == 0\n"
        "  post blocking tests-pass: failed == 0 and errors == 0 and total > 0\n"
        "  post warning  findings: error == 0\n"
    )
    assert (
        main(["gate", "list", "-m", str(project / "dde.yaml"), "--node", "X", "--format", "json"])
        == 2
    )
    assert "no node 'X' in dde.yaml" in capsys.readouterr().err


def test_run_pre_then_post_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(project, "T", "--phase", "pre", "--iteration", "It-1") == 1
    captured = capsys.readouterr()
    assert captured.err == "error: gate 'deps' failed on T: incomplete is 1, expected == 0\n"
    write_result(write_project(project, GATES, NODES), "A", "COMPLETED")
    layout = Layout(project)
    layout.result_file("It-1", "A").parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(layout.result_file("Iter-1", "A"), layout.result_file("It-1", "A"))
    assert _run(project, "T", "--phase", "pre", "--iteration", "It-1") == 0
    capsys.readouterr()
    assert _run(project, "T", "--phase", "post", "--iteration", "It-1", "--format", "json") == 1
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert [(r["gate_name"], r["status"]) for r in report["results"]] == [
        ("tests-pass", "failed"),
        ("findings", "warning"),
    ]
    assert captured.err.startswith("error: gate 'tests-pass' failed on T: failed is 1")
    on_disk = json.loads(layout.gates_file("It-1", "T").read_text())
    assert [r["phase"] for r in on_disk["results"]] == ["pre", "post", "post"]


def test_run_markdown_and_sarif(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(project, "T", "--phase", "post", "--iteration", "It-1", "-f", "x") == 2
    capsys.readouterr()
    assert _run(project, "T", "--phase", "post", "--iteration", "I", "--format", "markdown") == 1
    out = capsys.readouterr().out
    assert out.startswith("### Gates of `T` (post)\n\n| Gate | Phase |")
    assert "| `tests-pass` | post | blocking | ❌ failed | failed 1, errors 0, total 5 |" in out
    sarif_path = project / "gates.sarif"
    code = _run(project, "T", "--phase", "post", "--iteration", "I", "--format", "sarif")
    assert code == 1
    sarif_path.write_text(capsys.readouterr().out)
    log = json.loads(sarif_path.read_text())
    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("tests-pass", "error"),
        ("findings", "warning"),
    ]
    loc = results[0]["locations"][0]["physicalLocation"]
    assert (loc["artifactLocation"]["uri"], loc["region"]["startLine"]) == ("test_calc.py", 17)
    # our own SARIF evaluator reads the report back
    manifest = write_project(project, GATES, NODES)
    context = GateContext(manifest, manifest.node("T"), Layout(project), "I", "post")
    sarif = EVALUATORS["sarif"]
    params = sarif.params.model_validate({"type": "sarif", "path": "gates.sarif"})
    measured = sarif.evaluate(params, context)
    assert (measured.metrics["error"], measured.metrics["warning"]) == (1, 1)


def test_run_on_github_annotates_and_writes_the_summary(
    project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    out_file = tmp_path / "report.json"
    code = _run(
        project, "T", "--phase", "post", "--iteration", "I", "-o", str(out_file), "--format", "json"
    )
    assert code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert json.loads(out_file.read_text())["node_id"] == "T"
    lines = captured.err.splitlines()
    assert lines[0].startswith(
        "::error file=test_calc.py,line=17,title=dde-ci gate (T)::tests-pass: failure: "
        "test_calc.test_broken: assert 4 == 5"
    )
    assert any(
        line.startswith("::warning file=app.py,line=5,title=dde-ci gate (T)::findings: B602")
        for line in lines
    )
    assert "| `findings` | post | warning | ⚠️ warning |" in summary.read_text()


def test_run_without_iteration_reads_the_latest_run_of_a_template(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DDE_ITERATION", raising=False)
    manifest = project / "dde.yaml"
    manifest.write_text(
        manifest.read_text().replace("iteration: Iter-1", "iteration: It-{date:%Y}-{seq:03}")
    )
    layout = Layout(project)
    ran = "It-2020-001"
    ExecutionLog(layout.execution_log(ran), ran, "run-1").emit("workflow.started")
    layout.result_file(ran, "A").parent.mkdir(parents=True)
    layout.result_file(ran, "A").write_text(json.dumps({"node_id": "A", "status": "COMPLETED"}))
    assert _run(project, "T", "--phase", "pre", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)["iteration_id"] == ran
    on_disk = json.loads(layout.gates_file(ran, "T").read_text())
    assert [r["status"] for r in on_disk["results"]] == ["passed"]
    assert sorted(p.name for p in layout.reports_dir.iterdir() if p.is_dir()) == [ran]


def test_run_unknown_node(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(project, "TT", "--phase", "post", "--iteration", "I") == 2
    assert capsys.readouterr().err == "error: no node 'TT' in dde.yaml (did you mean 'T'?)\n"


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["gate"], ["gate", "check"], ["gate", "run"], ["gate", "list"]):
        assert main([*args, "--help"]) == 0
        assert "Examples:" in capsys.readouterr().out
