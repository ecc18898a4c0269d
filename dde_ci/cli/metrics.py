"""``dde-ci metrics``: durations, queue waits, retries, efficiency and critical paths of a run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from dde_ci.cli.options import format_option, manifest_option, output_option
from dde_ci.cli.output import echo, echo_json

if TYPE_CHECKING:
    from dde_ci.metrics import RunMetrics


@click.command(
    epilog="""\b
Examples:
  dde-ci metrics                                    the latest run of dde.yaml
  dde-ci metrics r20261127T135501-3f9a1c --format prometheus
  dde-ci metrics --log reports/Iter-42/execution.log --format markdown >> summary.md
"""
)
@click.argument("run_id", required=False)
@click.option(
    "--log",
    "log_file",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="Read this execution log instead of finding the run's log through the state database.",
)
@manifest_option
@format_option("text", "json", "prometheus", "markdown")
@output_option
def metrics(run_id: str | None, log_file: str | None, manifest: str, output_format: str) -> int:
    """Metrics of RUN_ID (default: the latest run), computed from the execution log.

    Total duration, per-node execution time and queue wait (ready to running),
    gate pass rate, retries per node, parallel efficiency (sum of node times /
    (makespan x WIP)) and the planned vs the actual critical path.
    'prometheus' is the OpenMetrics text format.
    """
    from dde_ci.cli.output import report_diagnostics
    from dde_ci.log import read_log
    from dde_ci.metrics import compute_metrics

    if log_file is not None:
        path = Path(log_file)
    else:
        from dde_ci.runner.scheduler import manifest_layout
        from dde_ci.runner.state import StateStore

        layout = manifest_layout(Path(manifest))
        with StateStore(layout.state_db, create=False) as store:
            record = store.run(run_id) if run_id else store.latest_run()
        run_id = record.run_id
        path = layout.execution_log(record.iteration_id)
    contents = read_log(path)
    report_diagnostics([type(p)(p.message, p.location, "warning") for p in contents.problems])
    print_metrics(compute_metrics(contents.events, run_id), output_format)
    return 0


def print_metrics(result: RunMetrics, output_format: str) -> None:
    """Print metrics as text, json, prometheus (OpenMetrics text) or markdown (local or
    GitHub run)."""
    from dde_ci.metrics import to_markdown, to_openmetrics

    if output_format == "text":
        echo(metrics_text(result))
    elif output_format == "json":
        echo_json(result.to_json())
    elif output_format == "prometheus":
        echo(to_openmetrics(result).rstrip("\n"))
    else:
        echo(to_markdown(result).rstrip("\n"))


def metrics_text(result: RunMetrics) -> str:
    """The metrics for a person on a terminal: a summary, then one line per node."""

    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}s"

    def percent(value: float | None) -> str:
        return "-" if value is None else f"{value:.0%}"

    def path(nodes: list[str]) -> str:
        return f"{' -> '.join(nodes) or '-'} ({seconds(result.path_seconds(nodes))})"

    lines = [
        f"run {result.run_id} ({result.state or 'unknown'}), iteration {result.iteration_id}",
        f"  total duration         {seconds(result.total_duration_seconds)}",
        f"  WIP limit              {result.wip_limit or '-'}",
        f"  parallel efficiency    {percent(result.parallel_efficiency)}",
        f"  gate pass rate         {percent(result.gate_pass_rate)}",
        f"  retries                {sum(n.retries for n in result.nodes)}",
        f"  planned critical path  {path(result.planned_critical_path)}",
        f"  actual critical path   {path(result.actual_critical_path)}",
    ]
    width = max((len(n.node_id) for n in result.nodes), default=4)
    lines.append(f"  {'node':<{width}}  status     execution  queue wait  attempts")
    for n in result.nodes:
        lines.append(
            f"  {n.node_id:<{width}}  {n.status or '-':<9}  {seconds(n.execution_seconds):>9}  "
            f"{seconds(n.queue_wait_seconds):>10}  {n.attempts:>8}"
        )
    return "\n".join(lines)
