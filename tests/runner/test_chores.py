"""``dde_ci.runner.chores``: the chores queue and the turn the runner's workers take."""

from __future__ import annotations

import threading
import time
from concurrent.futures import CancelledError

import pytest

from dde_ci.runner.chores import Chores, Turn


def test_chores_run_in_order_in_the_calling_thread_and_give_their_results() -> None:
    chores = Chores()
    seen: list[tuple[str, str]] = []

    def a() -> int:
        seen.append(("a", threading.current_thread().name))
        return 1

    first = chores.submit(a)
    chores.add(lambda: seen.append(("b", threading.current_thread().name)))
    third = chores.submit(lambda: 1 / 0)
    chores.add(lambda: [][1])  # raises: dropped, the next one still runs
    fourth = chores.submit(lambda: "four")
    assert len(chores) == 5
    assert chores.run_pending() == 5
    here = threading.current_thread().name
    assert seen == [("a", here), ("b", here)]
    assert first.result() == 1 and fourth.result() == "four"
    with pytest.raises(ZeroDivisionError):
        third.result()
    assert len(chores) == 0 and chores.run_pending() == 0


def test_run_pending_stops_when_told_and_a_cancelled_chore_never_runs() -> None:
    chores = Chores()
    ran: list[int] = []
    futures = [chores.submit(ran.append, n) for n in range(5)]
    assert futures[1].cancel()
    assert chores.run_pending(stop=lambda: len(ran) >= 2) == 2  # 0, (1 cancelled), 2
    assert ran == [0, 2] and len(chores) == 2
    chores.close()
    assert futures[3].cancelled() and futures[4].cancelled()
    with pytest.raises(CancelledError):
        futures[4].result()
    with pytest.raises(RuntimeError):
        chores.add(ran.append, 9)
    with pytest.raises(RuntimeError):
        chores.submit(ran.append, 9)
    assert chores.run_pending() == 0 and ran == [0, 2]


def test_handed_off_chores_run_in_the_helper_and_close_waits_for_it() -> None:
    chores = Chores()
    done = threading.Event()
    names: list[str] = []
    release = threading.Event()

    def slow() -> None:
        names.append(threading.current_thread().name)
        release.wait(5)
        done.set()

    chores.hand_off()  # nothing queued: no helper needed
    assert chores._helper is None
    chores.add(slow)
    chores.hand_off()
    deadline = time.monotonic() + 5
    while not names and time.monotonic() < deadline:
        time.sleep(0.005)
    assert names == ["dde-chores"]
    late = chores.submit(lambda: "never")  # queued behind the running one
    closing = threading.Thread(target=chores.close)
    closing.start()
    closing.join(0.1)
    assert closing.is_alive()  # waits for the chore the helper is doing
    release.set()
    closing.join(5)
    assert not closing.is_alive() and done.is_set()
    assert late.cancelled() or late.result() == "never"


def test_the_turn_is_one_threads_at_a_time_and_says_when_it_is_wanted() -> None:
    turn = Turn()
    assert not turn.held()
    assert turn.take() and turn.take()  # again at no cost: still one hold
    assert turn.held() and not turn.wanted()
    got: list[bool] = []
    other = threading.Thread(target=lambda: got.append(turn.take(blocking=False)))
    other.start()
    other.join()
    assert got == [False]

    def wait_for_it() -> None:
        turn.take()
        got.append(True)
        turn.give()

    waiting = threading.Thread(target=wait_for_it)
    waiting.start()
    deadline = time.monotonic() + 5
    while not turn.wanted() and time.monotonic() < deadline:
        time.sleep(0.001)
    assert turn.wanted() and got == [False]
    turn.give()
    turn.give()  # not held any more: nothing happens
    waiting.join(5)
    assert got == [False, True] and not turn.wanted() and not turn.held()
    assert turn.take(blocking=False)
    turn.give()
