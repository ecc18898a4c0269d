"""The generated shop workflow, run job by job on fresh copies of the repository.

This is the check that the workflow's data flow works: every node step finds
what its dependencies left only through workflow artifacts, and the audit job,
from the artifacts alone, merges the node log segments and passes.

The repository has ``contracts.lock`` committed (both contracts locked once, as
a team does): with two interface nodes locking new versions in the same run,
each job's copy of the lock would hold only its own entry and the audit job's
merged download would keep one of them (see docs/github.md).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
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


def commit_contracts_lock(source: Path) -> None:
    """Lock both contracts once and keep only contracts.lock, as a team commits it."""
    shop = source / "examples" / "shop"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for script, contract in [
        ("interface_orders_api.py", "orders-api"),
        ("interface_order_created.py", "order-created"),
    ]:
        subprocess.run(["python3", f"scripts/{script}"], cwd=shop, env=env, check=True)
        subprocess.run(
            [
                "dde-ci",
                "contract",
                "lock",
                contract,
                "dde.yaml",
                "--iteration",
                "Lock-1",
                "--commit",
                "0" * 40,
            ],
            cwd=shop,
            env=env,
            check=True,
            capture_output=True,
        )
    for generated in ("contracts", ".dde", "reports"):
        shutil.rmtree(shop / generated, ignore_errors=True)
    assert json.loads((shop / "contracts.lock").read_text())["contracts"].keys() == {
        "orders-api",
        "order-created",
    }


def shop_run(tmp_path: Path) -> tuple[WorkflowRun, str]:
    source = repository_copy(tmp_path / "repo")
    commit_contracts_lock(source)
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
