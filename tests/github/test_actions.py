"""The composite actions: metadata, pins, no expressions in scripts, and their scripts run for real.

The scripts of ``action.yml`` and ``actions/*/action.yml`` are run with bash the
way GitHub runs a composite ``shell: bash`` step (``bash --noprofile --norc
-eo pipefail``), with the real ``dde-ci`` of this venv where the dde-ci action
installs it (``$RUNNER_TEMP/dde-ci/venv/bin/dde-ci``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from dde_ci.github.pins import ALL_PINS
from tests.github import tools

REPO_ROOT = Path(__file__).resolve().parents[2]
ROOT_ACTION = REPO_ROOT / "action.yml"
THIN = {name: REPO_ROOT / "actions" / name / "action.yml" for name in ("node", "audit", "generate")}
SETUP_ACTION = REPO_ROOT / "actions" / "setup" / "action.yml"
DOCS = REPO_ROOT / "docs" / "github.md"
REQUIREMENTS = REPO_ROOT / "requirements" / "action.txt"
SHOP = REPO_ROOT / "examples" / "shop" / "dde.yaml"
GOLDEN = REPO_ROOT / "tests" / "github" / "golden" / "shop.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
FENCE_OPEN = re.compile(r"^::stop-commands::([0-9a-f]{32})$", re.MULTILINE)


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def steps(path: Path) -> list[dict[str, Any]]:
    return list(load(path)["runs"]["steps"])


# -- metadata -----------------------------------------------------------------------------


@pytest.mark.slow
def test_actions_are_valid_action_metadata_with_no_zizmor_findings() -> None:
    schema = tools.check_jsonschema("vendor.github-actions", *tools.ACTION_FILES, cwd=REPO_ROOT)
    assert tools.passed(schema), schema
    audit = tools.zizmor(*tools.ACTION_FILES, cwd=REPO_ROOT)
    assert tools.passed(audit), audit
    assert len(tools.ACTION_FILES) == 5


@pytest.mark.slow
def test_the_schema_check_can_say_no(tmp_path: Path) -> None:
    broken = tmp_path / "action.yml"
    broken.write_text(ROOT_ACTION.read_text().replace("using: composite", "using: compost"))
    result = tools.check_jsonschema("vendor.github-actions", broken, cwd=tmp_path)
    assert result.code == 1


def test_every_uses_is_a_pin_from_the_table() -> None:
    pins = {p.uses: p for p in ALL_PINS}
    found = set()
    for path in tools.ACTION_FILES:
        for line in path.read_text().splitlines():
            match = re.match(r"^\s+uses: (\S+)(.*)$", line)
            if match:
                value, comment = match.groups()
                assert value in pins, f"{path}: {value} is not in dde_ci/github/pins.py"
                assert comment == f" # {pins[value].tag}", line
                found.add(pins[value].repository)
    assert found == {"actions/setup-python", "astral-sh/setup-uv", "actions/cache"}


def test_scripts_hold_no_expressions_and_inputs_are_declared() -> None:
    for path in tools.ACTION_FILES:
        action = load(path)
        declared = set(action.get("inputs", {}))
        for step in action["runs"]["steps"]:
            assert "${{" not in step.get("run", ""), f"{path}: {step['name']}"
            if "run" in step:
                assert step["shell"] == "bash"
        for expr in EXPRESSION.findall(path.read_text()):
            for name in re.findall(r"inputs\.([\w-]+)", expr):
                assert name in declared, f"{path}: inputs.{name} is not declared"
        for name, spec in action.get("inputs", {}).items():
            assert spec.get("description"), f"{path}: input {name} has no description"


def test_thin_actions_only_call_the_cli() -> None:
    for name, path in THIN.items():
        for step in steps(path):
            assert "uses" not in step, f"actions/{name} runs another action"
            script = step["run"]
            assert '"$dde_ci"' in script
            assert 'dde_ci="$RUNNER_TEMP/dde-ci/venv/bin/dde-ci"' in script
            assert "pip install" not in script and "python" not in script


def test_setup_action_is_the_root_action() -> None:
    root, setup = load(ROOT_ACTION), load(SETUP_ACTION)
    for data, source in ((root, "."), (setup, "../..")):
        venv_step = next(s for s in data["runs"]["steps"] if s.get("id") == "venv")
        assert venv_step["env"]["DDE_SOURCE"] == source
        venv_step["env"]["DDE_SOURCE"] = "<source>"
        data.pop("name")
        data.pop("description")
    assert root == setup


def test_documented_inputs_and_outputs() -> None:
    docs = DOCS.read_text()
    for path in [*tools.ACTION_FILES]:
        action = load(path)
        for name in [*action.get("inputs", {}), *action.get("outputs", {})]:
            assert f"`{name}`" in docs, f"docs/github.md does not document {name} of {path}"


def test_requirements_are_hash_locked_and_cover_the_dependencies() -> None:
    text = REQUIREMENTS.read_text()
    entries = re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", text, re.MULTILINE)
    names = {re.sub(r"[-_.]+", "-", name).lower() for name, _ in entries}
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.strip())
    assert len(blocks) == len(entries)
    for block in blocks:
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", block), block.splitlines()[0]
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        name = re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0]
        assert re.sub(r"[-_.]+", "-", name).lower() in names, f"{name} is not locked"
    assert "hatchling" in names  # the build backend, for --no-build-isolation
    install = next(s for s in steps(ROOT_ACTION) if s.get("id") == "install")["run"]
    assert "--require-hashes" in install and "--only-binary=:all:" in install
    assert "--no-build-isolation" in install and "--no-index" in install
    assert "pip install" in install and '"$DDE_UV" pip install' in install  # uv, not pip
    assert "--no-config" in install  # a uv.toml in the user's repository changes nothing


# -- the scripts, run for real ------------------------------------------------------------


def run_step(
    action: Path,
    step: dict[str, Any],
    *,
    inputs: Mapping[str, str] | None = None,
    outputs: Mapping[str, str] | None = None,
    runner_temp: Path,
    cwd: Path,
    extra_env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    return tools.run_step(
        action,
        step,
        inputs=inputs,
        values=dict(outputs or {}),
        runner_temp=runner_temp,
        cwd=cwd,
        extra_env=extra_env,
    )


@pytest.fixture
def runner_temp(tmp_path: Path) -> Path:
    """$RUNNER_TEMP with dde-ci installed where the dde-ci action puts it."""
    temp = tmp_path / "runner-temp"
    bin_dir = temp / "dde-ci" / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "dde-ci").symlink_to(Path(sys.executable).parent / "dde-ci")
    return temp


LOUD = """\
workflow: fence
iteration: Iter-1
settings: {default_runs_on: [self-hosted]}
nodes:
  - id: Loud
    type: action
    run: |
      echo "::set-output name=leak::from-the-node"
      echo "::add-mask::hide-me"
      echo "::error::annotation from the node"
  - id: Broken
    type: action
    run: |
      echo "::warning::about to fail"
      exit 3
