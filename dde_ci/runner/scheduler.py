"""The local runner: run a manifest's graph on this machine, critical path first.

The decisions -- which node is READY, which starts on which agent, which is
SKIPPED, what pause and cancel do -- are made by the pure
:class:`dde_ci.runner.plan.Plan`.  This module carries them out.

Threads, and what each owns:

* **the owner** -- the thread that calls :func:`start_run`, :func:`resume_run`
  or :func:`retry_run`.  It alone holds the :class:`~dde_ci.runner.plan.Plan`,
  the state database connection and the execution log's file: it commits each
  decision (one transaction, before it takes effect), writes every event
  (the node steps' events come to it through its queue) and hands them to the
  listeners (progress view, webhook), starts nodes, looks for pause, resume
  and cancel requests every 50 ms and fsyncs the log at most every 0.5 s (and
  at the end).
* **node workers** (``dde-node_N``, a pool of ``jobs`` threads) -- each runs one
  node step at a time (:func:`dde_ci.node.run_node_step`, its command in its
  own process group) and owns only that step's files and processes.  A worker
  puts the step's events and then its outcome on the owner's queue.  The step
  itself keeps the node's timeout (:mod:`dde_ci.process`); a cancel reaches
  every running command through one :class:`~dde_ci.process.Cancel`.
* the webhook sender (``dde-webhook``, :mod:`dde_ci.runner.webhook`), with
  ``--events-webhook`` only.

A FAILED node's descendants are SKIPPED (with the reason); independent
branches go on.  A run is FAILED when a node failed, else COMPLETED.

Crash recovery is at-least-once: :func:`resume_run` on a run whose runner died
stops the commands it left running and sets the nodes that were RUNNING back
to READY; COMPLETED nodes never run again.  :func:`retry_run` runs the FAILED
nodes of a FAILED run again, with the nodes they SKIPPED, in the same iteration.

One runner at a time works in a folder: it holds ``.dde/runner.lock``
(:class:`~dde_ci.runner.control.FolderLock`) for as long as it runs.
"""

from __future__ import annotations

import contextlib
import os
import queue
import secrets
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dde_ci.errors import DdeError, StateError
from dde_ci.layout import Layout
from dde_ci.log import ExecutionLog, encode_event, make_event, now_rfc3339, safe_event
from dde_ci.node import NodeStep, base_env, record_outcome
from dde_ci.process import GRACE_SECONDS, Cancel, stop_leftover
from dde_ci.results import NodeOutcome
from dde_ci.runner.control import FolderLock, RunLock, lock_path
from dde_ci.runner.plan import Decision, Plan, Start, list_agents, plan_routes
from dde_ci.runner.state import (
    CANCELLED,
    COMPLETED,
    FAILED,
    FINISHED_RUN_STATES,
    PAUSED,
    RUNNING,
    RunRecord,
    StateStore,
    storage_error,
)

if TYPE_CHECKING:
    from dde_ci.graph import Graph
    from dde_ci.manifest.models import Manifest

POLL_SECONDS = 0.05  # how often the owner looks for pause, resume and cancel requests
SYNC_SECONDS = 0.5  # the owner fsyncs the execution log at most this often (and at the end)

Listener = Callable[[dict[str, Any]], None]


@dataclass
class RunLog(ExecutionLog):
    """The run's execution log, written by the owner only: one descriptor for the whole
    run (``O_APPEND``, one write per event), every event handed to the listeners."""

    listeners: list[Listener] = field(default_factory=list)
    _fd: int | None = field(default=None, init=False, repr=False)
    dirty: bool = field(default=False, init=False, repr=False)

    def emit(self, event_type: str, **fields: Any) -> dict[str, Any]:
        fields.setdefault("run_id", self.run_id)
        event = safe_event(
            make_event(event_type, iteration_id=self.iteration_id, **fields), self.secrets
        )
        self.write(event)
        return event

    def append(self, event: Mapping[str, Any]) -> None:
        self.write(safe_event(event, self.secrets))

    def write(self, event: dict[str, Any]) -> None:
        """Append an event that is already redacted; the listeners get the same event."""
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        data = encode_event(event)
        written = os.write(self._fd, data)
        while written < len(data):  # pragma: no cover - regular files write whole
            written += os.write(self._fd, data[written:])
        self.dirty = True
        for listener in self.listeners:
            listener(dict(event))

    def sync(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)
        self.dirty = False

    def close(self) -> None:
        if self._fd is not None:
            self.sync()
            os.close(self._fd)
            self._fd = None


