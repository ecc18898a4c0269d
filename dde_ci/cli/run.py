"""``dde-ci run``, ``status``, ``pause``, ``resume``, ``retry``, ``cancel``: the local runner."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from dde_ci.cli.options import (
    F,
    format_option,
    iteration_option,
    manifest_argument,
    manifest_option,
    output_option,
)
from dde_ci.cli.output import echo, echo_json

if TYPE_CHECKING:
    from dde_ci.runner.scheduler import Listener, RunSummary
    from dde_ci.runner.webhook import WebhookSink


def _webhook(url: str | None, source: str) -> WebhookSink | None:
    if not url:
        return None
    from dde_ci.runner.webhook import WebhookSink

    return WebhookSink(url, source=source, secret=os.environ.get("DDE_WEBHOOK_SECRET") or None)


def _execute(
    start: Any,
    progress: bool,
    webhook: WebhookSink | None,
    total: int | None,
    tail: Callable[[str], list[str]] | None,
) -> RunSummary:
    """Run ``start(listeners)`` with the progress view and the webhook attached."""
    from dde_ci.cli.progress import make_progress

    listeners: list[Listener] = []
    view = make_progress(enabled=progress, total=total, tail=tail)
    listeners.append(view.on_event)
    if webhook is not None:
        listeners.append(webhook)
    try:
        with view:
            summary: RunSummary = start(listeners)
    finally:
        if webhook is not None:
            stats = webhook.close()
            if stats.failed or stats.dropped:
                echo(
                    f"warning: webhook: {stats.sent} events sent, {stats.failed} failed, "
                    f"{stats.dropped} dropped (the execution log has every event)",
                    err=True,
                )
    return summary


def _tail(root: Path, iteration_id: str, quiet: bool) -> Callable[[str], list[str]] | None:
    """The last 20 lines of a node's output, for the line of a failed node (None: quiet)."""
    if quiet:
        return None
    from dde_ci.layout import Layout
    from dde_ci.results import output_tail

    layout = Layout(root)
    return lambda node_id: output_tail(layout.node_dir(iteration_id, node_id) / "output.log")


def execution_options(func: F) -> F:
    """The options of every command that runs nodes here (run, resume, retry)."""
    for option in reversed(
        (
            click.option(
                "--events-webhook",
                metavar="URL",
                default=None,
                help="Also POST each event as a CloudEvent (signed when DDE_WEBHOOK_SECRET "
                "is set).",
            ),
            click.option(
                "--grace",
                type=click.FloatRange(0, 3600),
                default=5.0,
                show_default=True,
                help="Seconds between SIGTERM and SIGKILL when a node is cancelled or times out.",
            ),
            click.option(
                "--no-progress", is_flag=True, help="Plain lines instead of the live view."
            ),
            click.option(
                "--quiet",
                "-q",
                is_flag=True,
                help="Do not show the last output lines of a failed node.",
            ),
        )
    ):
        func = option(func)
    return func


def _report(summary: RunSummary, manifest_hint: str) -> int:
    counts = ", ".join(f"{v} {k.lower()}" for k, v in summary.counts.items() if v)
    echo(
        f"run {summary.run_id} {summary.state} in {summary.duration_seconds:.1f}s "
        f"(iteration {summary.iteration_id}): {counts}"
    )
    if summary.failed:
        echo(f"failed: {', '.join(summary.failed)}", err=True)
        if summary.state == "FAILED":
            echo(f"run them again with 'dde-ci retry {summary.run_id}'", err=True)
    if summary.state == "CANCELLED":
        again = f"dde-ci run -m {manifest_hint}"
        echo(f"resume is not possible after cancel; start again with '{again}'")
    return summary.exit_code


