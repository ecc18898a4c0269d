"""The set-up action's environment step, run for real with uv: the venv and the cache key.

The install itself needs the package index on a cold cache; it is measured by
``benchmarks/action_setup.py``.  Here the step that creates the virtualenv and
names the cache runs as GitHub runs it (bash, ``$GITHUB_OUTPUT``), with the uv
of this venv, offline.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.github import tools

REPO_ROOT = Path(__file__).resolve().parents[2]
SETUP_ACTION = REPO_ROOT / "actions" / "setup" / "action.yml"
UV = shutil.which("uv", path=str(Path(sys.executable).parent))


def step(step_id: str) -> dict[str, Any]:
    steps = yaml.safe_load(SETUP_ACTION.read_text())["runs"]["steps"]
    return dict(next(s for s in steps if s.get("id") == step_id))


def action_copy(tmp_path: Path, lock: str) -> Path:
    """A copy of the action's files (the action and its lock) as the runner fetches them."""
    root = tmp_path / "dde-ci"
    (root / "actions" / "setup").mkdir(parents=True)
    (root / "requirements").mkdir()
    shutil.copy(SETUP_ACTION, root / "actions" / "setup" / "action.yml")
    (root / "requirements" / "action.txt").write_text(lock)
    return root / "actions" / "setup" / "action.yml"


def outputs(runner_temp: Path) -> dict[str, str]:
    lines = (runner_temp / "github_output").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines)


@pytest.mark.skipif(UV is None, reason="uv is not installed (pip install uv)")
def test_venv_step_makes_a_venv_and_a_cache_key_from_the_lock_file(tmp_path: Path) -> None:
    assert UV is not None
    python = os.path.realpath(sys.executable)
    keys = []
    locks = ("attrs==26.1.0 --hash=sha256:00\n", "attrs==26.1.1 --hash=sha256:00\n")
    for n, lock in enumerate(locks):
        action = action_copy(tmp_path / str(n), lock)
        temp = tmp_path / str(n) / "runner-temp"
        done = tools.run_step(
            action,
            step("venv"),
            values={"steps.python.outputs.python-path": python, "steps.uv.outputs.uv-path": UV},
            runner_temp=temp,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr
        found = outputs(temp)
        assert Path(found["python"]) == temp / "dde-ci" / "venv" / "bin" / "python"
        assert Path(found["python"]).is_file()
        assert found["uv-cache"] == f"{temp}/dde-ci/uv-cache"
        assert Path(found["source"]) == action.parents[2]
        keys.append(found["key"])
    version = f"py{sys.version_info[0]}.{sys.version_info[1]}"
    assert keys[0].startswith(f"dde-ci-uv-Linux-X64-{version}-")
    assert keys[0] != keys[1]  # another lock file, another cache


def test_install_step_checks_hashes_with_uv_and_builds_dde_ci_offline() -> None:
    install = step("install")
    commands = install["run"].split('"$DDE_UV" pip install')[1:]
    assert len(commands) == 2
    locked, own = commands
    assert "--require-hashes" in locked and "--only-binary=:all:" in locked
    assert "requirements/action.txt" in locked
    assert "--no-index" in own and "--no-build-isolation" in own and "--no-deps" in own
    assert install["env"]["UV_CACHE_DIR"] == "${{ steps.venv.outputs.uv-cache }}"
    # On an exact cache hit the locked install asks no index (--offline), else it fetches.
    assert install["env"]["DDE_CACHE_HIT"] == "${{ steps.cache.outputs.cache-hit }}"
    assert '[ "$DDE_CACHE_HIT" != "true" ] || ! "${locked[@]}" --offline' in install["run"]
    cache = next(
        s
        for s in yaml.safe_load(SETUP_ACTION.read_text())["runs"]["steps"]
        if str(s.get("uses", "")).startswith("actions/cache@")
    )
    assert cache["with"] == {
        "path": "${{ steps.venv.outputs.uv-cache }}",
        "key": "${{ steps.venv.outputs.key }}",
    }
