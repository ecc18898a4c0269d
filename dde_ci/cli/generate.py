"""``dde-ci generate``: write the GitHub Actions workflow of a manifest, or check it is current."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from dde_ci.cli.options import manifest_argument
from dde_ci.cli.output import echo, report_diagnostics
from dde_ci.errors import CheckFailed, Diagnostic, Location


@click.command(
    epilog="""\b
Examples:
  dde-ci generate -o .github/workflows/dde.yml           write the workflow of dde.yaml
  dde-ci generate -m examples/shop/dde.yaml              print it
  dde-ci generate -m services/shop/dde.yaml -o .github/workflows/shop.yml
                                                         a manifest in a sub-folder
  dde-ci generate -o .github/workflows/dde.yml --check   exit 1 (with a diff) when stale

The workflow must live in .github/workflows/ at the repository root (the
manifest may be in a sub-folder).  It runs one job per node (twins share a
matrix job) on the runner labels capability routing chooses, then an audit job
to require in branch protection (status dde/audit).  The dde-ci actions are
pinned to this dde-ci build's commit (dde-ci --version), or to the manifest's
github.action.  See docs/github.md.
"""
)
@manifest_argument
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    default=None,
    help="Workflow file to write (default: print it; with --check: .github/workflows/dde.yml).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 and show a diff when the file differs from the manifest's.",
)
@click.option(
    "--root",
    type=click.Path(file_okay=False),
    default=None,
    help="The repository root GitHub checks out (default: the Git work tree of the manifest).",
)
def generate(manifest: str, output: str | None, check: bool, root: str | None) -> int:
    """Generate the GitHub Actions workflow that runs the manifest.

    Paths in the workflow are relative to the repository root.  The output is
    deterministic: the same manifest always gives the same bytes.
    """
    from dde_ci.build import this_build
    from dde_ci.github.workflow import (
        DEFAULT_OUTPUT,
        check_output_location,
        generate_workflow,
        read_committed,
        repository_root,
        resolve_action,
        stale_diff,
        workflow_options,
        write_workflow,
    )
    from dde_ci.manifest.loader import load_manifest, manifest_warnings

    loaded = load_manifest(manifest)
    report_diagnostics(manifest_warnings(loaded))
    base = Path(root) if root else repository_root(loaded.root)
    target = Path(output) if output else (base / DEFAULT_OUTPUT if check else None)
    if target is not None:
        check_output_location(target, base)
    options = workflow_options(Path(manifest), target or base / DEFAULT_OUTPUT, base)
    build = this_build()
    options = replace(options, action=resolve_action(loaded, base, build))
    generated = generate_workflow(loaded, options)
    if build.modified and options.action.sha == build.commit:
        message = (
            f"this dde-ci was built with uncommitted changes; the workflow pins the dde-ci "
            f"actions to its commit {build.commit}, which does not have them"
        )
        report_diagnostics([Diagnostic(message, Location(manifest), "warning")])

    if target is None:
        echo(generated.text.rstrip("\n"))
        return 0
    shown = options.output_path
    if check:
        committed = read_committed(target)
        if committed == generated.text:
            echo(f"{shown}: current")
            return 0
        if committed is None:
            raise CheckFailed(
                f"{shown} does not exist; write it with "
                f"'dde-ci generate -m {options.manifest_path} -o {shown}'",
                Location(shown),
            )
        echo(stale_diff(committed, generated.text, shown).rstrip("\n"))
        raise CheckFailed(
            f"{shown} is stale: it differs from what {options.manifest_path} gives; "
            f"update it with 'dde-ci generate -m {options.manifest_path} -o {shown}'",
            Location(shown),
        )
    changed = write_workflow(generated, target)
    plan = generated.plan
    matrices = sum(1 for job in plan.jobs if job.is_matrix)
    echo(
        f"{shown}: {'written' if changed else 'unchanged'}: {len(plan.jobs)} node jobs "
        f"({matrices} matrix) for {len(plan.job_of)} nodes, {generated.size / 1000:.0f} KB"
    )
    if plan.grouping == "levels":
        from dde_ci.github.workflow import simulate_makespan
        from dde_ci.graph import build_graph

        graph = build_graph(loaded)
        span = simulate_makespan(plan, graph.weights)
        echo(
            "one job per node would exceed GitHub's 500 KB, so the nodes of each depth level "
            f"share matrix jobs: every dependency holds; the makespan by estimated_effort is "
            f"{span:g} against a critical path of {graph.critical_path_length:g}"
        )
    return 0
