from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from responses import matchers

from dde_ci.errors import NotFound, StateError
from dde_ci.github.api import GitHubApiError
from dde_ci.github.runners import Runner, check_label_sets, list_runners
from dde_ci.github.runs import (
    PAUSE_CHECK_STEP,
    Job,
    RunControl,
    job_node,
    job_state,
    run_metrics,
)
from tests.github.payloads import (
    API,
    REPO,
    REPO_API,
    SHA,
    job,
    runner,
    status,
    step,
    workflow_run,
)

pytestmark = pytest.mark.usefixtures("gh")

RUN = 30433642
RUN_URL = f"{REPO_API}/actions/runs/{RUN}"
JOBS = f"{RUN_URL}/jobs"
STATUSES = f"{REPO_API}/statuses/{SHA}"
NODES = ["API", "BE-ORDERS", "FE-SHOP", "QA"]


def control() -> RunControl:
    return RunControl.open(REPO, token="t")


def jobs_page(*jobs: dict[str, Any]) -> dict[str, Any]:
    return {"total_count": len(jobs), "jobs": list(jobs)}


def expect_jobs(gh: Any, *jobs: dict[str, Any]) -> None:
    gh.get(JOBS, json=jobs_page(*jobs), match=[matchers.query_param_matcher({"filter": "all"})])


@pytest.mark.parametrize(
    ("name", "node"),
    [
        ("API", "API"),
        ("BE-ORDERS: Orders backend", "BE-ORDERS"),
        ("be-matrix (FE-SHOP, x)", "FE-SHOP"),
        ("FE-SHOP: Shop (web)", "FE-SHOP"),
        ("setup", None),
        ("audit", None),
        ("BE-ORDERSX", None),
    ],
)
def test_job_names_map_to_node_ids(name: str, node: str | None) -> None:
    assert job_node(name, NODES) == node


def _job(status: str, conclusion: str | None, failed: tuple[str, ...] = ()) -> Job:
    return Job(1, "A", status, conclusion, 1, None, None, None, None, None, failed)


@pytest.mark.parametrize(
    ("status_", "conclusion", "failed", "state"),
    [
        ("completed", "success", (), "COMPLETED"),
        ("completed", "failure", ("Run the node step",), "FAILED"),
        ("completed", "failure", (PAUSE_CHECK_STEP,), "PAUSED"),
        ("completed", "timed_out", (), "FAILED"),
        ("completed", "cancelled", (), "CANCELLED"),
        ("completed", "skipped", (), "SKIPPED"),
        ("in_progress", None, (), "RUNNING"),
        ("queued", None, (), "READY"),
        ("waiting", None, (), "READY"),
    ],
)
def test_job_states_map_to_node_states(
    status_: str, conclusion: str | None, failed: tuple[str, ...], state: str
) -> None:
    assert job_state(_job(status_, conclusion, failed)) == state


def test_status_of_a_running_run(gh: Any) -> None:
    gh.get(RUN_URL, json=workflow_run(RUN, attempt=2))
    expect_jobs(
        gh,
        job(1, "setup"),
        job(2, "API: Orders API", conclusion="failure", attempt=1),
        job(5, "API: Orders API", attempt=2),
        job(3, "BE-ORDERS: backend", status="in_progress", conclusion=None, completed=None),
        job(
            4, "contracts (FE-SHOP)", status="queued", conclusion=None, started=None, completed=None
        ),
    )
    gh.get(STATUSES, json=[status("success", "dde/audit")])
    result = control().status(RUN, NODES)
    states = {n.node_id: (n.state, n.attempts) for n in result.nodes}
    assert states == {
        "API": ("COMPLETED", 2),
        "BE-ORDERS": ("RUNNING", 1),
        "FE-SHOP": ("READY", 1),
        "QA": ("PENDING", 0),
    }
    assert result.state == "RUNNING" and not result.paused
    data = result.to_json()
    assert data["nodes"][0]["job_id"] == 5
    assert data["jobs"] == [
        {
            "name": "setup",
            "state": "COMPLETED",
            "url": f"https://github.com/{REPO}/actions/runs/{RUN}/job/1",
        }
    ]


