"""``dde-ci gate``: check gate files, list a node's gates, evaluate them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from dde_ci.cli.options import (
    format_option,
    iteration_option,
    manifest_argument,
    output_option,
    run_id_option,
)
from dde_ci.cli.output import (
    annotation,
    append_step_summary,
    echo,
    echo_json,
    on_github,
)

if TYPE_CHECKING:
    from dde_ci.manifest.models import Manifest, Node


@click.group(
    epilog="""\b
Examples:
  dde-ci gate check gates.yaml
  dde-ci gate list -m examples/shop/dde.yaml --node TEST.Backend
  dde-ci gate run TEST.Backend -m examples/shop/dde.yaml --phase post --iteration Iter-1
  dde-ci gate run BE.Orders --phase post --format sarif > gates.sarif
"""
)
def gate() -> None:
    """Quality gates: check gate files, list attached gates, evaluate a node's gates."""


@gate.command(
    "check",
    epilog="""\b
Examples:
  dde-ci gate check gates.yaml
  dde-ci gate check gates.yaml qa/security-gates.yaml --format json

Exit codes: 0 valid, 2 invalid (every problem printed as path:line:col: message).
""",
)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@format_option("text", "json")
@output_option
def check(files: tuple[str, ...], output_format: str) -> int:
    """Validate gate FILES: shape, evaluators, conditions and metric names."""
    from pathlib import Path

    from dde_ci.errors import DdeError, ValidationError
    from dde_ci.gates.definitions import load_gate_file

    problems = []
    summary = []
    for file in files:
        try:
            gates = load_gate_file(Path(file), display=file)
        except DdeError as exc:
            problems.extend(exc.diagnostics)
            continue
        summary.append({"file": file, "gates": [g.name for g in gates]})
    if problems:
        raise ValidationError(problems)
    if output_format == "json":
        echo_json({"valid": True, "files": summary})
    else:
        for item in summary:
            names = ", ".join(item["gates"])
            echo(f"{item['file']}: ok: {len(item['gates'])} gates ({names})")
    return 0


@gate.command(
    "list",
    epilog="""\b
Examples:
  dde-ci gate list
  dde-ci gate list -m examples/shop/dde.yaml --node BE.Orders --format json
""",
)
@manifest_argument
@click.option("--node", "node_id", metavar="NODE", help="Only this node.")
@format_option("text", "json")
@output_option
def list_gates(manifest: str, node_id: str | None, output_format: str) -> int:
    """Show the gates attached to each node of the manifest, in evaluation order."""
    from dde_ci.gates import context_entries
    from dde_ci.manifest.loader import load_manifest

    loaded = load_manifest(manifest)
    nodes = [_node(loaded, node_id)] if node_id else loaded.nodes
    table = {n.id: context_entries(loaded, n) for n in nodes}
    if output_format == "json":
        echo_json(table)
        return 0
    for nid, entries in table.items():
        echo(f"{nid}:" + ("" if entries else " (no gates)"))
        for e in entries:
            echo(f"  {e['phase']:4} {e['severity']:8} {e['name']}: {e['threshold']}")
    return 0


@gate.command(
    "run",
    epilog="""\b
Examples:
  dde-ci gate run TEST.Backend --phase post --iteration Iter-20261127-001
  dde-ci gate run DEPLOY.Staging -m examples/shop/dde.yaml --phase pre --format markdown
  dde-ci gate run BE.Orders --phase post --format sarif > gates.sarif

Writes reports/{iteration}/{node}/gates.json and gate.* events to the execution log.
Without --iteration (or DDE_ITERATION) a templated iteration id means the latest
iteration under reports/ (the one that ran), not a new id.
Exit codes: 0 no blocking gate failed, 1 a blocking gate failed, 2 bad input.
""",
)
@click.argument("node_id", metavar="NODE")
@manifest_argument
@click.option(
    "--phase",
    type=click.Choice(["pre", "post"]),
    required=True,
    help="pre: before the node's command; post: after it.",
)
@iteration_option
@run_id_option
@format_option("text", "json", "markdown", "sarif")
@output_option
def run(
    node_id: str,
    manifest: str,
    phase: str,
    iteration: str | None,
    run_id: str | None,
    output_format: str,
) -> int:
    """Evaluate NODE's PHASE gates, record them and print a report."""

    from dde_ci import __version__
    from dde_ci.gates import evaluate_node_gates
    from dde_ci.gates.report import annotation_items, dumps, render_markdown, render_sarif
    from dde_ci.layout import Layout
    from dde_ci.log import ExecutionLog
    from dde_ci.manifest.iteration import current_iteration
    from dde_ci.manifest.loader import load_manifest
    from dde_ci.results import NodeRun

    loaded = load_manifest(manifest)
    node = _node(loaded, node_id)
    layout = Layout(loaded.root)
    iteration_id = current_iteration(loaded.iteration, layout.reports_dir, option=iteration)
    log = ExecutionLog(layout.execution_log(iteration_id), iteration_id, run_id)
    context_file = layout.context_file(iteration_id, node.id)
    run = NodeRun(
        manifest=loaded,
        node=node,
        layout=layout,
        iteration_id=iteration_id,
        run_id=run_id or "",
        log=log,
        context_path=context_file if context_file.exists() else None,
    )
    outcome = evaluate_node_gates(run, phase)
    markdown = render_markdown(node.id, phase, outcome.results)
    if output_format == "text":
        text = (
            "\n".join(
                f"{r.status:<8} {r.phase:<4} {r.severity:<8} {r.gate_name}: {r.message}"
                for r in outcome.results
            )
            or f"{node.id}: no {phase} gates attached"
        )
    elif output_format == "json":
        text = dumps(outcome.to_json(iteration_id))
    elif output_format == "markdown":
        text = markdown
    else:
        text = dumps(render_sarif(outcome.results, __version__))
    echo(text.rstrip("\n"))
    if on_github():  # on stderr, so a JSON or SARIF report on stdout stays valid
        for level, message, loc in annotation_items(outcome.results):
            echo(
                annotation(
                    level,
                    message,
                    file=loc.path if loc else None,
                    line=loc.line if loc else 0,
                    title=f"dde-ci gate ({node.id})",
                ),
                err=True,
            )
        append_step_summary(markdown)
    if outcome.blocked:
        echo(f"error: {outcome.message}", err=True)
        return 1
    for warning in outcome.warnings:
        echo(f"warning: {warning}", err=True)
    return 0


def _node(manifest: Manifest, node_id: str) -> Node:
    from dde_ci.errors import NotFound, did_you_mean

    if not manifest.has_node(node_id):
        raise NotFound(
            f"no node {node_id!r} in {manifest.path.name}{did_you_mean(node_id, manifest.node_ids)}"
        )
    return manifest.node(node_id)
