"""Process supervision for node commands: own process group, deadline, cancel, kill.

:func:`run_process` starts a command as the leader of a new process group
(``start_new_session``) and waits for it in the calling thread until it
exits, its deadline passes or a :class:`Cancel` is set.  A timed-out or
cancelled command's whole group gets SIGTERM, then SIGKILL after the grace
period; a command that exits leaves no process of its group behind (SIGKILL).

The wait is one blocking call -- ``poll`` on a pidfd (Linux) and on the
cancel pipe -- so no thread watches deadlines, and a command's end is seen
the moment it happens.  Elsewhere (no ``os.pidfd_open``) the wait polls the
child every 10 ms.

A runner that dies leaves its commands running.  :func:`write_pid_file` records
a command's process group while it runs (``.dde/runs/{run}/{node}.pid``) and
:func:`stop_leftover` stops it when the run is taken over, after checking
(on Linux) that the process is still that run's command.  The file is written
just after the start: a runner killed in between leaves that command running.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

GRACE_SECONDS = 5.0  # SIGTERM, then SIGKILL after this many seconds
_POLL_CAP_SECONDS = 3600.0  # one wait never asks poll() for more (a huge timeout waits in turns)


class Cancel:
    """A one-shot signal that any number of waiting commands wake on: a pipe whose
    write end is closed by :meth:`set` (the read end then polls readable, forever)."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_inheritable(self._read, False)
        os.set_inheritable(self._write, False)

    @property
    def fd(self) -> int:
        return self._read

    def set(self) -> None:
        if self._write >= 0:
            os.close(self._write)
            self._write = -1

    def is_set(self) -> bool:
        return self._write < 0

    def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds``; True when set meanwhile."""
        poller = select.poll()
        poller.register(self._read, select.POLLIN)
        end = time.monotonic() + seconds
        while not self.is_set():
            left = end - time.monotonic()
            if left <= 0:
                return False
            poller.poll(_millis(left))
        return True

    def close(self) -> None:
        self.set()
        with contextlib.suppress(OSError):
            os.close(self._read)


@dataclass(frozen=True)
class ProcessResult:
    """How a command ended: its exit status (None when stopped by us), and why we stopped it."""

    exit_code: int | None
    timed_out: bool = False
    cancelled: bool = False


def run_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    stdout: int,
    deadline: float | None = None,
    cancel: Cancel | None = None,
    grace: float = GRACE_SECONDS,
    pid_file: Path | None = None,
) -> ProcessResult:
    """Run ``argv`` in its own process group, stdin empty, stdout and stderr to the
    descriptor ``stdout``, until it exits, ``deadline`` (``time.monotonic()``) passes
    or ``cancel`` is set.  The exit code is negative (``-N``) when a signal ended it."""
    if cancel is not None and cancel.is_set():
        return ProcessResult(None, cancelled=True)
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    if pid_file is not None:
        write_pid_file(pid_file, proc.pid)
    try:
        ended = _wait(proc, deadline, cancel)
        if ended:
            code = proc.wait()
            signal_group(proc.pid, signal.SIGKILL)  # what it left behind in its group
            return ProcessResult(code)
        stop_group(proc, grace)
        timed_out = cancel is None or not cancel.is_set()
        return ProcessResult(None, timed_out=timed_out, cancelled=not timed_out)
    finally:
        if pid_file is not None:
            pid_file.unlink(missing_ok=True)


def _wait(proc: subprocess.Popen[bytes], deadline: float | None, cancel: Cancel | None) -> bool:
    """Wait until ``proc`` exits (True), or ``deadline`` passes or ``cancel`` is set (False)."""
    try:
        pidfd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):  # not Linux, or an old kernel
        return _wait_polling(proc, deadline, cancel)
    try:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        if cancel is not None:
            poller.register(cancel.fd, select.POLLIN)
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return proc.poll() is not None
            ready = poller.poll(None if left is None else _millis(left))
            if any(fd == pidfd for fd, _ in ready):
                return True
            if cancel is not None and cancel.is_set():
                return proc.poll() is not None
    finally:
        os.close(pidfd)


def _wait_polling(
    proc: subprocess.Popen[bytes], deadline: float | None, cancel: Cancel | None
) -> bool:
    while proc.poll() is None:
        if cancel is not None and cancel.is_set():
            return False
        if deadline is not None and time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True


def _millis(seconds: float) -> int:
    return int(min(seconds, _POLL_CAP_SECONDS) * 1000) + 1


def stop_group(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM ``proc``'s process group, SIGKILL it after ``grace`` seconds; reap ``proc``."""
    signal_group(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    signal_group(proc.pid, signal.SIGKILL)  # the leader may be gone while others linger
    proc.wait()


def signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def exit_description(code: int) -> str:
    """``exited with 3``, or ``was killed by SIGXFSZ (signal 25)`` for a negative code."""
    if code >= 0:
        return f"exited with {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = "an unknown signal"
    return f"was killed by {name} (signal {-code})"


# -- commands a dead runner left running ---------------------------------------------------


def write_pid_file(path: Path, pid: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{pid}\n", "ascii")


def stop_leftover(pid_file: Path, marks: Mapping[str, str], grace: float = GRACE_SECONDS) -> bool:
    """Stop the process group recorded in ``pid_file`` when its leader still runs with the
    environment ``marks`` (e.g. ``DDE_RUN_ID`` and ``DDE_NODE``: a reused process id is
    never hit; without ``/proc`` nothing is stopped).  Whether a group was stopped."""
    try:
        pid = int(pid_file.read_text("ascii").strip())
        environ = set(Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"))
    except (OSError, ValueError):
        pid_file.unlink(missing_ok=True)
        return False
    if not all(f"{k}={v}".encode() in environ for k, v in marks.items()):
        pid_file.unlink(missing_ok=True)
        return False
    signal_group(pid, signal.SIGTERM)
    end = time.monotonic() + grace
    while time.monotonic() < end and _alive(pid):
        time.sleep(0.02)
    signal_group(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    return True


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text("utf-8")
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