def test_status_of_a_paused_run(gh: Any) -> None:
    gh.get(RUN_URL, json=workflow_run(RUN))
    expect_jobs(
        gh,
        job(
            2,
            "API",
            conclusion="failure",
            steps=[step("Set up dde-ci"), step(PAUSE_CHECK_STEP, "failure", 2)],
        ),
    )
    gh.get(STATUSES, json=[status("pending", f"dde/pause/{RUN}"), status("success")])
    result = control().status(RUN, NODES)
    assert result.nodes[0].state == "PAUSED"
    assert result.paused and result.state == "PAUSED"


def test_unknown_run_is_not_found(gh: Any) -> None:
    gh.get(RUN_URL, status=404, json={"message": "Not Found"})
    with pytest.raises(NotFound, match=f"workflow run {RUN} does not exist in octo/shop"):
        control().status(RUN, NODES)


@pytest.mark.parametrize(
    ("statuses", "paused"),
    [
        ([status("pending", f"dde/pause/{RUN}")], True),
        ([status("success", f"dde/pause/{RUN}"), status("pending", f"dde/pause/{RUN}")], False),
        ([status("pending", "dde/pause/1"), status("pending", "dde/audit")], False),
        ([], False),
    ],
)
def test_is_paused_reads_the_newest_marker(
    gh: Any, statuses: list[dict[str, Any]], paused: bool
) -> None:
    gh.get(STATUSES, json=statuses)
    assert control().is_paused(RUN, SHA) is paused


def test_is_paused_looks_up_the_head_commit(gh: Any) -> None:
    gh.get(RUN_URL, json=workflow_run(RUN))
    gh.get(STATUSES, json=[status("pending", f"dde/pause/{RUN}")])
    assert control().is_paused(RUN) is True


def test_pause_sets_the_marker_on_the_head_commit(gh: Any) -> None:
    gh.get(RUN_URL, json=workflow_run(RUN))
    gh.post(STATUSES, status=201, json=status("pending", f"dde/pause/{RUN}"))
    control().pause(RUN)
    sent = json.loads(gh.calls[1].request.body)
    assert sent["state"] == "pending" and sent["context"] == f"dde/pause/{RUN}"
    assert sent["target_url"] == f"https://github.com/{REPO}/actions/runs/{RUN}"
    assert f"dde-ci gh resume {RUN}" in sent["description"]


def test_pause_of_a_finished_run_is_refused(gh: Any) -> None:
    gh.get(RUN_URL, json=workflow_run(RUN, status="completed", conclusion="success"))
    with pytest.raises(StateError, match="has already finished"):
        control().pause(RUN)


def test_resume_of_a_finished_run_reruns_failed_jobs(gh: Any) -> None:
    gh.get(RUN_URL, json=workflow_run(RUN, status="completed", conclusion="failure"))
    gh.post(STATUSES, status=201, json=status("success", f"dde/pause/{RUN}"))
    gh.post(f"{RUN_URL}/rerun-failed-jobs", status=201, json={})
    _, rerun = control().resume(RUN)
    assert rerun
    assert json.loads(gh.calls[1].request.body)["state"] == "success"


def test_resume_while_running_only_lifts_the_pause(gh: Any) -> None:
    gh.get(RUN_URL, json=workflow_run(RUN))
    gh.post(STATUSES, status=201, json=status("success", f"dde/pause/{RUN}"))
    _, rerun = control().resume(RUN)
    assert not rerun


def test_cancel(gh: Any) -> None:
    gh.get(RUN_URL, json=workflow_run(RUN))
    gh.post(f"{RUN_URL}/cancel", status=202, json={})
    control().cancel(RUN)


