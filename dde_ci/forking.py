"""One pure function computed in a forked child while this process does other work.

The audit reads the execution log (one large file, CPU-bound JSON decoding) and
tens of thousands of small record files (system calls); the two do not depend
on each other, so on a machine with two or more cores the log is read in a
child process at the same time.  The child sends its result back pickled
through a pipe.

Nothing is lost when the child cannot help: when ``fork`` is missing, when
other threads run (forking them is unsafe), when there is one core, when this
process is already large (see :data:`MAX_FORK_RSS`), or when the child fails in
any way (killed, out of memory, an unpicklable result), the function is simply
called in this process instead.  The result is therefore
always exactly ``fn(*args)``; only where it was computed differs.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import threading
import warnings
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def cores() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS has no sched_getaffinity
        return os.cpu_count() or 1


# forking copies the page tables, and every page either process writes afterwards is
# copied too (reference counts make reading an object a write): worth it while this
# process is small, e.g. at the start of a command, not once it holds a large heap
MAX_FORK_RSS = 96 * 1024 * 1024


def resident_bytes() -> int:
    """This process's resident memory now (0 when the system does not say)."""
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        return 0


def can_fork() -> bool:
    """True when forking a child is possible, safe and worth it here."""
    return (
        hasattr(os, "fork")
        and threading.active_count() == 1
        and cores() > 1
        and resident_bytes() <= MAX_FORK_RSS
    )


class Pending(Generic[T]):
    """The result of ``fn(*args)``, computed in a child when one was started."""

    def __init__(self, fn: Callable[..., T], args: tuple[Any, ...], *, fork: bool) -> None:
        self._fn = fn
        self._args = args
        self._pid = 0
        self._fd = -1
        self.forked = False  # a child was started
        self.from_child = False  # the result came from it
        if fork:
            self._start()

    def _start(self) -> None:
        read_fd, write_fd = os.pipe()
        try:
            with warnings.catch_warnings():
                # Python 3.12+ warns when other threads run: only a caller that asked for
                # fork=True explicitly gets here then (can_fork() says no)
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
        except OSError:  # pragma: no cover - no memory or process slots left: work inline
            os.close(read_fd)
            os.close(write_fd)
            return
        if pid == 0:  # pragma: no cover - the child (coverage does not follow it)
            code = 1
            try:
                os.close(read_fd)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                data = pickle.dumps(self._fn(*self._args), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write_fd, "wb") as out:
                    out.write(data)
                code = 0
            finally:
                # never return into the parent's code, never flush its buffers or run atexit
                os._exit(code)
        os.close(write_fd)
        self._pid, self._fd, self.forked = pid, read_fd, True

    def result(self) -> T:
        """Wait for the child and return its result; compute it here if it failed."""
        if self._pid:
            with os.fdopen(self._fd, "rb") as source:
                self._fd = -1
                data = source.read()
            _, status = os.waitpid(self._pid, 0)
            self._pid = 0
            if os.waitstatus_to_exitcode(status) == 0 and data:
                with contextlib.suppress(Exception):  # a truncated pipe: work inline
                    value: T = pickle.loads(data)  # noqa: S301 - our own child's bytes
                    self.from_child = True
                    return value
        return self._fn(*self._args)

    def close(self) -> None:
        """Stop a child whose result is no longer wanted (this process is failing)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._pid:
            with contextlib.suppress(ProcessLookupError):  # it had already ended
                os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            self._pid = 0

    def __enter__(self) -> Pending[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def call_in_child(fn: Callable[..., T], *args: Any, fork: bool | None = None) -> Pending[T]:
    """Start ``fn(*args)`` in a forked child (``fork=None``: when :func:`can_fork`).

    ``fn`` must be pure: it must not write files or depend on what this process
    does after the fork, and its result must pickle.  Use as a context manager
    so a failure in this process never leaves the child behind::

        with call_in_child(read_log, path) as pending:
            other_work()
            contents = pending.result()
    """
    return Pending(fn, args, fork=can_fork() if fork is None else fork)
