"""What an audit reads: the execution log, every planned node's records, the artifact store.

This module only reads; the rules that judge what it read are
:mod:`dde_ci.audit.check`'s.  Nothing here raises for a missing or broken file:
each record keeps its problem (see :class:`~dde_ci.audit.records.Record`), the
log keeps its bad lines, and the rules turn them into violations.

Tens of thousands of small files are read per audit, so paths are plain
'/'-joined strings: a ``Path`` object per file would cost more than reading it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dde_ci.audit.artifacts import StoredArtifacts, read_artifacts
from dde_ci.audit.records import Record, read_record
from dde_ci.audit.timeline import Timeline, build_timeline
from dde_ci.errors import Diagnostic
from dde_ci.layout import Layout
from dde_ci.log import iter_events

if TYPE_CHECKING:
    from dde_ci.manifest.models import Manifest


@dataclass(slots=True)
class NodeFiles:
    """The records a planned node left (a node that did not complete has fewer)."""

    result: Record
    gates: Record
    artifacts: StoredArtifacts | None = None  # when it declares artifacts
    contracts: Record | None = None  # when it consumes contracts
    context: Record | None = None


@dataclass(slots=True)
class LogFindings:
    """The execution log as the audit keeps it: its bad lines and its timeline."""

    problems: list[Diagnostic]
    timeline: Timeline


@dataclass(slots=True)
class AsBuilt:
    """Everything an audit of one iteration reads from disk, before any rule."""

    log_path: Path
    log: LogFindings | None  # None: there is no log
    nodes: dict[str, NodeFiles] = field(default_factory=dict)  # every planned node
    # folders under reports/{iteration}/ of nodes the manifest does not plan, which hold a
    # result.json or a context.json: name -> folder
    unplanned_folders: dict[str, str] = field(default_factory=dict)


def read_as_built(manifest: Manifest, iteration_id: str) -> AsBuilt:
    """Read the log of ``iteration_id``, every planned node's records and the artifact
    store (each stamp, and the digests of the stored copies it names)."""
    layout = Layout(manifest.root)
    log_path = layout.execution_log(iteration_id)
    found = AsBuilt(log_path, read_log_findings(log_path, iteration_id))
    it_dir = os.fspath(layout.iteration_dir(iteration_id))
    store = os.fspath(layout.artifacts_dir / iteration_id)
    root = os.fspath(manifest.root)
    for node in manifest.nodes:
        node_dir = f"{it_dir}/{node.id}"
        files = found.nodes[node.id] = NodeFiles(
            read_record(f"{node_dir}/result.json"), read_record(f"{node_dir}/gates.json")
        )
        if node.consumes:
            files.contracts = read_record(f"{node_dir}/contracts.json")
            files.context = read_record(f"{node_dir}/context.json")
        if node.artifacts:
            files.artifacts = read_artifacts(f"{store}/{node.id}", root, iteration_id, node.id)
    found.unplanned_folders = _unplanned_folders(it_dir, {node.id for node in manifest.nodes})
    return found


def read_log_findings(path: Path, iteration_id: str) -> LogFindings | None:
    """The log's bad lines and its timeline; None when there is no log.

    One event at a time: the timeline is all that is kept (100,000 events held
    at once would take 200 MB).
    """
    if not path.exists():
        return None
    problems: list[Diagnostic] = []
    return LogFindings(problems, build_timeline(iter_events(path, problems), iteration_id))


def _unplanned_folders(it_dir: str, planned: set[str]) -> dict[str, str]:
    try:
        with os.scandir(it_dir) as entries:
            others = [Path(e.path) for e in entries if e.name not in planned]
    except OSError:
        return {}
    return {
        folder.name: str(folder)
        for folder in others
        if (folder / "result.json").is_file() or (folder / "context.json").is_file()
    }
