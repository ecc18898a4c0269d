"""Rebuild the as-built record of an iteration from files and check it against the manifest.

:func:`audit_iteration` reads only files (see DESIGN.md's layout) and never
raises for a missing or broken record: each one becomes a
:class:`~dde_ci.audit.model.Violation` with a recommendation.  The checks:

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

import contextlib
import os
import pickle
import struct
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dde_ci.audit.artifacts import StoredArtifacts, audit_artifacts, read_artifacts
from dde_ci.audit.contracts import active_ignores, audit_consumer, read_locks
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
from dde_ci.audit.records import Record, read_record
from dde_ci.audit.timeline import NodeTimeline, Timeline, build_timeline
from dde_ci.errors import Diagnostic
from dde_ci.forking import Pending, call_in_child, can_fork
from dde_ci.layout import Layout
from dde_ci.log import ExecutionLog, iter_events
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
    parallel: bool = False,
    reading: Reading | None = None,
) -> AuditReport:
    """Audit ``iteration_id`` of ``manifest``; ``override`` applies only if the audit fails.

    ``reading``: what :func:`start_reading` started for this manifest's folder and
    iteration before the manifest was loaded, so the log is read in a child
    process while the manifest loads (what ``dde-ci audit`` does).  Without it,
    reading starts here, in this process unless ``parallel``: here the child
    would overlap only the node records, which costs about what it saves.  The
    report is the same either way.
    """
    with collector_paused():
        if reading is None:
            reading = start_reading(manifest.root, iteration_id, parallel=parallel)
        with reading:
            return _audit(
                manifest, iteration_id, now=now, override=override, graph=graph, reading=reading
            )


@dataclass(slots=True)
class Preread:
    """What the audit reads before it needs the manifest: the log, and the artifact
    store (``.dde/artifacts/{iteration}/{node}``: each node's stamps and the digests of
    the stored copies they name)."""

    log: tuple[list[Diagnostic], Timeline] | None  # None: there is no log
    artifacts: dict[str, StoredArtifacts]
    log_sent: bool = False  # the log went ahead through the Share (see Share.send_log)


# a log this large is read in a child process (about 20,000 events): below it, forking
# costs more than it saves
PARALLEL_LOG_BYTES = 4 * 1024 * 1024


def start_reading(root: Path, iteration_id: str, *, parallel: bool | None = None) -> Reading:
    """Start reading the log and the artifact store of ``iteration_id``.

    With ``parallel`` (None: when the log is large and a core is free) this runs
    in a forked child while the caller loads the manifest, builds the graph and
    reads the node records (see :mod:`dde_ci.forking`); the two share the
    artifact store as they go and the log's timeline comes over as soon as it is
    read (see :class:`Share`).
    Use the result as a context manager, or pass it to :func:`audit_iteration`.
    """
    layout = Layout(root)
    if parallel is None:
        parallel = (
            _log_size(layout.execution_log(iteration_id)) >= PARALLEL_LOG_BYTES and can_fork()
        )
    share = Share(layout, iteration_id)
    pending = call_in_child(_preread, layout, iteration_id, share, parallel, fork=parallel)
    return Reading(pending, share)


class Share:
    """What the auditing process shares with the child that reads for it, so that
    neither waits for the other while there is work left:

    * the node folders of the artifact store, read from both ends at once: the
      child from the first (once the log is read), the auditing process from the
      last (once it has read the node records), until they meet.  Each side claims
      a folder in memory shared with the child (an anonymous shared mapping) before
      reading it and stops at the other side's claim: at worst both read the same
      folder, never neither;
    * the log's problems and timeline, sent through a memory file as soon as the
      child has them (see :meth:`send_log`), so that turning them back into objects
      here overlaps the child's reading of the store.

    Without a child the same code runs in one process, one side after the other.
    """

    def __init__(self, layout: Layout, iteration_id: str) -> None:
        import mmap

        self.store = os.fspath(layout.artifacts_dir / iteration_id)
        self.root = os.fspath(layout.root)
        self.iteration_id = iteration_id
        try:
            with os.scandir(self.store) as entries:
                self.names = sorted(e.name for e in entries if e.is_dir())
        except OSError:
            self.names = []
        # first unclaimed from the front, last claimed from the back, bytes of the log sent
        self._mem = mmap.mmap(-1, 16)  # shared with a child forked from here on
        self._mem[:16] = struct.pack("<iiq", 0, len(self.names), 0)
        self._file: Any = None  # the temporary file standing in where memfd_create is missing
        if hasattr(os, "memfd_create"):
            self._fd = os.memfd_create("dde-audit-log", os.MFD_CLOEXEC)
        else:  # pragma: no cover - not Linux
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
            self._fd = self._file.fileno()

    def _first(self) -> int:
        return int(struct.unpack_from("<i", self._mem, 0)[0])

    def _last(self) -> int:
        return int(struct.unpack_from("<i", self._mem, 4)[0])

    def read(self, name: str) -> StoredArtifacts:
        return read_artifacts(f"{self.store}/{name}", self.root, self.iteration_id, name)

    def read_front(self) -> dict[str, StoredArtifacts]:
        """The child's side: folders from the first on, until the other side's claim."""
        found: dict[str, StoredArtifacts] = {}
        while (i := self._first()) < self._last():
            struct.pack_into("<i", self._mem, 0, i + 1)
            found[self.names[i]] = self.read(self.names[i])
        return found

    def read_back(self) -> dict[str, StoredArtifacts]:
        """The auditing process's side: folders from the last down, until the child's."""
        found: dict[str, StoredArtifacts] = {}
        while (j := self._last() - 1) >= self._first():
            struct.pack_into("<i", self._mem, 4, j)
            found[self.names[j]] = self.read(self.names[j])
        return found

    def send_log(self, log: tuple[list[Diagnostic], Timeline] | None) -> bool:
        """The child's side: write the log's findings to the memory file, then their size
        (the auditing process reads nothing until the size is there).  False when it
        could not (then they go back with the rest)."""
        data = pickle.dumps(log, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            done = 0
            while done < len(data):
                done += os.pwrite(self._fd, data[done:], done)
        except OSError:
            return False
        struct.pack_into("<q", self._mem, 8, len(data))
        return True

    def take_log(self) -> tuple[bool, tuple[list[Diagnostic], Timeline] | None]:
        """(sent, the log's findings) from :meth:`send_log`; (False, None) before it."""
        size = int(struct.unpack_from("<q", self._mem, 8)[0])
        if not size:
            return False, None
        parts: list[bytes] = []
        done = 0
        while done < size:
            chunk = os.pread(self._fd, size - done, done)
            if not chunk:  # pragma: no cover - the file is ours and complete
                return False, None
            parts.append(chunk)
            done += len(chunk)
        value: tuple[list[Diagnostic], Timeline] | None = pickle.loads(b"".join(parts))  # noqa: S301 - our own child's bytes
        return True, value

    def __enter__(self) -> Share:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the shared memory and the file (twice is harmless)."""
        if self._fd < 0:
            return
        self._mem.close()
        if self._file is not None:  # pragma: no cover - not Linux
            self._file.close()
        else:
            os.close(self._fd)
        self._fd = -1


class Reading:
    """What :func:`start_reading` started: its result once this process has read its
    share of the artifact store."""

    def __init__(self, pending: Pending[Preread], share: Share) -> None:
        self._pending = pending
        self._share = share

    @property
    def forked(self) -> bool:
        """A child process was started."""
        return self._pending.forked

    @property
    def from_child(self) -> bool:
        """What the child read came back from it."""
        return self._pending.from_child

    def result(self) -> Preread:
        """Take the log's findings when the child has sent them, read the store from the
        back until the child's side, then take the child's part."""
        sent, log = self._share.take_log()
        here = self._share.read_back()
        pre = self._pending.result()
        if pre.log_sent:
            if not sent:  # it was sent while this process read the store
                sent, log = self._share.take_log()
            pre.log, pre.log_sent = log, False
        pre.artifacts.update(here)
        return pre

    def close(self) -> None:
        self._pending.close()
        self._share.close()

    def __enter__(self) -> Reading:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _preread(
    layout: Layout, iteration_id: str, share: Share | None = None, send: bool = False
) -> Preread:
    """Pure (it may run in a child): reads files, writes nothing but what it shares.
    Without ``share``, the whole store; with ``send``, the log's findings go ahead
    through ``share`` (a child's, so that they are turned into objects while it reads
    the store)."""
    with collector_paused():
        log = _load_log(layout.execution_log(iteration_id), iteration_id)
        if share is None:
            share = Share(layout, iteration_id)
            with contextlib.closing(share):
                return Preread(log, share.read_front())
        sent = send and share.send_log(log)
        return Preread(None if sent else log, share.read_front(), log_sent=sent)


def _audit(
    manifest: Manifest,
    iteration_id: str,
    *,
    now: datetime | None,
    override: Override | None,
    graph: Graph | None,
    reading: Reading,
) -> AuditReport:
    from dde_ci.graph import build_graph

    moment = now or datetime.now(UTC)
    layout = Layout(manifest.root)
    log_path = layout.execution_log(iteration_id)
    # the node records are read here while the log and the artifact store may still be
    # read in a child (see start_reading); then whatever the child did not find a folder
    # for is read here: the same as reading all here
    files = _read_node_files(manifest, layout, iteration_id)
    pre = reading.result()
    loaded = pre.log
    store_dir = os.fspath(layout.artifacts_dir / iteration_id)
    root_dir = os.fspath(manifest.root)
    for node in manifest.nodes:
        if node.artifacts:
            stored = pre.artifacts.get(node.id)
            if stored is None:
                stored = read_artifacts(f"{store_dir}/{node.id}", root_dir, iteration_id, node.id)
            files[node.id].artifacts = stored
    graph = graph or build_graph(manifest)
    counts = Counts()
    violations: list[Violation] = []
    warnings: list[GateWarning] = []

    timeline = _log_findings(loaded, log_path, iteration_id, counts, violations)
    records, results = _node_records(manifest, files, timeline, log_missing=loaded is None)
    for record in records:
        seen = timeline.nodes.get(record.node_id)
        violations.extend(_outcome_problems(record, results[record.node_id], seen, iteration_id))
    records.extend(_unplanned(manifest, layout, iteration_id, timeline, violations))
    violations.extend(_order_problems(manifest, graph, timeline))

    completed = {r.node_id for r in records if r.planned and r.status == COMPLETED}
    ran = {r.node_id for r in records if r.planned and r.status != NOT_RUN}
    root = manifest.root
    today = moment.date()
    produced = {c: n.id for n in manifest.nodes for c in n.produces}
    locked = read_locks(layout, produced, completed, counts, violations)
    ignores = active_ignores(manifest, today, violations)
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
        contract_ignores=ignores,
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


def _log_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _load_log(path: Path, iteration_id: str) -> tuple[list[Diagnostic], Timeline] | None:
    """The log's problems and its timeline (None when there is no log); pure, so it may
    run in a child process."""
    if not path.exists():
        return None
    problems: list[Diagnostic] = []
    # one event at a time: the timeline is all that is kept (the events would take 200 MB)
    return problems, build_timeline(iter_events(path, problems), iteration_id)


def _log_findings(
    loaded: tuple[list[Diagnostic], Timeline] | None,
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
    problems, timeline = loaded
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


@dataclass(slots=True)
class NodeFiles:
    """The records a planned node left, read before the log says how it ended."""

    result: Record
    gates: Record
    artifacts: StoredArtifacts | None = None  # when it declares artifacts (see Preread)
    contracts: Record | None = None  # when it consumes contracts
    context: Record | None = None


def _read_node_files(manifest: Manifest, layout: Layout, iteration_id: str) -> dict[str, NodeFiles]:
    """Every planned node's result, gate results and (for a consumer) contract checks;
    a node that did not complete has fewer (a missing file costs one failed open).

    Plain '/'-joined strings: this loop reads tens of thousands of files, and Path
    objects would cost more than reading them."""
    it_dir = os.fspath(layout.iteration_dir(iteration_id))
    files: dict[str, NodeFiles] = {}
    for node in manifest.nodes:
        node_dir = f"{it_dir}/{node.id}"
        found = files[node.id] = NodeFiles(
            read_record(f"{node_dir}/result.json"), read_record(f"{node_dir}/gates.json")
        )
        if node.consumes:
            found.contracts = read_record(f"{node_dir}/contracts.json")
            found.context = read_record(f"{node_dir}/context.json")
    return files


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
    timeline: Timeline,
    violations: list[Violation],
) -> list[NodeRecord]:
    planned = {node.id for node in manifest.nodes}
    seen: dict[str, str] = {
        nid: "the execution log" for nid in timeline.nodes if nid not in planned
    }
    folder = layout.iteration_dir(iteration_id)
    try:
        with os.scandir(folder) as entries:
            children = [e.name for e in entries]
    except OSError:
        children = []
    for name in children:
        if name in seen or name in planned:
            continue
        child = folder / name
        if (child / "result.json").is_file() or (child / "context.json").is_file():
            seen[name] = str(child)
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
