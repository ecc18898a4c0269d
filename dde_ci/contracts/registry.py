"""The local contract registry and the committed lock file.

::

    .dde/contracts/{domain}/{name}/{version}/{spec file}   the locked spec, as written
    .dde/contracts/{domain}/{name}/{version}/contract.json  its metadata (LockedContract)
    contracts.lock                                         name -> version and digest

``contract.json``::

    {"name", "domain", "type", "version", "digest": "sha256:<hex>", "locked_at",
     "status": "LOCKED" | "SUPERSEDED", "owner": {"node_id", "iteration_id", "commit"},
     "supersedes", "breaking_changes": [...], "consumers": [node ids], "spec": "<file name>",
     "published": {...} | null}

Every file is written to a temporary name and renamed into place, so a reader
never sees half a file.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dde_ci.errors import DdeError, InputError, Location, NotFound, StateError, did_you_mean
from dde_ci.files import write_json_atomic

if TYPE_CHECKING:
    from dde_ci.layout import Layout
    from dde_ci.manifest.models import Manifest, Node

CONTRACT_FILE = "contract.json"
LOCK_FILE = ".lock"
LOCK_TIMEOUT = 120.0
LOCKFILE_VERSION = 1
LOCKED = "LOCKED"
SUPERSEDED = "SUPERSEDED"
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)\Z")


@contextlib.contextmanager
def registry_lock(layout: Layout, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the registry's exclusive lock (``fcntl.flock`` on ``.dde/contracts/.lock``)."""
    import fcntl

    layout.contracts_dir.mkdir(parents=True, exist_ok=True)
    path = layout.contracts_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StateError(
                        f"{path}: another dde-ci process has held the contract registry lock "
                        f"for over {timeout:.0f}s; try again when it has finished"
                    ) from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def parse_version(text: str) -> tuple[int, int, int]:
    """``"1.2.3"`` -> ``(1, 2, 3)``; anything else is an :class:`InputError`."""
    match = _SEMVER.match(text)
    if not match:
        raise InputError(f"contract version {text!r} is not MAJOR.MINOR.PATCH")
    return (int(match.group(1)), int(match.group(2)), int(match.group(3)))


MANUAL = "manual"
"""The owner iteration of a version locked by a person's command, not by a node step."""


@dataclass(frozen=True)
class Owner:
    """Who locked a version: the interface node, the iteration and the Git commit.

    A lock run by hand (``dde-ci contract lock`` without ``--iteration``) has the
    iteration :data:`MANUAL` and the person who ran it as ``user``.
    """

    node_id: str | None
    iteration_id: str | None
    commit: str | None
    user: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = {"node_id": self.node_id, "iteration_id": self.iteration_id, "commit": self.commit}
        if self.user is not None:
            data["user"] = self.user
        return data


@dataclass(frozen=True)
class LockedContract:
    """One locked version of a contract, as stored in its ``contract.json``."""

    name: str
    domain: str
    type: str
    version: str
    digest: str
    locked_at: str
    status: str
    owner: Owner
    spec: str
    supersedes: str | None = None
    breaking_changes: list[dict[str, Any]] = field(default_factory=list)
    consumers: list[str] = field(default_factory=list)
    published: dict[str, Any] | None = None
    folder: Path = Path()

    @property
    def spec_path(self) -> Path:
        return self.folder / self.spec

    @property
    def metadata_path(self) -> Path:
        return self.folder / CONTRACT_FILE

    @property
    def semver(self) -> tuple[int, int, int]:
        return parse_version(self.version)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "domain": self.domain,
            "type": self.type,
            "version": self.version,
            "digest": self.digest,
            "locked_at": self.locked_at,
            "status": self.status,
            "owner": self.owner.to_json(),
            "supersedes": self.supersedes,
            "breaking_changes": list(self.breaking_changes),
            "consumers": list(self.consumers),
            "spec": self.spec,
            "published": self.published,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], folder: Path) -> LockedContract:
        owner = data.get("owner") or {}
        return cls(
            name=data["name"],
            domain=data["domain"],
            type=data["type"],
            version=data["version"],
            digest=data["digest"],
            locked_at=data["locked_at"],
            status=data["status"],
            owner=Owner(
                owner.get("node_id"),
                owner.get("iteration_id"),
                owner.get("commit"),
                owner.get("user"),
            ),
            spec=data["spec"],
            supersedes=data.get("supersedes"),
            breaking_changes=list(data.get("breaking_changes") or []),
            consumers=list(data.get("consumers") or []),
            published=data.get("published"),
            folder=folder,
        )

    def with_status(self, status: str) -> LockedContract:
        return replace(self, status=status)


