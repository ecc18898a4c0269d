from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dde_ci.node import CANCELLED, COMPLETED, FAILED, run_node_step
from dde_ci.process import Cancel
from dde_ci.results import NodeOutcome, parse_outputs
from tests.runner.project import events, load, make_step


def test_node_step_runs_the_command_and_records_everything(tmp_path: Path) -> None:
    manifest = load(
        tmp_path,
        """
        workflow: t
        iteration: it1
        nodes:
          - id: A
            type: implementation
            env: {GREETING: hello}
            run: |
              echo "$GREETING from $DDE_NODE in $DDE_ITERATION run $DDE_RUN_ID"
              echo "version=1.2.3" >> "$DDE_OUTPUT"
              mkdir -p build && echo built > build/a.txt
              pwd
            artifacts: [build/*.txt]
        """,
    )
    outcome = run_node_step(make_step(manifest, "A"))
    assert outcome.status == COMPLETED
    assert outcome.outputs == {"version": "1.2.3"}
    assert outcome.artifacts == ["build/a.txt"]
    node_dir = tmp_path / "reports" / "it1" / "A"
    log = (node_dir / "output.log").read_text()
    assert "hello from A in it1 run run-1" in log
    assert str(tmp_path.resolve()) in log  # runs in the manifest's folder
    result = json.loads((node_dir / "result.json").read_text())
    assert result["status"] == "COMPLETED"
    assert result["attempts"] == 1
    assert result["exit_code"] == 0
    assert set(result) >= {"node_id", "iteration_id", "run_id", "started_at", "finished_at"}
    kinds = [(e["event_type"], e["attempt"]) for e in events(manifest)]
    assert [k for k in kinds if k[0].startswith("node.")] == [
        ("node.started", 1),
        ("node.completed", 1),
    ]
    assert ("artifact.stamped", 1) in kinds or ("artifact.stamped", None) in kinds
    node_events = [e for e in events(manifest) if e["event_type"].startswith("node.")]
    assert len({e["correlation_id"] for e in node_events}) == 1


def test_pipefail_and_errexit_like_github(tmp_path: Path) -> None:
    manifest = load(
        tmp_path,
        """
        workflow: t
        iteration: it1
        nodes:
          - id: A
            type: implementation
            run: |
              false | cat
              echo not reached
        """,
    )
    outcome = run_node_step(make_step(manifest, "A"))
    assert outcome.status == FAILED
    assert outcome.exit_code == 1
    assert "not reached" not in (tmp_path / "reports/it1/A/output.log").read_text()
    assert "command exited with 1 (attempt 1 of 1)" in outcome.message


def test_retry_waits_with_exponential_backoff(tmp_path: Path) -> None:
    manifest = load(
        tmp_path,
        """
        workflow: t
        iteration: it1
        nodes:
          - id: A
            type: implementation
            run: |
              n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count
              [ "$n" -ge 3 ]
            retry: {max_attempts: 4, initial_delay: 0.1, factor: 2, max_delay: 0.15}
        """,
    )
    start = time.monotonic()
    outcome = run_node_step(make_step(manifest, "A"))
    elapsed = time.monotonic() - start
    assert outcome.status == COMPLETED
    assert outcome.attempts == 3
    assert elapsed >= 0.1 + 0.15  # 0.1 then min(0.2, 0.15)
    log = events(manifest)
    retrying = [e for e in log if e["event_type"] == "node.retrying"]
    assert [e["attempt"] for e in retrying] == [1, 2]
    assert [e["details"]["delay_seconds"] for e in retrying] == [0.1, 0.15]
    assert [e["attempt"] for e in log if e["event_type"] == "node.started"] == [1, 2, 3]


def test_exit_code_outside_retry_on_fails_at_once(tmp_path: Path) -> None:
    manifest = load(
        tmp_path,
        """
        workflow: t
        iteration: it1
        nodes:
          - id: A
            type: implementation
            run: exit 7
            retry: {max_attempts: 3, initial_delay: 0.01, retry_on: [75]}
        """,
    )
    outcome = run_node_step(make_step(manifest, "A"))
    assert (outcome.status, outcome.attempts, outcome.exit_code) == (FAILED, 1, 7)


def test_timeout_kills_the_process_group_and_is_not_retried(tmp_path: Path) -> None:
    manifest = load(
        tmp_path,
        """
        workflow: t
        iteration: it1
        nodes:
          - id: A
            type: implementation
            run: |
              (sleep 30; echo orphan > orphan.txt) &
              echo $! > child.pid
              sleep 30
            timeout: 0.3
            retry: {max_attempts: 3, initial_delay: 0.01}
        """,
    )
    step = make_step(manifest, "A")
    step.grace = 0.2
    start = time.monotonic()
    outcome = run_node_step(step)
    assert time.monotonic() - start < 5
    assert outcome.status == FAILED
    assert outcome.attempts == 1
    assert "timed out after 0.3s" in outcome.message
    child = int((tmp_path / "child.pid").read_text())
    time.sleep(0.05)
    assert not alive(child)
    assert not (tmp_path / "orphan.txt").exists()


