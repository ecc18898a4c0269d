"""``dde-ci iteration``: fix the iteration id of a run (the setup job of the workflow runs it)."""

from __future__ import annotations

import click

from dde_ci.cli.options import iteration_option, manifest_argument, output_option
from dde_ci.cli.output import echo, set_step_output


@click.command(
    epilog="""\b
Examples:
  dde-ci iteration                                  the id a new run of dde.yaml would get
  dde-ci iteration -m examples/shop/dde.yaml --iteration Iter-42

Under GitHub Actions {seq} is the workflow's run number, and the id is also
written to $GITHUB_OUTPUT as 'iteration'.
"""
)
@manifest_argument
@iteration_option
@output_option
def iteration(manifest: str, iteration: str | None) -> int:
    """Print the iteration id for a new run of the manifest.

    --iteration (or DDE_ITERATION) wins; else the manifest's 'iteration', a
    fixed id or a template such as Iter-{date:%Y%m%d-%H%M}-{seq:03}.  In a
    GitHub workflow run, {seq} is the run number (GITHUB_RUN_NUMBER), unique
    per run and the same for every attempt of a re-run.
    """
    from dde_ci.layout import Layout
    from dde_ci.manifest.iteration import resolve_iteration
    from dde_ci.manifest.loader import load_manifest

    loaded = load_manifest(manifest)
    iteration_id = resolve_iteration(
        loaded.iteration,
        Layout(loaded.root).reports_dir,
        option=iteration,
        run_number=github_run_number(),
    )
    echo(iteration_id)
    set_step_output("iteration", iteration_id)
    return 0


def github_run_number() -> int | None:
    """The run number of the GitHub workflow run this command runs in (None elsewhere)."""
    import os

    if os.environ.get("GITHUB_ACTIONS") != "true":
        return None
    value = os.environ.get("GITHUB_RUN_NUMBER", "")
    return int(value) if value.isdigit() else None
