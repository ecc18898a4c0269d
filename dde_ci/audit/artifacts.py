"""Audit of stamps: every declared artifact stamped, and its bytes still the stamped bytes.

Stamps are in-toto Statement v1 files ``.dde/artifacts/{it}/{node}/*.intoto.json``
whose subjects name each artifact (path relative to the manifest root) with its
SHA-256.  The stored copy ``.dde/artifacts/{it}/{node}/{name}`` is the record:
it must exist and match, and never be a link (it is not followed).  The working
copy ``{root}/{name}`` may legitimately be rebuilt later, so a difference there is
only a warning.  The store is also checked against the execution log's
``artifact.stamped`` events, both ways (:func:`dde_ci.stamping.check_store`): a
stamp the log recorded that is gone or changed, a stamp it never recorded, and a
file no stamp names are blocking violations.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from dde_ci.audit.model import BLOCKING, WARNING, Counts, Violation
from dde_ci.audit.records import matches, read_record, sha256_and_stat, sha256_file
from dde_ci.layout import is_relative_inside
from dde_ci.stamping import StoreProblem, check_store, logged_stamps

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
STAMP_PREDICATE = "https://dde-ci.dev/stamp/v1"
STAMP_SUFFIX = ".intoto.json"


def read_stamps(
    folder: str, iteration_id: str, node_id: str, found: list[Violation]
) -> dict[str, str]:
    """Subjects (artifact name -> sha256 hex) of every stamp in ``folder``."""
    subjects: dict[str, str] = {}
    try:
        with os.scandir(folder) as entries:
            files = sorted(e.path for e in entries if e.name.endswith(STAMP_SUFFIX))
    except OSError:
        return subjects
    for path in files:
        record = read_record(path)
        problem = record.problem
        data: Any = record.data
        if problem is None:
            problem = _statement_problem(data, iteration_id, node_id)
        if problem is not None:
            found.append(
                Violation(
                    type="stamp_invalid",
                    node_id=node_id,
                    severity=BLOCKING,
                    message=f"stamp {path} {problem}",
                    recommendation=f"re-run node {node_id} so its artifacts are stamped again",
                    details={"path": path},
                )
            )
            continue
        for subject in data["subject"]:
            subjects[subject["name"]] = subject["digest"]["sha256"].lower()
    return subjects


def _statement_problem(data: Any, iteration_id: str, node_id: str) -> str | None:
    if data.get("_type") != STATEMENT_TYPE:
        return f"is not an in-toto Statement v1 (_type {data.get('_type')!r})"
    if data.get("predicateType") != STAMP_PREDICATE:
        return f"has predicateType {data.get('predicateType')!r}, expected {STAMP_PREDICATE}"
    subjects = data.get("subject")
    if not isinstance(subjects, list) or not subjects:
        return "has no subjects"
    for subject in subjects:
        if not isinstance(subject, dict):
            return "has a subject that is not an object"
        digest = subject.get("digest")
        sha = digest.get("sha256") if isinstance(digest, dict) else None
        if not isinstance(subject.get("name"), str) or not isinstance(sha, str) or len(sha) != 64:
            return "has a subject without a name and a sha256 digest"
    predicate = data.get("predicate")
    if isinstance(predicate, dict):
        for key, want in (("iteration_id", iteration_id), ("node_id", node_id)):
            got = predicate.get(key)
            if got is not None and got != want:
                return f"was made for {key} {got!r}, not {want!r}"
    return None


@dataclass(slots=True)
class StoredArtifacts:
    """A node's stamps and the digests of the files they name, read before any check
    (by :mod:`dde_ci.audit.reading`; :func:`audit_artifacts` judges them)."""

    subjects: dict[str, str] = field(default_factory=dict)  # name -> stamped sha256
    invalid: list[Violation] = field(default_factory=list)  # stamps that could not be read
    stored: dict[str, str | None] = field(default_factory=dict)  # name -> digest now (None: gone)
    working: dict[str, str | None] = field(default_factory=dict)  # name -> working copy digest
    linked: list[str] = field(default_factory=list)  # stored copies that are symbolic links
    # what the store holds that the execution log (and the stamps) do not account for
    problems: list[StoreProblem] = field(default_factory=list)


def read_artifacts(store: str, root: str, iteration_id: str, node_id: str) -> StoredArtifacts:
    """Read the stamps in ``store`` and hash the stored copies they name (never outside it:
    a link is not followed), and compare the store with the log's ``artifact.stamped``."""
    found = StoredArtifacts()
    found.subjects = read_stamps(store, iteration_id, node_id, found.invalid)
    logged = _logged(f"{root}/reports/{iteration_id}/execution.log")  # Layout.execution_log
    broken = {
        unquote(Path(str(v.details.get("path", ""))).name.removesuffix(STAMP_SUFFIX))
        for v in found.invalid
    }
    linked: set[str] = set()
    record = None if logged is None else logged.get(node_id, {})
    problems = check_store(store, found.subjects, record, linked)
    found.problems = [p for p in problems if p.name not in broken]
    found.linked = sorted(linked)
    for name in found.subjects:
        if not is_relative_inside(name) or name in linked:
            continue
        stored = f"{store}/{name}"
        hashed = sha256_and_stat(stored)
        if hashed is None:
            found.stored[name] = None
            continue
        found.stored[name] = hashed[0]
        found.working[name] = _working_copy_digest(f"{root}/{name}", hashed[1])
    return found