def alive(pid: int) -> bool:
    """Running (a zombie nobody reaped yet does not count)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def test_timeout_is_retried_when_configured(tmp_path: Path) -> None:
    manifest = load(
        tmp_path,
        """
        workflow: t
        iteration: it1
        nodes:
          - id: A
            type: implementation
            run: sleep 5
            timeout: 0.1
            retry: {max_attempts: 2, initial_delay: 0.01, retry_on_timeout: true}
        """,
    )
    step = make_step(manifest, "A")
    step.grace = 0.1
    outcome = run_node_step(step)
    assert (outcome.status, outcome.attempts) == (FAILED, 2)


def test_cancel_stops_the_command(tmp_path: Path) -> None:
    import threading

    manifest = load(
        tmp_path,
        """
        workflow: t
        iteration: it1
        nodes:
          - id: A
            type: implementation
            run: trap '' TERM; sleep 30
        """,
    )
    step = make_step(manifest, "A")
    step.grace = 0.2
    step.cancel = Cancel()
    threading.Timer(0.3, step.cancel.set).start()
    start = time.monotonic()
    outcome = run_node_step(step)
    assert time.monotonic() - start < 5  # SIGKILL after the grace period
    assert outcome.status == CANCELLED
    assert events(manifest)[-1]["event_type"] == "node.cancelled"


def test_working_directory_is_inside_the_manifest_folder(tmp_path: Path) -> None:
    manifest = load(
        tmp_path,
        """
        workflow: t
        iteration: it1
        nodes:
          - id: A
            type: implementation
            working_directory: sub
            run: pwd > where.txt
        """,
    )
    (tmp_path / "sub").mkdir()
    assert run_node_step(make_step(manifest, "A")).ok
    assert (tmp_path / "sub/where.txt").read_text().strip() == str((tmp_path / "sub").resolve())


def test_a_node_without_run_completes(tmp_path: Path) -> None:
    manifest = load(
        tmp_path,
        """
        workflow: t
        iteration: it1
        nodes:
          - id: A
            type: action
        """,
    )
    outcome = run_node_step(make_step(manifest, "A"))
    assert outcome.ok and outcome.exit_code == 0


def test_outputs_parse_like_github_output() -> None:
    lines = ["a=1", "b=x=y", "notes<<EOF", "line 1", "line 2", "EOF", "", "junk", "=v"]
    assert parse_outputs(lines) == {"a": "1", "b": "x=y", "notes": "line 1\nline 2"}


@dataclass
class Check:
    blocked: bool
    message: str = ""
    warnings: list[str] = field(default_factory=list)


def test_plug_in_results_fold_into_the_outcome() -> None:
    start = NodeOutcome("A", "it1", "r1")
    warned = start.after(Check(False, warnings=["coverage 79% < 80%"]))
    assert warned.ok and warned.warnings == ["coverage 79% < 80%"]
    blocked = warned.after(Check(True, "gate tests-pass failed: 2 failures (expected 0)"))
    assert blocked.status == FAILED
    assert blocked.message == "gate tests-pass failed: 2 failures (expected 0)"
    # a later block does not overwrite the first reason
    assert blocked.after(Check(True, "other")).message == blocked.message
    assert start.after(None) is start


def test_the_nodes_secret_env_values_never_reach_the_log(tmp_path: Path) -> None:
    manifest = load(
        tmp_path,
        """
        workflow: t
        iteration: it1
        nodes:
          - id: A
            type: implementation
            env: {DEPLOY_TOKEN: tok-4f9a2c71, DB_PASSWORD: pw-secret, API_KEY: k3y-v4lue,
                  GREETING: hello-there}
            run: |
              test "$DEPLOY_TOKEN" = tok-4f9a2c71  # the command still gets the value
              echo "token=$DEPLOY_TOKEN" >> "$DDE_OUTPUT"
              echo "password=$DB_PASSWORD" >> "$DDE_OUTPUT"
              echo "key=$API_KEY" >> "$DDE_OUTPUT"
              echo "greeting=$GREETING" >> "$DDE_OUTPUT"
        """,
    )
    outcome = run_node_step(make_step(manifest, "A"))
    assert outcome.status == COMPLETED
    log_text = (tmp_path / "reports" / "it1" / "execution.log").read_text()
    for secret in ("tok-4f9a2c71", "pw-secret", "k3y-v4lue"):
        assert secret not in log_text
    completed = [e for e in events(manifest) if e["event_type"] == "node.completed"]
    assert completed[0]["details"]["outputs"] == {
        "token": "***",
        "password": "***",
        "key": "***",
        "greeting": "hello-there",  # not a secret-shaped name: kept
    }


def test_a_node_without_gates_skips_the_gate_step(tmp_path: Path) -> None:
    manifest = load(
        tmp_path,
        """
        workflow: t
        iteration: it1
        nodes:
          - id: A
            type: implementation
            run: "true"
        """,
    )
    assert run_node_step(make_step(manifest, "A")).status == COMPLETED
    assert not (tmp_path / "reports" / "it1" / "A" / "gates.json").exists()
    assert not [e for e in events(manifest) if e["event_type"].startswith("gate.")]


def test_the_command_never_sees_dde_cis_own_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_" + "x" * 36)
    monkeypatch.setenv("DDE_WEBHOOK_SECRET", "hush-hush-hush")
    monkeypatch.setenv("KEEP_ME", "kept")
    manifest = load(
        tmp_path,
        """
        workflow: t
        iteration: it1
        nodes:
          - id: A
            type: implementation
            run: |
              echo "token=${GITHUB_TOKEN:-none} secret=${DDE_WEBHOOK_SECRET:-none} keep=$KEEP_ME"
        """,
    )
    assert run_node_step(make_step(manifest, "A")).status == COMPLETED
    log = (tmp_path / "reports/it1/A/output.log").read_text()
    assert "token=none secret=none keep=kept" in log


def test_a_fifo_in_place_of_the_outputs_file_does_not_block_the_step(tmp_path: Path) -> None:
    manifest = load(
        tmp_path,
        """
        workflow: t
        iteration: it1
        nodes:
          - {id: A, type: implementation, run: 'mkfifo "$DDE_OUTPUT"'}
        """,
    )
    outcome = run_node_step(make_step(manifest, "A"))  # reading it would wait for a writer
    assert outcome.status == COMPLETED and outcome.outputs == {}


def test_a_command_reads_an_empty_stdin_and_finds_its_dependency_results(
    tmp_path: Path,
) -> None:
    """stdin is /dev/null (one descriptor kept for every start); a dependency's result.json
    reaches the context; a result that is not a regular file is none."""
    from dde_ci.layout import Layout
    from dde_ci.results import read_result
    from tests.special import fifo_and_endless

    manifest = load(
        tmp_path,
        """
        workflow: t
        iteration: it1
        nodes:
          - id: A
            type: implementation
            run: echo "version=2" >> "$DDE_OUTPUT"
          - id: B
            type: implementation
            depends_on: [A]
            run: |
              test "$(cat)" = ""
              grep -q '"version": "2"' "$DDE_CONTEXT"
        """,
    )
    for node in ("A", "B", "B"):  # B twice: the kept /dev/null is still there
        assert run_node_step(make_step(manifest, node)).status == COMPLETED
    layout = Layout(tmp_path)
    assert read_result(layout, "it1", "A") == json.loads(
        (tmp_path / "reports/it1/A/result.json").read_text()
    )
    assert read_result(layout, "it1", "missing") is None
    for special in fifo_and_endless(tmp_path / "fifo", tmp_path / "zero"):
        special.rename(layout.result_file("it1", "B"))
        assert read_result(layout, "it1", "B") is None


def test_the_timeout_covers_the_contract_lock_and_says_so(tmp_path: Path) -> None:
    """An interface node whose lock (here: its publisher) runs past the node's timeout
    fails, and the message says where the time went."""
    from tests.contracts.contract_project import EVENT
    from tests.contracts.test_node_step import MANIFEST, WRITER, _step

    (tmp_path / "dde.yaml").write_text(
        MANIFEST.replace("run: python3", "timeout: 2\n    run: python3")
    )
    (tmp_path / "write_event.py").write_text(WRITER)
    (tmp_path / "schema.src.json").write_text(json.dumps(EVENT))
    step = _step(tmp_path, "EVT.OrderCreated")

    def slow_publisher(contract: Any) -> Any:
        time.sleep(2.1)
        return contract

    step.contract_publisher = slow_publisher
    outcome = run_node_step(step)
    assert outcome.status == FAILED
    assert outcome.message == (
        "timed out after 2s: locking its contracts ran past the node's timeout"
    )


def test_a_command_killed_by_a_signal_is_named(tmp_path: Path) -> None:
    manifest = load(
        tmp_path,
        """
        workflow: t
        iteration: it1
        nodes:
          - {id: A, type: implementation, run: 'kill -XFSZ $$'}
        """,
    )
    outcome = run_node_step(make_step(manifest, "A"))
    assert outcome.status == FAILED and outcome.exit_code == -25
    assert outcome.message.startswith("command was killed by SIGXFSZ (signal 25) (attempt 1 of 1)")