def _read_json(path: Path, what: str) -> Any:
    from dde_ci.yamlio import read_text

    text = read_text(path, max_bytes=16 * 1024 * 1024, what=what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{what} is not valid JSON: {exc.msg}", Location(str(path), exc.lineno, exc.colno)
        ) from None


def _check_schema(data: Any, name: str, path: Path) -> None:
    """Refuse ``data`` read from ``path`` unless it matches dde-ci's JSON Schema ``name``."""
    import jsonschema

    from dde_ci.schemas import schema

    validator = jsonschema.Draft202012Validator(schema(name))
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        pointer = "/" + "/".join(str(p) for p in error.absolute_path)
        raise InputError(
            f"{path.name} does not match the {name} schema at {pointer}: {error.message}",
            Location(str(path)),
        )


def read_locked(folder: Path) -> LockedContract:
    """Read and check ``folder/contract.json``."""
    path = folder / CONTRACT_FILE
    data = _read_json(path, "contract.json")
    _check_schema(data, "contract", path)
    return LockedContract.from_json(data, folder)


def contract_root(layout: Layout, domain: str, name: str) -> Path:
    """``.dde/contracts/{domain}/{name}`` (checked as path segments)."""
    from dde_ci.layout import segment

    return (
        layout.contracts_dir / segment(domain, "contract domain") / segment(name, "contract name")
    )


def versions(layout: Layout, domain: str, name: str) -> list[LockedContract]:
    """Every locked version of a contract, oldest first."""
    base = contract_root(layout, domain, name)
    if not base.is_dir():
        return []
    found = [
        read_locked(child)
        for child in base.iterdir()
        if child.is_dir() and _SEMVER.match(child.name) and (child / CONTRACT_FILE).exists()
    ]
    return sorted(found, key=lambda c: c.semver)


def latest(layout: Layout, domain: str, name: str) -> LockedContract | None:
    """The current (highest) locked version, or None when the contract was never locked."""
    found = versions(layout, domain, name)
    return found[-1] if found else None


def find_version(layout: Layout, domain: str, name: str, version: str) -> LockedContract | None:
    parse_version(version)
    folder = layout.contract_dir(domain, name, version)
    return read_locked(folder) if (folder / CONTRACT_FILE).exists() else None


def find_domain(layout: Layout, name: str) -> str:
    """The domain a contract is registered under (for commands given only a name)."""
    from dde_ci.layout import segment

    segment(name, "contract name")
    base = layout.contracts_dir
    domains = (
        sorted(p.parent.name for p in base.glob(f"*/{name}") if p.is_dir()) if base.is_dir() else []
    )
    if not domains:
        known = sorted({p.name for p in base.glob("*/*") if p.is_dir()}) if base.is_dir() else []
        raise NotFound(
            f"contract {name!r} has no locked version in {base}{did_you_mean(name, known)}"
        )
    if len(domains) > 1:
        raise InputError(f"contract {name!r} exists in several domains ({', '.join(domains)})")
    return domains[0]


# ---------------------------------------------------------------------------- contracts.lock


def read_lockfile(layout: Layout) -> dict[str, Any]:
    """The lock file's data (an empty one when the file does not exist)."""
    path = layout.contracts_lock
    if not path.exists():
        return {"lockfile_version": LOCKFILE_VERSION, "contracts": {}}
    data: dict[str, Any] = _read_json(path, "contracts.lock")
    _check_schema(data, "contracts-lock", path)
    return data


