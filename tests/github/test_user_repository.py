"""A team's own repository, end to end: dde-ci from a built wheel, and the workflow it writes.

What a new user does on day one, in a throwaway repository (``git init``, the
manifest in ``services/shop``): install dde-ci, ``dde-ci init``, ``dde-ci
generate``.  dde-ci is a wheel built once per session from this checkout
(``pip wheel``, hatch-vcs records the commit) and installed into a fresh venv
with ``--no-deps``; its dependencies come from this test run's environment
through a ``.pth`` line, which adds no ``dde_ci`` of its own (the test checks
the package imported is the wheel's, not the source tree).

The wheel is built from a clone of this checkout at its commit, with the
tracked files as they are in the work tree.  The written workflow must pass
actionlint and zizmor (offline, pedantic) as it is, every ``uses:`` must exist
at its pinned commit, and the workflow, emulated
job by job with fresh workspaces and only artifacts between jobs
(:mod:`tests.github.emulate`), must pass its audit in that layout.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from dde_ci.github.pins import ALL_PINS
from dde_ci.github.workflow import SAME_REPOSITORY
from dde_ci.manifest.loader import load_manifest
from tests.github import tools
from tests.github.emulate import WorkflowRun

REPO_ROOT = Path(__file__).resolve().parents[2]
HOME_REPOSITORY = "dde-ci/dde-ci"  # [project.urls] Source in pyproject.toml
DDE_USES = re.compile(rf"^{re.escape(HOME_REPOSITORY)}/actions/([a-z-]+)@([0-9a-f]{{40}})$")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


@dataclass(frozen=True)
class Installed:
    """dde-ci installed from a wheel into a fresh venv."""

    dde_ci: Path  # the venv's console script
    python: Path
    commit: str  # what the wheel says it was built from


def install_wheel(source: Path, folder: Path) -> Installed:
    """Build a wheel of ``source`` and install it into a fresh venv under ``folder``."""
    wheels = folder / "wheels"
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run([*build, "-w", str(wheels), str(source)], check=True, capture_output=True)
    (wheel,) = wheels.glob("dde_ci-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        written = archive.read("dde_ci/_build.py").decode() if "dde_ci/_build.py" in names else ""
    match = re.search(r"^node = 'g([0-9a-f]{40})'$", written, re.MULTILINE)
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)]
    subprocess.run(install, check=True, capture_output=True)
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # The dependencies are this test run's (no dde_ci among them: see the module doc).
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    where = subprocess.run(
        [str(python), "-c", "import dde_ci; print(dde_ci.__file__)"],
        check=True,
        capture_output=True,
        text=True,
        cwd=folder,
    ).stdout.strip()
    assert Path(where).is_relative_to(venv), where  # the wheel's package, not the source tree
    return Installed(venv / "bin" / "dde-ci", python, match.group(1) if match else "")


def checkout_copy(folder: Path) -> Path:
    """A clone of this checkout at its commit, with the tracked files as they are now.

    The build writes ``dde_ci/_build.py`` into the tree it builds; building a copy
    leaves the checkout (and the tests running from it) untouched.
    """
    source = folder / "source"
    head = git("rev-parse", "HEAD").stdout.strip()
    subprocess.run(["git", "clone", "-q", "--no-checkout", str(REPO_ROOT), str(source)], check=True)
    subprocess.run(["git", "-C", str(source), "checkout", "-q", head], check=True)
    for rel in git("ls-files", "-z").stdout.split("\0"):
        if rel and (REPO_ROOT / rel).is_file():
            (source / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / rel, source / rel)
    return source


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """dde-ci built from this checkout (with its Git metadata)."""
    folder = tmp_path_factory.mktemp("dde-ci-install")
    built = install_wheel(checkout_copy(folder), folder)
    assert built.commit == git("rev-parse", "HEAD").stdout.strip()
    return built


def run(installed: Installed, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "DDE_"))}
    return subprocess.run(
        [str(installed.dde_ci), *args],
        cwd=cwd,
        env={**env, **GIT_ENV},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def new_repository(tmp_path: Path, installed: Installed) -> tuple[Path, Path]:
    """``git init``, ``dde-ci init`` in services/shop, ``dde-ci generate`` from there."""
    repo = tmp_path / "shop-team"
    shop = repo / "services" / "shop"
    shop.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    done = run(installed, "init", cwd=shop)
    assert done.returncode == 0, done.stderr
    done = run(installed, "generate", "-o", "../../.github/workflows/dde.yml", cwd=shop)
    assert done.returncode == 0, done.stderr
    return repo, repo / ".github" / "workflows" / "dde.yml"


def every_uses(data: dict[str, Any]) -> set[str]:
    return {
        str(step["uses"])
        for job in data["jobs"].values()
        for step in job["steps"]
        if "uses" in step
    }


def git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(REPO_ROOT), *args], capture_output=True, text=True, check=False
    )


@pytest.mark.slow
def test_the_version_names_the_home_and_the_commit(installed: Installed, tmp_path: Path) -> None:
    done = run(installed, "--version", cwd=tmp_path)
    lines = done.stdout.splitlines()
    assert done.returncode == 0
    assert lines[0].startswith("dde-ci ")
    assert lines[1] == f"home: https://github.com/{HOME_REPOSITORY}"
    assert lines[2].split()[:2] == ["commit:", installed.commit]


@pytest.mark.slow
def test_a_new_repository_gets_a_workflow_that_runs_untouched(
    installed: Installed, tmp_path: Path
) -> None:
    repo, workflow = new_repository(tmp_path, installed)
    shop = repo / "services" / "shop"

    # Where GitHub would never read it: refused, and the message says where it goes.
    elsewhere = run(installed, "generate", "-o", ".github/workflows/dde.yml", cwd=shop)
    assert elsewhere.returncode == 2
    assert "GitHub reads workflows only from .github/workflows/ at the repository root" in (
        elsewhere.stderr
    )
    assert str(repo.resolve() / ".github" / "workflows" / "dde.yml") in elsewhere.stderr
    assert not (shop / ".github").exists()

    text = workflow.read_text()
    data = yaml.safe_load(text)
    # Paths are relative to the repository root.
    setup = data["jobs"]["setup"]
    assert setup["steps"][1]["with"]["command"] == "iteration -m services/shop/dde.yaml"
    node_jobs = [j for j in data["jobs"] if j not in ("setup", "audit")]
    for job_id in node_jobs:
        steps = data["jobs"][job_id]["steps"]
        node = next(s for s in steps if s.get("name") == "Run the node step")
        assert node["with"]["manifest"] == "services/shop/dde.yaml"
        upload = next(s for s in steps if "upload-artifact" in str(s.get("uses")))
        paths = upload["with"]["path"].splitlines()
        assert all(p.startswith(("services/shop/", "${{ env.")) for p in paths), paths
    # A fork's pull request never runs on the runners.
    assert setup["if"] == f"${{{{ {SAME_REPOSITORY} }}}}"
    assert SAME_REPOSITORY in data["jobs"]["audit"]["if"]

    # Every uses: exists at its pinned ref.
    pinned = {pin.uses for pin in ALL_PINS}
    dde_actions = set()
    for uses in every_uses(data):
        match = DDE_USES.match(uses)
        if match is None:
            assert uses in pinned, uses
            continue
        name, commit = match.groups()
        assert commit == installed.commit  # the build that wrote the workflow
        assert git("cat-file", "-e", f"{commit}:actions/{name}/action.yml").returncode == 0
        dde_actions.add(name)
        inner = yaml.safe_load(git("show", f"{commit}:actions/{name}/action.yml").stdout)
        for step in inner["runs"]["steps"]:  # and the actions those actions use
            assert "uses" not in step or step["uses"] in pinned, step["uses"]
    assert dde_actions == {"setup", "node", "audit"}
    assert f"@{installed.commit}" in text and "$/" not in text

    # It is current, and stays so for the hook and the CI check.
    check = run(installed, "generate", "-o", "../../.github/workflows/dde.yml", "--check", cwd=shop)
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip() == ".github/workflows/dde.yml: current"

    # The tools the field trusts accept it as it is.
    shutil.copy(tools.ACTIONLINT_CONFIG, repo / ".github" / "actionlint.yaml")
    failed = tools.lint_workflow(repo, workflow)
    assert not failed, "\n".join(map(str, failed))


@pytest.mark.slow
def test_the_workflow_emulated_job_by_job_passes_its_audit_in_the_users_layout(
    installed: Installed, tmp_path: Path
) -> None:
    repo, workflow = new_repository(tmp_path, installed)
    text = workflow.read_text()
    data = yaml.safe_load(text)
    common: dict[str, Any] = {
        "dde_ci": REPO_ROOT,  # the actions of the pinned commit: this checkout's
        "dde_ci_repositories": (HOME_REPOSITORY,),
        "dde_ci_executable": installed.dde_ci,
    }
    started = datetime.now(UTC)
    pushed = WorkflowRun(data, repo, tmp_path / "push", run_number=7, **common).run()
    results = {job: r.result for job, r in pushed.jobs.items()}
    logs = "\n".join(f"--- {j} ({r.result})\n" + "\n".join(r.log) for j, r in pushed.jobs.items())
    assert results == dict.fromkeys(results, "success"), logs
    iteration = pushed.jobs["setup"].outputs["iteration"]
    assert iteration in {f"Iter-{d:%Y%m%d}-007" for d in (started, datetime.now(UTC))}
    audit = pushed.jobs["audit"].workspaces[0] / "services" / "shop" / "reports" / iteration
    report = yaml.safe_load((audit / "audit.json").read_text())
    assert report["result"] == "PASS", logs
    nodes = load_manifest(repo / "services" / "shop" / "dde.yaml").nodes
    assert sorted(pushed.artifacts) == sorted(
        [f"dde-{iteration}-{node.id}" for node in nodes] + [f"dde-audit-{iteration}"]
    )

    # Another run of the day gets its own id; a fork's pull request runs nothing.
    again = WorkflowRun(data, repo, tmp_path / "again", run_number=8, **common)
    again.workflow = {**data, "jobs": {"setup": data["jobs"]["setup"]}}
    assert again.run().jobs["setup"].outputs["iteration"].endswith("-008")
    fork = WorkflowRun(
        data, repo, tmp_path / "fork", event="pull_request", from_fork=True, **common
    ).run()
    assert {r.result for r in fork.jobs.values()} == {"skipped"}
    assert fork.artifacts == {}


@pytest.mark.slow
def test_a_build_without_git_metadata_refuses_to_write_a_workflow_it_cannot_pin(
    tmp_path: Path,
) -> None:
    source = tmp_path / "source"  # a source archive: the files of a commit, no .git
    source.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", "HEAD"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    built = install_wheel(source, tmp_path / "install")
    assert built.commit == ""
    version = run(built, "--version", cwd=tmp_path).stdout.splitlines()
    assert version == [
        "dde-ci 0.1.0",  # the fallback version (pyproject.toml)
        "home: https://github.com/dde-ci/dde-ci",
        "commit: unknown (built without Git metadata)",
    ]
    repo = tmp_path / "repo"
    (repo / "services" / "shop").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    assert run(built, "init", cwd=repo / "services" / "shop").returncode == 0
    done = run(
        built, "generate", "-o", "../../.github/workflows/dde.yml", cwd=repo / "services" / "shop"
    )
    assert done.returncode == 2
    assert "does not know the commit it was built from" in done.stderr
    assert "add the setting github.action: 'OWNER/dde-ci@<40-hex commit SHA>'" in done.stderr
    assert not (repo / ".github").exists()
    # Named in the manifest, the actions are pinned as given.
    manifest = repo / "services" / "shop" / "dde.yaml"
    sha = git("rev-parse", "HEAD").stdout.strip()
    manifest.write_text(
        manifest.read_text().replace(
            "# github:\n#   action: dde-ci/dde-ci@COMMIT_SHA\n",
            f"github:\n  action: dde-ci/dde-ci@{sha}\n",
        )
    )
    done = run(
        built, "generate", "-o", "../../.github/workflows/dde.yml", cwd=repo / "services" / "shop"
    )
    assert done.returncode == 0, done.stderr
    assert (
        f"uses: dde-ci/dde-ci/actions/node@{sha}"
        in (repo / ".github/workflows/dde.yml").read_text()
    )
