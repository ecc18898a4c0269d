"""``dde-ci audit``: the deployment gate -- did we build what we planned, the way we planned it?"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import click

from dde_ci.cli.options import format_option, iteration_option, manifest_argument, output_option
from dde_ci.cli.output import annotation, append_step_summary, echo, on_github
from dde_ci.errors import InputError, NotFound, did_you_mean


@dataclass(frozen=True)
class GitHubTarget:
    """Where ``--github-status`` reports: values read from the Actions environment."""

    repo: str
    sha: str
    token: str
    target_url: str | None
    api_url: str | None


def github_target(env: dict[str, str]) -> GitHubTarget:
    """Read the commit status target from GitHub Actions' variables (exit 2 when missing)."""
    missing = [k for k in ("GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_SHA") if not env.get(k)]
    if missing:
        raise InputError(
            f"--github-status needs {', '.join(missing)} in the environment (GitHub Actions "
            "sets GITHUB_REPOSITORY and GITHUB_SHA; pass the token with "
            "'env: GITHUB_TOKEN: ${{ github.token }}' and 'permissions: statuses: write')"
        )
    sha = pull_request_head(env) or env["GITHUB_SHA"]
    server = env.get("GITHUB_SERVER_URL") or "https://github.com"
    run_id = env.get("GITHUB_RUN_ID")
    url = (
        f"{server.rstrip('/')}/{env['GITHUB_REPOSITORY']}/actions/runs/{run_id}" if run_id else None
    )
    return GitHubTarget(
        repo=env["GITHUB_REPOSITORY"],
        sha=sha,
        token=env["GITHUB_TOKEN"],
        target_url=url,
        api_url=env.get("GITHUB_API_URL") or None,
    )


