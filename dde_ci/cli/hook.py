"""``dde-ci hook``: Git conventions as hooks (commit-msg, branch-name, pr-title).

The console script runs these through :mod:`dde_ci.cli.hook_fast` without
importing click; this group gives them ``--help`` and runs the same code.
"""

from __future__ import annotations

import click

HOOK_EPILOG = """\b
Examples:
  dde-ci hook commit-msg .git/COMMIT_EDITMSG
  dde-ci hook branch-name
  dde-ci hook branch-name --branch feature/Iter-20261127-001/API.Orders
  dde-ci hook pr-title "[Iter-20261127-001/API.Orders] add refunds"

\b
Install them with pre-commit (.pre-commit-config.yaml):
  - repo: https://github.com/dde-ci/dde-ci
    rev: v0.1.0
    hooks: [{id: dde-commit-msg}, {id: dde-branch-name}, {id: dde-validate}]
"""

manifest_option = click.option(
    "-m",
    "--manifest",
    metavar="PATH",
    envvar="DDE_MANIFEST",
    show_envvar=True,
    help="The manifest with the node ids and conventions "
    "(default: dde.yaml here or in a parent folder up to the repository root).",
)


@click.group(epilog=HOOK_EPILOG)
def hook() -> None:
    """Check Git conventions: commit subjects, branch names and PR titles name a node.

    Exit code 0 when the convention is followed, 1 when not (with the expected
    form and an example built from the manifest's node ids), 2 for bad input.
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