@dataclass
class StepLog(ExecutionLog):
    """A node step's log in the runner: events are redacted here (with the node's own
    secrets) and handed to the owner, which writes them."""

    inbox: queue.SimpleQueue[Message] | None = field(default=None, repr=False)

    def append(self, event: Mapping[str, Any]) -> None:
        assert self.inbox is not None
        self.inbox.put(("event", safe_event(event, self.secrets)))

    def emit(self, event_type: str, **fields: Any) -> dict[str, Any]:
        fields.setdefault("run_id", self.run_id)
        event = safe_event(
            make_event(event_type, iteration_id=self.iteration_id, **fields), self.secrets
        )
        assert self.inbox is not None
        self.inbox.put(("event", event))
        return event

    def sync(self) -> None:
        """The owner fsyncs the log."""


# what the owner is told: ("event", event), ("end", node id, outcome) and ("error",
# node id, what kept the worker from recording the end) from the workers;
# ("interrupt",) from the SIGINT handler (Ctrl-C)
Message = tuple[Any, ...]


@dataclass(frozen=True)
class RunSummary:
    """How a run ended."""

    run_id: str
    iteration_id: str
    state: str
    counts: dict[str, int]
    duration_seconds: float
    failed: list[str]

    @property
    def exit_code(self) -> int:
        return {COMPLETED: 0, FAILED: 1, CANCELLED: 130}.get(self.state, 1)


def new_run_id() -> str:
    """A sortable, unique run id such as ``r20261127T135501-3f9a1c``."""
    return f"r{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


@contextlib.contextmanager
def _holding(layout: Layout, run_id: str) -> Iterator[None]:
    """The folder's runner lock and the run's lock, for as long as the run is run here."""
    folder = FolderLock(layout)
    folder.acquire(run_id)
    lock = RunLock(lock_path(layout, run_id))
    try:
        if not lock.acquire():
            raise StateError(f"run {run_id} is being run by another process")
        try:
            yield
        finally:
            lock.release()
    finally:
        folder.release()


@contextlib.contextmanager
def _storage(layout: Layout) -> Iterator[None]:
    """The state database or the disk failing: an error that says which file and what to do."""
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        raise storage_error(layout.state_db, exc) from exc


def start_run(
    manifest: Manifest,
    *,
    iteration_id: str,
    jobs: int | None = None,
    run_id: str | None = None,
    listeners: Sequence[Listener] = (),
    on_start: Callable[[str], None] | None = None,
    grace: float = GRACE_SECONDS,
    commit: str | None = None,
) -> RunSummary:
    """Create a run of ``manifest`` in the state database and execute it to the end."""
    from dde_ci.graph import build_graph

    layout = Layout(manifest.root)
    graph = build_graph(manifest)
    run_id = run_id or new_run_id()
    wip = jobs or manifest.settings.wip_limit
    with _storage(layout), _holding(layout, run_id), StateStore(layout.state_db) as store:
        store.create_run(
            run_id,
            workflow=manifest.workflow,
            manifest=str(manifest.path),
            iteration_id=iteration_id,
            jobs=wip,
            node_ids=graph.order,
        )
        if on_start is not None:
            on_start(run_id)
        runner = Runner(manifest, graph, store, run_id, iteration_id, wip, listeners, grace, commit)
        runner.log.emit("workflow.started", details=runner.started_details())
        return runner.execute(runner.plan.begin(now_rfc3339()))


