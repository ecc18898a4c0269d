"""Artifact stamping: every output traced to the iteration and node that made it.

Stamping an artifact (a file under the manifest's folder) does three things:

* copies it into the artifact store at ``.dde/artifacts/{iteration}/{node}/{path}``
  (the original stays in place), hashing the bytes as they are copied, so the
  digest is the digest of exactly the bytes kept;
* writes a stamp next to the copy: an in-toto Statement v1
  (``.dde/artifacts/{iteration}/{node}/{path with '/' as %2F}.intoto.json``) whose
  subject is the artifact path and SHA-256 digest and whose predicate
  (``https://dde-ci.dev/stamp/v1``) says who made it, when, from which commit,
  in which run, with which capabilities and which locked contract versions;
* records an ``artifact.stamped`` event and adds the stamp to the search index.

:func:`verify_stamps` re-hashes the stored copies (and, when asked, the
originals) and reports every one whose bytes no longer match.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from dde_ci.errors import Diagnostic, InputError, Location, NotFound
from dde_ci.files import write_json_atomic
from dde_ci.git import current_commit
from dde_ci.layout import Layout, inside, is_relative_inside

if TYPE_CHECKING:
    from dde_ci.log import ExecutionLog
    from dde_ci.manifest.models import Manifest
    from dde_ci.results import NodeRun

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://dde-ci.dev/stamp/v1"
STAMP_SUFFIX = ".intoto.json"
CHUNK = 1024 * 1024  # 1 MiB reads: memory stays bounded, throughput near sha256sum's


def hash_file(path: Path) -> str:
    """SHA-256 of a file's bytes, hex (hashlib.file_digest: zero-copy buffered reads)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def copy_and_hash(source: Path, target: Path) -> tuple[str, int]:
    """Copy ``source`` to ``target`` (atomically) hashing the bytes copied; (hex digest, size)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    digest = hashlib.sha256()
    size = 0
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    try:
        with source.open("rb", buffering=0) as src, temp.open("wb") as dst:
            while True:
                count = src.readinto(buffer)
                if not count:
                    break
                digest.update(view[:count])
                dst.write(view[:count])
                size += count
            dst.flush()
            os.fsync(dst.fileno())
        temp.replace(target)
    finally:
        if temp.exists():
            temp.unlink()
    return digest.hexdigest(), size


MAX_STAMP_NAME = 200  # file systems allow 255 bytes per name


def stamp_file_name(artifact: str) -> str:
    """``build/db/shop.sql`` -> ``build%2Fdb%2Fshop.sql.intoto.json`` (flat and reversible).

    A path too long for one file name gets ``sha256-{digest of the path}.intoto.json``.
    """
    name = quote(artifact, safe="") + STAMP_SUFFIX
    if len(name.encode("utf-8")) <= MAX_STAMP_NAME:
        return name
    return "sha256-" + hashlib.sha256(artifact.encode("utf-8")).hexdigest() + STAMP_SUFFIX


@dataclass(frozen=True)
class Stamp:
    """One stamped artifact: its statement and where its files are."""

    artifact: str  # path relative to the manifest's folder, '/' separators
    sha256: str
    statement: dict[str, Any]
    stamp_path: Path
    stored_path: Path

    @property
    def predicate(self) -> dict[str, Any]:
        predicate: dict[str, Any] = self.statement["predicate"]
        return predicate

    @property
    def iteration_id(self) -> str:
        return str(self.predicate["iteration_id"])

    @property
    def node_id(self) -> str:
        return str(self.predicate["node_id"])


@dataclass
class StampResult:
    """What stamping a node's artifacts did."""

    stamps: list[Stamp] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # declared globs that matched no file

    @property
    def artifacts(self) -> list[str]:
        return [s.artifact for s in self.stamps]

    @property
    def warnings(self) -> list[str]:
        return [f"artifact pattern {g!r} matched no file" for g in self.unmatched]

    @property
    def blocked(self) -> bool:
        """Stamping never blocks a node; a missing artifact is a warning the gates judge."""
        return False

    @property
    def message(self) -> str:
        return f"stamped {len(self.stamps)} artifact(s)"


