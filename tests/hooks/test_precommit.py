"""The hooks in .pre-commit-hooks.yaml, run by the real pre-commit in a real Git repository.

pre-commit may not download anything here, so the test writes a ``repo: local``
configuration holding the very hook definitions of ``.pre-commit-hooks.yaml``
(same ids, entries, stages and file patterns) with ``language: system`` and
the entry pointing at this virtualenv's ``dde-ci``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from dde_ci.cli.main import main
from tests.conftest import REPO_ROOT

MANIFEST = """\
version: "1"
workflow: demo
iteration: It-7
nodes:
  - id: API.Orders
    type: action
  - id: BE.Orders
    type: implementation
"""


def run(repo: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=repo, capture_output=True, text=True, env=env, check=False)


HOOKS_FILE = REPO_ROOT / ".pre-commit-hooks.yaml"
CONVENTIONS = REPO_ROOT / "docs" / "conventions.md"
HOME = "https://github.com/dde-ci/dde-ci"


def hook_definitions() -> dict[str, dict[str, Any]]:
    return {h["id"]: h for h in yaml.safe_load(HOOKS_FILE.read_text())}


def documented_config(path: Path) -> str:
    """The pre-commit config a user pastes: the first YAML block of ``path`` naming dde-ci."""
    blocks: list[str] = re.findall(
        r"^```yaml\n(.*?)^```", path.read_text(), re.MULTILINE | re.DOTALL
    )
    return next(b for b in blocks if f"repo: {HOME}" in b)


def test_hook_definitions_are_thin_and_complete() -> None:
    hooks = hook_definitions()
    assert hooks["dde-commit-msg"]["stages"] == ["commit-msg"]
    assert hooks["dde-commit-msg"]["entry"] == "dde-ci hook commit-msg"
    branch = hooks["dde-branch-name"]
    assert branch["stages"] == ["pre-commit", "pre-push"]
    assert branch["always_run"] is True and branch["pass_filenames"] is False
    assert hooks["dde-validate"]["stages"] == ["pre-commit"]  # not at commit-msg nor pre-push
    assert hooks["dde-validate"]["entry"] == "dde-ci hook validate"
    assert hooks["dde-workflow-sync"]["stages"] == ["pre-commit"]
    files = re.compile(hooks["dde-validate"]["files"])
    for path in ("dde.yaml", "sub/dde.yml", "gates.yaml", "qa/security-gates.yaml"):
        assert files.search(path), path
    for path in ("src/app.py", "dde.yaml.bak", "docs/gates.md"):
        assert not files.search(path), path


def test_the_docs_table_matches_the_hook_definitions() -> None:
    text = CONVENTIONS.read_text()
    rows = re.findall(r"^\| `(dde-[a-z-]+)` +\| ([^|]+)\|", text, re.MULTILINE)
    documented = {hook: re.findall(r"`([a-z-]+)`", stages) for hook, stages in rows}
    actual = {hook_id: hook["stages"] for hook_id, hook in hook_definitions().items()}
    assert documented == actual
    words = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}
    assert f"`.pre-commit-hooks.yaml` with {words[len(actual)]} hooks" in text


def test_one_config_in_the_readme_the_docs_and_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    config = documented_config(CONVENTIONS)
    assert documented_config(REPO_ROOT / "README.md") == config
    data = yaml.safe_load(config)
    assert data["default_install_hook_types"] == ["pre-commit", "commit-msg", "pre-push"]
    (repo,) = data["repos"]
    assert repo["repo"] == HOME and re.fullmatch(r"v\d+\.\d+\.\d+", repo["rev"])
    assert {h["id"] for h in repo["hooks"]} <= set(hook_definitions())
    assert main(["hook", "--help"]) == 0
    shown = capsys.readouterr().out
    for line in config.splitlines():
        assert f"    {line}\n" in shown, line


@pytest.mark.slow
def test_pre_commit_accepts_a_good_commit_and_refuses_a_bad_one(tmp_path: Path) -> None:
    if shutil.which("git") is None:  # pragma: no cover
        pytest.skip("git is not installed")
    bin_dir = Path(sys.executable).parent
    dde_ci = bin_dir / "dde-ci"
    pre_commit = bin_dir / "pre-commit"
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("GIT_DIR", None)
    assert run(repo, "git", "init", "-q", "-b", "feature/It-7/BE.Orders", env=env).returncode == 0
    (repo / "dde.yaml").write_text(MANIFEST)

    local = []
    for hook in yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text()):
        if hook["id"] == "dde-workflow-sync":
            continue  # needs a generated workflow; tested in tests/github/test_workflow.py
        hook = dict(hook)
        hook["language"] = "system"
        hook["entry"] = hook["entry"].replace("dde-ci", str(dde_ci), 1)
        hook.pop("minimum_pre_commit_version", None)
        local.append(hook)
    config = {
        "default_install_hook_types": ["pre-commit", "commit-msg", "pre-push"],
        "repos": [{"repo": "local", "hooks": local}],
    }
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    installed = run(repo, str(pre_commit), "install", env=env)
    assert installed.returncode == 0, installed.stderr
    assert run(repo, "git", "add", "dde.yaml", ".pre-commit-config.yaml", env=env).returncode == 0

    bad = run(repo, "git", "commit", "-m", "add the manifest", env=env)
    assert bad.returncode != 0
    output = bad.stdout + bad.stderr
    assert "commit subject 'add the manifest' does not name its node" in output
    assert "example:  [BE.Orders] describe the change" in output
    assert run(repo, "git", "rev-parse", "--verify", "-q", "HEAD", env=env).returncode != 0

    good = run(repo, "git", "commit", "-m", "[BE.Orders] add the manifest", env=env)
    assert good.returncode == 0, good.stdout + good.stderr
    assert re.search(r"dde-ci validate the manifest and gate files\.+Passed", good.stderr)
    assert run(repo, "git", "log", "--format=%s", env=env).stdout.strip() == (
        "[BE.Orders] add the manifest"
    )

    (repo / "dde.yaml").write_text(MANIFEST + "  - id: BE.Orders\n    type: test\n")
    run(repo, "git", "add", "dde.yaml", env=env)
    broken = run(repo, "git", "commit", "-m", "[BE.Orders] duplicate", env=env)
    assert broken.returncode != 0
    assert "dde.yaml:" in broken.stdout + broken.stderr

    run(repo, "git", "checkout", "-q", "dde.yaml", env=env)
    run(repo, "git", "reset", "-q", env=env)
    run(repo, "git", "checkout", "-q", "-b", "wip", env=env)
    (repo / "notes.txt").write_text("x")
    run(repo, "git", "add", "notes.txt", env=env)
    on_wip = run(repo, "git", "commit", "-m", "[BE.Orders] notes", env=env)
    assert on_wip.returncode != 0
    assert "branch 'wip' does not name its iteration and node" in on_wip.stdout + on_wip.stderr
