"""``dde-ci hook``: Git conventions as hooks (commit-msg, branch-name, pr-title, validate).

The console script runs the first three through :mod:`dde_ci.cli.hook_fast`
without importing click; this group gives them ``--help`` and runs the same
code.  ``validate`` and ``workflow-sync`` find the manifest as the other
hooks do and run ``dde-ci validate`` and ``dde-ci generate --check`` on it.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

HOOK_EPILOG = """\b
Examples:
  dde-ci hook commit-msg .git/COMMIT_EDITMSG
  dde-ci hook branch-name
  dde-ci hook branch-name --branch feature/Iter-20261127-001/API.Orders
  dde-ci hook pr-title "[Iter-20261127-001/API.Orders] add refunds"
  dde-ci hook validate

\b
Install them with pre-commit: write .pre-commit-config.yaml at the root of the
repository, then run `pre-commit install` (docs/conventions.md):
  default_install_hook_types: [pre-commit, commit-msg, pre-push]
  repos:
    - repo: https://github.com/dde-ci/dde-ci
      rev: v0.1.0
      hooks:
        - id: dde-commit-msg
        - id: dde-branch-name
        - id: dde-validate

\b
The manifest is dde.yaml in the current folder or a parent up to the
repository root, else the one dde.yaml Git tracks (e.g. services/shop/dde.yaml);
with several, name one: args: [--manifest, services/shop/dde.yaml].
"""

manifest_option = click.option(
    "-m",
    "--manifest",
    "manifest",
    metavar="PATH",
    envvar="DDE_MANIFEST",
    show_envvar=True,
    help="The manifest with the node ids and conventions (default: dde.yaml here or in "
    "a parent folder up to the repository root, else the one dde.yaml Git tracks).",
)


@click.group(epilog=HOOK_EPILOG)
def hook() -> None:
    """Check Git conventions: commit subjects, branch names and PR titles name a node.

    Exit code 0 when the convention is followed, 1 when not (with the expected
    form and an example built from the manifest's node ids), 2 for bad input.
    `validate` and `workflow-sync` run dde-ci validate and dde-ci generate
    --check on the manifest the hooks find.
    """


def _options(manifest: str | None, branch: str | None = None) -> dict[str, str]:
    out = {}
    if manifest:
        out["manifest"] = manifest
    if branch:
        out["branch"] = branch
    return out


@hook.command(
    "commit-msg",
    epilog="""\b
Examples:
  dde-ci hook commit-msg .git/COMMIT_EDITMSG
  dde-ci hook commit-msg msg.txt --manifest examples/shop/dde.yaml
""",
)
@click.argument("file", type=click.Path(dir_okay=False))
@manifest_option
def commit_msg(file: str, manifest: str | None) -> int:
    """Check that the commit message in FILE starts with [NodeID] (a node of the manifest).

    Merge, revert, fixup!, squash! and amend! commits keep Git's own subjects
    and pass; comment lines (#) are ignored as Git ignores them.
    """
    from dde_ci.cli.hook_fast import run

    return run("commit-msg", file, _options(manifest))


@hook.command(
    "branch-name",
    epilog="""\b
Examples:
  dde-ci hook branch-name
  dde-ci hook branch-name --branch "$GITHUB_HEAD_REF"
""",
)
@click.option("--branch", metavar="NAME", help="Check NAME instead of the checked-out branch.")
@manifest_option
def branch_name(branch: str | None, manifest: str | None) -> int:
    """Check that the current branch is feature/{IterationID}/{NodeID}.

    Long-lived branches (conventions.long_lived_branches: main, master,
    develop, release/*, hotfix/* by default) and a detached HEAD pass.
    """
    from dde_ci.cli.hook_fast import run

    return run("branch-name", None, _options(manifest, branch))


@hook.command(
    "pr-title",
    epilog="""\b
Examples:
  dde-ci hook pr-title "[Iter-20261127-001/API.Orders] add refunds"
  dde-ci hook pr-title "$PR_TITLE"     (in a workflow, with PR_TITLE set through env:)
""",
)
@click.argument("title")
@manifest_option
def pr_title(title: str, manifest: str | None) -> int:
    """Check that a pull-request TITLE is [{IterationID}/{NodeID}] Summary."""
    from dde_ci.cli.hook_fast import run

    return run("pr-title", title, _options(manifest))


@hook.command(
    "validate",
    epilog="""\b
Examples:
  dde-ci hook validate
  dde-ci hook validate --manifest services/shop/dde.yaml
""",
)
@manifest_option
@click.pass_context
def validate_hook(ctx: click.Context, manifest: str | None) -> int:
    """Run `dde-ci validate` on the manifest the hooks find (the dde-validate hook).

    Unlike `dde-ci validate`, which reads dde.yaml in the current folder unless
    told otherwise, this finds the manifest the way the other hooks do, so the
    hook works from the repository root with the manifest in a sub-folder.
    Exit code 0 when valid, 2 when not or when no manifest is found.
    """
    from dde_ci.cli.validate import validate

    found = _found(manifest)
    result = ctx.invoke(validate, manifest=_shown(found))
    return int(result or 0)


@hook.command(
    "workflow-sync",
    epilog="""\b
Examples:
  dde-ci hook workflow-sync
  dde-ci hook workflow-sync -m services/shop/dde.yaml -o .github/workflows/shop.yml
""",
)
@manifest_option
@click.option(
    "--output",
    "-o",
    metavar="FILE",
    default=None,
    help="The committed workflow (default: .github/workflows/dde.yml at the repository root).",
)
@click.pass_context
def workflow_sync(ctx: click.Context, manifest: str | None, output: str | None) -> int:
    """Check the committed workflow is what `dde-ci generate` writes (dde-workflow-sync).

    `dde-ci generate --check` on the manifest the hooks find, so the hook works
    from the repository root with the manifest in a sub-folder. Exit code 0
    when current, 1 (with a diff) when stale or missing, 2 for bad input.
    """
    from dde_ci.cli.generate import generate

    result = ctx.invoke(generate, manifest=_shown(_found(manifest)), output=output, check=True)
    return int(result or 0)


def _found(manifest: str | None) -> str:
    """The manifest the hooks find, or an input error when there is none."""
    from dde_ci.errors import InputError
    from dde_ci.hooks.config import find_manifest

    found = find_manifest(str(Path.cwd()), manifest)
    if found is None:
        raise InputError(
            "no manifest: no dde.yaml here, in a parent folder or tracked by Git; "
            "name it with --manifest PATH"
        )
    return found


def _shown(path: str) -> str:
    return os.path.relpath(path) if Path(path).is_absolute() else path
