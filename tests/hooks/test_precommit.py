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
    assert hooks["dde-workflow-sync"]["entry"] == "dde-ci hook workflow-sync"
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
    # The local configuration for an installed dde-ci runs the same commands at the same stages.
    blocks = re.findall(r"^```yaml\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    local = yaml.safe_load(next(b for b in blocks if "repo: local" in b))
    assert local["default_install_hook_types"] == ["pre-commit", "commit-msg", "pre-push"]
    for hook in local["repos"][0]["hooks"]:
        shipped = hook_definitions()[hook["id"]]
        for key in ("entry", "stages", "always_run", "pass_filenames", "files"):
            assert hook.get(key) == shipped.get(key), (hook["id"], key)


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


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This checkout as a hook repository: its files committed and tagged with the documented rev.

    Returns the repository and the rev.  The files are those of the work tree
    (tracked and new, not ignored), so the test checks what is about to be committed.
    """
    rev = yaml.safe_load(documented_config(CONVENTIONS))["repos"][0]["rev"]
    root = tmp_path_factory.mktemp("hook-repo") / "dde-ci"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "-co", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO_ROOT / name
        if source.is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1"}
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.name=dde", "-c", "user.email=dde@example.invalid", "commit", "-q", "-m", "x"],
        ["tag", rev],
    ):
        subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, check=True)
    return root, rev


@pytest.mark.slow
def test_the_documented_config_works_in_a_users_repository(
    tmp_path: Path, hook_repo: tuple[Path, str]
) -> None:
    """README's steps in a new repository with the manifest in a sub-folder, real pre-commit.

    The config is the one docs/conventions.md gives, with only ``repo:`` pointing
    at this checkout (``hook_repo``) instead of GitHub; pre-commit installs the
    hooks from it as it would from GitHub (a virtualenv, ``pip install`` of the repo).
    """
    if shutil.which("git") is None:  # pragma: no cover
        pytest.skip("git is not installed")
    hooks, rev = hook_repo
    repo = tmp_path / "shop"
    (repo / "services" / "shop").mkdir(parents=True)
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    for key in ("GIT_DIR", "GIT_INDEX_FILE", "VIRTUAL_ENV", "DDE_MANIFEST"):
        env.pop(key, None)
    assert run(repo, "git", "init", "-q", "-b", "main", env=env).returncode == 0
    (repo / "services" / "shop" / "dde.yaml").write_text(MANIFEST)
    config = documented_config(CONVENTIONS)
    (repo / ".pre-commit-config.yaml").write_text(config.replace(HOME, hooks.as_uri()))
    assert f"rev: {rev}" in config

    installed = run(repo, "pre-commit", "install", env=env)  # exactly as the README says
    assert installed.returncode == 0, installed.stdout + installed.stderr
    for hook_type in ("pre-commit", "commit-msg", "pre-push"):
        assert f".git/hooks/{hook_type}" in installed.stdout
    assert (
        run(repo, "git", "checkout", "-q", "-b", "feature/It-7/BE.Orders", env=env).returncode == 0
    )
    run(repo, "git", "add", "-A", env=env)

    bad = run(repo, "git", "commit", "-m", "add the manifest", env=env)
    output = bad.stdout + bad.stderr
    assert bad.returncode != 0, output
    assert "commit subject 'add the manifest' does not name its node" in output
    assert "example:  [BE.Orders] describe the change" in output
    assert run(repo, "git", "rev-parse", "--verify", "-q", "HEAD", env=env).returncode != 0

    good = run(repo, "git", "commit", "-m", "[BE.Orders] add the manifest", env=env)
    output = good.stdout + good.stderr
    assert good.returncode == 0, output
    assert re.search(r"dde-ci validate the manifest and gate files\.+Passed", output)
    assert re.search(r"dde-ci branch is feature/\{IterationID\}/\{NodeID\}\.+Passed", output)
    assert re.search(r"dde-ci commit subject names its node.*\.+Passed", output)
    log = run(repo, "git", "log", "--format=%s", env=env).stdout.strip()
    assert log == "[BE.Orders] add the manifest"

    # A broken manifest in its sub-folder is refused at the pre-commit stage.
    (repo / "services" / "shop" / "dde.yaml").write_text(
        MANIFEST + "  - id: BE.Orders\n    type: test\n"
    )
    run(repo, "git", "add", "-A", env=env)
    broken = run(repo, "git", "commit", "-m", "[BE.Orders] duplicate", env=env)
    assert broken.returncode != 0
    assert "services/shop/dde.yaml:" in broken.stdout + broken.stderr
    run(repo, "git", "reset", "-q", "--hard", env=env)

    run(repo, "git", "checkout", "-q", "-b", "wip", env=env)
    (repo / "notes.txt").write_text("x")
    run(repo, "git", "add", "notes.txt", env=env)
    on_wip = run(repo, "git", "commit", "-m", "[BE.Orders] notes", env=env)
    assert on_wip.returncode != 0
    assert "branch 'wip' does not name its iteration and node" in on_wip.stdout + on_wip.stderr
