"""Lock a contract: canonical form, digest, semantic version, immutable registry entry.

``lock_contract`` checks the spec, then, holding an exclusive file lock on
``.dde/contracts/.lock`` (so two processes locking at once produce one version):

* the same digest as the current version -> nothing changes (a no-op);
* otherwise the next version: 1.0.0 first, then major when the change breaks
  the previous version, minor when it only adds, patch when only documentation
  (or nothing a consumer can see) changed;
* the version folder is written under a temporary name and renamed into place,
  so it appears whole or not at all; a version that exists is never rewritten;
* the previous version becomes SUPERSEDED and ``contracts.lock`` points at the new one.

Events: ``contract.locked`` always; ``contract.breaking_change`` (naming the
consumer nodes) when the new version breaks the previous one.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dde_ci.contracts.registry import (
    CONTRACT_FILE,
    LOCKED,
    SUPERSEDED,
    LockedContract,
    Owner,
    latest,
    parse_version,
    read_lockfile,
    record_in_lockfile,
    registry_lock,
    relative,
)
from dde_ci.errors import DdeError, NotFound, StateError, did_you_mean
from dde_ci.files import write_json_atomic

if TYPE_CHECKING:
    from collections.abc import Callable

    from dde_ci.contracts.types import CheckedContract
    from dde_ci.layout import Layout
    from dde_ci.log import ExecutionLog
    from dde_ci.manifest.models import Manifest
    from dde_ci.results import NodeRun

BUMP = {"breaking": 0, "additive": 1, "documentation": 2, "none": 2}


@dataclass
class LockOutcome:
    """What ``lock_contract`` did."""

    contract: LockedContract
    created: bool
    previous: LockedContract | None = None
    kind: str = "initial"  # initial | breaking | additive | documentation | none | unchanged
    changes: list[dict[str, Any]] = field(default_factory=list)
    affected: list[dict[str, Any]] = field(default_factory=list)

    @property
    def breaking(self) -> bool:
        return self.kind == "breaking"

    def summary(self) -> str:
        c = self.contract
        if not self.created:
            return f"{c.name} {c.version} unchanged ({c.digest})"
        since = f" ({self.kind} since {self.previous.version})" if self.previous else ""
        return f"locked {c.name} {c.version}{since}: {c.digest}"


def bump(version: str, kind: str) -> str:
    major, minor, patch = parse_version(version)
    if BUMP.get(kind, 0) == 0:
        return f"{major + 1}.0.0"
    if BUMP[kind] == 1:
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def change_json(change: Any) -> dict[str, Any]:
    """A diff change as a JSON object, whatever shape the differ returns it in."""
    if isinstance(change, dict):
        return dict(change)
    for method in ("to_dict", "to_json"):
        convert = getattr(change, method, None)
        if callable(convert):
            return dict(convert())
    if is_dataclass(change) and not isinstance(change, type):
        return asdict(change)
    return {"message": str(change)}


@dataclass
class Comparison:
    """How a revision differs from its base: kind and changes (``level`` error = breaking)."""

    kind: str
    changes: list[dict[str, Any]]

    @property
    def breaking_changes(self) -> list[dict[str, Any]]:
        return [c for c in self.changes if c.get("level") == "error"]


def compare(type_name: str, base: Path, revision: Path, root: Path) -> Comparison:
    """Classify ``revision`` against ``base`` with the contract differ (refs inside ``root``)."""
    from dde_ci.contracts.diff import diff_files

    result = diff_files(base, revision, contract_type=type_name, root=root)
    changes = [change_json(c) for c in result.changes]
    prefixes = {f"{root}/", f"{root.resolve()}/"}
    for change in changes:  # keep recorded places relative to the project (they are committed)
        location = change.get("location")
        for prefix in prefixes:
            if isinstance(location, str) and location.startswith(prefix):
                change["location"] = location[len(prefix) :]
    return Comparison(result.kind, changes)


def affected_consumers(manifest: Manifest, name: str) -> list[dict[str, Any]]:
    """The nodes consuming ``name``: id, title, capabilities and who can own the work."""
    from dde_ci.routing import rank_workers

    out = []
    workers: list[Any] = [*manifest.agents, *manifest.runners]
    for node in manifest.consumers_of(name):
        owners = [w.worker_id for w, _ in rank_workers(node.capabilities, workers)]
        out.append(
            {
                "node_id": node.id,
                "name": node.title,
                "type": str(node.type),
                "capabilities": [c.name for c in node.capabilities],
                "owners": owners,
            }
        )
    return out


def _spec_file(checked: CheckedContract, source: Path) -> tuple[str, bytes]:
    """The file stored in the registry: the spec as written, or bundled when it spans files."""
    loaded = checked.loaded
    if loaded.self_contained:
        return source.name, loaded.text.encode("utf-8")
    return f"{source.stem}.bundled.json", checked.canonical + b"\n"


def lock_contract(
    manifest: Manifest,
    name: str,
    layout: Layout,
    *,
    node_id: str | None = None,
    iteration_id: str | None = None,
    commit: str | None = None,
    user: str | None = None,
    log: ExecutionLog | None = None,
    now: str | None = None,
) -> LockOutcome:
    """Lock the current content of contract ``name`` (see the module docstring).

    ``user``: who ran a manual lock (recorded in the owner).
    """
    from dde_ci.contracts.types import check_contract, digest_contract
    from dde_ci.layout import inside
    from dde_ci.log import now_rfc3339

    if not manifest.has_contract(name):
        known = [c.name for c in manifest.contracts]
        raise NotFound(f"no contract named {name!r} in the manifest{did_you_mean(name, known)}")
    declared = manifest.contract(name)
    source = inside(manifest.root, declared.path, what="contract path")
    producer = manifest.producer_of(name)
    if not source.is_file():
        writer = f"its interface node {producer.id!r} writes it" if producer else "write it first"
        raise NotFound(f"{declared.path}: contract {name!r} has no file yet; {writer}")
    # the full validation is the slow part (seconds for a large OpenAPI document): content
    # whose digest is already locked was validated then, so re-locking it is cheap
    checked = digest_contract(str(declared.type), source, manifest.root)
    current = latest(layout, declared.domain, name)
    if current is None or current.digest != checked.digest:
        checked = check_contract(str(declared.type), source, manifest.root)
    owner = Owner(node_id or (producer.id if producer else None), iteration_id, commit, user)
    with registry_lock(layout):
        outcome = _lock_locked(manifest, name, layout, checked, source, owner, now or now_rfc3339())
    if log is not None:
        _emit(log, layout, outcome, owner)
    return outcome


def _lock_locked(
    manifest: Manifest,
    name: str,
    layout: Layout,
    checked: CheckedContract,
    source: Path,
    owner: Owner,
    now: str,
) -> LockOutcome:
    declared = manifest.contract(name)
    domain, type_name = declared.domain, str(declared.type)
    previous = latest(layout, domain, name)
    if previous is not None and previous.digest == checked.digest:
        if read_lockfile(layout)["contracts"].get(name, {}).get("digest") != previous.digest:
            record_in_lockfile(layout, previous)
        return LockOutcome(previous, False, None, "unchanged")
    pinned = read_lockfile(layout)["contracts"].get(name)
    changes: list[dict[str, Any]] = []
    if previous is not None:
        comparison = compare(type_name, previous.spec_path, source, layout.root)
        kind, changes = comparison.kind, comparison.changes
        version = bump(previous.version, kind)
    elif pinned is not None and pinned.get("digest") == checked.digest:
        kind, version = "initial", str(pinned["version"])  # registry lost (e.g. a fresh CI job)
    elif pinned is not None:
        kind, version = "breaking", bump(str(pinned["version"]), "breaking")
        changes = [
            {
                "id": "previous-version-unavailable",
                "level": "error",
                "message": f"contracts.lock pins {name} {pinned['version']} but its spec is not "
                "in the local registry; the change is treated as breaking",
            }
        ]
    else:
        kind, version = "initial", "1.0.0"
    spec_name, spec_bytes = _spec_file(checked, source)
    contract = LockedContract(
        name=name,
        domain=domain,
        type=type_name,
        version=version,
        digest=checked.digest,
        locked_at=now,
        status=LOCKED,
        owner=owner,
        spec=spec_name,
        supersedes=previous.version if previous else None,
        breaking_changes=[c for c in changes if c.get("level") == "error"],
        consumers=[n.id for n in manifest.consumers_of(name)],
        published=None,
        folder=layout.contract_dir(domain, name, version),
    )
    _publish_folder(contract, spec_bytes)
    if previous is not None:
        superseded = previous.with_status(SUPERSEDED)
        write_json_atomic(superseded.metadata_path, superseded.to_json(), durable=True)
    record_in_lockfile(layout, contract)
    affected = affected_consumers(manifest, name) if kind == "breaking" and previous else []
    return LockOutcome(contract, True, previous, kind, changes, affected)


def _publish_folder(contract: LockedContract, spec_bytes: bytes) -> None:
    """Write the version folder under a temporary name, then rename it into place."""
    target = contract.folder
    if target.exists():
        raise StateError(
            f"{target}: {contract.name} {contract.version} is already locked with other "
            "content; a locked version is never rewritten"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".staging-{contract.version}-{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        (staging / contract.spec).write_bytes(spec_bytes)
        write_json_atomic(staging / CONTRACT_FILE, contract.to_json(), durable=True)
        staging.rename(target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise StateError(
            f"{target}: cannot create {contract.name} {contract.version}: {exc.strerror}"
        ) from None


def _emit(log: ExecutionLog, layout: Layout, outcome: LockOutcome, owner: Owner) -> None:
    c = outcome.contract
    log.emit(
        "contract.locked",
        node_id=owner.node_id,
        details={
            "contract": c.name,
            "domain": c.domain,
            "type": c.type,
            "version": c.version,
            "digest": c.digest,
            "created": outcome.created,
            "kind": outcome.kind,
            "supersedes": c.supersedes if outcome.created else None,
            "registry": relative(layout, c.folder),
        },
    )
    if outcome.created and outcome.breaking:
        log.emit(
            "contract.breaking_change",
            node_id=owner.node_id,
            details={
                "contract": c.name,
                "version": c.version,
                "previous": outcome.previous.version if outcome.previous else None,
                "changes": c.breaking_changes,
                "consumers": outcome.affected,
            },
        )


# ---------------------------------------------------------------------------- node step 5


@dataclass
class ContractStepResult:
    """Step 5's result, folded into the node outcome with ``NodeOutcome.after``."""

    blocked: bool = False
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    outcomes: list[LockOutcome] = field(default_factory=list)


