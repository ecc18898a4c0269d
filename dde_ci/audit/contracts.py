"""Audit of contracts: each produced contract locked, each consumer checked against its digest.

Reads ``contracts.lock`` (name -> version and digest), the registry's
``.dde/contracts/{domain}/{name}/{version}/contract.json``, and each consumer's
``reports/{it}/{node}/contracts.json`` and ``context.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dde_ci.audit.model import BLOCKING, Counts, Violation
from dde_ci.audit.records import Record, read_record
from dde_ci.errors import DdeError

if TYPE_CHECKING:
    from datetime import date

    from dde_ci.layout import Layout
    from dde_ci.manifest.models import Manifest


@dataclass(frozen=True)
class Locked:
    name: str
    version: str
    digest: str


def active_ignores(manifest: Manifest, today: date, found: list[Violation]) -> list[dict[str, Any]]:
    """Every ignore in the contracts' ``err_ignore``/``warn_ignore`` files, with its contract;
    an ignore file with an expired or unjustified line is a blocking violation."""
    from dde_ci.contracts.lock import contract_ignores

    out: list[dict[str, Any]] = []
    for contract in manifest.contracts:
        if not (contract.err_ignore or contract.warn_ignore):
            continue
        try:
            ignores = contract_ignores(manifest, contract.name, today=today)
        except DdeError as exc:
            producer = manifest.producer_of(contract.name)
            found.append(
                Violation(
                    type="contract_ignore_invalid",
                    node_id=producer.id if producer else None,
                    severity=BLOCKING,
                    message=f"contract {contract.name}: {exc}",
                    recommendation="fix the change, or give each ignore an accepted ADR "
                    "('adr: docs/adr/...') or a future 'expires: YYYY-MM-DD'",
                    details={"contract": contract.name},
                )
            )
            continue
        out.extend({"contract": contract.name, **i.to_json()} for i in ignores)
    return out


def _relock(name: str, producer: str | None) -> str:
    where = f" (re-run node {producer} so it passes its gates and locks it)" if producer else ""
    return f"re-lock contract {name}: dde-ci contract lock {name}{where}"


def read_locks(
    layout: Layout,
    produced: dict[str, str],
    completed: set[str],
    counts: Counts,
    found: list[Violation],
) -> dict[str, Locked]:
    """The locked version of each produced contract; ``produced`` maps contract -> producer."""
    lock = read_record(layout.contracts_lock)
    entries: dict[str, Any] = {}
    if lock.ok and isinstance(lock.data.get("contracts"), dict):
        entries = lock.data["contracts"]
    elif not lock.missing:
        found.append(
            Violation(
                type="contract_lock_invalid",
                node_id=None,
                severity=BLOCKING,
                message=f"{layout.contracts_lock} "
                + (lock.problem or "has no 'contracts' mapping"),
                recommendation="restore contracts.lock from Git, then re-lock every contract",
                details={"path": str(layout.contracts_lock)},
            )
        )
    out: dict[str, Locked] = {}
    for name, producer in produced.items():
        counts.contracts_produced += 1
        entry = entries.get(name)
        if producer not in completed:
            # the producer did not complete: reported as a node violation already
            if isinstance(entry, dict) and isinstance(entry.get("digest"), str):
                out[name] = Locked(name, str(entry.get("version")), entry["digest"])
            continue
        problem = _lock_problem(layout, name, entry)
        if problem is not None:
            kind, message = problem
            found.append(
                Violation(
                    type=kind,
                    node_id=producer,
                    severity=BLOCKING,
                    message=f"contract {name}, produced by node {producer}, {message}",
                    recommendation=_relock(name, producer),
                    details={"contract": name, "lock": str(layout.contracts_lock)},
                )
            )
            continue
        assert isinstance(entry, dict)
        counts.contracts_locked += 1
        out[name] = Locked(name, str(entry["version"]), str(entry["digest"]))
    return out


def _lock_problem(layout: Layout, name: str, entry: Any) -> tuple[str, str] | None:
    """(violation type, message) when contract ``name`` is not properly locked, else None."""
    kind = "contract_not_locked"
    if not isinstance(entry, dict):
        return kind, f"is not in {layout.contracts_lock.name}"
    version, digest, domain = entry.get("version"), entry.get("digest"), entry.get("domain")
    if not isinstance(version, str) or not isinstance(digest, str) or not isinstance(domain, str):
        return (
            kind,
            f"has an incomplete entry in {layout.contracts_lock.name} (domain, version, digest)",
        )
    try:
        folder = layout.contract_dir(domain, name, version)
    except DdeError as exc:
        return kind, f"has an unusable entry in {layout.contracts_lock.name}: {exc.message}"
    meta = read_record(folder / "contract.json")
    if not meta.ok:
        return (
            kind,
            f"version {version} is in the lock file but its registry entry {meta.path} "
            + ("is missing" if meta.missing else str(meta.problem)),
        )
    if meta.data.get("digest") != digest:
        return kind, (
            f"version {version} has digest {meta.data.get('digest')} in the registry but "
            f"{digest} in the lock file"
        )
    if meta.data.get("status") != "LOCKED":
        return kind, f"version {version} has status {meta.data.get('status')!r} in the registry"
    spec = meta.data.get("spec")
    if not isinstance(spec, str) or "/" in spec or not (folder / spec).is_file():
        return kind, f"version {version} has no locked spec file in {folder}"
    changed = _spec_problem(layout, folder / spec, str(meta.data.get("type")), version, digest)
    return ("contract_tampered", changed) if changed is not None else None


def _spec_problem(
    layout: Layout, spec: Path, type_name: str, version: str, digest: str
) -> str | None:
    """Re-digest the locked spec as the contracts module does; a changed spec is a problem."""
    try:
        from dde_ci.contracts.types import digest_contract
    except ImportError:  # pragma: no cover - the contracts module is part of dde-ci
        return None
    try:
        now = digest_contract(type_name, spec, layout.root).digest
    except DdeError as exc:
        return f"version {version} has a locked spec that no longer loads ({spec}): {exc}"
    if now != digest:
        return (
            f"version {version} was changed in the registry after it was locked: {spec} "
            f"digests to {now}, the lock says {digest}"
        )
    return None


def _verified(record: Record, contract: str) -> dict[str, Any] | None:
    if not record.ok or not isinstance(record.data.get("results"), list):
        return None
    for result in record.data["results"]:
        if isinstance(result, dict) and result.get("contract") == contract:
            return result
    return None


def _context_digest(context: Record, contract: str) -> tuple[str | None, str | None] | None:
    """(version, digest) the node was given for ``contract`` in its context, if recorded."""
    if not context.ok:
        return None
    given = context.data.get("locked_contracts")
    items: list[Any] = []
    if isinstance(given, dict):
        items = [{"name": k, **v} for k, v in given.items() if isinstance(v, dict)]
    elif isinstance(given, list):
        items = given
    for item in items:
        if isinstance(item, dict) and item.get("name") == contract:
            digest = item.get("digest")
            version = item.get("version")
            return (
                str(version) if version is not None else None,
                digest if isinstance(digest, str) else None,
            )
    return None


def audit_consumer(
    node_id: str,
    consumes: list[str],
    locked: dict[str, Locked],
    verification: Record,
    context: Record,
    counts: Counts,
) -> list[Violation]:
    """Check that a completed consumer verified each contract against the locked digest."""
    found: list[Violation] = []
    rerun = f"re-run node {node_id}"
    for name in consumes:
        counts.consumers_expected += 1
        lock = locked.get(name)
        if lock is None:
            found.append(
                Violation(
                    type="contract_not_verified",
                    node_id=node_id,
                    severity=BLOCKING,
                    message=f"node {node_id} consumes contract {name}, which has no locked "
                    "version to be checked against",
                    recommendation=f"{_relock(name, None)}, then {rerun}",
                    details={"contract": name},
                )
            )
            continue
        given = _context_digest(context, name)
        if given is not None and given[1] is not None and given[1] != lock.digest:
            found.append(
                Violation(
                    type="contract_digest_mismatch",
                    node_id=node_id,
                    severity=BLOCKING,
                    message=f"node {node_id} was built against contract {name} "
                    f"{given[0] or '?'} ({given[1]}), but the locked version is "
                    f"{lock.version} ({lock.digest})",
                    recommendation=f"{rerun} against contract {name} {lock.version}",
                    details={
                        "contract": name,
                        "source": "context.json",
                        "built_against": {"version": given[0], "digest": given[1]},
                        "locked": {"version": lock.version, "digest": lock.digest},
                    },
                )
            )
            continue
        result = _verified(verification, name)
        if result is None:
            why = (
                f"{verification.path} is missing"
                if verification.missing
                else (
                    f"{verification.path} {verification.problem}"
                    if verification.problem
                    else f"{verification.path} has no result for it"
                )
            )
            found.append(
                Violation(
                    type="contract_not_verified",
                    node_id=node_id,
                    severity=BLOCKING,
                    message=f"node {node_id} consumes contract {name} but was never verified "
                    f"against it ({why})",
                    recommendation=f"{rerun} (or run: dde-ci contract verify {node_id})",
                    details={"contract": name, "path": str(verification.path)},
                )
            )
            continue
        if result.get("digest") != lock.digest:
            found.append(
                Violation(
                    type="contract_digest_mismatch",
                    node_id=node_id,
                    severity=BLOCKING,
                    message=f"node {node_id} was verified against contract {name} "
                    f"{result.get('version')} ({result.get('digest')}), but the locked version "
                    f"is {lock.version} ({lock.digest})",
                    recommendation=f"{rerun} against contract {name} {lock.version}",
                    details={
                        "contract": name,
                        "source": "contracts.json",
                        "built_against": {
                            "version": result.get("version"),
                            "digest": result.get("digest"),
                        },
                        "locked": {"version": lock.version, "digest": lock.digest},
                    },
                )
            )
            continue
        if result.get("ok") is not True:
            findings = result.get("findings") if isinstance(result.get("findings"), list) else []
            found.append(
                Violation(
                    type="contract_verification_failed",
                    node_id=node_id,
                    severity=BLOCKING,
                    message=f"node {node_id} does not conform to contract {name} "
                    f"{lock.version} ({len(findings or [])} finding(s))",
                    recommendation=f"fix node {node_id} to match contract {name} "
                    f"{lock.version}, then {rerun}",
                    details={"contract": name, "findings": (findings or [])[:20]},
                )
            )
            continue
        counts.consumers_verified += 1
    return found