def test_cancel_without_permission(gh: Any) -> None:
    gh.get(RUN_URL, json=workflow_run(RUN))
    gh.post(
        f"{RUN_URL}/cancel", status=403, json={"message": "Resource not accessible by integration"}
    )
    with pytest.raises(GitHubApiError, match=r"it needs 'actions: write'"):
        control().cancel(RUN)


def test_retry_needs_a_finished_failed_run(gh: Any) -> None:
    gh.get(RUN_URL, json=workflow_run(RUN))
    with pytest.raises(StateError, match="is still in_progress"):
        control().retry(RUN)
    gh.replace("GET", RUN_URL, json=workflow_run(RUN, status="completed", conclusion="success"))
    with pytest.raises(StateError, match="succeeded: there is no failed job"):
        control().retry(RUN)


def test_retry_survives_a_502(gh: Any) -> None:
    gh.get(RUN_URL, json=workflow_run(RUN, status="completed", conclusion="failure"))
    gh.post(f"{RUN_URL}/rerun-failed-jobs", status=502, json={"message": "Bad Gateway"})
    gh.post(f"{RUN_URL}/rerun-failed-jobs", status=201, json={})
    control().retry(RUN)
    assert gh.sleeps == [1.0]


def test_metrics_from_job_timings(gh: Any) -> None:
    gh.get(RUN_URL, json=workflow_run(RUN, status="completed", conclusion="success"))
    expect_jobs(
        gh,
        job(
            1,
            "setup",
            created="2026-11-27T10:00:00Z",
            started="2026-11-27T10:00:02Z",
            completed="2026-11-27T10:00:10Z",
        ),
        job(
            2,
            "API",
            created="2026-11-27T10:00:10Z",
            started="2026-11-27T10:00:20Z",
            completed="2026-11-27T10:01:20Z",
        ),
        job(
            3,
            "BE-ORDERS: backend",
            created="2026-11-27T10:01:20Z",
            started="2026-11-27T10:01:25Z",
            completed="2026-11-27T10:03:25Z",
        ),
        job(
            4,
            "FE-SHOP: web",
            created="2026-11-27T10:01:20Z",
            started="2026-11-27T10:01:30Z",
            completed="2026-11-27T10:02:30Z",
        ),
        job(
            5,
            "QA",
            created="2026-11-27T10:03:25Z",
            started="2026-11-27T10:03:30Z",
            completed="2026-11-27T10:04:00Z",
            conclusion="failure",
            attempt=1,
        ),
        job(
            6,
            "QA",
            created="2026-11-27T10:05:00Z",
            started="2026-11-27T10:05:10Z",
            completed="2026-11-27T10:05:40Z",
            attempt=2,
        ),
    )
    run, jobs = control().jobs(RUN)
    deps = {"API": [], "BE-ORDERS": ["API"], "FE-SHOP": ["API"], "QA": ["BE-ORDERS", "FE-SHOP"]}
    result = run_metrics(
        run,
        jobs,
        NODES,
        wip_limit=2,
        depends_on=deps,
        planned_critical_path=["API", "BE-ORDERS", "QA"],
    ).to_json()
    assert result["total_duration_seconds"] == 340.0
    nodes = {n["node_id"]: n for n in result["nodes"]}
    assert nodes["API"]["execution_seconds"] == 60.0
    assert nodes["API"]["queue_wait_seconds"] == 10.0
    assert nodes["QA"] == {
        "node_id": "QA",
        "status": "COMPLETED",
        "agent_id": "runner-1",
        "execution_seconds": 30.0,
        "queue_wait_seconds": 10.0,
        "attempts": 2,
        "retries": 1,
    }
    assert result["node_seconds_total"] == 60 + 120 + 60 + 30
    assert result["parallel_efficiency"] == pytest.approx(270 / (340 * 2), abs=1e-6)
    assert result["critical_path"]["actual"] == ["API", "BE-ORDERS", "QA"]
    assert result["state"] == "COMPLETED"


