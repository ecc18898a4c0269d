"""``dde-ci log query | check | merge``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dde_ci.cli.main import main
from dde_ci.log import ExecutionLog, read_log


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "dde.yaml").write_text("workflow: x\n")
    log = ExecutionLog(tmp_path / "reports" / "It-1" / "execution.log", "It-1", "r1")
    log.emit("workflow.started")
    log.emit("node.started", node_id="A", attempt=1)
    log.emit("node.failed", node_id="A", attempt=1, details={"message": "exit 3"})
    log.emit("node.started", node_id="B", attempt=1)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_query_text_and_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["log", "query", "--node", "A"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert "node.failed" in lines[1] and lines[1].endswith("#1   exit 3")
    assert main(["log", "query", "--type", "node.started", "--format", "json"]) == 0
    assert [e["node_id"] for e in json.loads(capsys.readouterr().out)] == ["A", "B"]
    assert main(["log", "query", "--since", "1h", "--iteration", "It-1", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 4
    assert main(["log", "query", "--since", "soon"]) == 2
    assert "is not a time" in capsys.readouterr().err
    assert main(["log", "query", "--iteration", "It-404"]) == 2


def test_check_reports_a_torn_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["log", "check"]) == 0
    capsys.readouterr()
    with (project / "reports/It-1/execution.log").open("a") as handle:
        handle.write('{"event_type": "node.comp')
    assert main(["log", "check"]) == 1
    captured = capsys.readouterr()
    assert "execution.log:5:1: torn last line" in captured.err
    assert main(["log", "query", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert len(json.loads(captured.out)) == 4 and "warning: torn last line" in captured.err


def test_merge_segments(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    full = project / "reports/It-1/execution.log"
    lines = full.read_text().splitlines(keepends=True)
    (project / "a.log").write_text("".join(lines[:3]))
    (project / "b.log").write_text("".join([lines[0], lines[3], lines[1]]))
    assert main(["log", "merge", "b.log", "a.log", "-o", "merged.log"]) == 0
    assert capsys.readouterr().out == "merged 2 segment(s) into merged.log: 4 event(s)\n"
    assert read_log(project / "merged.log").events == read_log(full).events
    assert main(["log", "merge", "missing.log", "-o", "x.log"]) == 2
