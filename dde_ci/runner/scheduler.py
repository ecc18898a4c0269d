"""The local scheduler: run a manifest's graph on this machine, critical path first.

* A ready queue under a WIP limit (``--jobs``, else ``settings.wip_limit``).
  Ready nodes are ordered by the weight of their longest remaining path
  (``estimated_effort``), so the critical path starts first; ties keep
  manifest order.  A node becomes READY the moment its last dependency
  completes.
* Agents come from the manifest and are chosen by capability: the best match,
  then the least loaded, within each agent's ``concurrency``.  A node no agent
  serves goes to ``settings.default_agent`` with a ``node.warning`` event.
  A manifest without agents gets one built-in agent, ``local``, serving
  everything.
* Node steps (:func:`dde_ci.node.run_node_step`) run in worker threads; each
  runs its command in its own process group.  A worker thread is a job slot,
  as in ``make``: when its node step ends, the worker itself records the end
  and starts the best READY node the free slot allows, under the scheduler's
  lock (no hand-over to another thread between one command's end and the next
  one's start).  Every transition is committed to the state database before it
  takes effect: a node's end, the nodes it makes READY and the node that
  starts in its place go in one transaction; the events follow it.  The thread
  that called :meth:`Scheduler.execute` starts the first nodes, looks for
  pause, resume and cancel requests every 50 ms (:mod:`dde_ci.runner.control`,
  through the state database) and waits for the end.  Only a thread holding
  the lock touches the scheduler's state or the database connection.
* One worker at a time does the runner's own work, from its command's end to
  its next command's start (:class:`dde_ci.runner.chores.Turn`); the others
  wait for the turn or for their commands rather than take the interpreter
  lock from each other at every system call.
* A READY node that must wait for a free slot has its context built and its
  command looked up on ``PATH`` meanwhile, so its slot, once free, goes
  straight to the command: the context depends only on what is final once the
  node is READY (its dependencies' results, locked contracts, the manifest)
  and on its agent, so it is prepared only when one agent alone can serve the
  node.  And once a node's command has started, the folders and empty files of
  the nodes that depend on it are made (:class:`dde_ci.files.FileStage`): on
  some file systems creating a file costs more than writing it, and no file is
  created on the critical path.  Both are chores
  (:class:`dde_ci.runner.chores.Chores`) that the worker whose command has just
  started does while it holds the turn, until another worker wants it or its
  own command has ended (then a helper thread does the rest).
* A failed node's descendants are SKIPPED (with the reason); independent
  branches go on.  A run is FAILED when a node failed, else COMPLETED.

Crash recovery is at-least-once: ``resume_run`` on a run whose runner died
sets the nodes that were RUNNING back to READY and runs them again; COMPLETED
nodes never run again.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dde_ci.errors import DdeError, StateError
from dde_ci.files import FileStage
from dde_ci.layout import Layout
from dde_ci.log import ExecutionLog, encode_event, make_event, now_rfc3339, safe_event
from dde_ci.node import CANCELLED as OUTCOME_CANCELLED
from dde_ci.node import COMPLETED as OUTCOME_COMPLETED
from dde_ci.node import (
    GRACE_SECONDS,
    FoundCommand,
    NodeOutcome,
    NodeStep,
    ProcessControl,
    base_env,
    record_outcome,
    stop_leftover_commands,
)
from dde_ci.runner.chores import Chores, Turn
from dde_ci.runner.control import RunLock, lock_path
from dde_ci.runner.state import (
    CANCELLED,
    COMPLETED,
    FAILED,
    FINISHED_NODE_STATES,
    FINISHED_RUN_STATES,
    PAUSED,
    PENDING,
    READY,
    RUNNING,
    SKIPPED,
    NodeChange,
    StateStore,
)

if TYPE_CHECKING:
    from dde_ci.graph import Graph
    from dde_ci.manifest.models import Agent, Manifest

LOCAL_AGENT = "local"
POLL_SECONDS = 0.05
SYNC_INTERVAL = 0.5  # the runner fsyncs the execution log at most this often (and at the end)
SWITCH_INTERVAL = 0.001  # seconds a thread may hold the GIL while another waits, during a run

Listener = Callable[[dict[str, Any]], None]


@dataclass
class ObservedLog(ExecutionLog):
    """An execution log that also hands every event to listeners (progress, webhook)."""

    listeners: list[Listener] = field(default_factory=list)
    _wanted: threading.Event | None = field(default=None, init=False, repr=False)
    _syncer: threading.Thread | None = field(default=None, init=False, repr=False)
    _stop: bool = field(default=False, init=False, repr=False)
    _fd: int | None = field(default=None, init=False, repr=False)
    _fd_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _closing: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _interval: float = field(default=0.0, init=False, repr=False)

    def emit(self, event_type: str, **fields: Any) -> dict[str, Any]:
        """Build, redact (once), append and hand out an event; return it as written."""
        fields.setdefault("run_id", self.run_id)
        event = make_event(event_type, iteration_id=self.iteration_id, **fields)
        safe = safe_event(event, self.secrets)
        self._write(safe)
        return safe

    def append(self, event: Mapping[str, Any]) -> None:
        self._write(safe_event(event, self.secrets))

    def _write(self, event: dict[str, Any]) -> None:
        """Append an event that is already safe; listeners get the same (redacted) event."""
        # one file descriptor for the whole run (O_APPEND, one write per line)
        data = encode_event(event)
        with self._fd_lock:
            if self._fd is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            written = os.write(self._fd, data)
            while written < len(data):  # pragma: no cover - regular files write whole
                written += os.write(self._fd, data[written:])
        for listener in self.listeners:
            listener(dict(event))

    def start_background_sync(self, interval: float = SYNC_INTERVAL) -> None:
        """From now on :meth:`sync` asks a background thread, which coalesces requests.

        The thread fsyncs at most once per ``interval`` seconds: node steps ending
        meanwhile share one fsync instead of queueing for the disk (an fsync
        commits the file system's journal, which stalls the file creations and
        process starts of the nodes running at the same moment).  Nothing is lost
        on SIGKILL either way (the page cache outlives the process); only a power
        loss can drop the last ``interval`` of events, as it can drop the state
        database's last commits (``synchronous=NORMAL``).  :meth:`close` does a
        final synchronous fsync.
        """
        self._wanted = threading.Event()
        self._closing.clear()
        self._interval = interval
        self._syncer = threading.Thread(target=self._sync_loop, name="dde-fsync", daemon=True)
        self._syncer.start()

    def sync(self) -> None:
        if self._wanted is not None:
            self._wanted.set()
        else:
            super().sync()

    def _sync_loop(self) -> None:
        assert self._wanted is not None
        while not self._stop:
            self._wanted.wait()
            if self._stop:
                break  # close() does the last fsync
            self._wanted.clear()
            self._fsync()
            self._closing.wait(self._interval)  # requests arriving meanwhile share the next

    def _fsync(self) -> None:
        """fsync the descriptor this log writes through (no open, no stat per request)."""
        fd = self._fd
        if fd is None:
            ExecutionLog.sync(self)
        else:
            os.fsync(fd)  # close() stops this thread before it closes the descriptor

    def close(self) -> None:
        """Stop the background thread (if any) and fsync what is written."""
        if self._wanted is not None and self._syncer is not None:
            self._stop = True
            self._closing.set()
            self._wanted.set()
            self._syncer.join()
            self._wanted = None
        ExecutionLog.sync(self)
        with self._fd_lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


@dataclass(frozen=True)
class Prepared:
    """What was made ready for a READY node while it waited for a slot (for one agent)."""

    agent: str
    context: Path
    command: FoundCommand


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
    lock = RunLock(lock_path(layout, run_id))
    if not lock.acquire():  # pragma: no cover - run ids are unique
        raise StateError(f"run {run_id} is already being run")
    try:
        with StateStore(layout.state_db) as store:
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
            log = ObservedLog(
                layout.execution_log(iteration_id), iteration_id, run_id, listeners=list(listeners)
            )
            scheduler = Scheduler(
                manifest, graph, store, log, run_id=run_id, jobs=wip, grace=grace, commit=commit
            )
            log.emit("workflow.started", details=scheduler.started_details())
            return scheduler.execute()
    finally:
        lock.release()


def resume_run(
    layout: Layout,
    run_id: str,
    *,
    listeners: Sequence[Listener] = (),
    grace: float = GRACE_SECONDS,
    commit: str | None = None,
) -> RunSummary:
    """Continue a run whose runner is gone (crashed, killed, or stopped while paused)."""
    from dde_ci.graph import build_graph
    from dde_ci.manifest.loader import load_manifest

    lock = RunLock(lock_path(layout, run_id))
    if not lock.acquire():
        raise StateError(f"run {run_id} is being run by another process")
    try:
        with StateStore(layout.state_db, create=False) as store:
            record = store.run(run_id)
            if record.state in FINISHED_RUN_STATES:
                raise StateError(f"run {run_id} is {record.state}; there is nothing to resume")
            manifest = load_manifest(record.manifest)
            graph = build_graph(manifest)
            missing = [n.node_id for n in store.nodes(run_id) if n.node_id not in graph.index]
            if missing or len(store.nodes(run_id)) != len(graph.ids):
                raise StateError(
                    f"the manifest {record.manifest} no longer has the nodes of run {run_id}; "
                    "start a new run with 'dde-ci run'"
                )
            log = ObservedLog(
                Layout(manifest.root).execution_log(record.iteration_id),
                record.iteration_id,
                run_id,
                listeners=list(listeners),
            )
            scheduler = Scheduler(
                manifest,
                graph,
                store,
                log,
                run_id=run_id,
                jobs=record.jobs,
                grace=grace,
                commit=commit,
            )
            scheduler.recover()
            return scheduler.execute()
    finally:
        lock.release()


class Scheduler:
    """Runs the nodes of one run; threads touch its state and SQLite only under :attr:`lock`."""

    def __init__(
        self,
        manifest: Manifest,
        graph: Graph,
        store: StateStore,
        log: ObservedLog,
        *,
        run_id: str,
        jobs: int,
        grace: float = GRACE_SECONDS,
        commit: str | None = None,
    ) -> None:
        self.manifest = manifest
        self.graph = graph
        self.store = store
        self.log = log
        self.run_id = run_id
        self.iteration_id = log.iteration_id
        self.jobs = jobs
        self.commit = commit
        self.layout = Layout(manifest.root)
        self.control = ProcessControl(grace)
        self.base_env = base_env()  # what every command's environment starts from
        self.agents = list_agents(manifest, jobs)
        self.load: dict[str, int] = {a.id: 0 for a in self.agents}
        self.state: dict[str, str] = {n.node_id: n.state for n in store.nodes(run_id)}
        self.ready: list[tuple[float, int, str]] = []
        self.running: dict[str, str] = {}  # node -> agent
        # contexts built while READY nodes wait: node -> (its agent, the context file)
        self.prepared: dict[str, Future[Prepared]] = {}
        # what the workers do ahead while their commands run: contexts, staged files
        self.chores: Chores | None = None
        # the folders and files of nodes about to run, made ahead (see _stage_ahead)
        self.stage = FileStage()
        self.staged: set[str] = set()
        # held by whichever thread reads or changes the scheduler's state or the database
        self.lock = threading.Lock()
        self.wake = threading.Event()  # set when nothing runs any more, or on an error
        self.turn = Turn()  # the worker doing the runner's own work (see _work)
        self.quick: dict[tuple[str, str], bool] = {}  # (node, phase) -> no gates etc.
        self.error: BaseException | None = None  # a worker's failure to record, for execute()
        self.pool: ThreadPoolExecutor | None = None
        self.arriving = 0  # nodes handed to the pool whose worker has not begun yet
        self.paused = store.run(run_id).state == PAUSED
        _import_step_modules()
        self.cancelling = False
        self.started = time.monotonic()
        for node_id, state in self.state.items():
            if state == READY:
                self._push_ready(node_id)

    # -- the loop --------------------------------------------------------------------------

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

    def recover(self) -> None:
        """After a crash: RUNNING nodes run again (at-least-once), the run goes on."""
        rerun = [n for n, s in self.state.items() if s == RUNNING]
        for node_id, state in self.state.items():  # what the dead runner staged, unused
            if state not in (COMPLETED, FAILED):  # (a node that ended used its files)
                atomic, appends = self._staged_files(node_id)
                FileStage.clear_leftovers(atomic, appends)
        # a killed runner's commands may still run: stop them before running them again
        stop_leftover_commands(self.run_id, rerun, self.control.grace)
        self._apply(
            [NodeChange(n, READY, message="run again after the runner stopped") for n in rerun]
        )
        for n in rerun:
            self._push_ready(n)
        stale = self.store.pending_controls(self.run_id)
        self.store.mark_handled(i for i, _ in stale)
        if self.paused:
            self.store.set_run_state(self.run_id, RUNNING)
            self.paused = False
        self.log.emit("workflow.resumed", details={"recovered": True, "rerun": rerun})

    def execute(self) -> RunSummary:
        """Run until every node is finished (or the run is cancelled); return the summary."""
        self.log.start_background_sync()
        # hand the GIL over sooner (default 5 ms): a worker whose command just ended, or
        # the scheduler woken by a completion, waits at most this long for a busy thread
        switch = sys.getswitchinterval()
        sys.setswitchinterval(min(switch, SWITCH_INTERVAL))
        try:
            return self._loop()
        finally:
            sys.setswitchinterval(switch)
            self.log.close()

    def _loop(self) -> RunSummary:
        with self.lock:
            # the first READY nodes and the first starts: one commit, the starts first
            events: list[tuple[str, dict[str, Any]]] = []
            with self.store.transaction():
                self._mark_ready((n for n, s in self.state.items() if s == PENDING), events)
                chosen = self._choose()
        last_poll = 0.0
        self.chores = Chores()
        try:
            with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="dde-node") as pool:
                self.pool = pool
                with self.lock:
                    self._log_and_launch(events, chosen)
                    self._stage_ahead(r[2] for r in self.ready)
                try:
                    while True:
                        self.wake.clear()
                        with self.lock:
                            if self.error is not None:
                                raise self.error
                            now = time.monotonic()
                            if now - last_poll >= POLL_SECONDS:
                                self._handle_controls()
                                last_poll = now
                            self._dispatch()
                            idle = not self.running and (self.cancelling or not self.ready)
                            if idle and (self.cancelling or not self.paused):
                                break
                        # the workers start the next nodes themselves; this thread wakes
                        # for the controls (every POLL_SECONDS) and when nothing runs
                        self.wake.wait(POLL_SECONDS)
                except KeyboardInterrupt:
                    with self.lock:
                        self._cancel("interrupted")
                    while True:
                        with self.lock:
                            if not self.running or self.error is not None:
                                break
                        self.wake.wait(POLL_SECONDS)
                finally:
                    self.chores.close()  # what is still queued is not needed any more
            if self.error is not None:
                raise self.error
            return self._close()
        finally:  # the workers are done (the pool waited for them): nothing stages now
            self.prepared.clear()
            self.stage.discard()

    # -- dispatch --------------------------------------------------------------------------

    def _push_ready(self, node_id: str) -> None:
        key = (-self.graph.remaining[node_id], self.graph.index[node_id], node_id)
        bisect.insort(self.ready, key)

    def _work(self, node_id: str, agent: str, prepared: Future[Prepared] | None) -> None:
        """Worker thread (a job slot): run the node step, record its end, and go on with
        the node the freed slot starts, until none does.

        From its command's end to the next command's start (and the chores after it)
        the worker holds the :class:`~dde_ci.runner.chores.Turn`, so the workers do
        the runner's work one at a time instead of taking the interpreter lock from
        each other; it gives the turn up to wait for a command, and to run gates."""
        nxt: tuple[str, str, Future[Prepared] | None] | None = (node_id, agent, prepared)
        with self.lock:
            self.arriving -= 1
        try:
            while nxt is not None:
                node_id, agent, prepared = nxt
                if self._quick(node_id, "pre"):
                    self.turn.take()  # a first node too: the starts one after the other
                else:
                    self._give_turn()  # its pre-execution gates run commands
                try:
                    outcome = self._run_step(node_id, agent, prepared)
                    self.turn.take()
                    with self.lock:
                        nxt = self._complete(node_id, outcome)
                except BaseException as exc:  # the database is gone, the log cannot be
                    with self.lock:  # written (even for a failed outcome): execute() raises it
                        if self.error is None:
                            self.error = exc
                    self.wake.set()
                    return
        finally:
            # the last node's worker leaves the chores: nothing is left to prepare for
            self._give_turn(chores=bool(self.running))

    def _give_turn(self, over: Callable[[], bool] | None = None, *, chores: bool = True) -> None:
        """Do the chores queued while no other worker wants the turn (and the caller's
        wait is not ``over``: its next step comes first), then give the turn up.
        Whoever holds the turn does this before giving it up, so a chore queued is done
        by the holder, by the worker that waited for the turn, or by the next one to
        start a command."""
        if self.turn.held():
            if chores and self.chores is not None:
                if over is None:
                    self.chores.run_pending(stop=self._chores_wait)
                else:
                    self.chores.run_pending(stop=lambda: self._chores_wait() or over())
                    if over() and len(self.chores):
                        self.chores.hand_off()  # its command was short: help on the side
            self.turn.give()

    def _chores_wait(self) -> bool:
        """Whether the chores wait: a worker wants the turn, or one is still on its way
        to its first node (the first nodes of a run start before the chores)."""
        return self.arriving > 0 or self.turn.wanted()

    def _quick(self, node_id: str, phase: str) -> bool:
        """Whether the node's ``pre`` steps (before its command) or ``post`` steps (after
        it) are only the runner's own work: no gates to run, no contracts to lock, no
        artifacts to stamp."""
        key = (node_id, phase)
        known = self.quick.get(key)
        if known is None:
            from dde_ci.gates import has_gates
            from dde_ci.manifest.models import NodeType

            node = self.manifest.node(node_id)
            known = not has_gates(self.manifest, node, phase)
            if phase == "post":
                known = known and not node.artifacts and node.type != NodeType.INTERFACE
            self.quick[key] = known
        return known

    def _complete(
        self, node_id: str, outcome: NodeOutcome
    ) -> tuple[str, str, Future[Prepared] | None] | None:
        """Under the lock: record a node's end, the nodes it frees and the nodes that start,
        in one commit (everything persisted before it takes effect; the events follow).
        Returns the node the calling worker runs next; others go to the pool."""
        if self.error is not None:  # the run is being abandoned: record nothing more
            return None
        events: list[tuple[str, dict[str, Any]]] = []
        with self.store.transaction():
            self._finish(node_id, outcome, events)
            chosen = self._choose()
        nxt = self._log_and_launch(events, chosen, keep_first=True)
        if not self.running:
            self.wake.set()  # the run may be over: execute() looks
        return nxt

    def _log_and_launch(
        self,
        events: list[tuple[str, dict[str, Any]]],
        chosen: list[tuple[str, str, str | None]],
        *,
        keep_first: bool = False,
    ) -> tuple[str, str, Future[Prepared] | None] | None:
        """After the commit: the events of the nodes that start (each logged READY before
        it starts), the starts (see :meth:`_launch`), then the other events; and the
        contexts of the nodes next in line queued."""
        starting = {n for n, _, _ in chosen}
        for event_type, fields in events:
            if fields["node_id"] in starting:
                self.log.emit(event_type, **fields)
        nxt = self._launch(chosen, keep_first=keep_first)
        for event_type, fields in events:
            if fields["node_id"] not in starting:
                self.log.emit(event_type, **fields)
        self._prepare_waiting()
        return nxt

    def _dispatch(self) -> None:
        """Start ready nodes, best first, while the WIP limit and the agents allow."""
        self._launch(self._choose())
        self._prepare_waiting()

    def _prepare_waiting(self) -> None:
        """Build the contexts of the READY nodes that start next (see the module doc): the
        first ``jobs`` of the queue, so the work per completion stays small."""
        if self.chores is None or self.cancelling:
            return
        for _, _, node_id in self.ready[: self.jobs]:
            if node_id in self.prepared:
                continue
            agent = self._only_agent(node_id)
            if agent is not None:
                with contextlib.suppress(RuntimeError):  # closed: the run is ending
                    self.prepared[node_id] = self.chores.submit(self._prepare, node_id, agent)

    def _only_agent(self, node_id: str) -> str | None:
        """The agent that will run the node when no other can; None when it depends on load."""
        from dde_ci.routing import rank_workers

        if not self.manifest.agents:
            return self.agents[0].id
        ranked = rank_workers(self.manifest.node(node_id).capabilities, self.agents)
        return ranked[0][0].id if len(ranked) == 1 else None

    def _prepare(self, node_id: str, agent: str) -> Prepared:
        """A chore: write the context the node step would write first, and look its
        command up on PATH (its dependencies have completed: see find_command)."""
        from dde_ci.node import find_command, write_node_context

        step = self._step(node_id, agent)
        return Prepared(agent, write_node_context(step), find_command(step))

    def _choose(self) -> list[tuple[str, str, str | None]]:
        """Take the ready nodes that may start now and persist them as RUNNING."""
        if self.paused or self.cancelling:
            return []
        chosen: list[tuple[str, str, str | None]] = []
        position = 0
        while position < len(self.ready) and len(self.running) + len(chosen) < self.jobs:
            node_id = self.ready[position][2]
            agent, warning = self._choose_agent(node_id)
            if agent is None:
                position += 1
                continue
            del self.ready[position]
            self.load[agent] += 1
            chosen.append((node_id, agent, warning))
        if chosen:
            now = now_rfc3339()
            # persisted (one transaction) before any of them starts
            self._apply(
                [NodeChange(n, RUNNING, {"agent_id": a, "started_at": now}) for n, a, _ in chosen]
            )
        return chosen

    def _launch(
        self, chosen: list[tuple[str, str, str | None]], *, keep_first: bool = False
    ) -> tuple[str, str, Future[Prepared] | None] | None:
        """Hand the chosen nodes (already RUNNING in the database) to worker threads; with
        ``keep_first`` the first is returned instead, for the calling worker to run."""
        kept: tuple[str, str, Future[Prepared] | None] | None = None
        for node_id, agent, warning in chosen:
            if warning:
                self.log.emit(
                    "node.warning",
                    node_id=node_id,
                    agent_id=agent,
                    details={"reason": "agent_fallback", "message": warning},
                )
            self.running[node_id] = agent
            prepared = self.prepared.pop(node_id, None)
            if keep_first and kept is None:
                kept = (node_id, agent, prepared)
            else:
                assert self.pool is not None
                self.arriving += 1
                self.pool.submit(self._work, node_id, agent, prepared)
        return kept

    def _stage_ahead(self, node_ids: Iterable[str]) -> None:
        """Queue chores that make the folders and files of nodes that run later
        (:class:`dde_ci.files.FileStage`): the successors of each node, once its command
        has started (not while it starts), so that creating them never delays a start or
        an end on the critical path.  One chore a file (a few tenths of a millisecond
        each), so that a worker whose command has ended stops soon.  A node staged twice
        is staged once (:class:`FileStage` makes each file once)."""
        if self.chores is None or self.cancelling:
            return
        for node_id in node_ids:
            if node_id not in self.staged and self.state[node_id] in (PENDING, READY):
                self.staged.add(node_id)
                atomic, appends = self._staged_files(node_id)
                with contextlib.suppress(RuntimeError):  # closed: the run is ending
                    for path in atomic:
                        self.chores.add(self._stage_file, self.stage.stage_atomic, path)
                    for path in appends:
                        self.chores.add(self._stage_file, self.stage.stage_append, path)

    def _waiting(self, node_id: str, over: Callable[[], bool]) -> None:
        """Worker thread, its node's command started (or a retry's delay began): stage
        the node's successors, then, with the turn (waited for when another worker has
        it: a few milliseconds at most), do the chores queued so far while its wait is
        not ``over`` (this thread only waits now), and give the turn up.  So a chore
        queued is never left behind by a holder that was giving the turn up."""
        self._stage_ahead(self.graph.succs[node_id])
        self.turn.take()
        self._give_turn(over)

    def _wait_over(self, node_id: str) -> None:
        """Worker thread, its node's wait is over: take the turn at once when the rest of
        the step is the runner's own work (else after the gates, in :meth:`_work`)."""
        if self._quick(node_id, "post"):
            self.turn.take()

    def _stage_file(self, stage: Callable[[Path], None], path: Path) -> None:
        """A chore: stage one file, unless the run is being cancelled."""
        if not self.cancelling:
            stage(path)

    def _staged_files(self, node_id: str) -> tuple[list[Path], list[Path]]:
        """What is staged for a node: (written whole, appended to)."""
        layout, iteration = self.layout, self.iteration_id
        atomic = [layout.context_file(iteration, node_id), layout.result_file(iteration, node_id)]
        return atomic, [layout.node_dir(iteration, node_id) / "output.log"]

    def _choose_agent(self, node_id: str) -> tuple[str | None, str | None]:
        """The agent for the node (None when every suitable one is busy) and a fallback warning."""
        from dde_ci.routing import rank_workers

        node = self.manifest.node(node_id)
        if len(self.agents) == 1 and self.agents[0].id == LOCAL_AGENT and not self.manifest.agents:
            return (LOCAL_AGENT, None) if self._free(LOCAL_AGENT) else (None, None)
        ranked = rank_workers(node.capabilities, self.agents)
        if not ranked:
            default = self.manifest.settings.default_agent or self.agents[0].id
            needs = ", ".join(c.name for c in node.capabilities)
            warning = f"no agent offers {needs}; node {node_id} runs on the default agent {default}"
            return (default, warning) if self._free(default) else (None, None)
        order = {a.id: i for i, a in enumerate(self.agents)}
        best = sorted(
            ranked, key=lambda ws: (-ws[1][0], -ws[1][1], self.load[ws[0].id], order[ws[0].id])
        )
        for agent, _ in best:
            if self._free(agent.id):
                return agent.id, None
        return None, None

    def _free(self, agent_id: str) -> bool:
        agent = next(a for a in self.agents if a.id == agent_id)
        return self.load[agent_id] < agent.concurrency

    def _step(self, node_id: str, agent: str) -> NodeStep:
        return NodeStep(
            manifest=self.manifest,
            node=self.manifest.node(node_id),
            iteration_id=self.iteration_id,
            run_id=self.run_id,
            layout=self.layout,
            log=self.log,
            agent_id=agent,
            commit=self.commit,
            control=self.control,
            stage=self.stage,
            on_wait=lambda over: self._waiting(node_id, over),
            on_wait_over=lambda: self._wait_over(node_id),
            base_env=self.base_env,
        )

    def _run_step(
        self, node_id: str, agent: str, prepared: Future[Prepared] | None = None
    ) -> NodeOutcome:
        """Worker thread: run the node step; any error becomes a FAILED outcome."""
        from dde_ci.node import run_node_step

        step = self._step(node_id, agent)
        try:
            # a context built while the node waited, when it is built for this agent; one
            # still queued is cancelled (the step builds it), one being built is awaited
            if prepared is not None and not prepared.cancel():
                with contextlib.suppress(Exception):  # it failed: the step builds it and says why
                    made = prepared.result()
                    if made.agent == agent:
                        step.context_path = made.context
                        step.found = made.command
            return run_node_step(step)
        except DdeError as exc:
            message = str(exc)
        except Exception as exc:  # a bug must fail the node, never hang the run
            message = f"unexpected {type(exc).__name__}: {exc}"
        outcome = NodeOutcome(node_id, self.iteration_id, self.run_id, attempts=step.attempt)
        return record_outcome(step, outcome.failed(message))

    # -- completions -----------------------------------------------------------------------

    def _finish(
        self,
        node_id: str,
        outcome: NodeOutcome,
        events: list[tuple[str, dict[str, Any]]],
    ) -> None:
        """Record a node's end and what it frees or skips.

        The events (``node.ready``, ``node.skipped``) go to ``events``, for the caller
        to log once the enclosing transaction is committed.
        """
        agent = self.running.pop(node_id)
        self.load[agent] -= 1
        if outcome.status == OUTCOME_COMPLETED:
            state = COMPLETED
        elif outcome.status == OUTCOME_CANCELLED or self.cancelling:
            state = CANCELLED
        else:
            state = FAILED
        fields = {
            "attempts": outcome.attempts,
            "exit_code": outcome.exit_code,
            "finished_at": outcome.finished_at or now_rfc3339(),
        }
        changes = [NodeChange(node_id, state, fields, outcome.message)]
        skipped: list[tuple[str, str]] = []
        if state in (FAILED, CANCELLED) and not self.cancelling:
            reason = f"dependency {node_id} {state.lower()}"
            for other in sorted(self.graph.descendants(node_id), key=self.graph.index.__getitem__):
                if self.state[other] in (PENDING, READY):
                    changes.append(NodeChange(other, SKIPPED, message=reason))
                    skipped.append((other, reason))
        ready: list[str] = []
        if state == COMPLETED and not self.cancelling:
            ready = self._newly_ready(self.graph.succs[node_id], completing=node_id)
            now = now_rfc3339()
            changes.extend(NodeChange(n, READY, {"ready_at": now}) for n in ready)
        self._apply(changes)  # the completion and the nodes it frees: one transaction
        for n in ready:
            self._push_ready(n)
            events.append(("node.ready", {"node_id": n, "details": {"waited_for": node_id}}))
        if skipped:
            gone = {s for s, _ in skipped}
            self.ready = [r for r in self.ready if r[2] not in gone]
            for other, reason in skipped:
                details = {"reason": reason, "because": node_id}
                events.append(("node.skipped", {"node_id": other, "details": details}))

    def _newly_ready(self, candidates: Iterable[str], completing: str | None = None) -> list[str]:
        """The PENDING candidates whose dependencies all completed (``completing`` counts)."""
        return [
            n
            for n in candidates
            if self.state[n] == PENDING
            and all(p == completing or self.state[p] == COMPLETED for p in self.graph.preds[n])
        ]

    def _mark_ready(
        self, candidates: Iterable[str], events: list[tuple[str, dict[str, Any]]]
    ) -> None:
        """Persist the candidates whose dependencies all completed as READY; their
        events go to ``events``, for the caller to log once the transaction is committed."""
        now = now_rfc3339()
        ready = self._newly_ready(candidates)
        if not ready:
            return
        self._apply([NodeChange(n, READY, {"ready_at": now}) for n in ready])
        for n in ready:
            self._push_ready(n)
            events.append(("node.ready", {"node_id": n, "details": {"waited_for": None}}))

    def _apply(self, changes: list[NodeChange]) -> None:
        if not changes:
            return
        self.store.apply(self.run_id, changes)
        for change in changes:
            self.state[change.node_id] = change.state

    # -- control ---------------------------------------------------------------------------

    def _handle_controls(self) -> None:
        pending = self.store.pending_controls(self.run_id)
        if not pending:
            return
        for _, action in pending:
            if action == "cancel" and not self.cancelling:
                self._cancel("cancel requested")
            elif action == "pause" and not self.paused and not self.cancelling:
                self.store.set_run_state(self.run_id, PAUSED)
                self.paused = True
                self.log.emit("workflow.paused", details={"running": sorted(self.running)})
            elif action == "resume" and self.paused and not self.cancelling:
                self.store.set_run_state(self.run_id, RUNNING)
                self.paused = False
                self.log.emit("workflow.resumed", details={"recovered": False})
        self.store.mark_handled(i for i, _ in pending)

    def _cancel(self, reason: str) -> None:
        """Persist CANCELLED, cancel what has not started, stop what runs (TERM, then KILL)."""
        self.cancelling = True
        self.store.set_run_state(self.run_id, CANCELLED, reason)
        waiting = [n for n, s in self.state.items() if s in (PENDING, READY)]
        self._apply([NodeChange(n, CANCELLED, message=reason) for n in waiting])
        self.ready.clear()
        for n in waiting:
            self.log.emit("node.cancelled", node_id=n, details={"reason": reason})
        threading.Thread(target=self.control.cancel, name="dde-cancel", daemon=True).start()

    # -- the end ---------------------------------------------------------------------------

    def _close(self) -> RunSummary:
        counts = {s: 0 for s in (COMPLETED, FAILED, SKIPPED, CANCELLED, PENDING, READY, RUNNING)}
        for s in self.state.values():
            counts[s] = counts.get(s, 0) + 1
        failed = [n for n, s in self.state.items() if s == FAILED]
        duration = time.monotonic() - self.started
        details: dict[str, Any] = {
            "counts": {k: v for k, v in counts.items() if v},
            "failed": failed,
            "duration_seconds": round(duration, 6),
        }
        if self.cancelling:
            final = CANCELLED
            self.log.emit("workflow.cancelled", details=details)
        else:
            final = FAILED if failed else COMPLETED
            unfinished = [n for n, s in self.state.items() if s not in FINISHED_NODE_STATES]
            if unfinished:  # pragma: no cover - would be a scheduler bug
                raise StateError(f"run {self.run_id} stopped with unfinished nodes {unfinished}")
            self.store.set_run_state(self.run_id, final, f"{len(failed)} failed")
            self.log.emit(
                "workflow.completed" if final == COMPLETED else "workflow.failed", details=details
            )
        return RunSummary(self.run_id, self.iteration_id, final, counts, duration, failed)


def _import_step_modules() -> None:
    """Import what every node step imports on first use (context, gates, contracts,
    routing: 20-30 ms) before the run starts, not while the first nodes wait for it."""
    import dde_ci.context
    import dde_ci.contracts.lock
    import dde_ci.gates
    import dde_ci.routing  # noqa: F401


def list_agents(manifest: Manifest, jobs: int) -> list[Agent]:
    """The manifest's agents, or the built-in ``local`` agent serving everything."""
    from dde_ci.manifest.models import Agent

    if manifest.agents:
        return list(manifest.agents)
    return [Agent(id=LOCAL_AGENT, concurrency=jobs)]


def manifest_layout(path: Path) -> Layout:
    """The layout of the project whose manifest is at ``path`` (the file need not be loaded)."""
    return Layout(path.absolute().parent)
