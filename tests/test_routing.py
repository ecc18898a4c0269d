"""Capability routing."""

from __future__ import annotations

from pathlib import Path

import pytest

from dde_ci.manifest.loader import load_manifest_text
from dde_ci.manifest.models import Agent, Capability
from dde_ci.routing import Unroutable, rank_workers, route_runner, satisfies


def cap(text: str, proficiency: int | None = None) -> Capability:
    return Capability(name=text, proficiency=proficiency)


@pytest.mark.parametrize(
    ("offer", "need", "ok"),
    [
        ("backend:python:fastapi", "Backend:Python", True),
        ("Backend:Python", "backend:python", True),
        ("backend", "backend:python", False),
        ("backend:pythonic", "backend:python", False),
        ("frontend:python", "backend:python", False),
    ],
)
def test_hierarchical_case_insensitive(offer: str, need: str, ok: bool) -> None:
    assert satisfies(cap(offer), cap(need)) is ok


def test_proficiency_minimum() -> None:
    assert satisfies(cap("qa", 3), cap("qa", 3))
    assert not satisfies(cap("qa", 2), cap("qa", 3))
    assert satisfies(cap("qa"), cap("qa", 3))  # offers default to 3


def test_most_specific_then_most_proficient_then_first() -> None:
    generic = Agent(id="generic", capabilities=[cap("backend:python", 5)])
    specific = Agent(id="specific", capabilities=[cap("backend:python:fastapi", 2)])
    strong = Agent(id="strong", capabilities=[cap("backend:python:fastapi", 4)])
    twin = Agent(id="twin", capabilities=[cap("backend:python:fastapi", 4)])
    ranked = rank_workers([cap("backend:python")], [generic, specific, strong, twin])
    assert [w.id for w, _ in ranked] == ["strong", "twin", "specific", "generic"]
    assert rank_workers([cap("frontend")], [generic]) == []


def test_route_runner(tmp_path: Path) -> None:
    text = """\
workflow: w
runners:
  - {name: py, labels: [self-hosted, py], capabilities: ["Backend:Python:Django"]}
  - {name: api, labels: [self-hosted, api], capabilities: ["Backend:Python:FastAPI:Async"]}
nodes:
  - {id: A, type: test, capabilities: ["backend:python"]}
  - {id: B, type: test, runs_on: [ubuntu-latest]}
  - {id: C, type: test}
"""
    manifest = load_manifest_text(text, tmp_path / "dde.yaml")
    assert route_runner(manifest, manifest.node("A")).labels == ["self-hosted", "api"]
    assert route_runner(manifest, manifest.node("B")).labels == ["ubuntu-latest"]
    assert route_runner(manifest, manifest.node("C")).runner == "py"


def test_unroutable_without_runners(tmp_path: Path) -> None:
    manifest = load_manifest_text(
        "workflow: w\nnodes:\n  - {id: A, type: test}\n", tmp_path / "dde.yaml"
    )
    with pytest.raises(Unroutable, match="declares no 'runners'"):
        route_runner(manifest, manifest.node("A"))
