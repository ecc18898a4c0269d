"""The artifact index: search stamped artifacts, and prune old iterations into archives.

The index is a SQLite file (``.dde/artifact-index.db``) with one row per stamp.
It is a cache: the stamps in ``.dde/artifacts/`` are the record, and
:func:`rebuild_index` makes the index again from them at any time (it is made
on first use when missing).

:func:`prune` keeps the newest ``N`` iterations and moves each older one into
``.dde/archive/{iteration}.tar.gz``; the archive is read back and compared
file by file before the iteration's folder is removed, so nothing is lost.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tarfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dde_ci.errors import InputError, Location, StateError

if TYPE_CHECKING:
    from dde_ci.layout import Layout
    from dde_ci.stamping import Stamp

INDEX_NAME = "artifact-index.db"
ARCHIVE_DIR = "archive"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stamps (
    iteration_id TEXT NOT NULL,
    node_id      TEXT NOT NULL,
    artifact     TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    size         INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    created_by   TEXT,
    commit_sha   TEXT,
    run_id       TEXT,
    capabilities TEXT NOT NULL,
    contracts    TEXT NOT NULL,
    stored_at    TEXT NOT NULL,
    stamp_path   TEXT NOT NULL,
    PRIMARY KEY (iteration_id, node_id, artifact)
);
CREATE INDEX IF NOT EXISTS stamps_node ON stamps (node_id);
"""


def index_path(layout: Layout) -> Path:
    return layout.dde_dir / INDEX_NAME


def archive_dir(layout: Layout) -> Path:
    return layout.dde_dir / ARCHIVE_DIR


@contextmanager
def _connect(layout: Layout) -> Iterator[sqlite3.Connection]:
    path = index_path(layout)
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA busy_timeout=30000")
        connection.executescript(_SCHEMA)
        yield connection
    finally:
        connection.close()


def _row(layout: Layout, stamp: Stamp) -> tuple[Any, ...]:
    pred = stamp.predicate
    created_by = pred.get("created_by") or {}
    return (
        stamp.iteration_id,
        stamp.node_id,
        stamp.artifact,
        stamp.sha256,
        int(pred.get("size", 0)),
        str(pred.get("created_at", "")),
        json.dumps(created_by, sort_keys=True),
        pred.get("commit"),
        pred.get("run_id"),
        json.dumps(pred.get("capabilities", [])),
        json.dumps(pred.get("consumed_contracts", [])),
        str(pred.get("stored_at", "")),
        stamp.stamp_path.resolve().relative_to(layout.root.resolve()).as_posix(),
    )


def _insert(connection: sqlite3.Connection, layout: Layout, stamps: Iterable[Stamp]) -> int:
    count = 0
    for stamp in stamps:
        connection.execute(
            "INSERT OR REPLACE INTO stamps VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", _row(layout, stamp)
        )
        count += 1
    return count


def index_stamps(layout: Layout, stamps: Iterable[Stamp]) -> int:
    """Add (or replace) stamps in the index; returns how many."""
    items = list(stamps)
    if not items:
        return 0
    with _connect(layout) as connection:
        connection.execute("BEGIN IMMEDIATE")
        try:
            count = _insert(connection, layout, items)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
    return count


@dataclass
class RebuildReport:
    indexed: int = 0
    problems: list[str] = field(default_factory=list)


def rebuild_index(layout: Layout) -> RebuildReport:
    """Make the index again from the stamp files (a broken stamp is reported and skipped)."""
    from dde_ci.stamping import load_stamp, stamp_files

    report = RebuildReport()
    stamps = []
    for path in stamp_files(layout):
        try:
            stamps.append(load_stamp(path))
        except InputError as exc:
            report.problems.append(str(exc))
    with _connect(layout) as connection:
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.execute("DELETE FROM stamps")
            report.indexed = _insert(connection, layout, stamps)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
    return report


def _ensure_index(layout: Layout) -> None:
    if not index_path(layout).exists():
        rebuild_index(layout)


def _capability_matches(wanted: str, have: str) -> bool:
    """``Backend`` matches ``Backend:Python:FastAPI``; matching is case-insensitive by parts."""
    want = [p.strip().lower() for p in wanted.split(":")]
    parts = [p.strip().lower() for p in have.split(":")]
    return parts[: len(want)] == want


