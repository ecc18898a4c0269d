"""Pause, resume, cancel and crash recovery, driven from a second process (real processes)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dde_ci.layout import Layout
from dde_ci.log import read_log
from dde_ci.runner.state import StateStore
from tests.conftest import run_cli
from tests.runner.project import chain_manifest

DDE_CI = str(Path(sys.executable).parent / "dde-ci")


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


def node_states(folder: Path, run_id: str) -> dict[str, str]:
    db = Layout(folder).state_db
    if not db.exists():
        return {}
    try:
        with StateStore(db) as store:
            return {n.node_id: n.state for n in store.nodes(run_id)}
    except Exception:
        return {}


@pytest.fixture
def runners() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def start_runner(
    manifest: Path, run_id: str, runners: list[subprocess.Popen[bytes]], *extra: str
) -> subprocess.Popen[bytes]:
    with (manifest.parent / f"runner-{run_id}.out").open("wb") as out:
        proc = subprocess.Popen(
            [DDE_CI, "run", "-m", str(manifest), "--run-id", run_id, "--no-progress", *extra],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    runners.append(proc)
    return proc


def kill_group_in(path: Path) -> None:
    if path.exists():
        for line in path.read_text().split():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(int(line), signal.SIGKILL)


@pytest.mark.slow
def test_sigkill_and_resume(tmp_path: Path, runners: list[subprocess.Popen[bytes]]) -> None:
    manifest = chain_manifest(
        tmp_path,
        {
            "A": ([], "echo ran >> A.runs"),
            # the first run of B hangs (until the runner is killed); the second finishes
            "B": (
                ["A"],
                'echo ran >> B.runs; echo $$ >> B.pids; [ "$(wc -l < B.runs)" -ge 2 ] || sleep 60',
            ),
            "C": (["B"], "echo ran >> C.runs"),
            "D": ([], "echo ran >> D.runs"),
        },
    )
    runner = start_runner(manifest.path, "crash1", runners)
    try:
        wait_for(lambda: node_states(tmp_path, "crash1").get("B") == "RUNNING")
        wait_for(lambda: (tmp_path / "B.runs").exists())
        wait_for(lambda: node_states(tmp_path, "crash1").get("D") == "COMPLETED")
        # the runner keeps B's process id while B runs (a moment after B starts)
        wait_for(lambda: (tmp_path / ".dde" / "runs" / "crash1" / "B.pid").is_file())
        runner.send_signal(signal.SIGKILL)
        runner.wait()
        assert node_states(tmp_path, "crash1")["B"] == "RUNNING"
        code = run_cli("resume", "crash1", "-m", str(manifest.path), "--no-progress")
        # the command the killed runner left running was stopped before B ran again
        first_b = int((tmp_path / "B.pids").read_text().split()[0])
        assert not group_alive(first_b)
    finally:
        kill_group_in(tmp_path / "B.pids")
    assert code == 0
    assert node_states(tmp_path, "crash1") == dict.fromkeys("ABCD", "COMPLETED")
    runs = {n: len((tmp_path / f"{n}.runs").read_text().split()) for n in "ABCD"}
    assert runs == {"A": 1, "B": 2, "C": 1, "D": 1}  # completed nodes never run again
    contents = read_log(Layout(tmp_path).execution_log("it1"))
    assert contents.problems == []  # nothing torn
    resumed = [e for e in contents.events if e["event_type"] == "workflow.resumed"]
    assert resumed[0]["details"] == {"recovered": True, "rerun": ["B"]}
    assert contents.events[-1]["event_type"] == "workflow.completed"
    # resuming a finished run is refused
    assert run_cli("resume", "crash1", "-m", str(manifest.path)) == 2


@pytest.mark.slow
def test_pause_and_resume_from_another_process(
    tmp_path: Path, runners: list[subprocess.Popen[bytes]], capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = chain_manifest(
        tmp_path,
        {
            "A": ([], "while [ ! -f go ]; do sleep 0.02; done"),
            "B": (["A"], "true"),
            "C": (["B"], "true"),
        },
    )
    runner = start_runner(manifest.path, "p1", runners)
    wait_for(lambda: node_states(tmp_path, "p1").get("A") == "RUNNING")
    assert run_cli("pause", "p1", "-m", str(manifest.path)) == 0
    assert "pause requested" in capsys.readouterr().out

    def run_state() -> str:
        with StateStore(Layout(tmp_path).state_db) as store:
            return store.run("p1").state

    wait_for(lambda: run_state() == "PAUSED")
    (tmp_path / "go").write_text("")  # the running node finishes normally
    wait_for(lambda: node_states(tmp_path, "p1")["A"] == "COMPLETED")
    time.sleep(0.3)
    assert node_states(tmp_path, "p1")["B"] == "READY"  # no new node starts
    assert run_cli("status", "p1", "-m", str(manifest.path), "--format", "json") == 0
    status = json.loads(capsys.readouterr().out)
    assert status["state"] == "PAUSED" and status["runner_alive"] is True
    assert run_cli("resume", "p1", "-m", str(manifest.path)) == 0
    assert runner.wait(timeout=20) == 0
    kinds = [e["event_type"] for e in read_log(Layout(tmp_path).execution_log("it1")).events]
    assert kinds.index("workflow.paused") < kinds.index("workflow.resumed")
    assert node_states(tmp_path, "p1") == dict.fromkeys("ABC", "COMPLETED")


@pytest.mark.slow
def test_cancel_from_another_process_kills_the_process_group(
    tmp_path: Path, runners: list[subprocess.Popen[bytes]]
) -> None:
    manifest = chain_manifest(
        tmp_path,
        {
            # ignores SIGTERM, so only the SIGKILL after the grace period stops it
            "A": ([], "trap '' TERM; echo $$ > A.pid; sleep 60 & wait"),
            "B": (["A"], "true"),
            "X": ([], "true"),
        },
    )
    runner = start_runner(manifest.path, "c1", runners, "--grace", "0.3")
    wait_for(lambda: (tmp_path / "A.pid").exists() and (tmp_path / "A.pid").read_text() != "")
    assert run_cli("cancel", "c1", "-m", str(manifest.path)) == 0
    assert runner.wait(timeout=20) == 130
    states = node_states(tmp_path, "c1")
    assert states == {"A": "CANCELLED", "B": "CANCELLED", "X": "COMPLETED"}
    pgid = int((tmp_path / "A.pid").read_text())
    wait_for(lambda: not group_alive(pgid), timeout=5)
    log = read_log(Layout(tmp_path).execution_log("it1")).events
    assert log[-1]["event_type"] == "workflow.cancelled"
    assert run_cli("cancel", "c1", "-m", str(manifest.path)) == 2  # already finished


def test_ctrl_c_cancels_the_run_and_stops_its_commands(
    tmp_path: Path, runners: list[subprocess.Popen[bytes]]
) -> None:
    """SIGINT (Ctrl-C) reaches the runner's main thread while the workers wait for their
    commands: the run is cancelled, the commands' groups stopped, the log closed."""
    manifest = chain_manifest(
        tmp_path,
        {
            "A": ([], "echo $$ > A.pid; sleep 60"),
            "B": ([], "echo $$ > B.pid; sleep 60"),
            "C": (["A"], "true"),
            "D": ([], "true"),
        },
    )
    runner = start_runner(manifest.path, "int1", runners, "--grace", "0.5")
    pids = [tmp_path / "A.pid", tmp_path / "B.pid"]
    wait_for(lambda: all(p.exists() and p.read_text().strip() for p in pids))
    wait_for(lambda: node_states(tmp_path, "int1").get("D") == "COMPLETED")
    runner.send_signal(signal.SIGINT)
    assert runner.wait(timeout=20) == 130
    assert node_states(tmp_path, "int1") == {
        "A": "CANCELLED",
        "B": "CANCELLED",
        "C": "CANCELLED",
        "D": "COMPLETED",
    }
    groups = [int(path.read_text()) for path in pids]
    wait_for(lambda: not any(group_alive(pgid) for pgid in groups), timeout=5)
    log = read_log(Layout(tmp_path).execution_log("it1")).events
    assert log[-1]["event_type"] == "workflow.cancelled"
    assert log[-1]["details"]["counts"] == {"COMPLETED": 1, "CANCELLED": 3}