def build_statement(
    *,
    artifact: str,
    sha256: str,
    size: int,
    iteration_id: str,
    node_id: str,
    stored_at: str,
    capabilities: Sequence[str] = (),
    consumed_contracts: Sequence[Mapping[str, Any]] = (),
    created_at: str | None = None,
    created_by: Mapping[str, Any] | None = None,
    commit: str | None = None,
    run_id: str | None = None,
) -> dict[str, Any]:
    """The in-toto Statement v1 for one artifact, as dde-ci writes it (schema ``stamp``)."""
    from dde_ci.log import now_rfc3339

    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": artifact, "digest": {"sha256": sha256}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "iteration_id": iteration_id,
            "node_id": node_id,
            "capabilities": list(capabilities),
            "consumed_contracts": [
                {"name": c.get("name"), "version": c.get("version"), "digest": c.get("digest")}
                for c in consumed_contracts
            ],
            "created_at": created_at or now_rfc3339(),
            "created_by": dict(created_by or {"kind": "person", "id": None}),
            "commit": commit,
            "run_id": run_id,
            "stored_at": stored_at,
            "size": size,
        },
    }


def _relative(root: Path, path: Path) -> str:
    return path.resolve().relative_to(root.resolve()).as_posix()


def stamp_artifacts(
    layout: Layout,
    iteration_id: str,
    node_id: str,
    artifacts: Iterable[str],
    *,
    capabilities: Sequence[str] = (),
    consumed_contracts: Sequence[Mapping[str, Any]] = (),
    created_by: Mapping[str, Any] | None = None,
    commit: str | None = None,
    run_id: str | None = None,
    log: ExecutionLog | None = None,
    correlation_id: str | None = None,
    attempt: int | None = None,
) -> list[Stamp]:
    """Stamp each artifact (a file path relative to ``layout.root``); return the stamps.

    Each file is copied into the store, stamped, indexed and logged as
    ``artifact.stamped``.  A path outside the project or a missing file is an
    :class:`InputError`.
    """
    from dde_ci.artifacts import index_stamps

    node_dir = layout.artifact_dir(iteration_id, node_id)
    stamps: list[Stamp] = []
    for given in artifacts:
        rel = PurePosixPath(given.replace(os.sep, "/")).as_posix()
        source = inside(layout.root, rel, what="artifact")
        if not source.is_file():
            raise NotFound(f"artifact {rel!r} is not a file", Location(str(layout.root / rel)))
        artifact = posixpath.normpath(rel)  # the name given (a symlink keeps its own name)
        stored = node_dir / artifact
        sha256, size = copy_and_hash(source, stored)
        statement = build_statement(
            artifact=artifact,
            sha256=sha256,
            size=size,
            iteration_id=iteration_id,
            node_id=node_id,
            stored_at=_relative(layout.root, stored),
            capabilities=capabilities,
            consumed_contracts=consumed_contracts,
            created_by=created_by,
            commit=commit,
            run_id=run_id,
        )
        stamp_path = node_dir / stamp_file_name(artifact)
        write_json_atomic(stamp_path, statement)
        stamp = Stamp(artifact, sha256, statement, stamp_path, stored)
        stamps.append(stamp)
        if log is not None:
            log.emit(
                "artifact.stamped",
                node_id=node_id,
                agent_id=(created_by or {}).get("id"),
                attempt=attempt,
                correlation_id=correlation_id,
                details={
                    "artifact": artifact,
                    "sha256": sha256,
                    "size": size,
                    "stamp": _relative(layout.root, stamp_path),
                    "stored_at": _relative(layout.root, stored),
                },
            )
    index_stamps(layout, stamps)
    return stamps


def expand_artifact_globs(root: Path, patterns: Iterable[str]) -> tuple[list[str], list[str]]:
    """Files matched by ``patterns`` (relative to ``root``), and the patterns that matched none.

    A pattern naming a folder takes every file under it.  Files are returned
    once each, relative to ``root`` with '/' separators, sorted.
    """
    found: set[str] = set()
    unmatched: list[str] = []
    base = root.resolve()
    for pattern in patterns:
        if not is_relative_inside(pattern):
            raise InputError(
                f"artifact pattern {pattern!r} must be a relative path inside the project"
            )
        hits: set[str] = set()
        for match in base.glob(pattern):
            candidates = [match] if match.is_file() else sorted(match.rglob("*"))
            for candidate in candidates:
                if candidate.is_file():
                    resolved = candidate.resolve()
                    if resolved != base and base not in resolved.parents:
                        raise InputError(
                            f"artifact {candidate.relative_to(base).as_posix()!r} "
                            f"(from pattern {pattern!r}) resolves outside the project"
                        )
                    hits.add(candidate.relative_to(base).as_posix())
        if not hits:
            unmatched.append(pattern)
        found |= hits
    return sorted(found), unmatched


