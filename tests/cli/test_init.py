"""``dde-ci init``: a starter plan that validates, runs and passes its audit as it is."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dde_ci.cli.init import STARTER_FILES, starter_text
from tests.conftest import run_cli


def test_the_starter_validates_runs_and_passes_its_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "greeter"
    assert run_cli("init", str(folder)) == 0
    out = capsys.readouterr().out
    for name in STARTER_FILES:
        assert (folder / name).read_text("utf-8") == starter_text(name)
        assert f"wrote {folder / name}" in out
    assert f"next: dde-ci validate -m {folder / 'dde.yaml'}" in out
    manifest = str(folder / "dde.yaml")
    assert run_cli("validate", "-m", manifest, "--strict") == 0
    assert run_cli("gate", "check", str(folder / "gates.yaml")) == 0
    monkeypatch.chdir(folder)  # what a user does next, in the new folder
    assert run_cli("run", "--no-progress", "--iteration", "Iter-S-001") == 0
    assert run_cli("audit", "--iteration", "Iter-S-001") == 0
    assert "audit Iter-S-001: PASS, score 100% (4/4 nodes completed)" in capsys.readouterr().out
    assert (folder / "build/deployed/greeting.json").is_file()


def test_existing_files_are_never_overwritten_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "gates.yaml").write_text("mine\n")
    assert run_cli("init", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'gates.yaml'}: already exists; nothing was written" in err
    assert "Traceback" not in err
    assert (tmp_path / "gates.yaml").read_text() == "mine\n"
    assert not (tmp_path / "dde.yaml").exists()  # nothing at all was written
    assert run_cli("init", str(tmp_path), "--force") == 0
    assert (tmp_path / "gates.yaml").read_text("utf-8") == starter_text("gates.yaml")


def test_a_symlink_is_not_written_through_even_with_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("keep\n")
    project = tmp_path / "p"
    project.mkdir()
    os.symlink(outside, project / "dde.yaml")
    assert run_cli("init", str(project), "--force") == 2
    assert "is not a regular file; nothing is written" in capsys.readouterr().err
    assert outside.read_text() == "keep\n"


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("init", "--help") == 0
    out = capsys.readouterr().out
    assert "Examples:" in out and "--force" in out and "dde-ci run" in out
