"""``dde-ci gh``: control a dde workflow run on GitHub Actions through the GitHub API.

The token comes from ``GITHUB_TOKEN`` (never printed); the repository from ``--repo``
or ``GITHUB_REPOSITORY``; the API from ``--api-url`` or ``GITHUB_API_URL`` (GitHub
Enterprise Server).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from dde_ci.cli.options import (
    format_option,
    github_options,
    github_token,
    manifest_argument,
    manifest_option,
    output_option,
)
from dde_ci.cli.output import echo, echo_json

if TYPE_CHECKING:
    from dde_ci.github.runs import RunControl
    from dde_ci.manifest.models import Manifest

F = TypeVar("F", bound=Callable[..., Any])


_remote = github_options(required=True, repo_help="The repository that runs the workflow.")


def _run_argument(func: F) -> F:
    return click.argument("run_id", metavar="RUN", type=click.IntRange(min=1))(func)


def _control(repo: str, api_url: str | None) -> RunControl:
    from dde_ci.github.runs import RunControl

    return RunControl.open(repo, token=github_token(), base_url=api_url)


def _manifest(path: str) -> Manifest:
    from dde_ci.manifest.loader import load_manifest

    return load_manifest(path)


@click.group(
    epilog="""\b
Examples:
  export GITHUB_TOKEN=...  GITHUB_REPOSITORY=octo/shop
  dde-ci gh status 9182736455 -m dde.yaml
  dde-ci gh pause 9182736455 && dde-ci gh resume 9182736455
  dde-ci gh runners check -m dde.yaml
""",
)
def gh() -> None:
    """Control a dde workflow run on GitHub Actions (GITHUB_TOKEN, --repo).

    RUN is the workflow run id (the number in .../actions/runs/RUN).
    """


@gh.command(
    epilog="""\b
Examples:
  dde-ci gh status 9182736455
  dde-ci gh status 9182736455 -m examples/shop/dde.yaml --format json | jq '.nodes[]'
"""
)
@_run_argument
@manifest_option
@_remote
@format_option("text", "json")
@output_option
def status(run_id: int, manifest: str, repo: str, api_url: str | None, output_format: str) -> int:
    """Show RUN and each node's state (PENDING, READY, RUNNING, COMPLETED, FAILED,
    SKIPPED, CANCELLED, PAUSED), read from its GitHub jobs. Needs 'actions: read'."""
    node_ids = [n.id for n in _manifest(manifest).nodes]
    result = _control(repo, api_url).status(run_id, node_ids)
    if output_format == "json":
        echo_json(result.to_json())
        return 0
    run = result.run
    echo(f"run {run.run_id}: {result.state} (attempt {run.attempt}, {run.html_url})")
    counts: dict[str, int] = {}
    for node in result.nodes:
        counts[node.state] = counts.get(node.state, 0) + 1
    order = ("COMPLETED", "RUNNING", "READY", "PAUSED", "PENDING", "FAILED", "SKIPPED")
    ranked = sorted(counts.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)
    echo("  " + ", ".join(f"{v} {k.lower()}" for k, v in ranked))
    width = max(len(n.node_id) for n in result.nodes)
    for node in result.nodes:
        extra = []
        if node.job is not None and node.job.runner_name:
            extra.append(f"runner {node.job.runner_name}")
        if node.attempts > 1:
            extra.append(f"attempts {node.attempts}")
        echo(f"  {node.node_id:<{width}}  {node.state:<9}  {'; '.join(extra)}".rstrip())
    if result.paused:
        echo(f"paused: resume with 'dde-ci gh resume {run.run_id}'")
    return 0


@gh.command(
    epilog="""\b
Examples:
  dde-ci gh pause 9182736455

How it works: sets the commit status dde/pause/RUN to 'pending' on the run's head
commit; every node job runs 'dde-ci gh paused-check' before its node step and stops
there while the pause lasts. Running node steps finish. See docs/github.md.
"""
)
@_run_argument
@_remote
def pause(run_id: int, repo: str, api_url: str | None) -> int:
    """Pause RUN: no node job starts its work any more; running ones finish.
    Needs 'statuses: write'."""
    run = _control(repo, api_url).pause(run_id)
    echo(f"run {run.run_id} paused: node jobs that have not started their work will stop")
    echo(f"resume with 'dde-ci gh resume {run.run_id}'")
    return 0


@gh.command(
    epilog="""\b
Examples:
  dde-ci gh resume 9182736455
  dde-ci gh resume 9182736455 --wait 30    poll until the run ends, then re-run
"""
)
@_run_argument
@click.option(
    "--wait",
    "wait_minutes",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    metavar="MINUTES",
    help="Wait up to MINUTES for a still running RUN to finish, then re-run what the pause "
    "stopped.",
)
@_remote
def resume(run_id: int, wait_minutes: float, repo: str, api_url: str | None) -> int:
    """Lift the pause of RUN and, once it has finished, re-run the jobs the pause
    stopped (and their dependents); completed nodes are not run again.
    Needs 'statuses: write' and 'actions: write'."""
    run, rerun = _control(repo, api_url).resume(run_id, wait=wait_minutes * 60)
    if rerun:
        echo(f"run {run.run_id} resumed: its failed and stopped jobs run again ({run.html_url})")
    elif run.status != "completed":
        echo(
            f"run {run.run_id} unpaused: jobs not yet started will run; jobs the pause already "
            f"stopped run again with 'dde-ci gh resume {run.run_id}' once the run has finished"
        )
    else:
        echo(f"run {run.run_id} unpaused: it succeeded, nothing to re-run")
    return 0


@gh.command(
    epilog="""\b
Examples:
  dde-ci gh cancel 9182736455