def _logged(log_path: str) -> dict[str, dict[str, str]] | None:
    """The log's stamps (:func:`dde_ci.stamping.logged_stamps`), read once per log state;
    None without a log (the audit reports a missing log already)."""
    try:
        info = os.stat(log_path)  # noqa: PTH116
    except OSError:
        return None
    return _logged_at(log_path, info.st_size, info.st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _logged_at(log_path: str, _size: int, _mtime_ns: int) -> dict[str, dict[str, str]]:
    return logged_stamps(Path(log_path))


# a store problem -> (violation type, what to do)
_STORE_VIOLATIONS = {
    "stamp_missing": ("stamp_missing", "restore the stamp and its copy from the workflow artifact"),
    "stamp_changed": ("artifact_tampered", "find out who replaced the stamp and its copy"),
    "stamp_not_logged": (
        "stamp_not_logged",
        "remove the stamp, or stamp the file with dde-ci stamp",
    ),
    "unexpected_file": ("store_tampered", "find out who put it there, then remove it"),
    "link": ("store_tampered", "find out who put it there, then remove it"),
}


def _store_violations(
    node_id: str, found: StoredArtifacts, store: str, counts: Counts
) -> list[Violation]:
    out = []
    for name in found.linked:
        counts.artifacts_tampered += 1
        out.append(
            Violation(
                type="artifact_tampered",
                node_id=node_id,
                severity=BLOCKING,
                message=f"the stored copy of {name} of node {node_id} is a symbolic link "
                f"({store}/{name}); it was not followed",
                recommendation=f"find out who replaced {store}/{name}; re-run node {node_id}",
                details={"artifact": name, "stored": f"{store}/{name}"},
            )
        )
    for problem in found.problems:
        kind, todo = _STORE_VIOLATIONS[problem.kind]
        if kind == "artifact_tampered":
            counts.artifacts_tampered += 1
        elif kind == "stamp_missing":
            counts.artifacts_missing += 1
        out.append(
            Violation(
                type=kind,
                node_id=node_id,
                severity=BLOCKING,
                message=f"artifact store of node {node_id} ({store}): {problem.message}",
                recommendation=f"{todo}, or re-run node {node_id}",
                details={"name": problem.name, "store": store},
            )
        )
    return out


def audit_artifacts(
    node_id: str,
    declared: list[str],
    found: StoredArtifacts,
    store: str,
    root: str,
    *,
    counts: Counts,
) -> list[Violation]:
    """Check a completed node's stamps against its declared artifact globs and their bytes."""
    violations = [*found.invalid, *_store_violations(node_id, found, store, counts)]
    subjects = found.subjects
    rerun = f"re-run node {node_id}"
    for pattern in declared:
        counts.artifacts_declared += 1
        if not any(matches(pattern, name) for name in subjects):
            counts.artifacts_missing += 1
            violations.append(
                Violation(
                    type="artifact_not_stamped",
                    node_id=node_id,
                    severity=BLOCKING,
                    message=f"declared artifact {pattern!r} of node {node_id} has no stamp "
                    f"in {store}",
                    recommendation=f"{rerun} so it produces and stamps {pattern!r} "
                    f"(or stamp it by hand: dde-ci stamp {node_id} PATH)",
                    details={"artifact": pattern, "store": str(store)},
                )
            )
        else:
            counts.artifacts_stamped += 1
    for name, digest in subjects.items():
        if not is_relative_inside(name):
            violations.append(
                Violation(
                    type="stamp_invalid",
                    node_id=node_id,
                    severity=BLOCKING,
                    message=f"a stamp of node {node_id} names {name!r}, which is not a "
                    "relative path inside the project",
                    recommendation=f"{rerun} so its artifacts are stamped again",
                    details={"artifact": name},
                )
            )
            continue
        stored = f"{store}/{name}"
        working = f"{root}/{name}"
        if name in found.linked:
            continue  # reported above
        now = found.stored.get(name)
        if now is None:
            counts.artifacts_missing += 1
            violations.append(
                Violation(
                    type="artifact_missing",
                    node_id=node_id,
                    severity=BLOCKING,
                    message=f"stamped artifact {name} of node {node_id} is gone from the "
                    f"artifact store ({stored})",
                    recommendation=f"restore {stored} from a backup or the workflow artifact, "
                    f"or {rerun}",
                    details={"artifact": name, "stored": stored, "stamped": digest},
                )
            )
            continue
        if now != digest:
            counts.artifacts_tampered += 1
            violations.append(
                Violation(
                    type="artifact_tampered",
                    node_id=node_id,
                    severity=BLOCKING,
                    message=f"artifact {name} of node {node_id} no longer matches its stamp "
                    f"(stamped sha256:{digest[:12]}..., now sha256:{now[:12]}...)",
                    recommendation=f"find out who changed {stored}; {rerun} to build and "
                    "stamp it again",
                    details={
                        "artifact": name,
                        "stored": stored,
                        "stamped": f"sha256:{digest}",
                        "actual": f"sha256:{now}",
                    },
                )
            )
            continue
        current = found.working.get(name)
        if current is not None and current != digest:
            violations.append(
                Violation(
                    type="artifact_modified",
                    node_id=node_id,
                    severity=WARNING,
                    message=f"the working copy of {name} differs from what node {node_id} "
                    "stamped (the stored copy still matches)",
                    recommendation=f"deploy the stored copy {stored}, or {rerun} if the "
                    "working copy is what should ship",
                    details={
                        "artifact": name,
                        "working": working,
                        "stamped": f"sha256:{digest}",
                        "actual": f"sha256:{current}",
                    },
                )
            )
    return violations


def _working_copy_digest(working: str, kept: os.stat_result) -> str | None:
    """The working copy's digest when it may differ from the stamp; None when absent or same.

    Hashing every artifact twice would double the audit's time, so the working
    copy is hashed only when its size differs from the stored copy's (``kept``,
    taken when the stored copy was hashed) or it was modified after the stored
    copy was written (the stored copy, the record, is always hashed, so
    tampering with it is always caught).
    """
    try:
        here = os.stat(working)  # noqa: PTH116 - hot path: no Path objects per artifact
    except OSError:
        return None
    if here.st_size == kept.st_size and here.st_mtime_ns <= kept.st_mtime_ns:
        return None
    return sha256_file(working)