def lock_node_contracts(
    step: NodeRun, *, publisher: Callable[[LockedContract], LockedContract] | None = None
) -> ContractStepResult:
    """Lock every contract an interface node produces (called after its gates passed).

    With a ``publisher`` (see :func:`dde_ci.contracts.publish.release_publisher`),
    each new version is also published there.
    """
    from dde_ci.manifest.models import NodeType

    result = ContractStepResult()
    node = step.node
    if node.type != NodeType.INTERFACE:
        return result
    for name in node.produces:
        try:
            outcome = lock_contract(
                step.manifest,
                name,
                step.layout,
                node_id=node.id,
                iteration_id=step.iteration_id,
                commit=step.commit,
                log=step.log,
            )
        except DdeError as exc:
            return ContractStepResult(
                True, f"cannot lock contract {name!r}: {exc}", result.warnings, result.outcomes
            )
        if outcome.contract.published is None and publisher is not None:
            try:
                outcome.contract = publisher(outcome.contract)
            except DdeError as exc:
                return ContractStepResult(
                    True,
                    f"locked {name} {outcome.contract.version} but could not publish it: {exc}",
                    result.warnings,
                    [*result.outcomes, outcome],
                )
        result.outcomes.append(outcome)
        if outcome.breaking and outcome.affected:
            names = ", ".join(a["node_id"] for a in outcome.affected)
            result.warnings.append(
                f"{outcome.contract.name} {outcome.contract.version} breaks "
                f"{outcome.previous.version if outcome.previous else 'the previous version'}; "
                f"affected consumers: {names}"
            )
    return result
