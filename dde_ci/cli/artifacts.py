"""``dde-ci artifacts``: search stamped artifacts; prune old iterations into archives."""

from __future__ import annotations

from typing import Any

import click

from dde_ci.cli.options import format_option, manifest_option, output_option, project_root
from dde_ci.cli.output import echo, echo_json


def _layout(manifest: str) -> Any:
    from dde_ci.layout import Layout

    return Layout(project_root(manifest))


@click.group(
    epilog="""\b
Examples:
  dde-ci artifacts search --node BE.Orders
  dde-ci artifacts search --capability Backend --format json
  dde-ci artifacts prune --keep-iterations 5
  dde-ci artifacts reindex
"""
)
def artifacts() -> None:
    """Find stamped artifacts and keep the artifact store small."""


@artifacts.command(
    epilog="""\b
Examples:
  dde-ci artifacts search
  dde-ci artifacts search --iteration Iter-42 --node API.Orders
  dde-ci artifacts search --capability Backend:Python --format json | jq '.[].stored_at'
"""
)
@click.option("--iteration", metavar="ID", help="Only this iteration.")
@click.option("--node", metavar="NODE", help="Only this node.")
@click.option(
    "--capability",
    metavar="CAP",
    help="Only artifacts of nodes that needed CAP (or a capability under it, e.g. Backend).",
)
@format_option("text", "json")
@output_option
@manifest_option
def search(
    iteration: str | None,
    node: str | None,
    capability: str | None,
    output_format: str,
    manifest: str,
) -> int:
    """List stamped artifacts, newest first, with their metadata and storage path."""
    from dde_ci.artifacts import search as search_index

    rows = search_index(_layout(manifest), iteration=iteration, node=node, capability=capability)
    if output_format == "json":
        echo_json(rows)
        return 0
    if not rows:
        echo("no stamped artifacts match")
        return 0
    header = ("ITERATION", "NODE", "ARTIFACT", "SHA256", "SIZE", "CREATED", "STORED AT")
    table = [
        (
            r["iteration_id"],
            r["node_id"],
            r["artifact"],
            r["sha256"][:12],
            str(r["size"]),
            r["created_at"][:19] + "Z",
            r["stored_at"],
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in [header, *table]) for i in range(len(header))]
    for row in [header, *table]:
        echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0


@artifacts.command(
    epilog="""\b
Examples:
  dde-ci artifacts prune --keep-iterations 5
"""
)
@click.option(
    "--keep-iterations",
    "keep",
    metavar="N",
    type=click.IntRange(min=1),
    required=True,
    help="How many of the newest iterations to keep in the store.",
)
@manifest_option
def prune(keep: int, manifest: str) -> int:
    """Archive every iteration but the newest N into .dde/archive/{iteration}.tar.gz.

    Each archive is read back and checked to hold every file before the
    iteration's folder and its index entries are removed.
    """
    from dde_ci.artifacts import prune as prune_store

    report = prune_store(_layout(manifest), keep)
    for iteration, archive in report.archived.items():
        echo(f"archived {iteration} -> {archive}")
    echo(f"kept {len(report.kept)} iteration(s): {', '.join(report.kept) or '-'}")
    return 0


@artifacts.command(
    epilog="""\b
Examples:
  dde-ci artifacts reindex
"""
)
@manifest_option
def reindex(manifest: str) -> int:
    """Rebuild the search index (.dde/artifact-index.db) from the stamp files."""
    from dde_ci.artifacts import rebuild_index

    report = rebuild_index(_layout(manifest))
    for problem in report.problems:
        echo(f"warning: skipped {problem}", err=True)
    echo(f"indexed {report.indexed} stamp(s)")
    return 0
