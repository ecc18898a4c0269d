"""``dde-ci log``: query, check and merge execution logs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from dde_ci.cli.options import format_option, manifest_option, output_option, project_root
from dde_ci.cli.output import echo, echo_json, report_diagnostics
from dde_ci.errors import safe_text


def _log_path(manifest: str, iteration: str | None, log_file: str | None) -> Path:
    from dde_ci.errors import NotFound
    from dde_ci.layout import Layout
    from dde_ci.manifest.iteration import latest_iteration

    if log_file:
        from dde_ci.errors import InputError, Location

        path = Path(log_file)
        if path.exists() and not path.is_file():  # /dev/zero would be read forever
            raise InputError("the log is not a regular file", Location(log_file))
        return path
    layout = Layout(project_root(manifest))
    chosen = iteration or latest_iteration(layout.reports_dir)
    if chosen is None:
        raise NotFound(f"no execution log under {layout.reports_dir}; run the manifest first")
    path = layout.execution_log(chosen)
    if not path.exists():
        raise NotFound(f"no execution log for iteration {chosen!r} ({path})")
    return path


log_options = [
    click.option("--iteration", metavar="ID", help="The iteration (default: the latest one)."),
    click.option("--log", "log_file", metavar="FILE", help="Read this log file instead."),
    manifest_option,
]


def _with_log_options(func: Any) -> Any:
    for option in reversed(log_options):
        func = option(func)
    return func


@click.group(
    epilog="""\b
Examples:
  dde-ci log query --node BE.Orders
  dde-ci log query --type gate.failed --since 2h --format json
  dde-ci log check --iteration Iter-42
  dde-ci log merge segments/*.log -o reports/Iter-42/execution.log
"""
)
def log() -> None:
    """Read the execution log (reports/{iteration}/execution.log)."""


def _summary(event: dict[str, Any]) -> str:
    details = event.get("details") or {}
    for key in ("message", "artifact", "gate_name", "contract", "status"):
        if details.get(key):
            return str(details[key])
    return json.dumps(details, ensure_ascii=False)[:120] if details else ""


@log.command(
    epilog="""\b
Examples:
  dde-ci log query
  dde-ci log query --node API.Orders --type node
  dde-ci log query --type artifact.stamped --format json | jq '.[].details.artifact'
  dde-ci log query --since 15m
  dde-ci log query --since 2026-11-27T13:00:00Z --log segment.log
"""
)
@click.option("--node", metavar="NODE", help="Only events of this node.")
@click.option(
    "--type",
    "event_type",
    metavar="TYPE",
    help="Only this event type (node.failed) or family (node, node.*).",
)
@click.option(
    "--since",
    metavar="TIME",
    help="Only events at or after TIME: RFC 3339, a date, or a duration ago (30s, 15m, 2h, 1d).",
)
@_with_log_options
@format_option("text", "json")
@output_option
def query(
    node: str | None,
    event_type: str | None,
    since: str | None,
    iteration: str | None,
    log_file: str | None,
    manifest: str,
    output_format: str,
) -> int:
    """Print the events that match every filter given, oldest first.

    Problems in the log (a torn last line, a line that is not valid JSON or
    fails the schema) are reported on stderr; the other events are printed.
    """
    from dde_ci.log import parse_since, read_log
    from dde_ci.log import query as query_events

    moment = None
    if since:
        try:
            moment = parse_since(since)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--since") from None
    contents = read_log(_log_path(manifest, iteration, log_file))
    report_diagnostics([_as_warning(p) for p in contents.problems])
    events = query_events(contents.events, node=node, type=event_type, since=moment)
    if output_format == "json":
        echo_json(events)
        return 0
    for event in events:
        attempt = f"#{event['attempt']}" if event.get("attempt") else ""
        line = (
            f"{event['timestamp']}  {event['event_type']:<22} {event.get('node_id') or '-':<20}"
            f" {attempt:<4} {_summary(event)}".rstrip()
        )
        echo(safe_text(line))  # one line per event, whatever its text holds
    return 0


def _as_warning(problem: Any) -> Any:
    from dataclasses import replace

    return replace(problem, severity="warning")


@log.command(
    epilog="""\b
Examples:
  dde-ci log check
  dde-ci log check --log reports/Iter-42/execution.log
"""
)
@_with_log_options
def check(iteration: str | None, log_file: str | None, manifest: str) -> int:
    """Check every line of a log against the execution-log schema; exit 1 on any problem."""
    from dde_ci.log import read_log

    path = _log_path(manifest, iteration, log_file)
    contents = read_log(path)
    report_diagnostics(contents.problems)
    state = "ok" if not contents.problems else f"{len(contents.problems)} problem(s)"
    echo(f"{path}: {len(contents.events)} event(s), {state}")
    return 1 if contents.problems else 0


@log.command(
    epilog="""\b
Examples:
  dde-ci log merge node-logs/*/execution.log -o reports/Iter-42/execution.log
"""
)
@click.argument("segments", metavar="SEGMENT...", nargs=-1, required=True)
@click.option("-o", "--output", metavar="FILE", required=True, help="The merged log to write.")
def merge(segments: tuple[str, ...], output: str) -> int:
    """Merge per-node log SEGMENTs into one log ordered by time, each event once.

    Events present in several segments (a job that started from an earlier
    log) are written once.  Unreadable lines are reported and left out.
    """
    from dde_ci.errors import Diagnostic, NotFound
    from dde_ci.log import merge_segments, write_events

    paths = [Path(s) for s in segments]
    for path in paths:
        if not path.is_file():
            raise NotFound(f"log segment {path} not found")
    problems: list[Diagnostic] = []
    events = merge_segments(paths, problems)
    report_diagnostics([_as_warning(p) for p in problems])
    count = write_events(Path(output), events)
    echo(f"merged {len(paths)} segment(s) into {output}: {count} event(s)")
    return 0