@click.command(
    epilog="""\b
Examples:
  dde-ci run                                   run dde.yaml, 4 nodes at a time
  dde-ci run -m examples/shop/dde.yaml --jobs 2
  dde-ci run --iteration Iter-42 --no-progress
  DDE_WEBHOOK_SECRET=s3cret dde-ci run --events-webhook http://127.0.0.1:8080/events
Then, from another terminal:
  dde-ci status            dde-ci pause RUN_ID   dde-ci resume RUN_ID   dde-ci cancel RUN_ID
"""
)
@manifest_argument
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 1000),
    default=None,
    help="WIP limit: nodes running at once (default: settings.wip_limit).",
)
@iteration_option
@click.option("--run-id", metavar="ID", default=None, help="Use this run id (default: a new one).")
@execution_options
def run(
    manifest: str,
    jobs: int | None,
    iteration: str | None,
    run_id: str | None,
    events_webhook: str | None,
    grace: float,
    no_progress: bool,
    quiet: bool,
) -> int:
    """Run every node of the manifest on this machine, critical path first.

    Prints the run id; 'dde-ci status', 'pause', 'resume', 'retry' and 'cancel'
    take it.  A failed node's line is followed by the last 20 lines of its output
    (--quiet hides them).  One run at a time in a folder: a second one is refused.
    Exit code 0 when every node completed, 1 when one failed, 130 when cancelled.
    """
    from dde_ci.layout import Layout, segment
    from dde_ci.manifest.iteration import resolve_iteration
    from dde_ci.manifest.loader import load_manifest
    from dde_ci.runner.scheduler import start_run

    loaded = load_manifest(manifest)
    if run_id is not None:
        segment(run_id, "run id")
    iteration_id = resolve_iteration(
        loaded.iteration, Layout(loaded.root).reports_dir, option=iteration
    )
    webhook = _webhook(events_webhook, f"urn:dde-ci:{loaded.workflow}")

    def announce(new_id: str) -> None:
        echo(f"run {new_id} started: iteration {iteration_id}, {len(loaded.nodes)} nodes")

    summary = _execute(
        lambda listeners: start_run(
            loaded,
            iteration_id=iteration_id,
            jobs=jobs,
            run_id=run_id,
            listeners=listeners,
            on_start=announce,
            grace=grace,
        ),
        not no_progress,
        webhook,
        len(loaded.nodes),
        _tail(loaded.root, iteration_id, quiet),
    )
    return _report(summary, manifest)


def _store(manifest: str) -> Any:
    from dde_ci.runner.scheduler import manifest_layout
    from dde_ci.runner.state import StateStore

    layout = manifest_layout(Path(manifest))
    return layout, StateStore(layout.state_db, create=False)


@click.command(
    epilog="""\b
Examples:
  dde-ci status                           the latest run of dde.yaml
  dde-ci status r20261127T135501-3f9a1c --format json
  dde-ci status -m examples/shop/dde.yaml
"""
)
@click.argument("run_id", required=False)
@manifest_option
@format_option("text", "json")
@output_option
def status(run_id: str | None, manifest: str, output_format: str) -> int:
    """Show the state of RUN_ID (default: the latest run) and of each of its nodes."""
    from dde_ci.runner.control import runner_alive

    layout, store = _store(manifest)
    with store:
        record = store.run(run_id) if run_id else store.latest_run()
        nodes = store.nodes(record.run_id)
    alive = runner_alive(layout, record.run_id)
    if output_format == "json":
        echo_json(
            {
                **record.to_json(),
                "runner_alive": alive,
                "nodes": [n.to_json() for n in nodes],
            }
        )
        return 0
    counts: dict[str, int] = {}
    for n in nodes:
        counts[n.state] = counts.get(n.state, 0) + 1
    echo(
        f"run {record.run_id}: {record.state} (iteration {record.iteration_id}, "
        f"workflow {record.workflow}, WIP {record.jobs})"
        + (
            ""
            if alive or record.state not in ("RUNNING", "PAUSED")
            else f" -- no runner is running it; 'dde-ci resume {record.run_id}' continues it"
        )
    )
    echo("  " + ", ".join(f"{v} {k.lower()}" for k, v in counts.items()))
    width = max(len(n.node_id) for n in nodes) if nodes else 4
    for n in nodes:
        extra = []
        if n.agent_id:
            extra.append(f"agent {n.agent_id}")
        if n.attempts > 1:
            extra.append(f"attempts {n.attempts}")
        if n.message:
            extra.append(n.message)
        echo(f"  {n.node_id:<{width}}  {n.state:<9}  {'; '.join(extra)}".rstrip())
    return 0


