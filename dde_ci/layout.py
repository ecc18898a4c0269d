"""Where things live on disk: the files that connect the steps (see DESIGN.md).

::

    reports/{iteration}/execution.log         JSON lines, append-only
    reports/{iteration}/{node}/context.json   what the node was given
    reports/{iteration}/{node}/gates.json     gate results
    reports/{iteration}/{node}/result.json    the node step's outcome
    reports/{iteration}/audit.json, audit.md  the audit
    .dde/contracts/{domain}/{name}/{version}/ locked contract + metadata
    .dde/artifacts/{iteration}/{node}/...     stamped artifacts + stamps
    .dde/state.db                             local runner state

Every path that comes from a manifest goes through :func:`inside`, so nothing
a manifest says can make dde-ci read or write outside the project folder.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from dde_ci.errors import InputError, Location

_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\Z")


def is_relative_inside(rel: str) -> bool:
    """True when ``rel`` is a relative path (or glob) that cannot leave its folder."""
    # as PurePosixPath(rel) reads it (absolute: a leading '/'; parts keep every '..'), on
    # the string: the manifest checks and the audit call this once per path, 10,000s of times
    if not rel or "\0" in rel or "\\" in rel or rel.startswith(("/", "~")):
        return False
    return ".." not in rel.split("/")


def inside(root: Path, rel: str, *, what: str = "path", location: Location | None = None) -> Path:
    """``root / rel``, refusing anything that would resolve outside ``root`` (symlinks too)."""
    if not is_relative_inside(rel):
        raise InputError(f"{what} {rel!r} must be a relative path inside the project", location)
    base = root.resolve()
    target = (base / rel).resolve()
    if target != base and base not in target.parents:
        raise InputError(f"{what} {rel!r} resolves outside the project ({target})", location)
    return target


def segment(value: str, what: str) -> str:
    """Check that ``value`` is safe as one path segment (ids, versions)."""
    if not _SAFE_SEGMENT.match(value) or value in {".", ".."}:
        raise InputError(f"{what} {value!r} is not usable as a file name")
    return value


@dataclass(frozen=True)
class Layout:
    """The project's folders, rooted at the manifest's folder."""

    root: Path

    @property
    def dde_dir(self) -> Path:
        return self.root / ".dde"

    @property
    def state_db(self) -> Path:
        return self.dde_dir / "state.db"

    @property
    def contracts_dir(self) -> Path:
        return self.dde_dir / "contracts"

    @property
    def contracts_lock(self) -> Path:
        return self.root / "contracts.lock"

    @property
    def artifacts_dir(self) -> Path:
        return self.dde_dir / "artifacts"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    def iteration_dir(self, iteration_id: str) -> Path:
        return _iteration_dir(self.root, iteration_id)

    def execution_log(self, iteration_id: str) -> Path:
        return self.iteration_dir(iteration_id) / "execution.log"

    def node_dir(self, iteration_id: str, node_id: str) -> Path:
        return _node_file(self.root, iteration_id, node_id, "")

    def context_file(self, iteration_id: str, node_id: str) -> Path:
        return _node_file(self.root, iteration_id, node_id, "context.json")

    def gates_file(self, iteration_id: str, node_id: str) -> Path:
        return _node_file(self.root, iteration_id, node_id, "gates.json")

    def result_file(self, iteration_id: str, node_id: str) -> Path:
        return _node_file(self.root, iteration_id, node_id, "result.json")

    def audit_json(self, iteration_id: str) -> Path:
        return self.iteration_dir(iteration_id) / "audit.json"

    def audit_md(self, iteration_id: str) -> Path:
        return self.iteration_dir(iteration_id) / "audit.md"

    def contract_dir(self, domain: str, name: str, version: str) -> Path:
        return (
            self.contracts_dir
            / segment(domain, "contract domain")
            / segment(name, "contract name")
            / segment(version, "contract version")
        )

    def artifact_dir(self, iteration_id: str, node_id: str) -> Path:
        return (
            self.artifacts_dir / segment(iteration_id, "iteration id") / segment(node_id, "node id")
        )


# A path is immutable, and the runner asks for the same few per node again and again
# (each made anew is three to four joins and two checks of a segment): made once each.
@functools.lru_cache(maxsize=256)
def _iteration_dir(root: Path, iteration_id: str) -> Path:
    return root / "reports" / segment(iteration_id, "iteration id")


@functools.lru_cache(maxsize=16384)
def _node_file(root: Path, iteration_id: str, node_id: str, name: str) -> Path:
    """A node's folder (``name`` empty) or a file in it."""
    folder = _iteration_dir(root, iteration_id) / segment(node_id, "node id")
    return folder / name if name else folder
