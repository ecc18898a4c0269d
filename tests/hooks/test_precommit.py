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

import pytest
import yaml

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


def test_hook_definitions_are_thin_and_complete() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert hooks["dde-commit-msg"]["stages"] == ["commit-msg"]
    assert hooks["dde-commit-msg"]["entry"] == "dde-ci hook commit-msg"
    branch = hooks["dde-branch-name"]
    assert branch["stages"] == ["pre-commit", "pre-push"]
    assert branch["always_run"] is True and branch["pass_filenames"] is False
    files = re.compile(hooks["dde-validate"]["files"])
    for path in ("dde.yaml", "sub/dde.yml", "gates.yaml", "qa/security-gates.yaml"):
        assert files.search(path), path
    for path in ("src/app.py", "dde.yaml.bak", "docs/gates.md"):
        assert not files.search(path), path


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
