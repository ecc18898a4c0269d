"""A pure function computed in a forked child: the result is always fn(*args), whatever happens."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import pytest

from dde_ci.forking import MAX_FORK_RSS, call_in_child, can_fork, cores, resident_bytes

PARENT = os.getpid()


def where(value: int) -> tuple[int, int]:
    return os.getpid(), value * 2


def fails_in_a_child(value: int) -> tuple[int, int]:
    if os.getpid() != PARENT:
        raise RuntimeError("only in the child")
    return os.getpid(), value


def dies_in_a_child() -> int:
    if os.getpid() != PARENT:
        os.kill(os.getpid(), signal.SIGKILL)
    return os.getpid()


def unpicklable_in_a_child() -> Any:
    if os.getpid() != PARENT:
        return lambda: None  # pickle refuses a lambda
    return "computed here"


def sleeps(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def test_the_result_comes_from_a_child() -> None:
    with call_in_child(where, 21, fork=True) as pending:
        assert pending.forked
        pid, value = pending.result()
    assert value == 42 and pid != os.getpid() and pending.from_child


def test_without_fork_it_is_computed_here_when_asked() -> None:
    pending = call_in_child(where, 5, fork=False)
    assert not pending.forked
    assert pending.result() == (os.getpid(), 10)


@pytest.mark.parametrize("fn", [fails_in_a_child, dies_in_a_child, unpicklable_in_a_child])
def test_a_child_that_fails_in_any_way_loses_nothing(fn: Any) -> None:
    args = (3,) if fn is fails_in_a_child else ()
    with call_in_child(fn, *args, fork=True) as pending:
        got = pending.result()
    assert got == fn(*args) and not pending.from_child  # computed again here


def test_closing_stops_a_child_still_at_work_and_leaves_no_zombie() -> None:
    pending = call_in_child(sleeps, 30, fork=True)
    pid = pending._pid
    started = time.monotonic()
    pending.close()
    assert time.monotonic() - started < 5
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped


def test_a_failure_here_never_leaves_the_child_behind() -> None:
    with pytest.raises(KeyError), call_in_child(sleeps, 30, fork=True) as pending:
        pid = pending._pid
        raise KeyError("the caller failed")
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def test_can_fork_refuses_when_threads_run_one_core_or_a_large_heap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert not can_fork()
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.setattr("dde_ci.forking.cores", lambda: 1)
    assert not can_fork()
    monkeypatch.setattr("dde_ci.forking.cores", lambda: 2)
    monkeypatch.setattr("dde_ci.forking.resident_bytes", lambda: 2 * MAX_FORK_RSS)
    assert not can_fork()  # a large process: copying its pages costs more than it saves
    assert cores() >= 1 and 0 < resident_bytes() < 2**40
