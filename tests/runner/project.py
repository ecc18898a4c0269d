"""Small real projects (a manifest in a temporary folder) for the runner tests."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from dde_ci.layout import Layout
from dde_ci.log import ExecutionLog, read_log
from dde_ci.manifest.loader import load_manifest
from dde_ci.manifest.models import Manifest
from dde_ci.node import NodeStep


def write_manifest(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "dde.yaml"
    path.write_text(textwrap.dedent(text), "utf-8")
    return path


def load(folder: Path, text: str) -> Manifest:
    return load_manifest(write_manifest(folder, text))


def chain_manifest(folder: Path, nodes: dict[str, tuple[list[str], str]], **extra: Any) -> Manifest:
    """A manifest from ``{id: (depends_on, run)}`` (written as JSON, which is YAML)."""
    data: dict[str, Any] = {
        "workflow": "t",
        "iteration": "it1",
        **extra,
        "nodes": [
            {"id": n, "type": "implementation", "depends_on": deps, "run": run}
            for n, (deps, run) in nodes.items()
        ],
    }
    return load(folder, json.dumps(data))


def make_step(manifest: Manifest, node_id: str, *, iteration: str = "it1") -> NodeStep:
    layout = Layout(manifest.root)
    log = ExecutionLog(layout.execution_log(iteration), iteration, "run-1")
    return NodeStep(manifest, manifest.node(node_id), iteration, "run-1", layout, log)


def events(manifest: Manifest, iteration: str = "it1") -> list[dict[str, Any]]:
    contents = read_log(Layout(manifest.root).execution_log(iteration))
    assert contents.problems == []
    return contents.events