def search(
    layout: Layout,
    *,
    iteration: str | None = None,
    node: str | None = None,
    capability: str | None = None,
) -> list[dict[str, Any]]:
    """Stamped artifacts matching every filter given, newest first, with metadata and path.

    ``capability`` matches a capability or any of its parents (``Backend``
    finds artifacts of ``Backend:Python:FastAPI`` nodes), case-insensitively.
    """
    _ensure_index(layout)
    where, args = [], []
    if iteration is not None:
        where.append("iteration_id = ?")
        args.append(iteration)
    if node is not None:
        where.append("node_id = ?")
        args.append(node)
    # only fixed column names are joined in; every value is a bound parameter
    sql = "SELECT * FROM stamps" + (" WHERE " + " AND ".join(where) if where else "")  # noqa: S608
    sql += " ORDER BY created_at DESC, iteration_id, node_id, artifact"
    with _connect(layout) as connection:
        connection.row_factory = sqlite3.Row
        rows = connection.execute(sql, args).fetchall()
    out = []
    for row in rows:
        capabilities = json.loads(row["capabilities"])
        if capability is not None and not any(
            _capability_matches(capability, c) for c in capabilities
        ):
            continue
        out.append(
            {
                "iteration_id": row["iteration_id"],
                "node_id": row["node_id"],
                "artifact": row["artifact"],
                "sha256": row["sha256"],
                "size": row["size"],
                "created_at": row["created_at"],
                "created_by": json.loads(row["created_by"] or "{}"),
                "commit": row["commit_sha"],
                "run_id": row["run_id"],
                "capabilities": capabilities,
                "consumed_contracts": json.loads(row["contracts"]),
                "stored_at": row["stored_at"],
                "stamp": row["stamp_path"],
            }
        )
    return out


# --- retention ------------------------------------------------------------------------------


@dataclass
class PruneReport:
    kept: list[str] = field(default_factory=list)
    archived: dict[str, str] = field(default_factory=dict)  # iteration -> archive path


def iterations_by_age(layout: Layout) -> list[str]:
    """Iterations in the store, newest first (by their newest stamp, then by folder time)."""
    base = layout.artifacts_dir
    if not base.is_dir():
        return []
    newest: dict[str, tuple[str, float]] = {}
    for folder in base.iterdir():
        if not folder.is_dir():
            continue
        latest = ""
        for stamp in folder.glob("*/*.intoto.json"):
            try:
                created = json.loads(stamp.read_text(encoding="utf-8"))["predicate"]["created_at"]
            except (OSError, ValueError, KeyError, TypeError):
                continue
            latest = max(latest, str(created))
        newest[folder.name] = (latest, folder.stat().st_mtime)
    return sorted(newest, key=lambda it: (newest[it], it), reverse=True)


def _archive_target(layout: Layout, iteration: str) -> Path:
    folder = archive_dir(layout)
    target = folder / f"{iteration}.tar.gz"
    number = 2
    while target.exists():
        target = folder / f"{iteration}.{number}.tar.gz"
        number += 1
    return target


def _files_under(folder: Path) -> dict[str, int]:
    return {
        p.relative_to(folder.parent).as_posix(): p.stat().st_size
        for p in folder.rglob("*")
        if p.is_file()
    }


def archive_iteration(layout: Layout, iteration: str) -> Path:
    """Write ``.dde/archive/{iteration}.tar.gz`` and check it holds every file; return it."""
    source = layout.artifacts_dir / iteration
    target = _archive_target(layout, iteration)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with tarfile.open(partial, "w:gz") as tar:
        tar.add(source, arcname=iteration, recursive=True)
    expected = _files_under(source)
    with tarfile.open(partial, "r:gz") as tar:
        found = {m.name: m.size for m in tar.getmembers() if m.isfile()}
    if found != expected:
        partial.unlink()
        raise StateError(
            f"archive of iteration {iteration!r} does not hold every file; nothing was removed",
            Location(str(target)),
        )
    partial.replace(target)
    return target


def prune(layout: Layout, keep_iterations: int) -> PruneReport:
    """Keep the newest ``keep_iterations`` iterations; archive and remove the rest."""
    if keep_iterations < 1:
        raise InputError("--keep-iterations must be at least 1")
    ordered = iterations_by_age(layout)
    report = PruneReport(kept=ordered[:keep_iterations])
    old = ordered[keep_iterations:]
    if not old:
        return report
    _ensure_index(layout)
    for iteration in old:
        target = archive_iteration(layout, iteration)
        with _connect(layout) as connection:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("DELETE FROM stamps WHERE iteration_id=?", (iteration,))
            connection.execute("COMMIT")
        shutil.rmtree(layout.artifacts_dir / iteration)
        report.archived[iteration] = target.relative_to(layout.root).as_posix()
    return report
