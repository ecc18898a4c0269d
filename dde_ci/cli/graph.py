"""``dde-ci graph``: draw the dependency graph or print it as JSON."""

from __future__ import annotations

import click

from dde_ci.cli.options import format_option, manifest_argument, output_option
from dde_ci.cli.output import echo, echo_json


@click.command(
    epilog="""\b
Examples:
  dde-ci graph                                  levels and critical path of dde.yaml
  dde-ci graph --format mermaid --fenced        a block to paste into a PR comment
  dde-ci graph -m examples/shop/dde.yaml --format dot | dot -Tsvg > graph.svg
  dde-ci graph --format json | jq .critical_path
"""
)
@manifest_argument
@format_option("text", "mermaid", "dot", "json")
@output_option
@click.option("--full", is_flag=True, help="Draw every edge, not only the transitive reduction.")
@click.option(
    "--fenced",
    is_flag=True,
    help="Wrap the output in a Markdown code block (```mermaid ... ```), ready to paste "
    "into a comment.",
)
def graph(manifest: str, output_format: str, full: bool, fenced: bool) -> int:
    """Print the dependency graph of the manifest as text, Mermaid, DOT or JSON.

    Text lists the nodes level by level (a level's nodes can run at once) and
    the critical path.  JSON has nodes (id, type, capabilities, runs_on),
    edges, a topological order, levels and the critical path by
    estimated_effort.
    """
    if fenced:
        echo(f"```{'' if output_format == 'text' else output_format}")
    _print_graph(manifest, output_format, full)
    if fenced:
        echo("```")
    return 0


def _print_graph(manifest: str, output_format: str, full: bool) -> None:
    from dde_ci.graph import build_graph
    from dde_ci.manifest.loader import load_manifest
    from dde_ci.pictures import dot_graph, mermaid_graph
    from dde_ci.routing import Unroutable, route_runner

    loaded = load_manifest(manifest)
    g = build_graph(loaded)
    if output_format == "json":
        nodes = []
        for node in loaded.nodes:
            try:
                runs_on: list[str] | None = route_runner(loaded, node).labels
            except Unroutable:
                runs_on = None
            nodes.append(
                {
                    "id": node.id,
                    "type": node.type.value,
                    "capabilities": [c.name for c in node.capabilities],
                    "runs_on": runs_on,
                }
            )
        echo_json(
            {
                "nodes": nodes,
                "edges": [list(e) for e in g.edges],
                "order": g.order,
                "levels": g.levels,
                "critical_path": g.critical_path,
            }
        )
    elif output_format == "text":
        echo(
            f"{len(loaded.nodes)} nodes, {len(g.edges)} edges, {len(g.levels)} levels; "
            "the nodes of a level can run at once"
        )
        for number, level in enumerate(g.levels):
            echo(f"  level {number}: {', '.join(level)}")
        echo(f"critical path: {' -> '.join(g.critical_path)}")
    elif output_format == "dot":
        shapes = {n.id: "component" for n in loaded.nodes if n.type.value == "interface"}
        echo(dot_graph(g, shapes=shapes, reduced=not full).rstrip("\n"))
    else:
        classes = {n.id: "interface" for n in loaded.nodes if n.type.value == "interface"}
        labels = {n.id: f"{n.id}<br/>{n.type.value}" for n in loaded.nodes}
        echo(mermaid_graph(g, labels=labels, classes=classes, reduced=not full).rstrip("\n"))