def _control_command(action: str, epilog: str, doc: str) -> click.Command:
    @click.command(name=action, epilog=epilog, help=doc)
    @click.argument("run_id")
    @manifest_option
    def command(run_id: str, manifest: str) -> int:
        from dde_ci.runner.control import request_cancel, request_pause

        layout, store = _store(manifest)
        with store:
            handler = {"pause": request_pause, "cancel": request_cancel}[action]
            echo(handler(store, layout, run_id))
        return 0

    return command


pause = _control_command(
    "pause",
    """\b
Examples:
  dde-ci pause r20261127T135501-3f9a1c
  dde-ci pause r20261127T135501-3f9a1c -m examples/shop/dde.yaml
""",
    "Pause RUN_ID: no new node starts; running nodes finish normally (run state PAUSED).",
)

cancel = _control_command(
    "cancel",
    """\b
Examples:
  dde-ci cancel r20261127T135501-3f9a1c
""",
    "Cancel RUN_ID: running nodes' process groups get SIGTERM, then SIGKILL after the "
    "grace period; every node not finished becomes CANCELLED.",
)


@click.command(
    epilog="""\b
Examples:
  dde-ci resume r20261127T135501-3f9a1c        continue a paused or crashed run
  dde-ci resume r20261127T135501-3f9a1c -m examples/shop/dde.yaml --no-progress
"""
)
@click.argument("run_id")
@manifest_option
@execution_options
def resume(
    run_id: str,
    manifest: str,
    events_webhook: str | None,
    grace: float,
    no_progress: bool,
    quiet: bool,
) -> int:
    """Continue RUN_ID.

    A PAUSED run whose runner is still waiting continues there.  A run whose
    runner is gone (killed, crashed, or closed) continues in this process:
    completed nodes never run again; nodes that were running run again
    (at-least-once).  A FAILED run is not resumed: 'dde-ci retry' runs its
    failed nodes again.
    """
    from dde_ci.errors import StateError
    from dde_ci.runner.control import request_resume, runner_alive
    from dde_ci.runner.scheduler import resume_run

    layout, store = _store(manifest)
    with store:
        record = store.run(run_id)
        if record.state == "FAILED":
            raise StateError(
                f"run {run_id} is FAILED; 'dde-ci retry {run_id}' runs its failed nodes again"
            )
        if runner_alive(layout, run_id):
            echo(request_resume(store, layout, run_id))
            return 0
    echo(f"run {run_id}: no runner is running it; continuing here")
    webhook = _webhook(events_webhook, f"urn:dde-ci:{record.workflow}")
    summary = _execute(
        lambda listeners: resume_run(layout, run_id, listeners=listeners, grace=grace),
        not no_progress,
        webhook,
        None,
        _tail(layout.root, record.iteration_id, quiet),
    )
    return _report(summary, record.manifest)


@click.command(
    epilog="""\b
Examples:
  dde-ci retry                                 the latest run of dde.yaml, if it FAILED
  dde-ci retry r20261127T135501-3f9a1c -m examples/shop/dde.yaml --no-progress
"""
)
@click.argument("run_id", required=False)
@manifest_option
@execution_options
def retry(
    run_id: str | None,
    manifest: str,
    events_webhook: str | None,
    grace: float,
    no_progress: bool,
    quiet: bool,
) -> int:
    """Run the FAILED nodes of RUN_ID (default: the latest run) again.

    The nodes SKIPPED because of them run too, in the same iteration;
    COMPLETED nodes are kept.  Only a FAILED run can be retried (a paused or
    crashed one is continued with 'dde-ci resume').  Exit code 0 when every
    node completed, 1 when one failed again, 130 when cancelled.
    """
    from dde_ci.runner.scheduler import retry_run

    layout, store = _store(manifest)
    with store:
        record = store.run(run_id) if run_id else store.latest_run()
    webhook = _webhook(events_webhook, f"urn:dde-ci:{record.workflow}")
    summary = _execute(
        lambda listeners: retry_run(layout, record.run_id, listeners=listeners, grace=grace),
        not no_progress,
        webhook,
        None,
        _tail(layout.root, record.iteration_id, quiet),
    )
    return _report(summary, record.manifest)
