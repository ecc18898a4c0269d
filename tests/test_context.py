from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from dde_ci.context import build_context
from dde_ci.errors import NotFound
from dde_ci.layout import Layout
from dde_ci.node import run_node_step
from dde_ci.schemas import schema
from tests.conftest import run_cli
from tests.runner.project import load, make_step

MANIFEST = """
workflow: t
iteration: it1
nodes:
  - id: DB
    type: implementation
    run: |
      mkdir -p build && echo sql > build/db.sql
      echo "schema=build/db.sql" >> "$DDE_OUTPUT"
    artifacts: [build/db.sql]
  - id: BE
    type: implementation
    depends_on: [DB]
    acceptance_criteria: [Orders can be created.]
    estimated_effort: 90
    run: cat "$DDE_CONTEXT" > seen.json
"""


def test_context_carries_dependency_outputs_and_artifacts(tmp_path: Path) -> None:
    manifest = load(tmp_path, MANIFEST)
    assert run_node_step(make_step(manifest, "DB")).ok
    step = make_step(manifest, "BE")
    step.agent_id = "backend-dev"
    assert run_node_step(step).ok
    seen = json.loads((tmp_path / "seen.json").read_text())
    written = json.loads((tmp_path / "reports/it1/BE/context.json").read_text())
    assert seen == written
    jsonschema.validate(seen, schema("context"))
    assert seen["iteration_id"] == "it1"
    assert seen["node_id"] == "BE"
    assert seen["agent_id"] == "backend-dev"
    assert seen["acceptance_criteria"] == ["Orders can be created."]
    assert seen["estimated_effort"] == 90
    assert seen["depends_on_outputs"] == {
        "DB": {
            "status": "COMPLETED",
            "outputs": {"schema": "build/db.sql"},
            "artifacts": [
                {"path": "build/db.sql", "location": str(tmp_path.resolve() / "build/db.sql")}
            ],
        }
    }


def test_missing_dependency_result_is_marked(tmp_path: Path) -> None:
    manifest = load(tmp_path, MANIFEST)
    context = build_context(manifest, "BE", Layout(manifest.root), iteration_id="it1")
    assert context["depends_on_outputs"]["DB"] == {
        "status": "MISSING",
        "outputs": {},
        "artifacts": [],
    }
    jsonschema.validate(context, schema("context"))


def test_unknown_node_suggests_a_name(tmp_path: Path) -> None:
    manifest = load(tmp_path, MANIFEST)
    with pytest.raises(NotFound, match=r"no node 'BEE' .*did you mean 'BE'"):
        build_context(manifest, "BEE", Layout(manifest.root), iteration_id="it1")


def test_context_command_prints_and_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = load(tmp_path, MANIFEST)
    code = run_cli("context", "BE", "-m", str(manifest.path), "--iteration", "it9", "--agent", "a1")
    out, err = capsys.readouterr()
    assert code == 0
    printed = json.loads(out)
    assert printed["iteration_id"] == "it9" and printed["agent_id"] == "a1"
    assert json.loads((tmp_path / "reports/it9/BE/context.json").read_text()) == printed
    assert "context.json" in err


def test_context_command_unknown_node_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = load(tmp_path, MANIFEST)
    assert run_cli("context", "XX", "-m", str(manifest.path)) == 2
    assert "no node 'XX'" in capsys.readouterr().err
