"""``dde-ci validate``: check a manifest without running anything."""

from __future__ import annotations

import click

from dde_ci.cli.options import format_option, manifest_argument, output_option
from dde_ci.cli.output import echo, echo_json, report_diagnostics


@click.command(
    epilog="""\b
Examples:
  dde-ci validate
  dde-ci validate -m examples/shop/dde.yaml
  dde-ci validate -m dde.yaml --format json
"""
)
@manifest_argument
@format_option("text", "json")
@output_option
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 2).")
def validate(manifest: str, output_format: str, strict: bool) -> int:
    """Check the manifest: shape, references, cycles and routing.

    Every problem is reported as path:line:col: message, all in one run.
    Exit code 0 when valid, 2 when not.
    """
    from dde_ci.graph import build_graph
    from dde_ci.manifest.loader import load_manifest, manifest_warnings

    loaded = load_manifest(manifest)
    warnings = manifest_warnings(loaded)
    graph = build_graph(loaded)
    if output_format == "json":
        echo_json(
            {
                "valid": not (strict and warnings),
                "manifest": manifest,
                "nodes": len(loaded.nodes),
                "edges": len(graph.edges),
                "warnings": [str(w) for w in warnings],
            }
        )
    else:
        report_diagnostics(warnings)
        echo(
            f"{manifest}: ok: {len(loaded.nodes)} nodes, {len(graph.edges)} edges, "
            f"{len(graph.levels)} levels, {len(loaded.contracts)} contracts"
            + (f", {len(warnings)} warnings" if warnings else "")
        )
    return 2 if strict and warnings else 0
