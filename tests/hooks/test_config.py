"""Which manifest the hooks use: up from the current folder, else the one Git tracks."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dde_ci.cli.hook_fast import run_hook
from dde_ci.cli.main import main
from dde_ci.errors import InputError
from dde_ci.hooks.config import find_manifest, tracked_manifests

MANIFEST = """\
version: "1"
workflow: demo
iteration: It-7
nodes:
  - id: API.Orders
    type: action
  - id: BE.Orders
    type: implementation
    depends_on: [API.Orders]
"""


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, capture_output=True, check=True)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose manifest is in a sub-folder, at its root as pre-commit runs hooks."""
    root = tmp_path / "repo"
    (root / "services" / "shop").mkdir(parents=True)
    git(root, "init", "-q", "-b", "feature/It-7/BE.Orders")
    (root / "services" / "shop" / "dde.yaml").write_text(MANIFEST)
    git(root, "add", "services/shop/dde.yaml")
    monkeypatch.chdir(root)
    return root


def test_the_one_tracked_manifest_is_found_from_the_root(repo: Path) -> None:
    assert find_manifest(str(repo)) == str(repo / "services" / "shop" / "dde.yaml")
    assert tracked_manifests(str(repo)) == ["services/shop/dde.yaml"]


def test_a_manifest_up_the_tree_comes_first_and_explicit_wins(repo: Path) -> None:
    (repo / "docs").mkdir()
    (repo / "dde.yaml").write_text(MANIFEST)  # untracked, but where git finds .git
    assert find_manifest(str(repo / "docs")) == str(repo / "dde.yaml")
    assert find_manifest(str(repo), "other/dde.yaml") == "other/dde.yaml"
    shop = repo / "services" / "shop"
    assert find_manifest(str(shop)) == str(shop / "dde.yaml")


def test_untracked_manifests_elsewhere_are_not_guessed(repo: Path) -> None:
    git(repo, "rm", "-q", "-f", "--cached", "services/shop/dde.yaml")
    assert find_manifest(str(repo)) is None


def test_several_tracked_manifests_ask_for_one(repo: Path) -> None:
    (repo / "services" / "cart").mkdir()
    (repo / "services" / "cart" / "dde.yaml").write_text(MANIFEST)
    git(repo, "add", "services/cart/dde.yaml")
    with pytest.raises(InputError) as caught:
        find_manifest(str(repo))
    assert str(caught.value) == (
        "no dde.yaml here or in a parent folder, and Git tracks 2: services/cart/dde.yaml, "
        "services/shop/dde.yaml; name one with --manifest PATH (in .pre-commit-config.yaml: "
        "args: [--manifest, services/cart/dde.yaml])"
    )
    assert run_hook(["branch-name"]) == 2
    assert run_hook(["branch-name", "--manifest", "services/shop/dde.yaml"]) == 0


def test_dde_manifest_and_the_short_option_name_the_manifest(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DDE_MANIFEST", "elsewhere/dde.yaml")
    assert find_manifest(str(repo)) == "elsewhere/dde.yaml"
    assert run_hook(["branch-name"]) == 2
    assert "elsewhere/dde.yaml: manifest not found" in capsys.readouterr().err
    assert run_hook(["branch-name", "-m", "services/shop/dde.yaml"]) == 0
    assert main(["hook", "validate", "-m", "services/shop/dde.yaml"]) == 0


def test_outside_git_there_is_no_manifest(tmp_path: Path) -> None:
    assert find_manifest(str(tmp_path)) is None
    assert tracked_manifests(str(tmp_path)) == []


def test_hooks_check_node_ids_of_the_manifest_in_a_sub_folder(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message = repo / ".git" / "COMMIT_EDITMSG"
    message.write_text("[BE.Orders] add refunds\n")
    assert run_hook(["commit-msg", str(message)]) == 0
    message.write_text("[BE.Order] add refunds\n")
    assert run_hook(["commit-msg", str(message)]) == 1
    err = capsys.readouterr().err
    assert "unknown node 'BE.Order' in services/shop/dde.yaml (did you mean 'BE.Orders'?)" in err
    assert run_hook(["branch-name"]) == 0


def test_validate_hook_validates_the_manifest_the_hooks_find(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["hook", "validate"]) == 0
    assert capsys.readouterr().out.startswith("services/shop/dde.yaml: ok: 2 nodes, 1 edges")
    (repo / "services" / "shop" / "dde.yaml").write_text(MANIFEST.replace("[API.Orders]", "[Nope]"))
    assert main(["hook", "validate"]) == 2
    assert "services/shop/dde.yaml:" in capsys.readouterr().err
    git(repo, "rm", "-q", "-f", "--cached", "services/shop/dde.yaml")
    assert main(["hook", "validate"]) == 2
    assert "no manifest: no dde.yaml here, in a parent folder or tracked by Git" in (
        capsys.readouterr().err
    )
    (repo / "services" / "shop" / "dde.yaml").write_text(MANIFEST)
    assert main(["hook", "validate", "--manifest", "services/shop/dde.yaml"]) == 0


def test_workflow_sync_hook_checks_the_workflow_of_the_manifest_the_hooks_find(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "services" / "shop" / "dde.yaml").write_text(
        MANIFEST
        + "settings: {default_runs_on: [ubuntu-latest]}\n"
        + "github:\n  action: acme/dde-ci@0123456789abcdef0123456789abcdef01234567\n"
        + "  action_version: v0.1.0\n"
    )
    assert main(["hook", "workflow-sync"]) == 1  # not generated yet
    assert ".github/workflows/dde.yml does not exist" in capsys.readouterr().err
    workflow = repo / ".github" / "workflows" / "dde.yml"
    assert main(["generate", "-m", "services/shop/dde.yaml", "-o", str(workflow)]) == 0
    capsys.readouterr()
    assert main(["hook", "workflow-sync"]) == 0
    assert capsys.readouterr().out == ".github/workflows/dde.yml: current\n"
    workflow.write_text(workflow.read_text() + "# edited\n")
    assert main(["hook", "workflow-sync"]) == 1
    assert "is stale" in capsys.readouterr().err
    moved = repo / ".github" / "workflows" / "shop.yml"
    workflow.rename(moved)
    assert main(["hook", "workflow-sync", "-o", ".github/workflows/shop.yml"]) == 1
    assert main(["generate", "-m", "services/shop/dde.yaml", "-o", str(moved)]) == 0
    assert main(["hook", "workflow-sync", "-o", ".github/workflows/shop.yml"]) == 0
