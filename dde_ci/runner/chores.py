"""Work done ahead by the worker threads themselves, while their commands run.

The local runner prepares what later nodes need (a READY node's context, the
files of a node whose dependencies run) before they start.  Helper threads
did that once; each hand-over to one woke a thread, and on a machine with
few cores a woken thread waits for a CPU (a tenth of a millisecond or more in
a virtual machine) and then for the interpreter lock.  Now a worker whose
command has just started does the chores queued so far, and then waits for
its command: the time was idle, and no other thread is woken.

A worker stops when its own command has ended (its next step comes first).
When chores are left then -- commands that last a millisecond leave no time
for them -- it hands them to a helper thread (:meth:`Chores.hand_off`), which
does them on the other core meanwhile: creating a file costs 0.3 to 0.9 ms
on this project's virtual machines, and without that help a run of short
nodes would create every file on its critical path.  Nodes that run longer
than their chores never wake the helper.

:class:`Chores` is the queue: :meth:`submit` returns a
:class:`concurrent.futures.Future` as an executor's would (so a chore may be
cancelled while queued, or awaited while another thread does it), :meth:`add`
queues one nobody waits for, :meth:`run_pending` does the queued chores in the
calling thread, and :meth:`close` cancels what is left.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class Chores:
    """A queue of chores that the threads calling :meth:`run_pending` do, first in first out."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handed = threading.Condition(self._lock)  # the helper waits on it
        self._queue: deque[tuple[Future[Any] | None, Callable[..., Any], tuple[Any, ...]]] = deque()
        self._closed = False
        self._helper: threading.Thread | None = None
        self._help_wanted = False

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Queue ``fn(*args)``; RuntimeError once closed (as an executor after shutdown)."""
        future: Future[T] = Future()
        self._queue_up(future, fn, args)
        return future

    def add(self, fn: Callable[..., object], *args: Any) -> None:
        """Queue ``fn(*args)`` with no future: nobody waits for it, and what it raises is
        dropped (a head start that failed is no head start).  RuntimeError once closed."""
        self._queue_up(None, fn, args)

    def _queue_up(
        self, future: Future[Any] | None, fn: Callable[..., Any], args: tuple[Any, ...]
    ) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot queue a chore after close()")
            self._queue.append((future, fn, args))

    def run_pending(self, stop: Callable[[], bool] | None = None) -> int:
        """Do the chores queued (those queued meanwhile too) here, until none is left or
        ``stop()`` says so (asked before each); return how many ran.  A chore cancelled
        while queued is dropped; one that raises sets its future's exception (as an
        executor does) and the next one runs."""
        ran = 0
        while stop is None or not stop():
            with self._lock:
                if not self._queue:
                    return ran
                future, fn, args = self._queue.popleft()
            if future is None:
                ran += 1
                with contextlib.suppress(Exception):
                    fn(*args)
                continue
            if not future.set_running_or_notify_cancel():
                continue
            ran += 1
            try:
                result = fn(*args)
            except BaseException as exc:  # the future carries it to whoever waits
                future.set_exception(exc)
            else:
                future.set_result(result)
        return ran

    def hand_off(self) -> None:
        """Have the helper thread (started the first time) do the chores queued now."""
        with self._lock:
            if self._closed or not self._queue:
                return
            self._help_wanted = True
            if self._helper is None:
                self._helper = threading.Thread(target=self._help, name="dde-chores", daemon=True)
                self._helper.start()
            self._handed.notify()

    def _help(self) -> None:
        while True:
            with self._lock:
                while not self._help_wanted and not self._closed:
                    self._handed.wait()
                if self._closed:
                    return
                self._help_wanted = False
            self.run_pending()

    def close(self) -> None:
        """Cancel the queued chores; no more may be submitted.  Returns once no chore
        runs in the helper thread (one running in a worker finishes there)."""
        with self._lock:
            self._closed = True
            left = list(self._queue)
            self._queue.clear()
            self._handed.notify()
            helper = self._helper
        for future, _, _ in left:
            if future is not None:
                future.cancel()
        if helper is not None:
            helper.join()

    def __len__(self) -> int:
        with self._lock:
            return len(self._queue)


class Turn:
    """Whose turn it is to do the runner's own work: one worker thread at a time.

    A worker takes the turn when its command has ended and keeps it through
    recording the node's end, starting the next node and the chores after
    that start; it gives it up before it waits for a command (or runs gates,
    which run commands).  The other workers are then blocked on the turn or
    waiting for their commands, not taking the interpreter lock from each
    other at every system call: each such hand-over puts a thread to sleep
    and wakes another, which on a machine with few cores waits for a CPU.
    The work is serialised as it would be in one thread (as ``make`` does it),
    with the same work done.

    :meth:`take` and :meth:`give` are per thread and idempotent (a thread that
    holds the turn takes it again at no cost); :meth:`wanted` says whether a
    thread is waiting for it (chores then stop, to let the ended command's
    worker on).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mine = threading.local()
        self._count = threading.Lock()
        self._waiting = 0

    def held(self) -> bool:
        """Whether the calling thread holds the turn."""
        return bool(getattr(self._mine, "held", False))

    def take(self, *, blocking: bool = True) -> bool:
        """Take the turn (waiting for it, unless ``blocking`` is false); whether taken."""
        if self.held():
            return True
        if not self._lock.acquire(blocking=False):
            if not blocking:
                return False
            with self._count:
                self._waiting += 1
            try:
                self._lock.acquire()
            finally:
                with self._count:
                    self._waiting -= 1
        self._mine.held = True
        return True

    def give(self) -> None:
        """Give the turn up, when the calling thread holds it."""
        if self.held():
            self._mine.held = False
            self._lock.release()

    def wanted(self) -> bool:
        """Whether another thread waits for the turn."""
        return self._waiting > 0
