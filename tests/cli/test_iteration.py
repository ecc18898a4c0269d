"""``dde-ci iteration``: the id a new run gets, printed and handed to GitHub as a step output."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

MANIFEST = "workflow: w\niteration: '{it}'\nnodes: [{{id: A, type: action, runs_on: [x]}}]\n"


def write(tmp_path: Path, iteration: str) -> Path:
    path = tmp_path / "dde.yaml"
    path.write_text(MANIFEST.format(it=iteration))
    return path


def test_template_takes_the_next_sequence(
    tmp_path: Path, cli: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = write(tmp_path, "Iter-{date:%Y}-{seq:03}")
    assert cli("iteration", "-m", str(manifest)) == 0
    first = capsys.readouterr().out.strip()
    assert re.fullmatch(r"Iter-\d{4}-001", first)
    (tmp_path / "reports" / first).mkdir(parents=True)
    assert cli("iteration", "-m", str(manifest)) == 0
    assert capsys.readouterr().out.strip() == first[:-3] + "002"


def test_option_and_environment_win(
    tmp_path: Path, cli: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = write(tmp_path, "Fixed-1")
    assert cli("iteration", "-m", str(manifest)) == 0
    assert capsys.readouterr().out.strip() == "Fixed-1"
    monkeypatch.setenv("DDE_ITERATION", "From-Env")
    assert cli("iteration", "-m", str(manifest)) == 0
    assert capsys.readouterr().out.strip() == "From-Env"
    assert cli("iteration", "-m", str(manifest), "--iteration", "From-Option") == 0
    assert capsys.readouterr().out.strip() == "From-Option"


def test_github_output_gets_the_id(
    tmp_path: Path, cli: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "github_output"
    output.write_text("earlier=1\n")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert cli("iteration", "-m", str(write(tmp_path, "Fixed-1"))) == 0
    assert output.read_text() == "earlier=1\niteration=Fixed-1\n"


def test_a_bad_id_is_bad_input(
    tmp_path: Path, cli: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = write(tmp_path, "Fixed-1")
    assert cli("iteration", "-m", str(manifest), "--iteration", "../etc") == 2
    assert "iteration id '../etc' is not valid" in capsys.readouterr().err


def test_on_github_every_run_gets_its_own_id_and_a_rerun_keeps_it(
    tmp_path: Path, cli: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = write(tmp_path, "Iter-{date:%Y%m%d}-{seq:03}")  # the starter's template
    monkeypatch.setenv("GITHUB_ACTIONS", "true")

    def run_id(number: str, attempt: str) -> str:
        monkeypatch.setenv("GITHUB_RUN_NUMBER", number)
        monkeypatch.setenv("GITHUB_RUN_ATTEMPT", attempt)
        assert cli("iteration", "-m", str(manifest)) == 0
        return capsys.readouterr().out.strip()

    first, second, rerun = run_id("41", "1"), run_id("42", "1"), run_id("42", "2")
    assert re.fullmatch(r"Iter-\d{8}-041", first)
    assert second == first[:-3] + "042"
    assert rerun == second
