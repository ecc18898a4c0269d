"""What an audit reads, before any rule: each file once, each problem kept, nothing raised."""

from __future__ import annotations

from pathlib import Path

import pytest

from dde_ci.audit.reading import read_as_built
from dde_ci.manifest.loader import load_manifest
from tests.audit.builder import ARTIFACTS, ORDER, Project, sha, write_json


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path).clean()


def test_a_clean_iteration_is_read_whole(project: Project) -> None:
    built = read_as_built(load_manifest(project.manifest), project.iteration)

    assert built.log is not None and built.log.problems == []
    assert set(built.log.timeline.nodes) == set(ORDER)
    assert list(built.nodes) == ORDER
    for node, files in built.nodes.items():
        assert files.result.ok and files.result.data["status"] == "COMPLETED"
        assert files.gates.missing == (node != "DB.Schema")
        # contract records only for the consumer, stored artifacts only where declared
        assert (files.contracts is not None) == (node == "BE.Orders")
        assert (files.context is not None) == (node == "BE.Orders")
        assert (files.artifacts is not None) == (node in ARTIFACTS)
    backend = built.nodes["BE.Orders"].artifacts
    assert backend is not None
    assert backend.subjects == {n: sha(d) for n, d in ARTIFACTS["BE.Orders"].items()}
    assert backend.stored == backend.subjects and backend.invalid == []
    assert built.unplanned_folders == {}


def test_broken_records_are_kept_with_their_problem(project: Project) -> None:
    (project.node_dir("DB.Schema") / "gates.json").write_text("{", encoding="utf-8")
    (project.store("BE.Orders") / "build/backend/app.py").unlink()
    with project.log.open("ab") as handle:
        handle.write(b"{torn")

    built = read_as_built(load_manifest(project.manifest), project.iteration)

    assert built.log is not None and len(built.log.problems) == 1
    gates = built.nodes["DB.Schema"].gates
    assert not gates.ok and not gates.missing and "not valid JSON" in str(gates.problem)
    backend = built.nodes["BE.Orders"].artifacts
    assert backend is not None and backend.stored["build/backend/app.py"] is None


def test_no_log_and_stray_folders(project: Project) -> None:
    project.log.unlink()
    write_json(project.node_dir("HAND.Made") / "result.json", {"status": "COMPLETED"})
    (project.node_dir("empty")).mkdir()

    built = read_as_built(load_manifest(project.manifest), project.iteration)

    assert built.log is None
    assert built.unplanned_folders == {"HAND.Made": str(project.node_dir("HAND.Made"))}
