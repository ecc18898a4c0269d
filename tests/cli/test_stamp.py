"""``dde-ci stamp`` and ``dde-ci stamp verify``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dde_ci.cli.main import main

MANIFEST = """\
version: "1"
workflow: demo
iteration: It-1
nodes:
  - id: BE.Orders
    type: implementation
    capabilities: ["Backend:Python"]
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "dde.yaml").write_text(MANIFEST)
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "app.txt").write_text("v1\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_stamp_then_verify_then_tamper(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stamp", "BE.Orders", "build/app.txt"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("stamped build/app.txt  sha256:")
    assert (project / ".dde/artifacts/It-1/BE.Orders/build%2Fapp.txt.intoto.json").exists()
    log = (project / "reports/It-1/execution.log").read_text()
    assert '"event_type":"artifact.stamped"' in log

    assert main(["stamp", "verify"]) == 0
    assert capsys.readouterr().out == "verified 1 stamp(s): ok\n"

    (project / ".dde/artifacts/It-1/BE.Orders/build/app.txt").write_text("v2\n")
    assert main(["stamp", "verify", "--iteration", "It-1"]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith(
        ".dde/artifacts/It-1/BE.Orders/build/app.txt: artifact 'build/app.txt' was modified"
    )
    assert captured.out == "verified 1 stamp(s): 1 problem(s)\n"
    assert main(["stamp", "verify", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["checked"] == 1


def test_stamp_json_and_bad_input(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stamp", "BE.Orders", "build", "--iteration", "It-9", "--format", "json"]) == 0
    (statement,) = json.loads(capsys.readouterr().out)
    assert statement["predicate"]["iteration_id"] == "It-9"
    assert statement["predicate"]["capabilities"] == ["Backend:Python"]
    assert main(["stamp", "BE.Order", "build/app.txt"]) == 2
    assert "no node 'BE.Order' in the manifest (did you mean 'BE.Orders'?)" in (
        capsys.readouterr().err
    )
    assert main(["stamp", "BE.Orders"]) == 2
    assert main(["stamp", "verify", "--iteration", "It-404"]) == 2
    assert "no stamped artifacts for iteration 'It-404'" in capsys.readouterr().err


def test_verify_originals_checks_the_latest_iteration_by_default(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file rebuilt by each iteration matches its latest stamp: no problem to report."""
    manifest = project / "dde.yaml"
    manifest.write_text(MANIFEST.replace("iteration: It-1", "iteration: It-{seq}"))
    for number, content in ((1, "v1\n"), (2, "v2\n"), (3, "v3\n")):
        (project / "build" / "app.txt").write_text(content)
        assert main(["stamp", "BE.Orders", "build/app.txt", "--iteration", f"It-{number}"]) == 0
    capsys.readouterr()
    assert main(["stamp", "verify", "--originals"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "verified 1 stamp(s): ok\n"
    assert captured.err == "checking iteration It-3 (the latest; --iteration ID for another)\n"
    assert main(["stamp", "verify", "--originals", "--iteration", "It-1"]) == 1
    assert "no longer matches" in capsys.readouterr().err
    assert main(["stamp", "verify"]) == 0  # the stored copies: every iteration, all intact
    assert capsys.readouterr().out == "verified 3 stamp(s): ok\n"
