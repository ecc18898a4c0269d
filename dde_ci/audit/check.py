"""Rebuild the as-built record of an iteration from files and check it against the manifest.

:func:`audit_iteration` reads only files (see DESIGN.md's layout):
:mod:`dde_ci.audit.reading` reads them, then :func:`check_as_built` applies the
rules below to what was read.  It never raises for a missing or broken record:
each one becomes a :class:`~dde_ci.audit.model.Violation` with a
recommendation.  The checks:

* completeness: every planned node COMPLETED, no unplanned node ran;
* gates: every blocking gate passed, or was bypassed under an accepted,
  unexpired ADR; warnings listed;
* artifacts: every declared artifact stamped, its stored bytes still match;
* contracts: every produced contract locked; every consumer verified against
  the locked digest;
* order: no node started before each of its dependencies (interfaces included)
  completed, read from the log's timestamps;
* the log is whole: no torn or invalid lines, no gaps in a node's attempts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from dde_ci.audit.artifacts import audit_artifacts
from dde_ci.audit.contracts import audit_consumer, read_locks
from dde_ci.audit.gates import audit_gates
from dde_ci.audit.model import (
    BLOCKING,
    CANCELLED,
    COMPLETED,
    FAILED,
    NOT_RUN,
    RUNNING,
    SKIPPED,
    AuditReport,
    Counts,
    GateWarning,
    NodeRecord,
    Override,
    Violation,
)
from dde_ci.audit.reading import AsBuilt, LogFindings, NodeFiles, read_as_built
from dde_ci.audit.records import Record
from dde_ci.audit.timeline import NodeTimeline, Timeline
from dde_ci.layout import Layout
from dde_ci.log import ExecutionLog
from dde_ci.perf import collector_paused

if TYPE_CHECKING:
    from dde_ci.graph import Graph
    from dde_ci.manifest.models import Manifest

MAX_LOG_PROBLEMS_LISTED = 50
_STATUS_WORDS = {
    FAILED: "failed",
    SKIPPED: "was skipped",
    CANCELLED: "was cancelled",
    RUNNING: "started but never finished",
}


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def audit_iteration(
    manifest: Manifest,
    iteration_id: str,
    *,
    now: datetime | None = None,
    override: Override | None = None,
    graph: Graph | None = None,
) -> AuditReport:
    """Audit ``iteration_id`` of ``manifest``; ``override`` applies only if the audit fails.

    Reads the iteration's files (:func:`~dde_ci.audit.reading.read_as_built`),
    then checks them (:func:`check_as_built`).
    """
    with collector_paused():
        built = read_as_built(manifest, iteration_id)
        return check_as_built(
            manifest, iteration_id, built, now=now, override=override, graph=graph
        )


def check_as_built(
    manifest: Manifest,
    iteration_id: str,
    built: AsBuilt,
    *,
    now: datetime | None = None,
    override: Override | None = None,
    graph: Graph | None = None,
) -> AuditReport:
    """Every rule of the audit, applied to what was read for ``iteration_id``.

    Two rules still read as they go, because what they read depends on what they
    find: the contract rules read ``contracts.lock`` and the registry entries it
    names (:func:`~dde_ci.audit.contracts.read_locks`), the gate rules the ADR a
    bypass names.
    """
    from dde_ci.graph import build_graph

    moment = now or datetime.now(UTC)
    layout = Layout(manifest.root)
    store_dir = str(layout.artifacts_dir / iteration_id)
    root_dir = str(manifest.root)
    files = built.nodes
    graph = graph or build_graph(manifest)
    counts = Counts()
    violations: list[Violation] = []
    warnings: list[GateWarning] = []

    timeline = _log_findings(built.log, built.log_path, iteration_id, counts, violations)
    records, results = _node_records(manifest, files, timeline, log_missing=built.log is None)
    for record in records:
        seen = timeline.nodes.get(record.node_id)
        violations.extend(_outcome_problems(record, results[record.node_id], seen, iteration_id))
    records.extend(_unplanned(manifest, layout, iteration_id, built, timeline, violations))
    violations.extend(_order_problems(manifest, graph, timeline))

    completed = {r.node_id for r in records if r.planned and r.status == COMPLETED}
    ran = {r.node_id for r in records if r.planned and r.status != NOT_RUN}
    root = manifest.root
    today = moment.date()
    produced = {c: n.id for n in manifest.nodes for c in n.produces}
    locked = read_locks(layout, produced, completed, counts, violations)
    for node in manifest.nodes:
        found = files[node.id]
        if node.id in ran:
            # a node that did not complete is a violation already: its gate results are
            # checked for what they say, but missing ones are expected only when it completed
            violations.extend(
                audit_gates(
                    node.id,
                    list(node.gates),
                    found.gates,
                    node.id in completed,
                    root=root,
                    today=today,
                    counts=counts,
                    warnings=warnings,
                )
            )
        if node.id not in completed:
            continue
        if found.artifacts is not None:
            violations.extend(
                audit_artifacts(
                    node.id,
                    list(node.artifacts),
                    found.artifacts,
                    f"{store_dir}/{node.id}",
                    root_dir,
                    counts=counts,
                )
            )
        if found.contracts is not None and found.context is not None:
            violations.extend(
                audit_consumer(
                    node.id, list(node.consumes), locked, found.contracts, found.context, counts
                )
            )

    index = {nid: i for i, nid in enumerate(graph.ids)}
    violations.sort(key=lambda v: (v.severity != BLOCKING, index.get(v.node_id or "", -1)))
    report = AuditReport(
        iteration_id=iteration_id,
        workflow=manifest.workflow,
        manifest=str(manifest.path),
        audited_at=_iso(moment) or "",
        nodes=records,
        violations=violations,
        warnings=warnings,
        counts=counts,
        run_ids=timeline.run_ids,
    )
    if override is not None:
        report.override = Override(
            adr=override.adr,
            title=override.title,
            approvers=list(override.approvers),
            date=override.date,
            expires=override.expires,
            applied=not report.passed,
        )
    return report


def _log_findings(
    loaded: LogFindings | None,
    path: Path,
    iteration_id: str,
    counts: Counts,
    violations: list[Violation],
) -> Timeline:
    if loaded is None:
        violations.append(
            Violation(
                type="log_missing",
                node_id=None,
                severity=BLOCKING,
                message=f"there is no execution log for iteration {iteration_id} ({path})",
                recommendation=f"run the iteration (dde-ci run --iteration {iteration_id}), or "
                "download every node's workflow artifact into reports/ before auditing",
                details={"path": str(path)},
            )
        )
        return Timeline()
    problems, timeline = loaded.problems, loaded.timeline
    counts.log_problems = len(problems)
    for problem in problems[:MAX_LOG_PROBLEMS_LISTED]:
        torn = "torn" in problem.message
        violations.append(
            Violation(
                type="log_torn_line" if torn else "log_invalid_line",
                node_id=None,
                severity=BLOCKING,
                message=str(problem),
                recommendation="the execution log is not whole: restore it from the run's "
                "artifact, or re-run the iteration; never edit the log by hand",
                details={
                    "path": problem.location.path if problem.location else str(path),
                    "line": problem.location.line if problem.location else 0,
                },
            )
        )
    hidden = len(problems) - MAX_LOG_PROBLEMS_LISTED
    if hidden > 0:
        violations.append(
            Violation(
                type="log_invalid_line",
                node_id=None,
                severity=BLOCKING,
                message=f"{hidden} more bad line(s) in {path}",
                recommendation="the execution log is not whole: restore it from the run's "
                "artifact, or re-run the iteration",
                details={"path": str(path), "more": hidden},
            )
        )
    counts.log_events = timeline.events
    violations.extend(timeline.violations)
    return timeline


def _node_records(
    manifest: Manifest,
    files: dict[str, NodeFiles],
    timeline: Timeline,
    *,
    log_missing: bool,
) -> tuple[list[NodeRecord], dict[str, tuple[Record, str | None, bool]]]:
    """The as-built record of each planned node, and (result record, log status, log missing)."""
    records: list[NodeRecord] = []
    results: dict[str, tuple[Record, str | None, bool]] = {}
    for node in manifest.nodes:
        seen = timeline.nodes.get(node.id)
        result = files[node.id].result
        log_status: str | None = None
        if seen is not None:
            log_status = seen.terminal or (RUNNING if seen.started else None)
        result_status = result.data.get("status") if result.ok else None
        if not isinstance(result_status, str):
            result_status = None
        status = log_status or result_status or NOT_RUN
        record = NodeRecord(node_id=node.id, type=node.type.value, status=status)
        _fill_times(record, seen, result)
        records.append(record)
        results[node.id] = (result, log_status, log_missing)
    return records, results


def _fill_times(record: NodeRecord, seen: NodeTimeline | None, result: Record) -> None:
    data = result.data if result.ok else {}
    if seen is not None and seen.first_started is not None:
        record.started_at = seen.first_started_text
        record.attempts = max(seen.attempt_numbers, default=len(seen.started))
        record.agent_id = seen.agent_id
        if seen.terminal_at is not None:
            record.finished_at = seen.terminal_text
            record.duration_s = round((seen.terminal_at - seen.first_started).total_seconds(), 6)
        return
    attempts = data.get("attempts")
    if isinstance(attempts, int) and not isinstance(attempts, bool):
        record.attempts = attempts
    for key in ("started_at", "finished_at"):
        value = data.get(key)
        if isinstance(value, str):
            setattr(record, key, value)


def _outcome_problems(
    record: NodeRecord,
    found: tuple[Record, str | None, bool],
    seen: NodeTimeline | None,
    iteration_id: str,
) -> list[Violation]:
    result, log_status, log_missing = found
    node_id = record.node_id
    out: list[Violation] = []
    shown = str(result.path)
    if record.status == NOT_RUN:
        return [
            Violation(
                type="node_not_run",
                node_id=node_id,
                severity=BLOCKING,
                message=f"node {node_id} never ran: no events in the log and no {shown}",
                recommendation=f"re-run node {node_id} (dde-ci node run {node_id} "
                f"--iteration {iteration_id}, or dde-ci run)",
                details={},
            )
        ]
    if record.status != COMPLETED:
        data = result.data if result.ok else {}
        said = {**(seen.terminal_details if seen is not None else {}), **data}
        reason = said.get("message") or said.get("reason")
        reason = reason if isinstance(reason, str) and reason else None
        because = said.get("because")
        waits_for = (
            f"{because} completes" if isinstance(because, str) else "its dependencies complete"
        )
        out.append(
            Violation(
                type=f"node_{record.status.lower()}",
                node_id=node_id,
                severity=BLOCKING,
                message=f"node {node_id} {_STATUS_WORDS[record.status]}"
                + (f": {reason}" if reason else ""),
                recommendation=(
                    f"resume the run or re-run node {node_id}"
                    if record.status == RUNNING
                    else f"fix the cause (see {shown}) and re-run node {node_id}"
                    if record.status == FAILED
                    else f"re-run node {node_id} once {waits_for}"
                ),
                details={
                    "status": record.status,
                    "attempts": record.attempts,
                    "exit_code": said.get("exit_code"),
                },
            )
        )
    if result.missing:
        if log_status in (COMPLETED, FAILED):
            out.append(
                Violation(
                    type="result_missing",
                    node_id=node_id,
                    severity=BLOCKING,
                    message=f"node {node_id} is {log_status} in the log but has no {shown}",
                    recommendation=f"restore {shown} from the node's workflow artifact, or "
                    f"re-run node {node_id}",
                    details={"path": shown},
                )
            )
    elif not result.ok:
        out.append(
            Violation(
                type="result_invalid",
                node_id=node_id,
                severity=BLOCKING,
                message=f"the result of node {node_id} ({shown}) {result.problem}",
                recommendation=f"re-run node {node_id}",
                details={"path": shown},
            )
        )
    else:
        result_status = result.data.get("status")
        if not log_missing and result_status != log_status:
            in_log = f"is {log_status} in the log" if log_status else "has no outcome in the log"
            out.append(
                Violation(
                    type="record_mismatch",
                    node_id=node_id,
                    severity=BLOCKING,
                    message=f"node {node_id} {in_log} but {result_status} in {shown}",
                    recommendation=f"the records disagree: re-run node {node_id} so the log "
                    "and its result agree",
                    details={"log_status": log_status, "result_status": result_status},
                )
            )
    return out


def _unplanned(
    manifest: Manifest,
    layout: Layout,
    iteration_id: str,
    built: AsBuilt,
    timeline: Timeline,
    violations: list[Violation],
) -> list[NodeRecord]:
    planned = {node.id for node in manifest.nodes}
    seen: dict[str, str] = {
        nid: "the execution log" for nid in timeline.nodes if nid not in planned
    }
    for name, child in built.unplanned_folders.items():
        seen.setdefault(name, child)
    folder = layout.iteration_dir(iteration_id)
    out: list[NodeRecord] = []
    for nid, where in sorted(seen.items()):
        tl = timeline.nodes.get(nid)
        record = NodeRecord(node_id=nid, type=None, planned=False)
        if tl is not None:
            record.status = tl.terminal or (RUNNING if tl.started else NOT_RUN)
            _fill_times(record, tl, Record(""))
        out.append(record)
        violations.append(
            Violation(
                type="unplanned_node",
                node_id=nid,
                severity=BLOCKING,
                message=f"node {nid} ran but the manifest does not plan it (found in {where})",
                recommendation=f"add node {nid} to the manifest and re-run the iteration, or "
                f"find out what ran it and remove its records from {folder}",
                details={"found_in": where},
            )
        )
    return out


def _order_problems(manifest: Manifest, graph: Graph, timeline: Timeline) -> list[Violation]:
    """No node started before every dependency (interfaces included) completed."""
    out: list[Violation] = []
    nodes = timeline.nodes
    for node_id in graph.ids:
        seen = nodes.get(node_id)
        if seen is None or seen.first_started is None:
            continue
        start = seen.first_started
        for dep in graph.preds[node_id]:
            done = nodes[dep].first_completed if dep in nodes else None
            if done is not None and done <= start:
                continue
            consumes = manifest.node(node_id).consumes
            via = sorted(set(manifest.node(dep).produces) & set(consumes))
            what = f"interface {dep} (contract {', '.join(via)})" if via else f"dependency {dep}"
            when = f"completed at {_iso(done)}" if done is not None else "never completed"
            out.append(
                Violation(
                    type="order_violation",
                    node_id=node_id,
                    severity=BLOCKING,
                    message=f"node {node_id} started at {_iso(start)}, before its {what} {when}",
                    recommendation=f"re-run node {node_id} after {dep} completes, and check "
                    "what started it early (a hand-run step or a broken scheduler)",
                    details={
                        "dependency": dep,
                        "started_at": _iso(start),
                        "dependency_completed_at": _iso(done),
                        "contracts": via,
                    },
                )
            )
    return out


def _end_torn_line(path: Path) -> None:
    """Finish a torn last line first, so the audit's own events are never glued to it."""
    try:
        with path.open("rb+") as handle:
            handle.seek(0, 2)
            if handle.tell() == 0:
                return
            handle.seek(-1, 2)
            if handle.read(1) != b"\n":
                handle.write(b"\n")
    except FileNotFoundError:
        return


def log_audit(report: AuditReport, log_path: Path, run_id: str | None = None) -> None:
    """Append ``audit.completed`` (and ``audit.overridden`` when applied) to the log.

    Nothing is written when the iteration has no log: the audit never makes up a
    log for an iteration that did not run (its report says so instead).
    """
    if not log_path.is_file():
        return
    log = ExecutionLog(log_path, report.iteration_id, run_id)
    _end_torn_line(log_path)
    details = {
        "result": report.result,
        "deployable": report.deployable,
        "score": round(report.score, 6),
        "violations": len(report.violations),
        "blocking": len(report.blocking),
    }
    if report.overridden and report.override is not None:
        log.emit(
            "audit.overridden",
            details={
                "adr": report.override.adr,
                "title": report.override.title,
                "approvers": report.override.approvers,
                "result": report.result,
            },
        )
    log.emit("audit.completed", details=details)
    log.sync()