def test_label_sets_need_an_online_runner_with_every_label() -> None:
    runners = [
        Runner("r1", "online", False, frozenset({"self-hosted", "linux", "python"}), "repository"),
        Runner("r2", "offline", False, frozenset({"self-hosted", "linux", "node"}), "repository"),
    ]
    checks = check_label_sets(
        {
            ("self-hosted", "Linux", "python"): ["BE"],
            ("self-hosted", "linux", "node"): ["FE"],
            ("self-hosted", "gpu"): ["ML"],
            ("ubuntu-latest",): ["setup", "audit"],
        },
        runners,
    )
    assert [(c.ok, c.online, c.offline) for c in checks] == [
        (True, ["r1"], []),
        (False, [], ["r2"]),
        (False, [], []),
        (True, [], []),
    ]


def test_list_runners_of_repository_and_organization(gh: Any) -> None:
    gh.get(
        f"{REPO_API}/actions/runners",
        json={"total_count": 1, "runners": [runner(1, "r1", ["self-hosted", "Linux", "python"])]},
    )
    gh.get(
        f"{API}/orgs/octo/actions/runners",
        json={
            "total_count": 1,
            "runners": [runner(2, "r2", ["self-hosted", "linux", "node"], status="offline")],
        },
    )
    found = list_runners(REPO, org="octo", token="t")
    assert [(r.name, r.status, r.scope, sorted(r.labels)) for r in found] == [
        ("r1", "online", "repository", ["linux", "python", "self-hosted"]),
        ("r2", "offline", "organization", ["linux", "node", "self-hosted"]),
    ]


def test_listing_runners_needs_admin_read(gh: Any) -> None:
    gh.get(
        f"{REPO_API}/actions/runners",
        status=403,
        json={"message": "Resource not accessible by integration"},
    )
    with pytest.raises(GitHubApiError, match="Administration: read"):
        list_runners(REPO, token="t")


def test_every_job_name_of_the_generated_shop_workflow_maps_to_its_node() -> None:
    """Agreement with the generator: node jobs and matrix legs are named after node ids."""
    import yaml

    from tests.conftest import EXAMPLE_MANIFEST

    workflow = Path(__file__).parent / "golden" / "shop.yml"  # test_workflow keeps it current
    jobs = yaml.safe_load(workflow.read_text())["jobs"]
    shop_nodes = [str(n["id"]) for n in yaml.safe_load(EXAMPLE_MANIFEST.read_text())["nodes"]]
    names: dict[str, str | None] = {}
    for body in jobs.values():
        legs = body.get("strategy", {}).get("matrix", {}).get("include")
        if legs:
            names.update({leg["name"]: leg["node"] for leg in legs})
        else:
            names[body["name"]] = None
    mapped = {name: job_node(name, shop_nodes) for name in names}
    assert {mapped["setup"], mapped["audit"]} == {None}
    node_jobs = {n: node for n, node in mapped.items() if n not in ("setup", "audit")}
    assert sorted(v for v in node_jobs.values() if v) == sorted(shop_nodes)
    for name, node in names.items():
        if node is not None:
            assert mapped[name] == node


def test_resume_with_wait_polls_until_the_run_finishes(gh: Any) -> None:
    gh.get(RUN_URL, json=workflow_run(RUN))
    gh.post(STATUSES, status=201, json=status("success", f"dde/pause/{RUN}"))
    gh.get(RUN_URL, json=workflow_run(RUN))
    gh.get(RUN_URL, json=workflow_run(RUN, status="completed", conclusion="failure"))
    gh.post(f"{RUN_URL}/rerun-failed-jobs", status=201, json={})
    _, rerun = control().resume(RUN, wait=60)
    assert rerun
    assert gh.sleeps == [15.0]


def test_resume_with_wait_gives_up(gh: Any) -> None:
    gh.get(RUN_URL, json=workflow_run(RUN))
    gh.post(STATUSES, status=201, json=status("success", f"dde/pause/{RUN}"))
    with pytest.raises(StateError, match=r"is still in_progress after 30 s"):
        control().resume(RUN, wait=30)
    assert gh.sleeps == [15.0, 15.0]
