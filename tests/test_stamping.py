"""Stamping: stored copies, in-toto statements, the node-step hook, verification."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import jsonschema
import pytest

from dde_ci.errors import InputError, NotFound
from dde_ci.layout import Layout
from dde_ci.log import ExecutionLog, read_log
from dde_ci.manifest.loader import load_manifest_text
from dde_ci.manifest.models import Manifest
from dde_ci.results import NodeRun
from dde_ci.schemas import schema
from dde_ci.stamping import (
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    hash_file,
    load_stamp,
    stamp_artifacts,
    stamp_by_hand,
    stamp_file_name,
    stamp_node_artifacts,
    verify_stamps,
)

MANIFEST = """\
version: "1"
workflow: demo
iteration: It-1
agents:
  - id: backend-dev
    capabilities: ["Backend:Python:FastAPI"]
nodes:
  - id: BE.Orders
    type: implementation
    capabilities: ["Backend:Python:FastAPI"]
    artifacts: [build/app.txt, dist, "reports/*.xml", "missing/*.whl"]
"""


def make_project(tmp_path: Path) -> tuple[Manifest, Layout]:
    (tmp_path / "dde.yaml").write_text(MANIFEST)
    manifest = load_manifest_text(MANIFEST, tmp_path / "dde.yaml")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "app.txt").write_text("app v1\n")
    (tmp_path / "dist" / "pkg").mkdir(parents=True)
    (tmp_path / "dist" / "pkg" / "a.whl").write_bytes(b"\x00wheel")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "junit.xml").write_text("<testsuite/>")
    return manifest, Layout(tmp_path)


def make_step(manifest: Manifest, layout: Layout) -> NodeRun:
    log = ExecutionLog(layout.execution_log("It-1"), "It-1", "run-7")
    return NodeRun(
        manifest=manifest,
        node=manifest.node("BE.Orders"),
        iteration_id="It-1",
        run_id="run-7",
        layout=layout,
        log=log,
        agent_id="backend-dev",
        commit="0123456789abcdef0123456789abcdef01234567",
        attempt=2,
    )


def test_stamp_node_artifacts_copies_stamps_logs_and_reports_unmatched(tmp_path: Path) -> None:
    manifest, layout = make_project(tmp_path)
    context = layout.context_file("It-1", "BE.Orders")
    context.parent.mkdir(parents=True)
    context.write_text(
        json.dumps(
            {
                "locked_contracts": [
                    {
                        "name": "orders-api",
                        "version": "1.2.0",
                        "digest": "sha256:ab",
                        "location": "x",
                    },
                    {"name": "db", "version": "2", "digest": "sha256:cd", "role": "produces"},
                ]
            }
        )
    )
    step = make_step(manifest, layout)
    result = stamp_node_artifacts(step)

    assert result.artifacts == ["build/app.txt", "dist/pkg/a.whl", "reports/junit.xml"]
    assert result.unmatched == ["missing/*.whl"]
    assert result.warnings == ["artifact pattern 'missing/*.whl' matched no file"]

    node_dir = tmp_path / ".dde" / "artifacts" / "It-1" / "BE.Orders"
    assert (node_dir / "build" / "app.txt").read_text() == "app v1\n"
    assert (tmp_path / "build" / "app.txt").exists()  # original left in place
    stamp_path = node_dir / "build%2Fapp.txt.intoto.json"
    statement = json.loads(stamp_path.read_text())
    jsonschema.validate(statement, schema("stamp"))
    assert statement["_type"] == STATEMENT_TYPE
    assert statement["predicateType"] == PREDICATE_TYPE
    assert statement["subject"] == [
        {"name": "build/app.txt", "digest": {"sha256": hashlib.sha256(b"app v1\n").hexdigest()}}
    ]
    predicate = statement["predicate"]
    assert predicate["iteration_id"] == "It-1"
    assert predicate["node_id"] == "BE.Orders"
    assert predicate["capabilities"] == ["Backend:Python:FastAPI"]
    assert predicate["consumed_contracts"] == [
        {"name": "orders-api", "version": "1.2.0", "digest": "sha256:ab"}
    ]
    assert predicate["created_by"] == {"kind": "agent", "id": "backend-dev"}
    assert predicate["commit"] == "0123456789abcdef0123456789abcdef01234567"
    assert predicate["run_id"] == "run-7"
    assert predicate["stored_at"] == ".dde/artifacts/It-1/BE.Orders/build/app.txt"
    assert predicate["size"] == 7

    events = read_log(layout.execution_log("It-1"))
    assert events.problems == []
    stamped = [e for e in events.events if e["event_type"] == "artifact.stamped"]
    assert [e["details"]["artifact"] for e in stamped] == result.artifacts
    assert stamped[0]["attempt"] == 2 and stamped[0]["agent_id"] == "backend-dev"
    assert verify_stamps(layout).ok


def test_verify_detects_modified_and_missing_copies(tmp_path: Path) -> None:
    manifest, layout = make_project(tmp_path)
    stamp_node_artifacts(make_step(manifest, layout))
    node_dir = tmp_path / ".dde" / "artifacts" / "It-1" / "BE.Orders"
    (node_dir / "build" / "app.txt").write_text("app v2\n")
    (node_dir / "reports" / "junit.xml").unlink()
    report = verify_stamps(layout, "It-1")
    assert report.checked == 3
    messages = sorted(d.message for d in report.findings)
    assert messages[0].startswith("artifact 'build/app.txt' was modified after stamping: sha256 is")
    assert messages[1] == "stored artifact 'reports/junit.xml' is missing"


def test_verify_checks_originals_only_when_asked(tmp_path: Path) -> None:
    manifest, layout = make_project(tmp_path)
    stamp_node_artifacts(make_step(manifest, layout))
    (tmp_path / "build" / "app.txt").write_text("rebuilt\n")
    assert verify_stamps(layout).ok
    report = verify_stamps(layout, originals=True)
    assert len(report.findings) == 1
    assert "in the working tree no longer matches" in report.findings[0].message


def test_verify_reports_a_broken_or_moved_stamp(tmp_path: Path) -> None:
    manifest, layout = make_project(tmp_path)
    stamp_node_artifacts(make_step(manifest, layout))
    node_dir = tmp_path / ".dde" / "artifacts" / "It-1" / "BE.Orders"
    stamp = node_dir / stamp_file_name("build/app.txt")
    data = json.loads(stamp.read_text())
    data["subject"][0]["digest"]["sha256"] = "zz"
    stamp.write_text(json.dumps(data))
    findings = verify_stamps(layout).findings
    assert len(findings) == 1
    assert "does not match the stamp schema at /subject/0/digest/sha256" in findings[0].message
    with pytest.raises(NotFound):
        verify_stamps(layout, "It-404")


def test_stamp_by_hand_takes_files_and_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest, layout = make_project(tmp_path)
    monkeypatch.chdir(tmp_path / "build")
    stamps = stamp_by_hand(manifest, layout, "It-2", "BE.Orders", ["app.txt", "../dist"])
    assert [s.artifact for s in stamps] == ["build/app.txt", "dist/pkg/a.whl"]
    assert stamps[0].predicate["created_by"] == {"kind": "person", "id": None}
    assert load_stamp(stamps[1].stamp_path).sha256 == hash_file(tmp_path / "dist/pkg/a.whl")
    with pytest.raises(NotFound, match=r"did you mean .BE\.Orders."):
        stamp_by_hand(manifest, layout, "It-2", "BE.Order", ["app.txt"])
    with pytest.raises(InputError, match="outside the project"):
        stamp_by_hand(manifest, layout, "It-2", "BE.Orders", ["/etc/hostname"])
    with pytest.raises(NotFound, match="does not exist"):
        stamp_by_hand(manifest, layout, "It-2", "BE.Orders", ["nope.txt"])


def test_artifacts_cannot_escape_the_project(tmp_path: Path) -> None:
    _, layout = make_project(tmp_path)
    with pytest.raises(InputError, match="inside the project"):
        stamp_artifacts(layout, "It-1", "BE.Orders", ["../outside.txt"])
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    outside.write_text("x")
    (tmp_path / "build" / "link.txt").symlink_to(outside)
    with pytest.raises(InputError, match="resolves outside the project"):
        stamp_artifacts(layout, "It-1", "BE.Orders", ["build/link.txt"])


def test_hash_file_matches_hashlib_on_a_multi_chunk_file(tmp_path: Path) -> None:
    data = bytes(range(256)) * 20_000  # 5 MB, several 1 MiB chunks
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    assert hash_file(path) == hashlib.sha256(data).hexdigest()
    _, layout = make_project(tmp_path)
    (stamp,) = stamp_artifacts(layout, "It-1", "BE.Orders", ["big.bin"])
    assert stamp.sha256 == hashlib.sha256(data).hexdigest()
    assert stamp.stored_path.read_bytes() == data


def test_commit_is_read_from_git_when_the_step_does_not_know_it(tmp_path: Path) -> None:
    import subprocess

    manifest, layout = make_project(tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "add", "dde.yaml"], cwd=tmp_path, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "[BE.Orders] m"], cwd=tmp_path, check=True)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.strip()
    step = dataclasses.replace(make_step(manifest, layout), commit=None)
    result = stamp_node_artifacts(step)
    assert {s.predicate["commit"] for s in result.stamps} == {head}


def test_long_paths_get_a_hashed_stamp_name(tmp_path: Path) -> None:
    _, layout = make_project(tmp_path)
    deep = tmp_path / ("d" * 60) / ("e" * 60) / ("f" * 60)
    deep.mkdir(parents=True)
    (deep / "artifact.txt").write_text("x")
    rel = (deep / "artifact.txt").relative_to(tmp_path).as_posix()
    (stamp,) = stamp_artifacts(layout, "It-1", "BE.Orders", ["./" + rel])
    assert stamp.artifact == rel
    assert stamp.stamp_path.name.startswith("sha256-")
    assert stamp_file_name(rel) == stamp.stamp_path.name
    assert verify_stamps(layout).ok