def record_in_lockfile(layout: Layout, contract: LockedContract) -> None:
    """Point ``contracts.lock`` at ``contract`` (names sorted, so diffs stay small)."""
    data = read_lockfile(layout)
    entries = dict(data["contracts"])
    entries[contract.name] = _lock_entry(contract)
    _write_lockfile(layout, entries)


def _lock_entry(contract: LockedContract) -> dict[str, Any]:
    return {
        "domain": contract.domain,
        "type": contract.type,
        "version": contract.version,
        "digest": contract.digest,
        "locked_at": contract.locked_at,
    }


def _write_lockfile(layout: Layout, entries: Mapping[str, Any]) -> None:
    write_json_atomic(
        layout.contracts_lock,
        {"lockfile_version": LOCKFILE_VERSION, "contracts": dict(sorted(entries.items()))},
        durable=True,
    )


def sync_lockfile(layout: Layout, names: Mapping[str, str]) -> list[str]:
    """Point ``contracts.lock`` at the current version of each contract in the registry.

    ``names`` maps contract name to domain (from the manifest).  Used where
    several lock files meet, e.g. a GitHub audit job that downloads the
    artifacts of interface jobs which each locked their own contract: the
    registry folders merge cleanly, the lock files overwrite each other.  An
    entry only moves forward (to a higher version); returns the names changed.
    """
    with registry_lock(layout):
        data = read_lockfile(layout)
        entries = dict(data["contracts"])
        changed: list[str] = []
        for name, domain in sorted(names.items()):
            current = latest(layout, domain, name)
            if current is None:
                continue
            entry = entries.get(name)
            if isinstance(entry, dict) and entry.get("version") == current.version:
                continue
            if isinstance(entry, dict) and isinstance(entry.get("version"), str):
                with contextlib.suppress(DdeError):
                    if parse_version(entry["version"]) > current.semver:
                        continue
            entries[name] = _lock_entry(current)
            changed.append(name)
        if changed:
            _write_lockfile(layout, entries)
    return changed


def record_published(contract: LockedContract, published: Mapping[str, Any]) -> LockedContract:
    """Store where a version was published (e.g. a GitHub release) in its ``contract.json``.

    Re-read under the registry lock, so a concurrent lock superseding it is not lost.
    """
    with registry_lock(_layout_of(contract)):
        current = read_locked(contract.folder)
        updated = replace(current, published=dict(published))
        write_json_atomic(updated.metadata_path, updated.to_json(), durable=True)
    return updated


def _layout_of(contract: LockedContract) -> Layout:
    """The layout whose registry holds ``contract`` (``{root}/.dde/contracts/{d}/{n}/{v}``)."""
    from dde_ci.layout import Layout

    return Layout(contract.folder.parents[4])


# ---------------------------------------------------------------------------- node context


def relative(layout: Layout, path: Path) -> str:
    try:
        return path.relative_to(layout.root).as_posix()
    except ValueError:
        return path.as_posix()


def context_entry(layout: Layout, contract: LockedContract, role: str) -> dict[str, Any]:
    """What a node's context says about one locked contract."""
    published = contract.published or {}
    return {
        "name": contract.name,
        "domain": contract.domain,
        "type": contract.type,
        "version": contract.version,
        "digest": contract.digest,
        "role": role,
        "location": {
            "registry": relative(layout, contract.folder),
            "spec": relative(layout, contract.spec_path),
            "published": published.get("url"),
        },
    }


def context_entries(manifest: Manifest, node: Node, layout: Layout) -> list[dict[str, Any]]:
    """The locked contracts ``node`` consumes or produces, for ``context.json``.

    Each entry: name, domain, type, version, digest, role (``consumes`` or
    ``produces``) and location (registry folder, spec file, published URL or
    null).  Contracts not locked yet are left out.
    """
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for role, names in (("consumes", node.consumes), ("produces", node.produces)):
        for name in names:
            if name in seen or not manifest.has_contract(name):
                continue
            seen.add(name)
            declared = manifest.contract(name)
            current = latest(layout, declared.domain, name)
            if current is not None:
                out.append(context_entry(layout, current, role))
    return out
