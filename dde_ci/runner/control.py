"""Pause, resume and cancel a run from another process, and know whether its runner is alive.

A runner holds an exclusive ``flock`` on ``.dde/runs/{run_id}.lock`` for as
long as it runs the run; the kernel drops the lock when the process dies
(SIGKILL included).  So:

* runner alive: ``pause`` / ``resume`` / ``cancel`` leave a request in the
  state database, which the runner picks up within a fraction of a second;
* runner gone: ``cancel`` marks the run CANCELLED itself, ``resume`` takes the
  run over in the calling process (see :func:`dde_ci.runner.scheduler.resume_run`).

A runner also holds ``.dde/runner.lock`` (:class:`FolderLock`): one runner at a
time in a folder; a second one is refused with the run and process holding it.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

from dde_ci.errors import StateError
from dde_ci.layout import Layout, segment
from dde_ci.log import ExecutionLog
from dde_ci.runner.state import (
    CANCELLED,
    FINISHED_NODE_STATES,
    FINISHED_RUN_STATES,
    PAUSED,
    RUNNING,
    NodeChange,
    StateStore,
)


def lock_path(layout: Layout, run_id: str) -> Path:
    return layout.dde_dir / "runs" / f"{segment(run_id, 'run id')}.lock"


@dataclass
class RunLock:
    """The runner's exclusive hold on a run (released when the process ends, however it ends)."""

    path: Path
    fd: int | None = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


@dataclass
class FolderLock:
    """One runner at a time in a folder: an exclusive ``flock`` on ``.dde/runner.lock``,
    which names the run and the process holding it."""

    layout: Layout
    fd: int | None = None

    @property
    def path(self) -> Path:
        return self.layout.dde_dir / "runner.lock"

    def acquire(self, run_id: str) -> None:
        """Take the lock for ``run_id``; StateError naming the holder when it is taken."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 4096).decode("utf-8", "replace").split()
            os.close(fd)
            run, pid = [*holder, "?", "?"][:2]
            raise StateError(
                f"{self.path}: run {run} (process {pid}) is running in this folder; wait for "
                f"it to end or stop it with 'dde-ci cancel {run}', then try again"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{run_id} {os.getpid()}\n".encode())
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def runner_alive(layout: Layout, run_id: str) -> bool:
    """True when some process holds the run's lock (its runner is running it)."""
    probe = RunLock(lock_path(layout, run_id))
    if probe.acquire():
        probe.release()
        return False
    return True


def request_pause(store: StateStore, layout: Layout, run_id: str) -> str:
    """Ask the run's runner to start no new node; return what happened, in words."""
    run = store.run(run_id)
    if run.state != RUNNING:
        raise StateError(f"run {run_id} is {run.state}; only a RUNNING run can be paused")
    store.request(run_id, "pause")
    if not runner_alive(layout, run_id):
        return (
            f"run {run_id}: pause requested, but no runner is running it; "
            f"'dde-ci resume {run_id}' continues it"
        )
    return f"run {run_id}: pause requested; running nodes finish, no new node starts"


def request_resume(store: StateStore, layout: Layout, run_id: str) -> str:
    """Ask a live runner to continue a PAUSED run (a dead runner's run is taken over instead)."""
    run = store.run(run_id)
    if run.state != PAUSED:
        raise StateError(f"run {run_id} is {run.state}; only a PAUSED run can be resumed")
    store.request(run_id, "resume")
    return f"run {run_id}: resume requested"


def request_cancel(store: StateStore, layout: Layout, run_id: str) -> str:
    """Cancel a run: ask its live runner, or (runner gone) mark it CANCELLED here."""
    run = store.run(run_id)
    if run.state in FINISHED_RUN_STATES:
        raise StateError(f"run {run_id} is {run.state}; there is nothing to cancel")
    lock = RunLock(lock_path(layout, run_id))
    if not lock.acquire():
        store.request(run_id, "cancel")
        return (
            f"run {run_id}: cancel requested; running nodes get SIGTERM, then SIGKILL "
            "after the grace period"
        )
    try:
        changes = [
            NodeChange(n.node_id, CANCELLED, message="run cancelled")
            for n in store.nodes(run_id)
            if n.state not in FINISHED_NODE_STATES
        ]
        store.apply(run_id, changes)
        store.set_run_state(run_id, CANCELLED, "cancelled while no runner was running it")
        log = ExecutionLog(layout.execution_log(run.iteration_id), run.iteration_id, run_id)
        for change in changes:
            log.emit("node.cancelled", node_id=change.node_id, details={"reason": "run cancelled"})
        log.emit("workflow.cancelled", details={"reason": "cancelled with no runner running"})
        log.sync()
    finally:
        lock.release()
    return f"run {run_id}: cancelled ({len(changes)} nodes not finished)"
