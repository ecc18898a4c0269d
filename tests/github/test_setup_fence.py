"""The setup job reads the pull request's manifest: its output is fenced like a node's."""

from __future__ import annotations

from pathlib import Path

import yaml

from dde_ci.github.workflow import WorkflowOptions, generate_workflow
from dde_ci.manifest.loader import load_manifest

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop" / "dde.yaml"


def test_the_setup_step_fences_its_output() -> None:
    options = WorkflowOptions("examples/shop/dde.yaml", "examples/shop/.github/workflows/dde.yml")
    workflow = yaml.safe_load(generate_workflow(load_manifest(SHOP), options).text)
    (step,) = [s for s in workflow["jobs"]["setup"]["steps"] if s.get("id") == "iteration"]
    assert step["with"]["command"].startswith("iteration ")
    assert step["with"]["fence-output"] == "true"
