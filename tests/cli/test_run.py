from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest

from dde_ci.cli.progress import describe
from dde_ci.log import make_event
from tests.conftest import run_cli
from tests.runner.project import chain_manifest, events


def test_run_prints_the_run_id_and_progress_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = chain_manifest(tmp_path, {"A": ([], "true"), "B": (["A"], "exit 2")})
    code = run_cli("run", "-m", str(manifest.path), "--jobs", "1", "--run-id", "r-cli")
    out, err = capsys.readouterr()
    assert code == 1
    assert "run r-cli started: iteration it1, 2 nodes" in out
    assert "started   A (agent local, attempt 1)" in out  # plain lines: not a terminal
    assert "FAILED    B : command exited with 2" in out
    assert "run r-cli FAILED" in out
    assert "failed: B" in err


def test_status_of_the_latest_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = chain_manifest(tmp_path, {"A": ([], "true")})
    assert run_cli("run", "-m", str(manifest.path), "--run-id", "first", "--no-progress") == 0
    assert run_cli("run", "-m", str(manifest.path), "--run-id", "second", "--no-progress") == 0
    capsys.readouterr()
    assert run_cli("status", "-m", str(manifest.path), "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["run_id"], data["state"]) == ("second", "COMPLETED")
    assert data["nodes"][0]["node_id"] == "A" and data["nodes"][0]["state"] == "COMPLETED"
    assert data["runner_alive"] is False
    assert run_cli("status", "first", "-m", str(manifest.path)) == 0
    text = capsys.readouterr().out
    assert text.startswith("run first: COMPLETED (iteration it1, workflow t, WIP 4)")
    assert "A  COMPLETED  agent local" in text


def test_status_without_runs_or_with_unknown_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = chain_manifest(tmp_path, {"A": ([], "true")})
    assert run_cli("status", "-m", str(manifest.path)) == 2
    assert "no runs yet" in capsys.readouterr().err
    assert run_cli("run", "-m", str(manifest.path), "--run-id", "abc", "--no-progress") == 0
    assert run_cli("status", "abd", "-m", str(manifest.path)) == 2
    assert "no run 'abd'" in capsys.readouterr().err


def test_run_refuses_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = chain_manifest(tmp_path, {"A": ([], "true")})
    assert run_cli("run", "-m", str(manifest.path), "--run-id", "../x") == 2
    assert "run id '../x' is not usable" in capsys.readouterr().err
    assert run_cli("run", "-m", str(tmp_path / "missing.yaml")) == 2
    assert run_cli("run", "-m", str(manifest.path), "--iteration", "bad id") == 2
    assert run_cli("run", "-m", str(manifest.path), "--events-webhook", "ftp://x") == 2


READ_ANSWER = (
    "python3 -c \"import json, os; context = json.load(open(os.environ['DDE_CONTEXT'])); "
    "print(context['depends_on_outputs']['A']['outputs']['answer'])\""
)


def test_node_run_uses_files_earlier_nodes_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = chain_manifest(
        tmp_path,
        {
            "A": ([], 'echo "answer=42" >> "$DDE_OUTPUT"; echo building A'),
            "B": (["A"], READ_ANSWER),
        },
    )
    path = str(manifest.path)
    assert run_cli("node", "run", "A", "-m", path, "--iteration", "it7", "--run-id", "gh-1") == 0
    out = capsys.readouterr().out
    assert "building A" in out
    assert "A: COMPLETED after 1 attempt(s) (iteration it7, run gh-1)" in out
    assert run_cli("node", "run", "B", "-m", path, "--iteration", "it7", "-q") == 0
    out = capsys.readouterr().out
    assert "42" not in out.splitlines()  # quiet: no command output
    assert "42" in (tmp_path / "reports/it7/B/output.log").read_text()
    kinds = [e["event_type"] for e in events(manifest, "it7") if e["node_id"]]
    assert kinds.count("node.completed") == 2


def test_node_run_failure_and_unknown_node(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    manifest = chain_manifest(tmp_path, {"A": ([], "echo oops; exit 5")})
    assert run_cli("node", "run", "A", "-m", str(manifest.path)) == 1
    out = capsys.readouterr().out
    assert "::group::A output" in out and "oops" in out and "::endgroup::" in out
    assert "A: FAILED after 1 attempt(s)" in out
    assert run_cli("node", "run", "Q", "-m", str(manifest.path)) == 2
    assert "no node 'Q'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command",
    [
        ["run"],
        ["status"],
        ["pause"],
        ["resume"],
        ["retry"],
        ["cancel"],
        ["node", "run"],
        ["context"],
        ["metrics"],
    ],
)
def test_help_has_examples(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(*command, "--help") == 0
    assert "Examples:" in capsys.readouterr().out


def test_plain_progress_lines() -> None:
    retry = make_event(
        "node.retrying",
        iteration_id="i",
        node_id="A",
        attempt=1,
        timestamp="2026-11-27T10:00:01.000000Z",
        details={"exit_code": 3, "delay_seconds": 0.5},
    )
    assert describe(retry) == "10:00:01 retrying  A (attempt 1 exited 3; next in 0.5s)"
    skipped = make_event(
        "node.skipped",
        iteration_id="i",
        node_id="B",
        timestamp="2026-11-27T10:00:02.000000Z",
        details={"reason": "dependency A failed"},
    )
    assert describe(skipped) == "10:00:02 skipped   B : dependency A failed"
    assert describe(make_event("gate.passed", iteration_id="i")) is None


def test_plain_progress_reaches_a_pipe_at_once_with_a_failed_nodes_output_tail() -> None:
    import io
    import os
    import select

    from dde_ci.cli.progress import PlainProgress

    read_fd, write_fd = os.pipe()
    stream = io.TextIOWrapper(io.BufferedWriter(io.FileIO(write_fd, "w")), encoding="utf-8")
    try:
        view = PlainProgress(stream, tail=lambda node: [f"last of {node}"])
        view.on_event(make_event("node.started", iteration_id="i", node_id="A", attempt=1))
        assert select.select([read_fd], [], [], 5.0)[0], "the line never reached the pipe"
        assert b"started   A" in os.read(read_fd, 65536)
        failed = make_event("node.failed", iteration_id="i", node_id="A", details={"message": "x"})
        view.on_event(failed)
        assert select.select([read_fd], [], [], 5.0)[0]
        assert os.read(read_fd, 65536).decode().endswith("FAILED    A : x\n    | last of A\n")
    finally:
        stream.close()
        os.close(read_fd)


def test_a_failed_nodes_line_is_followed_by_its_last_20_output_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = "for i in $(seq 1 30); do echo line-$i; done; exit 3"
    manifest = chain_manifest(tmp_path, {"A": ([], script)})
    assert run_cli("run", "-m", str(manifest.path), "--no-progress") == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if "FAILED    A" in line)
    assert lines[at + 1 : at + 21] == [f"    | line-{i}" for i in range(11, 31)]
    assert run_cli("run", "-m", str(manifest.path), "--no-progress", "--quiet") == 1
    assert "| line-" not in capsys.readouterr().out


def test_retry_runs_the_failed_nodes_again_and_the_audit_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nodes = {
        "A": ([], "echo ran >> A.runs"),
        "B": (["A"], "echo ran >> B.runs; test -f fixed"),
        "C": (["B"], "echo ran >> C.runs"),
        "D": ([], "echo ran >> D.runs"),
    }
    manifest = chain_manifest(tmp_path, nodes)
    path = str(manifest.path)
    assert run_cli("run", "-m", path, "--run-id", "r1", "--no-progress") == 1
    err = capsys.readouterr().err
    assert "run them again with 'dde-ci retry r1'" in err
    assert run_cli("resume", "r1", "-m", path, "--no-progress") == 2
    assert (
        "run r1 is FAILED; 'dde-ci retry r1' runs its failed nodes again" in capsys.readouterr().err
    )
    (tmp_path / "fixed").touch()
    assert run_cli("retry", "-m", path, "--no-progress") == 0
    out = capsys.readouterr().out
    assert "resumed   run (retry: B, C)" in out and "run r1 COMPLETED" in out
    runs = {n: len((tmp_path / f"{n}.runs").read_text().split()) for n in "ABCD"}
    assert runs == {"A": 1, "B": 2, "C": 1, "D": 1}
    assert run_cli("retry", "r1", "-m", path) == 2
    assert "run r1 is COMPLETED; only a FAILED run can be retried" in capsys.readouterr().err
    assert run_cli("audit", "-m", path, "--iteration", "it1") == 0, capsys.readouterr()


def test_live_view_renders_running_nodes_and_counts() -> None:
    from rich.console import Console

    from dde_ci.cli.progress import LiveProgress

    view = LiveProgress(total=3)
    stamp = "2026-11-27T10:00:01.000000Z"
    view.on_event(
        make_event("node.started", iteration_id="i", node_id="A", agent_id="a1", timestamp=stamp)
    )
    view.on_event(make_event("node.started", iteration_id="i", node_id="B", timestamp=stamp))
    view.on_event(make_event("node.completed", iteration_id="i", node_id="B", timestamp=stamp))
    console = Console(record=True, width=100)
    console.print(view._render())
    text = console.export_text()
    assert "1/3 finished" in text
    assert "A" in text and "a1" in text
    assert "completed B" in text


def test_plain_progress_into_a_closed_pipe_does_not_raise() -> None:
    """`dde-ci run | head -1`: once the reader is gone, progress lines are dropped (the
    execution log has every event); the run goes on."""
    import io
    import os

    from dde_ci.cli.progress import PlainProgress

    read_fd, write_fd = os.pipe()
    os.close(read_fd)
    stream = io.TextIOWrapper(io.BufferedWriter(io.FileIO(write_fd, "w"), 64), encoding="utf-8")
    with PlainProgress(stream) as view:
        for n in range(500):  # well past the buffers: writes reach the closed pipe
            view.on_event(make_event("node.completed", iteration_id="i", node_id=f"N{n}"))
    with contextlib.suppress(OSError):
        stream.close()
