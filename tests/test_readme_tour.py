"""The README's five-minute tour, top to bottom, in a copy of examples/shop in a Git repository.

Each step runs the commands the README names, from the shop's folder (the manifest is
found there as Git finds ``.git``), and checks what the README says they show.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_MANIFEST, REPO_ROOT

RUNTIME = {".dde", "reports", "build", "contracts", "contracts.lock", "__pycache__", ".coverage"}


def _tour_text() -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## A five-minute tour")
    return readme[start : readme.index("\n## ", start + 1)]


@pytest.mark.slow
def test_the_readme_tour_runs_top_to_bottom(tmp_path: Path) -> None:
    tour = _tour_text()
    repo = tmp_path / "repo"
    shop = repo / "examples" / "shop"

    def ignore(folder: str, names: list[str]) -> set[str]:
        skip = {n for n in names if n == "__pycache__" or n.startswith(".coverage")}
        return skip | (RUNTIME & set(names) if Path(folder) == EXAMPLE_MANIFEST.parent else set())

    shutil.copytree(EXAMPLE_MANIFEST.parent, shop, ignore=ignore)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    venv_bin = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("DDE_MANIFEST", None)
    env.pop("DDE_ITERATION", None)

    def dde(*args: str, code: int = 0) -> str:
        assert f"dde-ci {args[0]}" in tour, f"the tour does not name dde-ci {args[0]}"
        done = subprocess.run(
            [str(venv_bin / "dde-ci"), *args],
            cwd=shop,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == code, (args, done.stdout, done.stderr)
        assert "deprecated" not in done.stderr, args
        return done.stdout

    # make demo (its part after the install): it says what it deletes, and a clean demo
    # passes cleanly (demo.sh checks the gate pass rate and the audit's warnings itself)
    (shop / "reports" / "Old-1").mkdir(parents=True)
    demo = subprocess.run(
        ["bash", "examples/shop/demo.sh"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert demo.stdout.startswith("== deleting what an earlier run left: examples/shop/reports\n")
    assert "deprecated" not in demo.stderr
    assert not (shop / "reports" / "Old-1").exists()

    # 1. Check the plan.
    assert dde("validate").startswith("dde.yaml: ok: 13 nodes")
    assert "critical path: API.Orders -> " in dde("graph")
    assert dde("graph", "--format", "mermaid", "--fenced").startswith("```mermaid\nflowchart")

    # 2. Run it on this machine.
    assert "COMPLETED" in dde("run", "--iteration", "Sprint-1", "--no-progress")
    assert ": COMPLETED (iteration Sprint-1" in dde("status")
    assert "make demo" in tour
    assert "gate pass rate         100%" in dde("metrics")
    assert "| gate pass rate | 100% |" in dde("metrics", "--format", "markdown")
    assert "BE.Orders" in dde("log", "query", "--node", "BE.Orders")

    # 3. Gates.
    assert "gates.yaml: ok" in dde("gate", "check", "gates.yaml")
    report = dde("gate", "run", "TEST.Backend", "--phase", "post", "--format", "markdown")
    assert report.startswith("### Gates of `TEST.Backend` (post)")

    # 4. Trace every output.
    assert "BE.Orders" in dde("artifacts", "search", "--node", "BE.Orders")
    assert dde("stamp", "verify").endswith(": ok\n")

    # 5. Audit before you deploy: a clean demo passes cleanly.
    assert dde("audit", "--iteration", "Sprint-1").startswith("audit Sprint-1: PASS")
    audit = json.loads((shop / "reports" / "Sprint-1" / "audit.json").read_text())
    assert (audit["result"], audit["warnings"]) == ("PASS", [])

    # 6. Change a contract: edit the source the interface node publishes.
    source = shop / "api" / "orders-api.yaml"
    assert "`api/orders-api.yaml`" in tour
    text = source.read_text()
    start, end = text.index("  /orders/{orderId}:"), text.index("components:")
    source.write_text(text[:start] + text[end:])
    dde("node", "run", "API.Orders", "--iteration", "Sprint-1")
    locked = json.loads((shop / "contracts.lock").read_text())
    assert "2.0.0" in json.dumps(locked)
    diff = dde(
        "contract",
        "diff",
        ".dde/contracts/orders/orders-api/1.0.0/orders-api.yaml",
        "contracts/orders-api.yaml",
        "--fail-on",
        "breaking",
        code=1,
    )
    assert "[api-path-removed-without-deprecation]" in diff
    history = dde("contract", "history", "orders-api")
    assert "| 2.0.0 |" in history and "| 1.0.0 |" in history
    failed = dde("audit", "--iteration", "Sprint-1", code=1)
    assert failed.startswith("audit Sprint-1: FAIL")
    assert "node BE.Orders was built against contract orders-api 1.0.0" in failed
    dde("contract", "verify", "BE.Orders", "--iteration", "Sprint-1", code=1)