def resume_run(
    layout: Layout,
    run_id: str,
    *,
    listeners: Sequence[Listener] = (),
    grace: float = GRACE_SECONDS,
    commit: str | None = None,
) -> RunSummary:
    """Continue a run whose runner is gone (crashed, killed, or stopped while paused)."""
    with (
        _storage(layout),
        _holding(layout, run_id),
        StateStore(layout.state_db, create=False) as store,
    ):
        record = store.run(run_id)
        if record.state == FAILED:
            raise StateError(
                f"run {run_id} is FAILED; 'dde-ci retry {run_id}' runs its failed nodes again"
            )
        if record.state in FINISHED_RUN_STATES:
            raise StateError(f"run {run_id} is {record.state}; there is nothing to resume")
        runner = _reopen(store, record, listeners, grace, commit)
        runner.stop_leftovers()
        store.mark_handled(i for i, _ in store.pending_controls(run_id))  # meant for the dead one
        recovered = runner.plan.recover(now_rfc3339())
        return runner.execute(recovered, begin=True)


def retry_run(
    layout: Layout,
    run_id: str,
    *,
    listeners: Sequence[Listener] = (),
    grace: float = GRACE_SECONDS,
    commit: str | None = None,
) -> RunSummary:
    """Run the FAILED nodes of the FAILED run ``run_id`` again, with the nodes SKIPPED
    because of them, in the same iteration; COMPLETED nodes are kept."""
    with (
        _storage(layout),
        _holding(layout, run_id),
        StateStore(layout.state_db, create=False) as store,
    ):
        record = store.run(run_id)
        if record.state != FAILED:
            hint = (
                f"; 'dde-ci resume {run_id}' continues it"
                if record.state not in FINISHED_RUN_STATES
                else ""
            )
            raise StateError(
                f"run {run_id} is {record.state}; only a FAILED run can be retried{hint}"
            )
        runner = _reopen(store, record, listeners, grace, commit)
        return runner.execute(runner.plan.retry(now_rfc3339()))


def _reopen(
    store: StateStore,
    record: RunRecord,
    listeners: Sequence[Listener],
    grace: float,
    commit: str | None,
) -> Runner:
    """The owner of a run that exists (to resume or retry it): its manifest read again,
    refused when the manifest no longer has the run's nodes."""
    from dde_ci.graph import build_graph
    from dde_ci.manifest.loader import load_manifest

    manifest = load_manifest(record.manifest)
    graph = build_graph(manifest)
    nodes = store.nodes(record.run_id)
    if any(n.node_id not in graph.index for n in nodes) or len(nodes) != len(graph.ids):
        raise StateError(
            f"the manifest {record.manifest} no longer has the nodes of run {record.run_id}; "
            "start a new run with 'dde-ci run'"
        )
    return Runner(
        manifest,
        graph,
        store,
        record.run_id,
        record.iteration_id,
        record.jobs,
        listeners,
        grace,
        commit,
    )


