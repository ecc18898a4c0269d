"""``dde-ci audit``: exit codes, report files, step summary, override, commit status."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from dde_ci.cli.output import STEP_SUMMARY_LIMIT, append_step_summary
from dde_ci.log import read_log
from tests.audit.builder import Project, gate
from tests.conftest import run_cli
from tests.github.payloads import REPO, REPO_API, SHA, mocked_github, status

OVERRIDE = """\
status: accepted
date: 2026-11-27
audit_override:
  iteration: Iter-T-001
  approvers: [Alice Moreau, Bo Chen]
"""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path / "repo").clean()


def fail(project: Project) -> None:
    project.gate_results("DB.Schema", gate("tests-pass", "DB.Schema", "failed", actual=2))


def test_a_clean_iteration_exits_0_and_writes_both_reports(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli("audit", "-m", str(project.manifest), "--iteration", "Iter-T-001")
    out, err = capsys.readouterr()
    assert code == 0
    assert out.startswith("audit Iter-T-001: PASS, score 100% (4/4 nodes completed)\n")
    assert "report: " in err
    data = json.loads((project.reports / "audit.json").read_text())
    assert data["result"] == "PASS"
    assert (project.reports / "audit.md").read_text().startswith("## dde-ci audit: Iter-T-001")
    last = read_log(project.log).events[-1]
    assert (last["event_type"], last["details"]["result"]) == ("audit.completed", "PASS")


def test_a_failed_audit_exits_1_and_names_the_violation(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    fail(project)
    assert run_cli("audit", "-m", str(project.manifest), "--iteration", "Iter-T-001") == 1
    out = capsys.readouterr().out
    assert "audit Iter-T-001: FAIL" in out
    assert "blocking gate_failed: blocking gate tests-pass failed on node DB.Schema" in out


def test_json_and_markdown_formats_and_out_folder(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    args = ["-m", str(project.manifest), "--iteration", "Iter-T-001", "--out", str(out_dir)]
    assert run_cli("audit", *args, "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)["score"] == 1.0
    assert (out_dir / "audit.json").exists() and (out_dir / "audit.md").exists()
    assert not (project.reports / "audit.json").exists()
    assert run_cli("audit", *args, "--format", "markdown") == 0
    assert "```mermaid\ngantt" in capsys.readouterr().out


def test_iteration_comes_from_the_environment_or_the_latest_run(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DDE_ITERATION", "Iter-T-001")
    assert run_cli("audit", "-m", str(project.manifest)) == 0
    monkeypatch.delenv("DDE_ITERATION")
    text = project.manifest.read_text().replace("iteration: Iter-T-001", "iteration: It-{seq}")
    project.manifest.write_text(text)
    assert run_cli("audit", "-m", str(project.manifest)) == 0  # the latest iteration with a log
    assert "audit Iter-T-001: PASS" in capsys.readouterr().out
    shutil.rmtree(project.root / "reports")
    assert run_cli("audit", "-m", str(project.manifest)) == 2
    assert "no iteration to audit" in capsys.readouterr().err


def test_bad_input_exits_2_without_traceback(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli("audit", "-m", str(project.root / "none.yaml"), "--iteration", "I-1") == 2
    assert "manifest not found" in capsys.readouterr().err
    assert run_cli("audit", "-m", str(project.manifest), "--iteration", "../x") == 2
    assert "iteration id '../x' is not valid" in capsys.readouterr().err


def test_markdown_goes_to_the_step_summary(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert run_cli("audit", "-m", str(project.manifest), "--iteration", "Iter-T-001") == 0
    text = summary.read_text()
    assert text.startswith("# earlier step\n## dde-ci audit: Iter-T-001 — ✅ PASS")


def test_step_summary_stays_under_github_limit_and_closes_fences(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_bytes(b"x" * (STEP_SUMMARY_LIMIT - 40_000))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    big = "## report\n\n```mermaid\n" + "flowchart LR\n" + "  a --> b\n" * 20_000 + "```\n"
    assert append_step_summary(big) is True
    text = summary.read_bytes()
    assert len(text) < STEP_SUMMARY_LIMIT
    tail = text[STEP_SUMMARY_LIMIT - 40_000 :].decode()
    assert "> Truncated: the full report is in the workflow artifact." in tail
    assert tail.count("```") % 2 == 0  # the note is not swallowed by an open code block


def test_an_override_lets_a_failed_audit_through_and_is_logged(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    fail(project)
    adr = project.adr("0007-ship.md", OVERRIDE, title="Ship with the failing suite")
    args = ["-m", str(project.manifest), "--iteration", "Iter-T-001", "--override-adr", str(adr)]
    assert run_cli("audit", *args) == 0
    assert "FAIL (overridden)" in capsys.readouterr().out
    events = read_log(project.log).events
    assert [e["event_type"] for e in events[-2:]] == ["audit.overridden", "audit.completed"]
    assert events[-2]["details"]["approvers"] == ["Alice Moreau", "Bo Chen"]
    data = json.loads((project.reports / "audit.json").read_text())
    assert (data["result"], data["deployable"], data["override"]["applied"]) == (
        "FAIL",
        True,
        True,
    )
    assert "**Overridden** by" in (project.reports / "audit.md").read_text()


def test_an_override_for_another_iteration_is_refused(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    fail(project)
    adr = project.adr("0008.md", OVERRIDE.replace("Iter-T-001", "Iter-OTHER"))
    args = ["-m", str(project.manifest), "--iteration", "Iter-T-001", "--override-adr", str(adr)]
    assert run_cli("audit", *args) == 2
    err = capsys.readouterr().err
    assert f"{adr}:5:14: override ADR names iteration(s) Iter-OTHER, not 'Iter-T-001'" in err


GITHUB_ENV = {
    "GITHUB_TOKEN": "ghs_secret",
    "GITHUB_REPOSITORY": REPO,
    "GITHUB_SHA": SHA,
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_RUN_ID": "4242",
}


def set_github_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in GITHUB_ENV.items():
        monkeypatch.setenv(key, value)
    for key in ("GITHUB_EVENT_NAME", "GITHUB_EVENT_PATH", "GITHUB_API_URL"):
        monkeypatch.delenv(key, raising=False)  # as on a push, whatever runs these tests


@pytest.mark.parametrize(("broken", "state", "code"), [(False, "success", 0), (True, "failure", 1)])
def test_github_status_reports_the_verdict_with_a_link_to_the_run(
    project: Project,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    broken: bool,
    state: str,
    code: int,
) -> None:
    if broken:
        fail(project)
    set_github_env(monkeypatch)
    with mocked_github(monkeypatch) as gh:
        gh.post(f"{REPO_API}/statuses/{SHA}", status=201, json=status(state))
        args = ["-m", str(project.manifest), "--iteration", "Iter-T-001", "--github-status"]
        assert run_cli("audit", *args) == code
        sent: dict[str, Any] = json.loads(gh.calls[0].request.body)
    assert sent["state"] == state
    assert sent["context"] == "dde/audit"
    assert sent["target_url"] == f"https://github.com/{REPO}/actions/runs/4242"
    assert sent["description"].startswith("PASS: 100.0%" if not broken else "FAIL: 100.0%")
    assert "ghs_secret" not in capsys.readouterr().out
    assert read_log(project.log).events[-1]["run_id"] == "4242"


def test_github_status_says_overridden(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    fail(project)
    adr = project.adr("0007-ship.md", OVERRIDE)
    set_github_env(monkeypatch)
    with mocked_github(monkeypatch) as gh:
        gh.post(f"{REPO_API}/statuses/{SHA}", status=201, json=status("success"))
        args = ["--iteration", "Iter-T-001", "--github-status", "--override-adr", str(adr)]
        assert run_cli("audit", "-m", str(project.manifest), *args) == 0
        sent = json.loads(gh.calls[0].request.body)
    assert sent["state"] == "success"
    assert sent["description"].startswith("Overridden by ADR; audit FAIL")


def test_github_status_without_token_is_bad_input(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key in ("GITHUB_REPOSITORY", "GITHUB_SHA"):
        monkeypatch.delenv(key, raising=False)
    args = ["-m", str(project.manifest), "--iteration", "Iter-T-001", "--github-status"]
    assert run_cli("audit", *args) == 2
    err = capsys.readouterr().err
    assert "--github-status needs GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_SHA" in err
    assert not (project.reports / "audit.json").exists()  # refused before auditing


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("audit", "--help") == 0
    out = capsys.readouterr().out
    assert "Examples:" in out and "--override-adr PATH" in out and "--github-status" in out


def test_under_github_actions_blocking_violations_are_annotations(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fail(project)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    args = ["-m", str(project.manifest), "--iteration", "Iter-T-001", "--format", "json"]
    assert run_cli("audit", *args) == 1
    out, err = capsys.readouterr()
    assert json.loads(out)["result"] == "FAIL"  # stdout stays JSON
    assert err.startswith(
        "::error title=dde-ci audit%3A gate_failed::blocking gate tests-pass failed on node "
        "DB.Schema"
    )


def test_on_a_pull_request_the_status_goes_on_its_head_commit(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = "a" * 40
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": head}}}))
    set_github_env(monkeypatch)
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    with mocked_github(monkeypatch) as gh:
        gh.post(f"{REPO_API}/statuses/{head}", status=201, json=status("success"))
        args = ["-m", str(project.manifest), "--iteration", "Iter-T-001", "--github-status"]
        assert run_cli("audit", *args) == 0
        assert gh.calls[0].request.url.endswith(f"/statuses/{head}")


def test_an_iteration_that_never_ran_is_bad_input_and_writes_nothing(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted(p.relative_to(project.root) for p in project.root.rglob("*"))
    assert run_cli("audit", "-m", str(project.manifest), "--iteration", "Nope-1") == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"error: iteration 'Nope-1' never ran here: {project.root}/reports/Nope-1/execution.log "
        "does not exist; iterations that ran: Iter-T-001\n"
    )
    assert sorted(p.relative_to(project.root) for p in project.root.rglob("*")) == before


def test_out_dir_is_deprecated_and_output_writes_a_copy(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["-m", str(project.manifest), "--iteration", "Iter-T-001"]
    assert run_cli("audit", *args, "--format", "json", "-o", str(tmp_path / "a.json")) == 0
    assert json.loads((tmp_path / "a.json").read_text())["result"] == "PASS"
    assert capsys.readouterr().out == ""
    assert run_cli("audit", *args, "--out", str(tmp_path / "old")) == 0
    assert "warning: --out DIR is deprecated" in capsys.readouterr().err
    assert (tmp_path / "old" / "audit.json").exists()