"""
)
@_run_argument
@_remote
def cancel(run_id: int, repo: str, api_url: str | None) -> int:
    """Cancel RUN (GitHub stops its running jobs). Needs 'actions: write'."""
    run = _control(repo, api_url).cancel(run_id)
    echo(f"run {run.run_id}: cancellation requested ({run.html_url})")
    return 0


@gh.command(
    epilog="""\b
Examples:
  dde-ci gh retry 9182736455
"""
)
@_run_argument
@_remote
def retry(run_id: int, repo: str, api_url: str | None) -> int:
    """Re-run the failed jobs of the finished RUN and their dependents.
    Needs 'actions: write'."""
    run = _control(repo, api_url).retry(run_id)
    echo(f"run {run.run_id}: re-running its failed jobs ({run.html_url})")
    return 0


@gh.command(
    epilog="""\b
Examples:
  dde-ci gh metrics 9182736455 --format markdown >> "$GITHUB_STEP_SUMMARY"
  dde-ci gh metrics 9182736455 --format prometheus
"""
)
@_run_argument
@manifest_option
@_remote
@format_option("text", "json", "prometheus", "markdown")
@output_option
def metrics(run_id: int, manifest: str, repo: str, api_url: str | None, output_format: str) -> int:
    """Metrics of RUN from its job timings, in the shape of 'dde-ci metrics':
    total duration, per-node execution time and queue wait (job created to started),
    attempts, parallel efficiency (node time / (duration x WIP)), critical paths."""
    from dde_ci.cli.metrics import print_metrics
    from dde_ci.github.runs import run_metrics
    from dde_ci.graph import build_graph

    loaded = _manifest(manifest)
    graph = build_graph(loaded)
    run, jobs = _control(repo, api_url).jobs(run_id)
    result = run_metrics(
        run,
        jobs,
        [n.id for n in loaded.nodes],
        wip_limit=loaded.settings.wip_limit,
        depends_on={n.id: list(graph.preds[n.id]) for n in loaded.nodes},
        planned_critical_path=graph.critical_path,
    )
    print_metrics(result, output_format)
    return 0


@gh.command(
    "paused-check",
    epilog="""\b
Examples:
  dde-ci gh paused-check --run 9182736455 --sha "$SHA" --repo octo/shop


As a node job's step, before the node step:
  - name: dde pause check
    run: dde-ci gh paused-check
    env:
      GITHUB_TOKEN: ${{ github.token }}
      DDE_HEAD_SHA: ${{ github.event.pull_request.head.sha || github.sha }}
""",
)
@click.option(
    "--run",
    "run_id",
    metavar="RUN",
    type=click.IntRange(min=1),
    envvar="GITHUB_RUN_ID",
    show_envvar=True,
    required=True,
    help="The workflow run to check.",
)
@click.option(
    "--sha",
    metavar="SHA",
    envvar="DDE_HEAD_SHA",
    show_envvar=True,
    default=None,
    help="The run's head commit (else looked up, which needs 'actions: read').",
)
@_remote
def paused_check(run_id: int, sha: str | None, repo: str, api_url: str | None) -> int:
    """Exit 1 when RUN is paused (so the node job stops before its work), else 0.
    Needs 'statuses: read'."""
    from dde_ci.cli.output import annotation, on_github

    if _control(repo, api_url).is_paused(run_id, sha):
        message = (
            f"run {run_id} is paused (dde-ci gh pause): this node does not start; "
            f"'dde-ci gh resume {run_id}' re-runs it"
        )
        echo(annotation("error", message) if on_github() else f"error: {message}", err=True)
        return 1
    echo(f"run {run_id} is not paused")
    return 0


@gh.group(
    epilog="""\b
Examples:
  dde-ci gh runners check -m dde.yaml --repo octo/shop --org octo
""",
)
def runners() -> None:
    """Self-hosted runners of the repository."""


@runners.command(
    epilog="""\b
Examples:
  dde-ci gh runners check
  dde-ci gh runners check -m examples/shop/dde.yaml --org octo --format json
"""
)
@manifest_argument
@click.option(
    "--org",
    metavar="ORG",
    default=None,
    help="Also count the organization's runners (they serve the repository too).",
)
@_remote
@format_option("text", "json")
@output_option
def check(
    manifest: str, org: str | None, repo: str, api_url: str | None, output_format: str
) -> int:
    """Exit 1 unless every self-hosted label set the workflow uses has an online runner
    carrying all of its labels. Needs a token that may list runners ('Administration: read')."""
    from dde_ci.github.runners import check_label_sets, list_runners, workflow_label_sets

    sets = workflow_label_sets(_manifest(manifest))
    found = list_runners(repo, org=org, token=github_token(), base_url=api_url)
    checks = check_label_sets(sets, found)
    missing = [c for c in checks if not c.ok]
    if output_format == "json":
        echo_json({"ok": not missing, "label_sets": [c.to_json() for c in checks]})
        return 1 if missing else 0
    for c in checks:
        labels = ", ".join(c.labels)
        if not c.self_hosted:
            echo(f"  skip     [{labels}]  GitHub-hosted ({', '.join(c.nodes)})")
        elif c.ok:
            echo(f"  ok       [{labels}]  online: {', '.join(c.online)}")
        else:
            offline = f" (offline: {', '.join(c.offline)})" if c.offline else ""
            echo(
                f"  MISSING  [{labels}]  no online runner{offline}; needed by {', '.join(c.nodes)}"
            )
    if missing:
        echo(
            f"error: {len(missing)} label set(s) have no online self-hosted runner; their jobs "
            "would wait in the queue until GitHub cancels them after 24 hours",
            err=True,
        )
        return 1
    echo(f"every self-hosted label set has an online runner ({len(found)} runners listed)")
    return 0
