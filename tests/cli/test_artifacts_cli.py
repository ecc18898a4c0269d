"""``dde-ci artifacts search | prune | reindex``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dde_ci.cli.main import main
from dde_ci.layout import Layout
from dde_ci.stamping import stamp_artifacts


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    layout = Layout(tmp_path)
    (tmp_path / "dde.yaml").write_text("workflow: x\n")
    (tmp_path / "out.txt").write_text("x")
    for iteration in ("It-1", "It-2", "It-3"):
        stamp_artifacts(layout, iteration, "BE.Orders", ["out.txt"], capabilities=["Backend:Py"])
    stamp_artifacts(layout, "It-3", "FE.Shop", ["out.txt"], capabilities=["Frontend:JS"])
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_search_table_and_json(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["artifacts", "search", "--iteration", "It-3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "ITERATION",
        "NODE",
        "ARTIFACT",
        "SHA256",
        "SIZE",
        "CREATED",
        "STORED",
        "AT",
    ]
    assert len(lines) == 3
    assert main(["artifacts", "search", "--capability", "frontend", "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["node_id"] == "FE.Shop"
    assert row["stored_at"] == ".dde/artifacts/It-3/FE.Shop/out.txt"
    assert main(["artifacts", "search", "--node", "Nope"]) == 0
    assert capsys.readouterr().out == "no stamped artifacts match\n"


def test_prune_and_reindex(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["artifacts", "prune", "--keep-iterations", "1"]) == 0
    out = capsys.readouterr().out
    assert "archived It-1 -> .dde/archive/It-1.tar.gz" in out
    assert out.rstrip().endswith("kept 1 iteration(s): It-3")
    assert main(["artifacts", "reindex"]) == 0
    assert capsys.readouterr().out == "indexed 2 stamp(s)\n"
    assert main(["artifacts", "prune", "--keep-iterations", "0"]) == 2


def test_a_missing_manifest_is_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dde.yml").write_text("workflow: x\n")
    assert main(["artifacts", "search"]) == 2
    assert capsys.readouterr().err == (
        "error: manifest dde.yaml not found (did you mean 'dde.yml'?); "
        "pass --manifest PATH or run from the manifest's folder\n"
    )
    assert main(["stamp", "verify"]) == 2
    assert main(["log", "query"]) == 2
