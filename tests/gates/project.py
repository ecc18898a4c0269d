"""Builders for gate tests: a project folder with a manifest, gate files and real reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from dde_ci.layout import Layout
from dde_ci.log import ExecutionLog, read_log
from dde_ci.manifest.loader import load_manifest
from dde_ci.manifest.models import Manifest
from dde_ci.node import NodeStep

ITERATION = "Iter-1"

SAMPLE_CODE = """\
def add(a, b):
    return a + b


def divide(a, b):
    if b == 0:
        raise ZeroDivisionError("b is zero")
    return a / b


def classify(n):
    if n < 0:
        return "negative"
    if n == 0:
        return "zero"
    return "positive"


def unused(x):
    y = x * 2
    return y + 1
"""

SAMPLE_TESTS = """\
import pytest

from calc import add, classify, divide


def test_add():
    assert add(2, 3) == 5


def test_divide():
    assert divide(6, 3) == 2


def test_classify():
    assert classify(5) == "positive"


def test_broken():
    assert add(2, 2) == 5


@pytest.mark.skip(reason="not yet")
def test_later():
    assert classify(0) == "zero"
"""


def run_sample_suite(folder: Path, *, failing: bool = True) -> dict[str, Path]:
    """Write a tiny project and run its real pytest suite under coverage.

    Produces ``junit.xml`` (pytest --junitxml), ``coverage.xml`` (Cobertura)
    and ``coverage.json`` (coverage.py JSON) in ``folder``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "calc.py").write_text(SAMPLE_CODE)
    tests = SAMPLE_TESTS if failing else SAMPLE_TESTS.replace("== 5\n\n\n@", "== 4\n\n\n@")
    (folder / "test_calc.py").write_text(tests)
    (folder / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    (folder / ".coveragerc").write_text("[run]\nbranch = True\nsource = calc\n")
    env_python = sys.executable
    run = [env_python, "-m", "coverage", "run", "-m", "pytest", "-q"]
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    env.pop("PYTEST_ADDOPTS", None)
    subprocess.run(
        [*run, "--junitxml=junit.xml", "-o", "junit_family=xunit1", "test_calc.py"],
        cwd=folder,
        env=env,
        capture_output=True,
        check=False,
        timeout=120,
    )
    for cmd in (["xml", "-o", "coverage.xml"], ["json", "-o", "coverage.json"]):
        subprocess.run(
            [env_python, "-m", "coverage", *cmd], cwd=folder, check=True, capture_output=True
        )
    return {
        "junit": folder / "junit.xml",
        "cobertura": folder / "coverage.xml",
        "coverage_json": folder / "coverage.json",
    }


def write_project(root: Path, gates_yaml: str, nodes_yaml: str, *, extra: str = "") -> Manifest:
    """A manifest with ``gate_files: [gates.yaml]`` and the given nodes (YAML text)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "gates.yaml").write_text(textwrap.dedent(gates_yaml))
    manifest = (
        'version: "1"\nworkflow: w\niteration: Iter-1\ngate_files: [gates.yaml]\n'
        + extra
        + "nodes:\n"
        + textwrap.indent(textwrap.dedent(nodes_yaml), "  ")
    )
    (root / "dde.yaml").write_text(manifest)
    return load_manifest(root / "dde.yaml")


def make_step(manifest: Manifest, node_id: str, iteration: str = ITERATION) -> NodeStep:
    layout = Layout(manifest.root)
    log = ExecutionLog(layout.execution_log(iteration), iteration, "run-1")
    return NodeStep(
        manifest=manifest,
        node=manifest.node(node_id),
        iteration_id=iteration,
        run_id="run-1",
        layout=layout,
        log=log,
        agent_id="agent-1",
        correlation_id="corr-1",
        attempt=1,
    )


def write_result(manifest: Manifest, node_id: str, status: str) -> None:
    path = Layout(manifest.root).result_file(ITERATION, node_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"node_id": node_id, "status": status}))


def gates_json(manifest: Manifest, node_id: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        Layout(manifest.root).gates_file(ITERATION, node_id).read_text()
    )
    return data


def events(manifest: Manifest) -> list[dict[str, Any]]:
    return read_log(Layout(manifest.root).execution_log(ITERATION)).events