def pull_request_head(env: dict[str, str]) -> str | None:
    """The pull request's head commit, when the workflow runs for a pull request.

    On ``pull_request`` events GITHUB_SHA is the temporary merge commit, but branch
    protection looks for required statuses on the pull request's head commit.
    """
    if env.get("GITHUB_EVENT_NAME") not in ("pull_request", "pull_request_target"):
        return None
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return None
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
        sha = event["pull_request"]["head"]["sha"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return sha if isinstance(sha, str) and sha else None


def status_description(result: str, score: float, blocking: int, overridden: bool) -> str:
    """The commit status text: verdict, score, blocking violations, and whether overridden."""
    text = f"{result}: {score * 100:.1f}% of nodes completed, {blocking} blocking violation(s)"
    if overridden:
        text = f"Overridden by ADR; audit {text}"
    return text


def _iteration(manifest_value: str, reports: Path, option: str | None) -> str:
    from dde_ci.manifest.iteration import (
        check_iteration_id,
        is_template,
        latest_iteration,
    )

    if option:
        return check_iteration_id(option)
    if not is_template(manifest_value):
        return check_iteration_id(manifest_value)
    latest = latest_iteration(reports)
    if latest is None:
        raise InputError(
            f"no iteration to audit: {reports} holds no execution log; "
            "pass --iteration ID (or set DDE_ITERATION)"
        )
    return latest


def _check_ran(reports: Path, iteration_id: str) -> None:
    """An iteration that never ran is bad input (exit 2), not an audit that fails."""
    if (reports / iteration_id / "execution.log").is_file():
        return
    known = sorted(
        p.name for p in reports.glob("*") if p.is_dir() and (p / "execution.log").is_file()
    )
    shown = ", ".join(known[-20:]) if known else "none yet"
    raise NotFound(
        f"iteration {iteration_id!r} never ran here: {reports / iteration_id / 'execution.log'} "
        f"does not exist{did_you_mean(iteration_id, known)}; iterations that ran: {shown}"
    )


@click.command(
    epilog="""\b
Examples:
  dde-ci audit --iteration Iter-20261127-001
  dde-ci audit -m examples/shop/dde.yaml --iteration Iter-20261127-001 --format markdown
  dde-ci audit --iteration "$DDE_ITERATION" --github-status      (in the audit job)
  dde-ci audit --iteration Iter-20261127-001 --override-adr docs/adr/0007-ship-anyway.md

\b
Without --iteration (or DDE_ITERATION): the manifest's fixed iteration id, else
the latest iteration under reports/. Writes audit.json and audit.md to
reports/{iteration}/, appends the Markdown report to $GITHUB_STEP_SUMMARY when
set, and logs audit.completed.
Exit codes: 0 PASS (or FAIL overridden by an accepted ADR), 1 FAIL, 2 bad input.
"""
)
@manifest_argument
@iteration_option
@format_option("text", "json", "markdown")
@output_option
@click.option(
    "--out",
    "out_dir",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Deprecated: write audit.json and audit.md to DIR instead of reports/{iteration}/ "
    "(use -o FILE with --format json or markdown for a copy elsewhere).",
)
@click.option(
    "--github-status",
    is_flag=True,
    help="Set the 'dde/audit' commit status on the head commit (needs GITHUB_TOKEN).",
)
@click.option(
    "--override-adr",
    metavar="PATH",
    type=click.Path(dir_okay=False),
    help="An accepted ADR naming this iteration and its approvers: let a FAIL through.",
)
def audit(
    manifest: str,
    iteration: str | None,
    output_format: str,
    out_dir: str | None,
    github_status: bool,
    override_adr: str | None,
) -> int:
    """Audit an iteration of the manifest: compare what was planned with what was built.

    Checks every node completed, every blocking gate passed (or was bypassed under
    an accepted ADR), every artifact stamped and unchanged, every contract locked
    and every consumer verified against the locked digest, that no node started
    before its dependencies completed, and that the execution log is whole.
    PASS only when 100% of the planned nodes completed with no blocking violation.
    """
    from dde_ci.audit.check import audit_iteration, log_audit
    from dde_ci.audit.override import load_override
    from dde_ci.audit.report import to_json, to_markdown, to_text, write_report
    from dde_ci.graph import build_graph
    from dde_ci.layout import Layout
    from dde_ci.manifest.loader import load_manifest
    from dde_ci.perf import collector_paused

    # a short-lived command that builds a few hundred thousand acyclic objects: the cyclic
    # collector would walk them again and again for nothing (dde_ci.perf)
    with collector_paused():
        target = github_target(dict(os.environ)) if github_status else None
        loaded = load_manifest(manifest)
        layout = Layout(loaded.root)
        iteration_id = _iteration(loaded.iteration, layout.reports_dir, iteration)
        _check_ran(layout.reports_dir, iteration_id)
        override = load_override(Path(override_adr), iteration_id) if override_adr else None
        graph = build_graph(loaded)
        report = audit_iteration(loaded, iteration_id, override=override, graph=graph)

        if out_dir:
            echo(
                "warning: --out DIR is deprecated and will be removed; the report is "
                "always in reports/{iteration}/, and -o FILE --format json|markdown writes "
                "a copy",
                err=True,
            )
        folder = Path(out_dir) if out_dir else layout.iteration_dir(iteration_id)
        markdown = to_markdown(report, graph)
        write_report(report, folder, graph, markdown=markdown)
        log_audit(report, layout.execution_log(iteration_id), os.environ.get("GITHUB_RUN_ID"))
        append_step_summary(markdown)

        if on_github():
            # annotations on stderr (the runner reads both streams; stdout may be JSON); GitHub
            # shows at most 10 error annotations per step, so the first blocking violations
            for v in report.blocking[:10]:
                text = f"{v.message}. {v.recommendation}"
                echo(annotation("error", text, title=f"dde-ci audit: {v.type}"), err=True)
            if report.overridden and report.override is not None:
                text = f"audit FAIL overridden by {report.override.adr}"
                echo(annotation("warning", text, title="dde-ci audit"), err=True)
        if output_format == "json":
            echo(to_json(report).rstrip("\n"))
        elif output_format == "markdown":
            echo(markdown.rstrip("\n"))
        else:
            echo(to_text(report).rstrip("\n"))
            echo(f"report: {folder / 'audit.json'}, {folder / 'audit.md'}", err=True)

        if target is not None:
            from dde_ci.github.status import set_commit_status

            set_commit_status(
                target.repo,
                target.sha,
                "success" if report.deployable else "failure",
                status_description(
                    report.result, report.score, len(report.blocking), report.overridden
                ),
                target.target_url,
                "dde/audit",
                token=target.token,
                base_url=target.api_url,
            )
    return 0 if report.deployable else 1