"""


def node_step(node: str, project: Path, runner_temp: Path) -> subprocess.CompletedProcess[str]:
    action = THIN["node"]
    return run_step(
        action,
        steps(action)[0],
        inputs={"manifest": "plan/dde.yaml", "node": node, "iteration": "Iter-1"},
        runner_temp=runner_temp,
        cwd=project,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "plan").mkdir(parents=True)
    (root / "plan" / "dde.yaml").write_text(LOUD)
    return root


def fenced(stdout: str) -> tuple[str, str, str]:
    """(before, inside, after) the ::stop-commands:: fence; asserts it opens and closes once."""
    opened = FENCE_OPEN.findall(stdout)
    assert len(opened) == 1, stdout
    token = opened[0]
    start = stdout.index(f"::stop-commands::{token}\n")
    end = stdout.index(f"\n::{token}::\n")
    return stdout[:start], stdout[start:end], stdout[end:]


@pytest.mark.slow
def test_node_output_is_fenced_with_a_fresh_token(project: Path, runner_temp: Path) -> None:
    first = node_step("Loud", project, runner_temp)
    assert first.returncode == 0, first.stderr
    before, inside, after = fenced(first.stdout)
    for command in ("::set-output name=leak", "::add-mask::hide-me", "::error::annotation"):
        assert command in inside and command not in before + after
    second = node_step("Loud", project, runner_temp)
    assert FENCE_OPEN.findall(first.stdout) != FENCE_OPEN.findall(second.stdout)
    # The node's events are kept as its log segment for the audit job to merge.
    segment = project / "plan" / "reports" / "Iter-1" / "Loud" / "execution.log"
    assert '"node.completed"' in segment.read_text()


@pytest.mark.slow
def test_a_failing_node_fails_the_step_after_closing_the_fence(
    project: Path, runner_temp: Path
) -> None:
    done = node_step("Broken", project, runner_temp)
    assert done.returncode == 1
    _, inside, after = fenced(done.stdout)
    assert "::warning::about to fail" in inside
    assert "::warning::" not in after
    result = project / "plan" / "reports" / "Iter-1" / "Broken" / "result.json"
    assert '"FAILED"' in result.read_text()


def test_node_action_refuses_a_bad_id_and_a_missing_install(
    project: Path, runner_temp: Path, tmp_path: Path
) -> None:
    bad = node_step("../../etc", project, runner_temp)
    assert bad.returncode == 2 and "must be ids" in bad.stdout
    missing = node_step("Loud", project, tmp_path / "empty")
    assert missing.returncode == 2
    assert "dde-ci is not installed; add the dde-ci action" in missing.stdout


@pytest.mark.slow
def test_audit_action_merges_the_node_segments(project: Path, runner_temp: Path) -> None:
    for node in ("Loud", "Broken"):
        node_step(node, project, runner_temp)
    reports = project / "plan" / "reports" / "Iter-1"
    (reports / "execution.log").unlink()  # the audit job starts from downloaded segments only
    action = THIN["audit"]
    merge = steps(action)[0]
    done = run_step(
        action,
        merge,
        inputs={"manifest": "plan/dde.yaml", "iteration": "Iter-1"},
        runner_temp=runner_temp,
        cwd=project,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    merged = (reports / "execution.log").read_text()
    assert '"node_id":"Loud"' in merged and '"node_id":"Broken"' in merged
    assert "merged 2 segment(s)" in done.stdout


@pytest.mark.slow
def test_generate_action_checks_the_committed_workflow(tmp_path: Path, runner_temp: Path) -> None:
    action = THIN["generate"]
    step = steps(action)[0]
    repo = tmp_path / "repo"  # a user's repository, the manifest in a sub-folder
    shutil.copytree(REPO_ROOT / "examples" / "shop", repo / "services" / "shop")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    inputs = {"manifest": "services/shop/dde.yaml", "output": ".github/workflows/dde.yml"}
    write = run_step(
        action, step, inputs={**inputs, "check": "false"}, runner_temp=runner_temp, cwd=repo
    )
    assert write.returncode == 0, write.stdout + write.stderr
    current = run_step(action, step, inputs=inputs, runner_temp=runner_temp, cwd=repo)
    assert current.returncode == 0, current.stdout + current.stderr
    assert "current" in current.stdout
    stale = repo / ".github" / "workflows" / "stale.yml"
    written = (repo / ".github" / "workflows" / "dde.yml").read_text()
    stale.write_text(written.replace("fail-fast: false", "fail-fast: true"))
    inputs["output"] = ".github/workflows/stale.yml"
    failed = run_step(action, step, inputs=inputs, runner_temp=runner_temp, cwd=repo)
    assert failed.returncode == 1
    assert "+      fail-fast: false" in failed.stdout


@pytest.mark.slow
def test_root_action_runs_a_command_and_sets_the_iteration_output(
    project: Path, runner_temp: Path
) -> None:
    run = next(s for s in steps(ROOT_ACTION) if s.get("id") == "run")
    dde = str(runner_temp / "dde-ci" / "venv" / "bin" / "dde-ci")
    done = run_step(
        ROOT_ACTION,
        run,
        inputs={"command": "iteration -m plan/dde.yaml", "iteration": "Iter-7"},
        outputs={"steps.install.outputs.dde-ci": dde},
        runner_temp=runner_temp,
        cwd=project,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Iter-7"
    assert (runner_temp / "github_output").read_text() == "iteration=Iter-7\n"
    fenced_run = run_step(
        ROOT_ACTION,
        run,
        inputs={"command": "node run Broken -m plan/dde.yaml", "fence-output": "true"},
        outputs={"steps.install.outputs.dde-ci": dde},
        runner_temp=runner_temp,
        cwd=project,
        extra_env={"DDE_ITERATION_INPUT": "Iter-1"},
    )
    assert fenced_run.returncode == 1
    _, inside, _ = fenced(fenced_run.stdout)
    assert "::warning::about to fail" in inside


def test_root_action_passes_words_without_a_shell(project: Path, runner_temp: Path) -> None:
    run = next(s for s in steps(ROOT_ACTION) if s.get("id") == "run")
    marker = project / "pwned"
    done = run_step(
        ROOT_ACTION,
        run,
        inputs={"command": f"validate plan/dde.yaml;touch {marker} $(touch {marker}) *"},
        outputs={"steps.install.outputs.dde-ci": str(Path(sys.executable).parent / "dde-ci")},
        runner_temp=runner_temp,
        cwd=project,
    )
    assert done.returncode == 2  # dde-ci saw odd arguments; no shell ever ran them
    assert not marker.exists()
