"""Manifest and log text reaches the terminal and the CI log quoted: no forged workflow
command, no terminal escape sequence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dde_ci.log import ExecutionLog
from tests.conftest import run_cli

FORGED = [
    "B\n::error title=forged::the audit passed",
    "C\n::add-mask::dde",
    "D\n::stop-commands::x",
    "E \x1b]0;owned\x07 \x1b[31mred\x1b[0m \u202egnp.exe",
    "F\r::warning::x",
]


def _evil_manifest(tmp_path: Path) -> Path:
    data = {
        "version": "1",
        "workflow": "w",
        "iteration": "It-0",
        "nodes": [
            {"id": "A", "type": "implementation", "run": "true", "depends_on": FORGED},
            *({"id": forged, "type": "implementation"} for forged in FORGED),
        ],
    }
    path = tmp_path / "dde.yaml"
    path.write_text(json.dumps(data))
    return path


def _check_lines(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text
    assert "\u202e" not in text
    for line in text.splitlines():
        assert not line.lstrip().startswith(("::add-mask", "::stop-commands", "::warning::x"))
        if line.lstrip().startswith("::"):
            assert line.startswith("::error file=")  # dde-ci's own annotation, escaped data


@pytest.mark.parametrize("github", [False, True])
def test_validate_quotes_manifest_text(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    github: bool,
) -> None:
    if github:
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
    else:
        monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    assert run_cli("validate", "-m", str(_evil_manifest(tmp_path))) == 2
    out, err = capsys.readouterr()
    _check_lines(out)
    _check_lines(err)
    assert "C\\n::add-mask::dde" in err  # shown, escaped


def test_log_query_prints_log_text_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "dde.yaml").write_text("workflow: x\n")
    log = ExecutionLog(tmp_path / "reports" / "It-1" / "execution.log", "It-1", "r1")
    log.emit("node.failed", node_id="A", details={"message": FORGED[0] + FORGED[3]})
    monkeypatch.chdir(tmp_path)
    assert run_cli("log", "query") == 0
    out = capsys.readouterr().out
    _check_lines(out)
    assert "\\x1b]0;owned\\x07" in out


def test_safe_text() -> None:
    from dde_ci.errors import Diagnostic, Location, safe_lines, safe_text

    assert safe_text("plain text: ok 'quoted' ü €") == "plain text: ok 'quoted' ü €"
    assert safe_text("a\nb\r\x1b[0m\t\u2028\u202e") == "a\\nb\\r\\x1b[0m\\t\\u2028\\u202e"
    assert safe_lines("a\tb\nc\x1b") == "a\tb\nc\\x1b"
    shown = str(Diagnostic("node 'x\ny'", Location("::error::f.yaml", 3, 4)))
    assert shown == "./::error::f.yaml:3:4: node 'x\\ny'"
    assert str(Diagnostic("x" * 5000)).endswith("x... (3,000 more characters)")
