"""Audit of stamps: every declared artifact stamped, and its bytes still the stamped bytes.

Stamps are in-toto Statement v1 files ``.dde/artifacts/{it}/{node}/*.intoto.json``
whose subjects name each artifact (path relative to the manifest root) with its
SHA-256.  The stored copy ``.dde/artifacts/{it}/{node}/{name}`` is the record:
it must exist and match.  The working copy ``{root}/{name}`` may legitimately be
rebuilt later, so a difference there is only a warning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dde_ci.audit.model import BLOCKING, WARNING, Counts, Violation
from dde_ci.audit.records import matches, read_record, sha256_file
from dde_ci.errors import DdeError
from dde_ci.layout import inside

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
STAMP_PREDICATE = "https://dde-ci.dev/stamp/v1"
STAMP_SUFFIX = ".intoto.json"


def read_stamps(
    folder: Path, iteration_id: str, node_id: str, found: list[Violation]
) -> dict[str, str]:
    """Subjects (artifact name -> sha256 hex) of every stamp in ``folder``."""
    subjects: dict[str, str] = {}
    try:
        files = sorted(p for p in folder.iterdir() if p.name.endswith(STAMP_SUFFIX))
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
                    details={"path": str(path)},
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
        digest = subject.get("digest") if isinstance(subject, dict) else None
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


def audit_artifacts(
    node_id: str,
    declared: list[str],
    store: Path,
    root: Path,
    iteration_id: str,
    *,
    counts: Counts,
) -> list[Violation]:
    """Check a completed node's stamps against its declared artifact globs and their bytes."""
    found: list[Violation] = []
    subjects = read_stamps(store, iteration_id, node_id, found) if declared else {}
    rerun = f"re-run node {node_id}"
    for pattern in declared:
        counts.artifacts_declared += 1
        if not any(matches(pattern, name) for name in subjects):
            counts.artifacts_missing += 1
            found.append(
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
        try:
            stored = inside(store, name, what="stamped artifact")
            working = inside(root, name, what="stamped artifact")
        except DdeError as exc:
            found.append(
                Violation(
                    type="stamp_invalid",
                    node_id=node_id,
                    severity=BLOCKING,
                    message=f"a stamp of node {node_id} names {name!r}: {exc.message}",
                    recommendation=f"{rerun} so its artifacts are stamped again",
                    details={"artifact": name},
                )
            )
            continue
        now = sha256_file(stored)
        if now is None:
            counts.artifacts_missing += 1
            found.append(
                Violation(
                    type="artifact_missing",
                    node_id=node_id,
                    severity=BLOCKING,
                    message=f"stamped artifact {name} of node {node_id} is gone from the "
                    f"artifact store ({stored})",
                    recommendation=f"restore {stored} from a backup or the workflow artifact, "
                    f"or {rerun}",
                    details={"artifact": name, "stored": str(stored), "stamped": digest},
                )
            )
            continue
        if now != digest:
            counts.artifacts_tampered += 1
            found.append(
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
                        "stored": str(stored),
                        "stamped": f"sha256:{digest}",
                        "actual": f"sha256:{now}",
                    },
                )
            )
            continue
        if working != stored and working.is_file():
            current = sha256_file(working)
            if current is not None and current != digest:
                found.append(
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
                            "working": str(working),
                            "stamped": f"sha256:{digest}",
                            "actual": f"sha256:{current}",
                        },
                    )
                )
    return found
