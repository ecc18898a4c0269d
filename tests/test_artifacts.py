"""The artifact index: search, rebuild from stamps, prune into archives."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from dde_ci.artifacts import index_path, iterations_by_age, prune, rebuild_index, search
from dde_ci.errors import InputError
from dde_ci.layout import Layout
from dde_ci.stamping import stamp_artifacts, verify_stamps


def populate(tmp_path: Path, iterations: list[str]) -> Layout:
    layout = Layout(tmp_path)
    (tmp_path / "out").mkdir()
    for n, iteration in enumerate(iterations):
        (tmp_path / "out" / "api.yaml").write_text(f"api {n}\n")
        (tmp_path / "out" / "app.bin").write_bytes(bytes([n]) * 1000)
        stamp_artifacts(
            layout, iteration, "API.Orders", ["out/api.yaml"], capabilities=["Contracts:OpenAPI"]
        )
        stamp_artifacts(
            layout,
            iteration,
            "BE.Orders",
            ["out/app.bin"],
            capabilities=["Backend:Python:FastAPI", "Backend:Python:SQL"],
        )
    return layout


def test_search_filters_by_iteration_node_and_capability(tmp_path: Path) -> None:
    layout = populate(tmp_path, ["It-1", "It-2"])
    assert len(search(layout)) == 4
    found = search(layout, iteration="It-2", node="BE.Orders")
    assert len(found) == 1
    row = found[0]
    assert row["artifact"] == "out/app.bin"
    assert row["stored_at"] == ".dde/artifacts/It-2/BE.Orders/out/app.bin"
    assert row["stamp"] == ".dde/artifacts/It-2/BE.Orders/out%2Fapp.bin.intoto.json"
    assert row["size"] == 1000
    assert {r["node_id"] for r in search(layout, capability="backend")} == {"BE.Orders"}
    assert len(search(layout, capability="Backend:Python:SQL")) == 2
    assert search(layout, capability="Backend:Py") == []
    assert search(layout, node="Nope") == []
    assert [r["iteration_id"] for r in search(layout, node="API.Orders")] == ["It-2", "It-1"]


def test_index_is_rebuilt_from_the_stamps(tmp_path: Path) -> None:
    layout = populate(tmp_path, ["It-1", "It-2"])
    before = search(layout)
    index_path(layout).unlink()
    for suffix in ("-wal", "-shm"):
        Path(str(index_path(layout)) + suffix).unlink(missing_ok=True)
    assert search(layout) == before  # made again on first use
    report = rebuild_index(layout)
    assert report.indexed == 4 and report.problems == []
    assert search(layout) == before


def test_prune_archives_old_iterations_and_keeps_the_rest(tmp_path: Path) -> None:
    layout = populate(tmp_path, ["It-1", "It-2", "It-3"])
    assert iterations_by_age(layout) == ["It-3", "It-2", "It-1"]
    old_files = sorted(
        p.relative_to(layout.artifacts_dir).as_posix()
        for p in (layout.artifacts_dir / "It-1").rglob("*")
        if p.is_file()
    )
    report = prune(layout, keep_iterations=2)
    assert report.kept == ["It-3", "It-2"]
    assert report.archived == {"It-1": ".dde/archive/It-1.tar.gz"}
    assert not (layout.artifacts_dir / "It-1").exists()
    with tarfile.open(tmp_path / ".dde" / "archive" / "It-1.tar.gz", "r:gz") as tar:
        assert sorted(m.name for m in tar.getmembers() if m.isfile()) == old_files
    assert {r["iteration_id"] for r in search(layout)} == {"It-2", "It-3"}
    assert verify_stamps(layout).ok and verify_stamps(layout).checked == 4
    assert prune(layout, keep_iterations=2).archived == {}
    with pytest.raises(InputError):
        prune(layout, keep_iterations=0)