def group_alive(pgid: int) -> bool:
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def test_cancel_without_a_runner_marks_the_run(tmp_path: Path) -> None:
    manifest = chain_manifest(tmp_path, {"A": ([], "true"), "B": (["A"], "true")})
    with StateStore(Layout(tmp_path).state_db) as store:
        store.create_run(
            "dead",
            workflow="t",
            manifest=str(manifest.path),
            iteration_id="it1",
            jobs=1,
            node_ids=["A", "B"],
        )
    assert run_cli("cancel", "dead", "-m", str(manifest.path)) == 0
    assert node_states(tmp_path, "dead") == {"A": "CANCELLED", "B": "CANCELLED"}
    kinds = [e["event_type"] for e in read_log(Layout(tmp_path).execution_log("it1")).events]
    assert kinds == ["node.cancelled", "node.cancelled", "workflow.cancelled"]


def test_pause_needs_a_running_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = chain_manifest(tmp_path, {"A": ([], "true")})
    assert run_cli("run", "-m", str(manifest.path), "--run-id", "done1", "--no-progress") == 0
    assert run_cli("pause", "done1", "-m", str(manifest.path)) == 2
    assert "run done1 is COMPLETED; only a RUNNING run can be paused" in capsys.readouterr().err


def test_resume_takes_over_a_paused_run_whose_runner_is_gone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = chain_manifest(tmp_path, {"A": ([], "true"), "B": (["A"], "true")})
    with StateStore(Layout(tmp_path).state_db) as store:
        store.create_run(
            "gone",
            workflow="t",
            manifest=str(manifest.path),
            iteration_id="it1",
            jobs=2,
            node_ids=["A", "B"],
        )
        store.set_run_state("gone", "PAUSED")
    assert run_cli("status", "gone", "-m", str(manifest.path)) == 0
    assert "no runner is running it; 'dde-ci resume gone' continues it" in capsys.readouterr().out
    assert run_cli("resume", "gone", "-m", str(manifest.path), "--no-progress") == 0
    assert "continuing here" in capsys.readouterr().out
    assert node_states(tmp_path, "gone") == {"A": "COMPLETED", "B": "COMPLETED"}
    with StateStore(Layout(tmp_path).state_db) as store:
        assert store.run("gone").state == "COMPLETED"


@pytest.mark.slow
def test_a_second_run_in_the_same_folder_is_refused_and_names_the_first(
    tmp_path: Path, runners: list[subprocess.Popen[bytes]], capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = chain_manifest(
        tmp_path, {"A": ([], "echo ran >> A.runs; while [ ! -f go ]; do sleep 0.02; done")}
    )
    first = start_runner(manifest.path, "first", runners)
    wait_for(lambda: (tmp_path / "A.runs").exists())
    assert run_cli("run", "-m", str(manifest.path), "--run-id", "second", "--no-progress") == 2
    err = capsys.readouterr().err
    assert f"runner.lock: run first (process {first.pid}) is running in this folder" in err
    assert "'dde-ci cancel first'" in err
    (tmp_path / "go").touch()
    assert first.wait(timeout=60) == 0
    assert (tmp_path / "A.runs").read_text().split() == ["ran"]  # the second ran nothing
    assert run_cli("run", "-m", str(manifest.path), "--run-id", "third", "--no-progress") == 0
