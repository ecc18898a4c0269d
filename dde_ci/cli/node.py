"""``dde-ci node run NODE``: the node step on its own (what each GitHub job runs)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from dde_ci.cli.options import iteration_option, manifest_argument
from dde_ci.cli.output import echo, on_github

if TYPE_CHECKING:
    from dde_ci.node import ContractPublisher


@click.group(
    epilog="""\b
Examples:
  dde-ci node run API.Orders -m examples/shop/dde.yaml --iteration Iter-42
"""
)
def node() -> None:
    """Run one node's step (context, gates, command, contracts, stamps, log)."""


@node.command(
    name="run",
    epilog="""\b
Examples:
  dde-ci node run API.Orders                           in the folder of dde.yaml
  dde-ci node run BE.Orders -m examples/shop/dde.yaml --iteration Iter-42 --run-id 7
  DDE_ITERATION=Iter-42 dde-ci node run TEST.Backend --agent backend-dev
""",
)
@click.argument("node_id", metavar="NODE")
@manifest_argument
@iteration_option
@click.option(
    "--run-id",
    metavar="ID",
    envvar="DDE_RUN_ID",
    show_envvar=True,
    default=None,
    help="Run id for the log (default: GITHUB_RUN_ID on GitHub, else a new one).",
)
@click.option("--agent", metavar="ID", default=None, help="The agent or runner doing the work.")
@click.option("--quiet", "-q", is_flag=True, help="Do not print the command's output.")
@click.option(
    "--github-release",
    is_flag=True,
    help="Publish the contracts an interface node locks as GitHub releases "
    "(GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL).",
)
def run_node(
    node_id: str,
    manifest: str,
    iteration: str | None,
    run_id: str | None,
    agent: str | None,
    quiet: bool,
    github_release: bool,
) -> int:
    """Run NODE of the manifest through the node step, using the files earlier nodes left.

    Dependencies' outputs come from reports/{iteration}/{dependency}/result.json.
    Without --iteration (or DDE_ITERATION) a templated iteration id means the
    latest iteration under reports/.  Exit code 0 when the node COMPLETED, 1 when not.
    """
    from dde_ci.context import find_node
    from dde_ci.layout import Layout
    from dde_ci.log import ExecutionLog
    from dde_ci.manifest.iteration import current_iteration
    from dde_ci.manifest.loader import load_manifest
    from dde_ci.node import NodeStep, run_node_step
    from dde_ci.runner.scheduler import new_run_id

    loaded = load_manifest(manifest)
    target = find_node(loaded, node_id)
    layout = Layout(loaded.root)
    iteration_id = current_iteration(loaded.iteration, layout.reports_dir, option=iteration)
    run = run_id or os.environ.get("GITHUB_RUN_ID") or new_run_id()
    log = ExecutionLog(layout.execution_log(iteration_id), iteration_id, run)
    step = NodeStep(
        manifest=loaded,
        node=target,
        iteration_id=iteration_id,
        run_id=run,
        layout=layout,
        log=log,
        agent_id=agent or os.environ.get("RUNNER_NAME") or None,
        commit=os.environ.get("GITHUB_SHA") or None,
        contract_publisher=_release_publisher() if github_release and target.produces else None,
    )
    outcome = run_node_step(step)
    output = layout.node_dir(iteration_id, target.id) / "output.log"
    if not quiet and output.exists():
        github = on_github()
        if github:
            echo(f"::group::{target.id} output")
        echo(output.read_text("utf-8", "replace").rstrip("\n"))
        if github:
            echo("::endgroup::")
    for warning in outcome.warnings:
        echo(f"warning: {warning}", err=True)
    echo(
        f"{target.id}: {outcome.status} after {outcome.attempts} attempt(s) "
        f"(iteration {iteration_id}, run {run})"
        + (f": {outcome.message}" if outcome.message else "")
    )
    return 0 if outcome.ok else 1


def _release_publisher() -> ContractPublisher:
    from dde_ci.cli.options import github_token
    from dde_ci.contracts.publish import release_publisher
    from dde_ci.errors import InputError
    from dde_ci.github.releases import GitHubReleases

    repo = os.environ.get("GITHUB_REPOSITORY")
    token = github_token()
    if not repo or not token:
        raise InputError("--github-release needs GITHUB_REPOSITORY and GITHUB_TOKEN to be set")
    host = GitHubReleases(repo, token=token, base_url=os.environ.get("GITHUB_API_URL"))
    return release_publisher(host)
