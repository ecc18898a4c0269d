"""``dde-ci context NODE``: build, write and print a node's context."""

from __future__ import annotations

import click

from dde_ci.cli.options import iteration_option, manifest_argument, output_option
from dde_ci.cli.output import echo


@click.command(
    epilog="""\b
Examples:
  dde-ci context BE.Orders -m examples/shop/dde.yaml --iteration Iter-42
  dde-ci context API.Orders | jq .locked_contracts
  dde-ci context API.Orders --no-write -o /tmp/context.json
"""
)
@click.argument("node_id", metavar="NODE")
@manifest_argument
@iteration_option
@output_option
@click.option("--run-id", metavar="ID", envvar="DDE_RUN_ID", default=None, help="Run id to record.")
@click.option("--agent", metavar="ID", default=None, help="The assigned agent to record.")
@click.option(
    "--no-write", is_flag=True, help="Only print; do not write reports/{it}/{node}/context.json."
)
def context(
    node_id: str,
    manifest: str,
    iteration: str | None,
    run_id: str | None,
    agent: str | None,
    no_write: bool,
) -> int:
    """Print the context NODE is given as DDE_CONTEXT, as JSON (and write it to its
    context.json).

    It holds the iteration and node ids, each dependency's outputs and
    artifacts (from their result.json), the locked contracts with their
    location and digest, the attached quality gates, the acceptance criteria,
    the estimated effort and the assigned agent.  Schema: schemas/context.schema.json.
    """
    from dde_ci.context import build_context, context_json, write_context
    from dde_ci.layout import Layout
    from dde_ci.manifest.iteration import current_iteration
    from dde_ci.manifest.loader import load_manifest

    loaded = load_manifest(manifest)
    layout = Layout(loaded.root)
    iteration_id = current_iteration(loaded.iteration, layout.reports_dir, option=iteration)
    data = build_context(
        loaded, node_id, layout, iteration_id=iteration_id, run_id=run_id, agent_id=agent
    )
    if not no_write:
        path = write_context(data, layout.context_file(iteration_id, node_id))
        echo(f"wrote {path}", err=True)
    echo(context_json(data))
    return 0
