"""Run the tools the field trusts on workflows and actions: actionlint, zizmor, check-jsonschema.

Each runs as a real process from the venv.  They must work offline: the
environment drops every GitHub token (zizmor goes online when it sees one) and
points every proxy at a closed port on 127.0.0.1, so a tool that tried the
network would fail instead of passing by luck.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ACTION_FILES = [
    REPO_ROOT / "action.yml",
    *sorted((REPO_ROOT / "actions").glob("*/action.yml")),
]
ACTIONLINT_CONFIG = REPO_ROOT / ".github" / "actionlint.yaml"


@dataclass(frozen=True)
class ToolResult:
    tool: str
    code: int
    output: str

    def __str__(self) -> str:
        return f"{self.tool} exited {self.code}:\n{self.output}"


def offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "GH_TOKEN")}
    dead = "http://127.0.0.1:9"
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        env[key] = dead
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    env["NO_COLOR"] = "1"
    return env


def run_tool(tool: str, *args: str, cwd: Path) -> ToolResult:
    done = subprocess.run(
        [str(BIN / tool), *args],
        cwd=cwd,
        env=offline_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return ToolResult(tool, done.returncode, done.stdout + done.stderr)


def make_project(root: Path, workflow_text: str, name: str = "dde.yml") -> Path:
    """A Git work tree holding the workflow, the dde-ci actions and the actionlint config.

    actionlint resolves ``$/actions/node`` against the project root and checks
    every ``with:`` against the action's declared inputs, so the actions are
    copied next to the workflow.
    """
    (root / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "action.yml", root / "action.yml")
    shutil.copytree(REPO_ROOT / "actions", root / "actions")
    shutil.copy(ACTIONLINT_CONFIG, root / ".github" / "actionlint.yaml")
    workflow = root / ".github" / "workflows" / name
    workflow.write_text(workflow_text, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return workflow


def actionlint(workflow: Path, project: Path) -> ToolResult:
    return run_tool(
        "actionlint",
        "-no-color",
        "-config-file",
        str(project / ".github" / "actionlint.yaml"),
        str(workflow.relative_to(project)),
        cwd=project,
    )


def zizmor(*paths: Path, cwd: Path) -> ToolResult:
    return run_tool(
        "zizmor",
        "--offline",
        "--strict-collection",
        "--persona",
        "pedantic",
        "--no-progress",
        *(str(p) for p in paths),
        cwd=cwd,
    )


def check_jsonschema(schema: str, *paths: Path, cwd: Path) -> ToolResult:
    return run_tool(
        "check-jsonschema",
        "--builtin-schema",
        schema,
        *(str(p) for p in paths),
        cwd=cwd,
    )


def lint_workflow(project: Path, workflow: Path) -> list[ToolResult]:
    """Every tool over one workflow; the results that failed (empty when all passed)."""
    results = [
        actionlint(workflow, project),
        zizmor(workflow, cwd=project),
        check_jsonschema("vendor.github-workflows", workflow, cwd=project),
    ]
    return [r for r in results if not passed(r)]


def passed(result: ToolResult) -> bool:
    """Exit 0, and for zizmor an explicit "No findings" (its exit code is 0 only then too)."""
    if result.code != 0:
        return False
    return result.tool != "zizmor" or "No findings to report" in result.output


# -- running a composite action's bash step the way the runner does ----------------------

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
GITHUB_VALUES = {"github.run_id": "4242"}


def run_step(
    action: Path,
    step: dict[str, Any],
    *,
    inputs: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
    runner_temp: Path,
    cwd: Path,
    extra_env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run one ``shell: bash`` step of ``action`` with ``bash --noprofile --norc -eo pipefail``.

    ``${{ inputs.X }}`` in the step's ``env:`` take ``inputs`` (else the declared
    default); any other expression must be in ``values`` (``steps.x.outputs.y``,
    ``github.run_id``), so a new expression in an action fails here loudly.
    """
    declared = yaml.safe_load(action.read_text()).get("inputs", {})
    given = {k: str(v.get("default", "")) for k, v in declared.items()}
    given.update(inputs or {})
    known = {**GITHUB_VALUES, **(values or {})}

    def value(expr: str) -> str:
        if expr.startswith("inputs."):
            return given[expr.removeprefix("inputs.")]
        return known[expr]

    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "DDE_"))}
    env.update(
        {
            "RUNNER_TEMP": str(runner_temp),
            "RUNNER_OS": "Linux",
            "RUNNER_ARCH": "X64",
            "GITHUB_ACTIONS": "true",
            "GITHUB_ACTION_PATH": str(action.parent),
            "GITHUB_OUTPUT": str(runner_temp / "github_output"),
        }
    )
    for key, raw in step.get("env", {}).items():
        env[key] = EXPRESSION.sub(lambda m: value(m.group(1)), str(raw))
    env.update(extra_env or {})
    runner_temp.mkdir(parents=True, exist_ok=True)
    script = runner_temp / "step.sh"
    script.write_text(step["run"])
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