class Runner:
    """The owner of one run: its plan, its state database connection and its log."""

    def __init__(
        self,
        manifest: Manifest,
        graph: Graph,
        store: StateStore,
        run_id: str,
        iteration_id: str,
        jobs: int,
        listeners: Sequence[Listener],
        grace: float,
        commit: str | None,
    ) -> None:
        self.manifest = manifest
        self.graph = graph
        self.store = store
        self.run_id = run_id
        self.iteration_id = iteration_id
        self.jobs = jobs
        self.grace = grace
        self.commit = commit
        self.layout = Layout(manifest.root)
        self.log = RunLog(
            self.layout.execution_log(iteration_id), iteration_id, run_id, listeners=list(listeners)
        )
        self.agents = list_agents(manifest, jobs)
        self.plan = Plan(
            graph,
            jobs=jobs,
            routes=plan_routes(manifest, self.agents),
            concurrency={a.id: a.concurrency for a in self.agents},
            states={n.node_id: n.state for n in store.nodes(run_id)},
            paused=store.run(run_id).state == PAUSED,
        )
        self.inbox: queue.SimpleQueue[Message] = queue.SimpleQueue()
        self.cancel = Cancel()
        self.base_env = base_env()  # what every command's environment starts from
        self.pool: ThreadPoolExecutor | None = None
        self.started = time.monotonic()

    def started_details(self) -> dict[str, Any]:
        return {
            "workflow": self.manifest.workflow,
            "manifest": str(self.manifest.path),
            "wip_limit": self.jobs,
            "nodes": len(self.graph.ids),
            "agents": [a.id for a in self.agents],
            "planned_critical_path": self.graph.critical_path,
            "estimated_effort": {n: self.graph.weights[n] for n in self.graph.ids},
            "depends_on": {n: list(self.graph.preds[n]) for n in self.graph.ids},
        }

    def pid_file(self, node_id: str) -> Path:
        return self.layout.dde_dir / "runs" / self.run_id / f"{node_id}.pid"

    def stop_leftovers(self) -> None:
        """Stop the commands a dead runner left running for this run."""
        for node_id, state in self.plan.state.items():
            path = self.pid_file(node_id)
            if state == RUNNING and path.exists():
                marks = {"DDE_RUN_ID": self.run_id, "DDE_NODE": node_id}
                stop_leftover(path, marks, self.grace)

    # -- the loop --------------------------------------------------------------------------

    def execute(self, first: Decision, *, begin: bool = False) -> RunSummary:
        """Carry ``first`` out (then :meth:`Plan.begin` with ``begin``) and run until every
        node is finished or the run is cancelled; return the summary."""
        interrupt = self.on_interrupt()
        try:
            with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="dde-node") as pool:
                self.pool = pool
                try:
                    self.apply(first)
                    if begin:
                        self.apply(self.plan.begin(now_rfc3339()))
                    self.loop()
                finally:
                    self.cancel.set()  # whatever still runs (after an error) is stopped
            return self.close()
        finally:
            if interrupt is not None:
                signal.signal(signal.SIGINT, interrupt)
            self.cancel.close()
            self.log.close()

    def on_interrupt(self) -> Any:
        """Ctrl-C becomes a message to the owner (which cancels the run), never an
        exception in the middle of a commit; returns the handler it replaces."""
        if threading.current_thread() is not threading.main_thread():
            return None
        return signal.signal(signal.SIGINT, lambda *_: self.inbox.put(("interrupt",)))

    def loop(self) -> None:
        """Take what the workers send, commit what it decides, and look for controls,
        until the run is over."""
        next_poll = next_sync = 0.0
        while not self.plan.over:
            try:
                message = self.inbox.get(timeout=max(0.0, next_poll - time.monotonic()))
            except queue.Empty:
                message = None
            while message is not None:
                self.handle(message)
                try:
                    message = self.inbox.get_nowait()
                except queue.Empty:
                    message = None
            now = time.monotonic()
            if now >= next_poll:
                self.controls()
                next_poll = now + POLL_SECONDS
            if self.log.dirty and now >= next_sync:
                self.log.sync()
                next_sync = now + SYNC_SECONDS

    def handle(self, message: Message) -> None:
        kind = message[0]
        if kind == "interrupt":
            self.stop("interrupted")
        elif kind == "event":
            self.log.write(message[1])
        elif kind == "end":
            node_id, outcome = message[1], message[2]
            fields = {
                "attempts": outcome.attempts,
                "exit_code": outcome.exit_code,
                "finished_at": outcome.finished_at or now_rfc3339(),
            }
            self.apply(
                self.plan.finish(
                    node_id, outcome.status, now_rfc3339(), fields=fields, message=outcome.message
                )
            )
        else:  # a worker could not even record its node's end: the run stops with that
            raise message[2]

    def apply(self, decision: Decision) -> None:
        """Commit the decision's changes (one transaction), log its events, start its nodes."""
        if decision.changes or decision.run_state:
            with self.store.transaction():
                if decision.run_state is not None:
                    self.store.set_run_state(self.run_id, *decision.run_state)
                self.store.apply(self.run_id, decision.changes)
        for event_type, fields in decision.events:
            self.log.emit(event_type, **fields)
        assert self.pool is not None
        for start in decision.starts:
            self.pool.submit(self.work, start, self.step(start))

    def controls(self) -> None:
        """Carry out the pause, resume and cancel requests left in the database."""
        pending = self.store.pending_controls(self.run_id)
        for _, action in pending:
            if action == "cancel":
                self.stop("cancel requested")
            elif action == "pause":
                self.apply(self.plan.pause())
            elif action == "resume":
                self.apply(self.plan.resume(now_rfc3339()))
        if pending:
            self.store.mark_handled(i for i, _ in pending)

    def stop(self, reason: str) -> None:
        """Cancel the run: nothing starts any more, running commands are stopped."""
        self.apply(self.plan.cancel(reason))
        self.cancel.set()

    # -- a worker --------------------------------------------------------------------------

    def step(self, start: Start) -> NodeStep:
        log = StepLog(
            self.log.path,
            self.iteration_id,
            self.run_id,
            secrets=self.log.secrets,
            redact_environment=False,
            inbox=self.inbox,
        )
        return NodeStep(
            manifest=self.manifest,
            node=self.manifest.node(start.node_id),
            iteration_id=self.iteration_id,
            run_id=self.run_id,
            layout=self.layout,
            log=log,
            agent_id=start.agent_id,
            commit=self.commit,
            cancel=self.cancel,
            grace=self.grace,
            base_env=self.base_env,
            pid_file=self.pid_file(start.node_id),
        )

    def work(self, start: Start, step: NodeStep) -> None:
        """Worker thread: run the node step and hand its outcome to the owner.  An error
        fails the node; one that keeps even the failure from being recorded stops the run."""
        from dde_ci.node import run_node_step

        try:
            try:
                outcome = run_node_step(step)
            except DdeError as exc:
                outcome = self.failed(step, str(exc))
            except Exception as exc:  # a bug must fail the node, never hang the run
                outcome = self.failed(step, f"unexpected {type(exc).__name__}: {exc}")
        except BaseException as exc:
            self.inbox.put(("error", start.node_id, exc))
            return
        self.inbox.put(("end", start.node_id, outcome))

    def failed(self, step: NodeStep, message: str) -> NodeOutcome:
        outcome = NodeOutcome(step.node.id, self.iteration_id, self.run_id, attempts=step.attempt)
        return record_outcome(step, outcome.failed(message))

    # -- the end ---------------------------------------------------------------------------

    def close(self) -> RunSummary:
        counts = self.plan.counts()
        failed = self.plan.failed()
        duration = time.monotonic() - self.started
        details: dict[str, Any] = {
            "counts": {k: v for k, v in counts.items() if v},
            "failed": failed,
            "duration_seconds": round(duration, 6),
        }
        final = self.plan.final_state()
        if final == CANCELLED:
            self.log.emit("workflow.cancelled", details=details)
        else:
            self.store.set_run_state(self.run_id, final, f"{len(failed)} failed")
            self.log.emit(
                "workflow.completed" if final == COMPLETED else "workflow.failed", details=details
            )
        with contextlib.suppress(OSError):  # the pid files' folder, empty by now
            (self.layout.dde_dir / "runs" / self.run_id).rmdir()
        return RunSummary(self.run_id, self.iteration_id, final, counts, duration, failed)


def manifest_layout(path: Path) -> Layout:
    """The layout of the project whose manifest is at ``path`` (the file need not be loaded)."""
    return Layout(path.absolute().parent)
