"""A node's context: everything it is given, as one JSON file named by ``DDE_CONTEXT``.

::

    {
      "iteration_id": "Iter-20261127-001",
      "run_id": "r20261127T135501-3f9a1c",
      "node_id": "BE.Orders",
      "node_type": "implementation",
      "name": "Orders service",
      "agent_id": "backend-dev",
      "root": "/abs/path/of/the/manifest/folder",
      "depends_on_outputs": {
        "DB.Schema": {"status": "COMPLETED", "outputs": {"schema": "shop.sql"},
                      "artifacts": [{"path": "build/db/shop.sql", "location": "/abs/..."}]}
      },
      "locked_contracts": [{"name": ..., "version": ..., "digest": ..., "location": ...}],
      "quality_gates": [{"name": ..., "phase": ..., "threshold": ..., "severity": ...}],
      "acceptance_criteria": ["..."],
      "estimated_effort": 240
    }

Dependency outputs come from the ``result.json`` files the dependencies'
node steps left, so the context is the same in a GitHub job and locally.
The JSON Schema is ``schemas/context.schema.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dde_ci.errors import NotFound, did_you_mean
from dde_ci.files import write_text_atomic

if TYPE_CHECKING:
    from dde_ci.layout import Layout
    from dde_ci.manifest.models import Manifest, Node


def build_context(
    manifest: Manifest,
    node_id: str,
    layout: Layout,
    *,
    iteration_id: str,
    run_id: str | None = None,
    agent_id: str | None = None,
) -> dict[str, Any]:
    """The context of ``node_id`` from the manifest and the files its dependencies left."""
    node = find_node(manifest, node_id)
    dependencies = dependencies_of(manifest).get(node.id, [])
    return {
        "iteration_id": iteration_id,
        "run_id": run_id,
        "node_id": node.id,
        "node_type": node.type.value,
        "name": node.title,
        "agent_id": agent_id,
        "root": str(layout.root),
        "depends_on_outputs": {
            dep: dependency_outputs(layout, iteration_id, dep) for dep in sorted(set(dependencies))
        },
        "locked_contracts": locked_contracts(manifest, node, layout),
        "quality_gates": quality_gates(manifest, node),
        "acceptance_criteria": list(node.acceptance_criteria),
        "estimated_effort": node.estimated_effort,
    }


_EDGES: dict[int, tuple[Manifest, dict[str, list[str]]]] = {}


def dependencies_of(manifest: Manifest) -> dict[str, list[str]]:
    """Each node's direct dependencies (explicit and through contracts), computed once."""
    from dde_ci.graph import manifest_edges

    cached = _EDGES.get(id(manifest))
    if cached is None or cached[0] is not manifest:
        cached = (manifest, manifest_edges(manifest))
        _EDGES.clear()  # one manifest at a time is the common case; keep memory flat
        _EDGES[id(manifest)] = cached
    return cached[1]


def find_node(manifest: Manifest, node_id: str) -> Node:
    if not manifest.has_node(node_id):
        raise NotFound(
            f"no node {node_id!r} in {manifest.path}{did_you_mean(node_id, manifest.node_ids)}"
        )
    return manifest.node(node_id)


def dependency_outputs(layout: Layout, iteration_id: str, node_id: str) -> dict[str, Any]:
    """A dependency's status, outputs and artifacts (with absolute locations) from result.json."""
    from dde_ci.results import read_result

    result = read_result(layout, iteration_id, node_id)
    if result is None:
        return {"status": "MISSING", "outputs": {}, "artifacts": []}
    outputs = result.get("outputs")
    artifacts = result.get("artifacts")
    return {
        "status": str(result.get("status", "MISSING")),
        "outputs": dict(outputs) if isinstance(outputs, dict) else {},
        "artifacts": [
            {"path": str(rel), "location": str(layout.root / str(rel))}
            for rel in (artifacts if isinstance(artifacts, list) else [])
        ],
    }


def locked_contracts(manifest: Manifest, node: Node, layout: Layout) -> list[dict[str, Any]]:
    """Locked contracts the node produces or consumes: name, version, digest, location."""
    from dde_ci.contracts.registry import context_entries

    return list(context_entries(manifest, node, layout))


def quality_gates(manifest: Manifest, node: Node) -> list[dict[str, Any]]:
    """Gates attached to the node: name, phase, threshold, severity."""
    from dde_ci.gates import context_entries

    return list(context_entries(manifest, node))


def write_context(context: dict[str, Any], path: Path) -> Path:
    """Write the context whole (a temporary file renamed over ``path``); return its path."""
    write_text_atomic(path, context_json(context) + "\n")
    return path


def context_json(context: dict[str, Any]) -> str:
    return json.dumps(context, indent=2, allow_nan=False, ensure_ascii=False)