def consumed_contracts_of(context_file: Path | None) -> list[dict[str, Any]]:
    """The consumed ``locked_contracts`` of a node's context.json: ``{name, version, digest}``.

    Accepts a list of objects or a mapping of name to object; entries with a
    ``role`` other than ``consumes`` are left out.  A missing or unreadable
    context gives an empty list.
    """
    if context_file is None or not context_file.is_file():
        return []
    try:
        data = json.loads(context_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    locked = data.get("locked_contracts") if isinstance(data, dict) else None
    items: list[tuple[str | None, Any]] = []
    if isinstance(locked, dict):
        items = list(locked.items())
    elif isinstance(locked, list):
        items = [(None, entry) for entry in locked]
    out = []
    for name, entry in items:
        if not isinstance(entry, dict) or entry.get("role", "consumes") != "consumes":
            continue  # a contract the node produces is not one it consumed
        out.append(
            {
                "name": entry.get("name", name),
                "version": _text(entry.get("version")),
                "digest": _text(entry.get("digest")),
            }
        )
    return sorted(out, key=lambda c: str(c["name"]))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def created_by_for(manifest: Manifest, worker_id: str | None) -> dict[str, Any]:
    """``{"kind": "agent"|"runner"|"person", "id": ...}`` for the worker that made an artifact."""
    if worker_id is not None:
        if any(a.id == worker_id for a in manifest.agents):
            return {"kind": "agent", "id": worker_id}
        return {"kind": "runner", "id": worker_id}
    return {"kind": "person", "id": None}


def stamp_node_artifacts(step: NodeRun) -> StampResult:
    """Node step, step 6: stamp every file the node's ``artifacts`` globs match.

    A glob that matches nothing is reported in :attr:`StampResult.unmatched`
    (and as a warning); the node step records both in ``result.json``.
    """
    node = step.node
    files, unmatched = expand_artifact_globs(step.layout.root, node.artifacts)
    context = step.context_path or step.layout.context_file(step.iteration_id, node.id)
    result = StampResult(unmatched=unmatched)
    result.stamps = stamp_artifacts(
        step.layout,
        step.iteration_id,
        node.id,
        files,
        capabilities=[c.name for c in node.capabilities],
        consumed_contracts=consumed_contracts_of(context),
        created_by=created_by_for(step.manifest, step.agent_id),
        commit=step.commit or (current_commit(step.layout.root) if files else None),
        run_id=step.run_id,
        log=step.log,
        correlation_id=step.correlation_id,
        attempt=step.attempt or None,
    )
    return result


def stamp_by_hand(
    manifest: Manifest,
    layout: Layout,
    iteration_id: str,
    node_id: str,
    paths: Sequence[str],
    *,
    log: ExecutionLog | None = None,
    run_id: str | None = None,
    agent_id: str | None = None,
) -> list[Stamp]:
    """``dde-ci stamp NODE PATH...``: stamp files (or folders) for a node of ``manifest``."""
    from dde_ci.errors import did_you_mean

    if not manifest.has_node(node_id):
        raise NotFound(
            f"no node {node_id!r} in the manifest{did_you_mean(node_id, manifest.node_ids)}"
        )
    node = manifest.node(node_id)
    files: list[str] = []
    for given in paths:
        rel = _project_relative(layout.root, given)
        target = inside(layout.root, rel, what="artifact")
        if target.is_dir():
            files.extend(expand_artifact_globs(layout.root, [rel])[0])
        elif target.is_file():
            files.append(rel)
        else:
            raise NotFound(f"artifact {given!r} does not exist", Location(given))
    return stamp_artifacts(
        layout,
        iteration_id,
        node_id,
        sorted(set(files)),
        capabilities=[c.name for c in node.capabilities],
        consumed_contracts=consumed_contracts_of(layout.context_file(iteration_id, node_id)),
        created_by=created_by_for(manifest, agent_id),
        commit=current_commit(layout.root),
        run_id=run_id,
        log=log,
    )


def _project_relative(root: Path, given: str) -> str:
    """A path typed by a person (relative to the working folder or absolute) -> project-relative."""
    path = Path(given)
    absolute = path if path.is_absolute() else Path.cwd() / path
    try:
        return absolute.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise InputError(
            f"artifact {given!r} is outside the project folder {root}", Location(given)
        ) from None


# --- reading and verifying ----------------------------------------------------------------


def load_stamp(path: Path) -> Stamp:
    """Read and check one stamp file (schema ``stamp``); raise :class:`InputError` if broken."""
    import jsonschema

    from dde_ci.schemas import schema

    shown = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read stamp: {exc.strerror}", Location(shown)) from None
    except ValueError as exc:
        raise InputError(f"stamp is not valid JSON: {exc}", Location(shown)) from None
    spec = schema("stamp")
    errors = list(jsonschema.Draft202012Validator(spec).iter_errors(data))
    if errors:
        first = min(errors, key=lambda e: list(map(str, e.absolute_path)))
        where = "/".join(str(p) for p in first.absolute_path)
        raise InputError(
            f"stamp does not match the stamp schema at /{where}: {first.message}", Location(shown)
        )
    subject = data["subject"][0]
    return Stamp(
        artifact=subject["name"],
        sha256=subject["digest"]["sha256"],
        statement=data,
        stamp_path=path,
        stored_path=path.parent / subject["name"],
    )


def stamp_files(layout: Layout, iteration_id: str | None = None) -> list[Path]:
    """Every stamp file in the store (of one iteration when given), sorted."""
    base = layout.artifacts_dir
    if iteration_id is not None:
        base = base / iteration_id
    if not base.is_dir():
        return []
    pattern = f"*/*{STAMP_SUFFIX}" if iteration_id is not None else f"*/*/*{STAMP_SUFFIX}"
    return sorted(p for p in base.glob(pattern) if p.is_file())


# -- the store against the record: both ways ---------------------------------------------


def logged_stamps(log_path: Path) -> dict[str, dict[str, str]]:
    """``{node id: {artifact: sha256}}`` of the ``artifact.stamped`` events in the execution
    log at ``log_path`` (the last event of each artifact); ``{}`` without a readable log.

    Only the lines that hold the event's name are decoded (found with a byte search), so
    this costs little more than reading the file.
    """
    from dde_ci.files import open_regular

    found: dict[str, dict[str, str]] = {}
    try:
        fd, _ = open_regular(log_path)
    except OSError:
        return found
    with os.fdopen(fd, "rb") as handle:
        data = handle.read()
    marker = b'"artifact.stamped"'
    at = data.find(marker)
    while at >= 0:
        start = data.rfind(b"\n", 0, at) + 1
        end = data.find(b"\n", at)
        end = len(data) if end < 0 else end
        _add_logged(data[start:end], found)
        at = data.find(marker, end)
    return found


def _add_logged(line: bytes, found: dict[str, dict[str, str]]) -> None:
    try:
        event = json.loads(line)
    except ValueError:
        return  # the audit and ``log check`` report broken lines
    if not isinstance(event, dict) or event.get("event_type") != "artifact.stamped":
        return
    details = event.get("details")
    details = details if isinstance(details, dict) else {}
    node, name = event.get("node_id"), details.get("artifact")
    sha256 = details.get("sha256")
    if isinstance(node, str) and isinstance(name, str) and isinstance(sha256, str):
        found.setdefault(node, {})[name] = sha256


@dataclass(frozen=True)
class StoreProblem:
    """Something in a node's store folder that the record does not account for.

    ``kind``: ``stamp_missing`` (the log says it was stamped; its stamp is gone),
    ``stamp_not_logged`` (a stamp the log never recorded), ``stamp_changed`` (its
    digest is not the one logged), ``unexpected_file`` (a file no stamp names),
    ``link`` (a symbolic link: the store holds files only).
    """

    kind: str
    name: str  # the artifact or the file, relative to the node's store folder
    message: str


def check_store(
    folder: str | Path,
    subjects: Mapping[str, str],
    logged: Mapping[str, str] | None,
    linked: set[str] | None = None,
) -> list[StoreProblem]:
    """Compare a node's store ``folder`` with its stamps' ``subjects`` (artifact -> sha256)
    and, when there is a log, with what it ``logged``: every stamp logged and every logged
    stamp there with the same digest, and no file or link that no stamp names.

    Subjects that are (or lie under) a symbolic link are not reported here but added to
    ``linked``: the caller must not read them.  One ``scandir`` per folder, no link followed.
    """
    problems: list[StoreProblem] = []
    links: list[str] = []
    pending = [(os.fspath(folder), "")]
    while pending:
        top, here = pending.pop()
        try:
            entries = list(os.scandir(top))
        except OSError:
            continue  # gone, or not a folder: what the log expected is reported below
        for entry in entries:
            rel = f"{here}{entry.name}"
            if entry.is_symlink():
                links.append(rel)
                if rel not in subjects:
                    problems.append(
                        StoreProblem("link", rel, f"{rel!r} is a symbolic link, not a file")
                    )
            elif entry.is_dir():
                pending.append((entry.path, f"{rel}/"))
            elif rel not in subjects and not (not here and entry.name.endswith(STAMP_SUFFIX)):
                problems.append(
                    StoreProblem("unexpected_file", rel, f"{rel!r} is not named by any stamp")
                )
    problems.sort(key=lambda p: p.name)
    if linked is not None and links:
        linked.update(
            name for name in subjects if any(name == k or name.startswith(f"{k}/") for k in links)
        )
    if logged is None:
        return problems
    for name, sha256 in sorted(logged.items()):
        if name not in subjects:
            problems.append(
                StoreProblem(
                    "stamp_missing",
                    name,
                    f"the execution log says {name!r} was stamped (sha256 {sha256[:12]}...), "
                    "but its stamp is gone",
                )
            )
        elif subjects[name] != sha256:
            problems.append(
                StoreProblem(
                    "stamp_changed",
                    name,
                    f"the stamp of {name!r} says sha256 {subjects[name][:12]}..., the "
                    f"execution log recorded {sha256[:12]}...",
                )
            )
    for name in sorted(subjects.keys() - logged.keys()):
        problems.append(
            StoreProblem(
                "stamp_not_logged", name, f"the stamp of {name!r} is not in the execution log"
            )
        )
    return problems


@dataclass
class VerifyReport:
    """The outcome of :func:`verify_stamps`: what was checked and what no longer matches."""

    checked: int = 0
    findings: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def verify_stamps(
    layout: Layout, iteration_id: str | None = None, *, originals: bool = False
) -> VerifyReport:
    """Re-hash every stored artifact and compare with its stamp, and the store with the record.

    A stored copy that changed, disappeared or became a symbolic link (never followed),
    or a stamp that is broken, is a finding; so is anything :func:`check_store` finds:
    a stamp the execution log recorded that is gone (or holds another digest), a stamp
    it never recorded, a file in the store that no stamp names.  With
    ``originals=True`` the files in the working tree are checked too (a changed
    original is a finding; a removed one is not).
    """
    report = VerifyReport()
    if iteration_id is not None:
        iterations = [iteration_id]
        if not (layout.artifacts_dir / iteration_id).is_dir():
            from dde_ci.artifacts import archive_dir

            archived = archive_dir(layout) / f"{iteration_id}.tar.gz"
            if archived.is_file():  # pruned: the archive was compared before the folder went
                raise NotFound(f"iteration {iteration_id!r} was pruned into {archived}")
            if not logged_stamps(layout.execution_log(iteration_id)):
                raise NotFound(f"no stamped artifacts for iteration {iteration_id!r}")
    elif layout.artifacts_dir.is_dir():
        iterations = sorted(p.name for p in layout.artifacts_dir.iterdir() if p.is_dir())
    else:
        iterations = []
    for iteration in iterations:
        log_path = layout.execution_log(iteration)
        logged = logged_stamps(log_path) if log_path.is_file() else None
        folder = layout.artifacts_dir / iteration
        nodes = {p.name for p in folder.iterdir() if p.is_dir()} if folder.is_dir() else set()
        for node in sorted(nodes | set(logged or {})):
            _verify_node(layout, folder / node, logged, originals, report)
    return report


def _verify_node(
    layout: Layout,
    folder: Path,
    logged: Mapping[str, Mapping[str, str]] | None,
    originals: bool,
    report: VerifyReport,
) -> None:
    """Check one node's store ``folder``: its stamps, their stored copies, the record."""
    if folder.is_symlink():
        report.findings.append(
            Diagnostic("the node's store folder is a symbolic link", Location(str(folder)))
        )
        return
    subjects: dict[str, str] = {}
    broken: set[str] = set()
    stamps: list[tuple[Stamp, str]] = []
    paths = sorted(p for p in folder.glob(f"*{STAMP_SUFFIX}") if not p.is_dir())
    for path in paths:
        report.checked += 1
        shown = _relative(layout.root, path)
        if path.is_symlink() or not path.is_file():
            report.findings.append(Diagnostic("stamp is not a regular file", Location(shown)))
            broken.add(unquote(path.name.removesuffix(STAMP_SUFFIX)))
            continue
        try:
            stamp = load_stamp(path)
        except InputError as exc:
            report.findings.append(Diagnostic(exc.message, Location(shown)))
            broken.add(unquote(path.name.removesuffix(STAMP_SUFFIX)))
            continue
        expected_iteration, expected_node = path.parent.parent.name, path.parent.name
        if (stamp.iteration_id, stamp.node_id) != (expected_iteration, expected_node):
            report.findings.append(
                Diagnostic(
                    f"stamp names {stamp.iteration_id}/{stamp.node_id} but is kept under "
                    f"{expected_iteration}/{expected_node}",
                    Location(shown),
                )
            )
        if stamp_file_name(stamp.artifact) != path.name or not is_relative_inside(stamp.artifact):
            report.findings.append(
                Diagnostic(
                    f"stamp subject {stamp.artifact!r} does not match its file name",
                    Location(shown),
                )
            )
            continue
        subjects[stamp.artifact] = stamp.sha256
        stamps.append((stamp, shown))
        if originals:
            original = layout.root / stamp.artifact
            if original.is_file():
                actual = hash_file(original)
                if actual != stamp.sha256:
                    report.findings.append(
                        Diagnostic(
                            f"artifact {stamp.artifact!r} in the working tree no longer matches "
                            f"its stamp ({shown}): sha256 is {actual}, "
                            f"the stamp says {stamp.sha256}",
                            Location(stamp.artifact),
                        )
                    )
    record = None if logged is None else logged.get(folder.name, {})
    linked: set[str] = set()
    problems = check_store(folder, subjects, record, linked)
    for name in sorted(linked):
        report.findings.append(
            Diagnostic(
                f"stored artifact {name!r} is a symbolic link: the store was tampered with "
                "(the link is not followed)",
                Location(_shown_path(layout, folder / name)),
            )
        )
    for stamp, shown in stamps:
        if stamp.artifact not in linked:
            _verify_copy(layout, stamp, shown, report)
    for problem in problems:
        if problem.name in broken:
            continue  # reported as a broken stamp already
        where = folder / problem.name if problem.kind in ("unexpected_file", "link") else folder
        report.findings.append(Diagnostic(problem.message, Location(_shown_path(layout, where))))


def _verify_copy(layout: Layout, stamp: Stamp, shown: str, report: VerifyReport) -> None:
    """The stored copy of ``stamp`` (not a link): a regular file with the stamped digest."""
    from dde_ci.files import open_regular

    stored = stamp.stored_path
    try:
        fd, _ = open_regular(stored)
    except OSError:
        report.findings.append(
            Diagnostic(f"stored artifact {stamp.artifact!r} is missing", Location(shown))
        )
        return
    with os.fdopen(fd, "rb") as handle:
        actual = hashlib.file_digest(handle, "sha256").hexdigest()
    if actual != stamp.sha256:
        report.findings.append(
            Diagnostic(
                f"artifact {stamp.artifact!r} was modified after stamping: sha256 is "
                f"{actual}, the stamp says {stamp.sha256}",
                Location(_relative(layout.root, stored)),
            )
        )


def _shown_path(layout: Layout, path: Path) -> str:
    """``path`` relative to the project (not resolved: a link is shown where it is)."""
    try:
        return path.relative_to(layout.root).as_posix()
    except ValueError:
        return str(path)
