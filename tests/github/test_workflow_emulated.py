"""The generated shop workflow, run job by job on fresh copies of the repository.

This is the check that the workflow's data flow works: every node step finds
what its dependencies left only through workflow artifacts, and the audit job,
from the artifacts alone, merges the node log segments and passes.

Both interface nodes lock a new contract in the same run, so each job uploads
its own ``contracts.lock``; the audit action's ``dde-ci contract sync-lock``
rebuilds the lock file from the merged registry (see docs/github.md).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from dde_ci.github.workflow import WorkflowOptions, generate_workflow
from dde_ci.manifest.loader import load_manifest
from tests.github.emulate import WorkflowRun

REPO_ROOT = Path(__file__).resolve().parents[2]
SHOP = "examples/shop/dde.yaml"


def repository_copy(target: Path) -> Path:
    """The files Git tracks under examples/shop and the actions: what a checkout holds."""
    listed = subprocess.run(
        ["git", "ls-files", "examples/shop", "action.yml", "actions", "requirements"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for rel in listed:
        if rel.startswith("examples/shop/.github/"):
            continue
        out = target / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / rel, out)
    return target


def shop_run(tmp_path: Path) -> tuple[WorkflowRun, str]:
    source = repository_copy(tmp_path / "repo")
    manifest = load_manifest(source / SHOP)
    text = generate_workflow(manifest, WorkflowOptions(SHOP, ".github/workflows/dde.yml")).text
    run = WorkflowRun(yaml.safe_load(text), source, tmp_path / "runners").run()
    return run, run.jobs["setup"].outputs["iteration"]


def audit_report(run: WorkflowRun, iteration: str) -> dict[str, Any]:
    folder = run.jobs["audit"].workspaces[0] / "examples" / "shop" / "reports" / iteration
    data: dict[str, Any] = json.loads((folder / "audit.json").read_text())
    return data


def job_logs(run: WorkflowRun) -> str:
    return "\n".join(f"--- {j.job_id} ({j.result})\n" + "\n".join(j.log) for j in run.jobs.values())


@pytest.mark.slow
def test_the_shop_workflow_runs_job_by_job_and_its_audit_passes(tmp_path: Path) -> None:
    """One run (about 20 s of node steps), checked in two parts below."""
    run, iteration = shop_run(tmp_path)
    check_every_job_succeeds_on_artifacts_alone(run, iteration)
    check_the_audit_passes(run, iteration)


def check_every_job_succeeds_on_artifacts_alone(run: WorkflowRun, iteration: str) -> None:
    results = {j: r.result for j, r in run.jobs.items()}
    assert results == dict.fromkeys(results, "success"), job_logs(run)
    assert iteration.startswith("Iter-")
    manifest = load_manifest(REPO_ROOT / SHOP)
    assert sorted(run.artifacts) == sorted(
        [f"dde-{iteration}-{node.id}" for node in manifest.nodes] + [f"dde-audit-{iteration}"]
    )
    # Node artifacts are rooted at the manifest's folder, hidden folders included.
    api = run.artifacts[f"dde-{iteration}-API.Orders"]
    assert "dde.yaml" in api and "contracts/orders-api.yaml" in api
    assert f"reports/{iteration}/API.Orders/result.json" in api
    assert f"reports/{iteration}/API.Orders/execution.log" in api
    assert any(rel.startswith(".dde/contracts/orders/orders-api/") for rel in api)
    assert any(rel.startswith(f".dde/artifacts/{iteration}/API.Orders/") for rel in api)
    assert run.skipped_steps == [
        f"{j.job_id}: dde pause check (GitHub API)"
        for j in run.jobs.values()
        if j.job_id not in ("setup", "audit")
        for _ in j.workspaces
    ] + ["audit: dde/audit commit status (GitHub API)"]


def check_the_audit_passes(run: WorkflowRun, iteration: str) -> None:
    report = audit_report(run, iteration)
    assert report["result"] == "PASS", json.dumps(report["violations"], indent=1)[:4000]
    folder = run.jobs["audit"].workspaces[0] / "examples" / "shop" / "reports" / iteration
    events = (folder / "execution.log").read_text().splitlines()
    completed = {json.loads(e)["node_id"] for e in events if '"node.completed"' in e}
    manifest = load_manifest(REPO_ROOT / SHOP)
    assert completed == {node.id for node in manifest.nodes}
    # The audit report travels as the run's last artifact.
    assert set(run.artifacts[f"dde-audit-{iteration}"]) == {
        "audit.json",
        "audit.md",
        "execution.log",
    }
