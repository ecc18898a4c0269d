from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from dde_ci.cli.main import cli as dde_cli
from dde_ci.cli.main import main
from tests.conftest import EXAMPLE_MANIFEST
from tests.github.payloads import (
    REPO,
    REPO_API,
    SHA,
    job,
    mocked_github,
    runner,
    status,
    step,
    workflow_run,
)

RUN = 30433642
RUN_URL = f"{REPO_API}/actions/runs/{RUN}"
STATUSES = f"{REPO_API}/statuses/{SHA}"
TOKEN = "ghs_secretvalue123"
MANIFEST = str(EXAMPLE_MANIFEST)


@pytest.fixture(autouse=True)
def gh(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    monkeypatch.delenv("GITHUB_RUN_ID", raising=False)
    monkeypatch.delenv("DDE_HEAD_SHA", raising=False)
    mock = mocked_github(monkeypatch)
    with mock:
        yield mock


def test_status_text(gh: Any, capsys: pytest.CaptureFixture[str]) -> None:
    gh.get(RUN_URL, json=workflow_run(RUN))
    gh.get(
        f"{RUN_URL}/jobs",
        json={
            "total_count": 3,
            "jobs": [
                job(1, "setup"),
                job(2, "API.Orders: Orders API"),
                job(3, "DB.Schema", status="in_progress", conclusion=None, completed=None),
            ],
        },
    )
    gh.get(STATUSES, json=[])
    assert main(["gh", "status", str(RUN), "-m", MANIFEST]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"run {RUN}: RUNNING (attempt 1, https://github.com/{REPO}/actions/")
    assert "1 completed, 1 running, 11 pending" in out
    assert "  API.Orders        COMPLETED  runner runner-1\n" in out
    assert TOKEN not in out


def test_status_json(gh: Any, capsys: pytest.CaptureFixture[str]) -> None:
    gh.get(RUN_URL, json=workflow_run(RUN, status="completed", conclusion="failure"))
    gh.get(
        f"{RUN_URL}/jobs",
        json={
            "total_count": 1,
            "jobs": [
                job(
                    2,
                    "API.Orders",
                    conclusion="failure",
                    steps=[step("dde pause check", "failure")],
                )
            ],
        },
    )
    gh.get(STATUSES, json=[status("pending", f"dde/pause/{RUN}")])
    assert main(["gh", "status", str(RUN), "-m", MANIFEST, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["state"] == "PAUSED" and data["paused"] is True
    assert data["github_conclusion"] == "failure"
    assert data["nodes"][0]["state"] == "PAUSED"


def test_pause_resume_cancel_retry(gh: Any, capsys: pytest.CaptureFixture[str]) -> None:
    gh.get(RUN_URL, json=workflow_run(RUN))
    gh.post(STATUSES, status=201, json=status("pending", f"dde/pause/{RUN}"))
    assert main(["gh", "pause", str(RUN)]) == 0
    assert f"resume with 'dde-ci gh resume {RUN}'" in capsys.readouterr().out

    gh.reset()
    gh.get(RUN_URL, json=workflow_run(RUN, status="completed", conclusion="failure"))
    gh.post(STATUSES, status=201, json=status("success", f"dde/pause/{RUN}"))
    gh.post(f"{RUN_URL}/rerun-failed-jobs", status=201, json={})
    assert main(["gh", "resume", str(RUN)]) == 0
    assert "its failed and stopped jobs run again" in capsys.readouterr().out

    gh.reset()
    gh.get(RUN_URL, json=workflow_run(RUN, status="completed", conclusion="failure"))
    gh.post(f"{RUN_URL}/rerun-failed-jobs", status=201, json={})
    assert main(["gh", "retry", str(RUN)]) == 0

    gh.reset()
    gh.get(RUN_URL, json=workflow_run(RUN))
    gh.post(f"{RUN_URL}/cancel", status=202, json={})
    assert main(["gh", "cancel", str(RUN)]) == 0
    assert "cancellation requested" in capsys.readouterr().out


def test_cancel_finished_run_is_exit_2(gh: Any, capsys: pytest.CaptureFixture[str]) -> None:
    gh.get(RUN_URL, json=workflow_run(RUN, status="completed", conclusion="success"))
    assert main(["gh", "cancel", str(RUN)]) == 2
    assert "has already finished (success); there is nothing to cancel" in capsys.readouterr().err


def test_paused_check_exit_codes(gh: Any, capsys: pytest.CaptureFixture[str]) -> None:
    gh.get(STATUSES, json=[status("pending", f"dde/pause/{RUN}")])
    assert main(["gh", "paused-check", "--run", str(RUN), "--sha", SHA]) == 1
    assert f"run {RUN} is paused" in capsys.readouterr().err
    gh.replace("GET", STATUSES, json=[status("success", f"dde/pause/{RUN}")])
    assert main(["gh", "paused-check", "--run", str(RUN), "--sha", SHA]) == 0


def test_paused_check_from_the_workflow_environment(
    gh: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_RUN_ID", str(RUN))
    monkeypatch.setenv("DDE_HEAD_SHA", SHA)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    gh.get(STATUSES, json=[status("pending", f"dde/pause/{RUN}")])
    assert main(["gh", "paused-check"]) == 1
    assert capsys.readouterr().err.startswith(f"::error::run {RUN} is paused")


def test_metrics_json_has_the_local_runner_fields(
    gh: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    gh.get(RUN_URL, json=workflow_run(RUN, status="completed", conclusion="success"))
    gh.get(
        f"{RUN_URL}/jobs",
        json={
            "total_count": 2,
            "jobs": [
                job(
                    1,
                    "API.Orders",
                    created="2026-11-27T10:00:00Z",
                    started="2026-11-27T10:00:30Z",
                    completed="2026-11-27T10:01:30Z",
                ),
                job(
                    2,
                    "DB.Schema",
                    created="2026-11-27T10:00:00Z",
                    started="2026-11-27T10:00:10Z",
                    completed="2026-11-27T10:00:40Z",
                ),
            ],
        },
    )
    assert main(["gh", "metrics", str(RUN), "-m", MANIFEST, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {
        "run_id",
        "total_duration_seconds",
        "parallel_efficiency",
        "critical_path",
        "nodes",
    }
    assert data["total_duration_seconds"] == 90.0
    assert data["parallel_efficiency"] == pytest.approx(90 / (90 * data["wip_limit"]), abs=1e-6)
    assert data["nodes"][0]["queue_wait_seconds"] == 10.0


def test_metrics_prometheus(gh: Any, capsys: pytest.CaptureFixture[str]) -> None:
    gh.get(RUN_URL, json=workflow_run(RUN, status="completed", conclusion="success"))
    gh.get(f"{RUN_URL}/jobs", json={"total_count": 1, "jobs": [job(1, "API.Orders")]})
    assert main(["gh", "metrics", str(RUN), "-m", MANIFEST, "--format", "prometheus"]) == 0
    out = capsys.readouterr().out
    assert f'dde_node_execution_seconds{{run_id="{RUN}",node_id="API.Orders"}} 60' in out
    assert out.rstrip().endswith("# EOF")


RUNNERS = f"{REPO_API}/actions/runners"


def test_runners_check_passes(gh: Any, capsys: pytest.CaptureFixture[str]) -> None:
    gh.get(
        RUNNERS,
        json={
            "total_count": 3,
            "runners": [
                runner(1, "py-1", ["self-hosted", "Linux", "python", "X64"]),
                runner(2, "web-1", ["self-hosted", "linux", "node"]),
                runner(3, "ops-1", ["self-hosted", "linux", "deploy"]),
            ],
        },
    )
    assert main(["gh", "runners", "check", "-m", MANIFEST]) == 0
    out = capsys.readouterr().out
    assert "ok       [self-hosted, linux, python]  online: py-1" in out
    assert "every self-hosted label set has an online runner (3 runners listed)" in out


def test_runners_check_lists_what_is_missing(gh: Any, capsys: pytest.CaptureFixture[str]) -> None:
    gh.get(
        RUNNERS,
        json={
            "total_count": 2,
            "runners": [
                runner(1, "py-1", ["self-hosted", "linux", "python"]),
                runner(2, "web-1", ["self-hosted", "linux", "node"], status="offline"),
            ],
        },
    )
    assert main(["gh", "runners", "check", "-m", MANIFEST]) == 1
    captured = capsys.readouterr()
    assert (
        "MISSING  [self-hosted, linux, node]  no online runner (offline: web-1); "
        "needed by FE.Checkout, FE.OrderHistory, TEST.Frontend" in captured.out
    )
    assert "MISSING  [self-hosted, linux, deploy]  no online runner; needed by SEC.Scan" in (
        captured.out
    )
    assert "2 label set(s) have no online self-hosted runner" in captured.err


def test_runners_check_json(gh: Any, capsys: pytest.CaptureFixture[str]) -> None:
    gh.get(RUNNERS, json={"total_count": 0, "runners": []})
    assert main(["gh", "runners", "check", "-m", MANIFEST, "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False
    assert {tuple(s["labels"]) for s in data["label_sets"]} == {
        ("self-hosted", "linux", "python"),
        ("self-hosted", "linux", "node"),
        ("self-hosted", "linux", "deploy"),
        ("self-hosted", "linux"),
    }


def test_bad_token_is_a_clear_error(gh: Any, capsys: pytest.CaptureFixture[str]) -> None:
    gh.get(
        RUN_URL,
        status=401,
        json={"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"},
    )
    assert main(["gh", "cancel", str(RUN)]) == 3
    err = capsys.readouterr().err
    assert (
        "GITHUB_TOKEN is missing, expired or invalid (GitHub answered 401 Bad credentials)" in err
    )
    assert TOKEN not in err


def test_missing_token_is_bad_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    assert main(["gh", "retry", str(RUN)]) == 2
    assert "GITHUB_TOKEN is missing" in capsys.readouterr().err


def test_primary_rate_limit_far_away_stops_with_a_clear_error(
    gh: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    import time

    gh.get(
        RUN_URL,
        status=403,
        json={"message": "API rate limit exceeded for installation."},
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 3000)},
    )
    assert main(["gh", "cancel", str(RUN)]) == 3
    err = capsys.readouterr().err
    assert "GitHub API primary rate limit used up until" in err
    assert "would exceed dde-ci's limit of 120 s in total for one call" in err
    assert gh.sleeps == []


def test_repo_is_required(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_REPOSITORY")
    assert main(["gh", "cancel", str(RUN)]) == 2
    assert "--repo" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["status"],
        ["pause"],
        ["resume"],
        ["cancel"],
        ["retry"],
        ["metrics"],
        ["paused-check"],
        ["runners"],
        ["runners", "check"],
    ],
)
def test_help_has_examples(args: list[str]) -> None:
    result = CliRunner().invoke(dde_cli, ["gh", *args, "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Examples" in result.output
