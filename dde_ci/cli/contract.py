"""``dde-ci contract``: lock, verify, diff and trace the history of API contracts.

The group stays at the top; each sub-command is one function below it that
parses, calls one domain function, renders and returns an exit code.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from dde_ci.cli.options import (
    format_option,
    github_options,
    github_token,
    iteration_option,
    manifest_argument,
    output_option,
)
from dde_ci.cli.output import (
    annotation,
    append_step_summary,
    echo,
    echo_json,
    on_github,
    set_step_output,
)

if TYPE_CHECKING:
    from dde_ci.contracts.diff.changes import DiffResult
    from dde_ci.layout import Layout
    from dde_ci.manifest.models import Manifest

F = TypeVar("F", bound=Callable[..., Any])


@click.group(
    epilog="""\b
Examples:
  dde-ci contract diff v1/openapi.yaml openapi.yaml --fail-on breaking
  dde-ci contract diff old.graphql new.graphql --format markdown
  dde-ci contract lock orders-api && dde-ci contract verify BE.Orders
  dde-ci contract history orders-api --format json
"""
)
def contract() -> None:
    """Work with the contracts interface nodes produce (OpenAPI, JSON Schema, GraphQL)."""


_IGNORE_HELP = (
    "Ignore file of accepted {what}, in the format of oasdiff's option of the same name; "
    "each line also names "
    "an accepted ADR ('adr: docs/adr/0007-x.md') or a last day ('expires: 2027-01-31')."
)


def ignore_options(func: F) -> F:
    """``--err-ignore FILE`` and ``--warn-ignore FILE`` (oasdiff's names)."""
    for flag, dest, what in (
        ("--warn-ignore", "warn_ignore", "warnings"),
        ("--err-ignore", "err_ignore", "breaking changes"),
    ):
        func = click.option(
            flag,
            dest,
            type=click.Path(dir_okay=False, path_type=Path),
            metavar="FILE",
            help=_IGNORE_HELP.format(what=what),
        )(func)
    return func


@contract.command(
    "diff",
    epilog="""\b
Examples:
  dde-ci contract diff base.yaml revision.yaml
  dde-ci contract diff base.yaml revision.yaml --format json --fail-on breaking
  git show main:api/openapi.yaml > /tmp/base.yaml
  dde-ci contract diff /tmp/base.yaml api/openapi.yaml --root . --format markdown > comment.md
  dde-ci contract diff /tmp/base.yaml api/openapi.yaml --format githubactions
  dde-ci contract diff base.yaml revision.yaml --err-ignore api/breaking-ignore.txt
  dde-ci contract diff v1.json v2.json --type jsonschema
  dde-ci contract diff base.yaml revision.yaml --engine oasdiff   (oasdiff on PATH)
  dde-ci contract diff base.yaml revision.yaml --compose oasdiff --deprecation-days-stable 180

\b
Levels follow oasdiff: error = breaking (oasdiff ERR), warning = may break,
info = safe.  --format markdown is a changelog for a pull-request comment;
githubactions prints one ::error/::warning/::notice workflow command per change,
at the change's file, line and column.  An ignore file line looks like:
  GET /orders/{id} api path removed without deprecation  adr: docs/adr/0007-v2.md
Exit codes: 0 done (or not breaking with --fail-on breaking),
1 breaking with --fail-on breaking, 2 bad input (also: an ignore without a
reason, with an ADR that is not accepted, or past its expiry date).
""",
)
@click.argument("base", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("revision", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--type",
    "contract_type",
    type=click.Choice(["openapi", "jsonschema", "graphql"]),
    help="Contract type (default: from the extension and content).",
)
@format_option("text", "json", "markdown", "githubactions")
@output_option
@click.option(
    "--fail-on",
    "fail_on",
    type=click.Choice(["breaking"]),
    help="Exit 1 when a change is at level error.",
)
@click.option(
    "--engine",
    type=click.Choice(["builtin", "oasdiff"]),
    default="builtin",
    show_default=True,
    help="OpenAPI differ: the built-in one, or the oasdiff executable on PATH.",
)
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder that bounds file $refs and ADR paths (default: the nearest folder with "
    "dde.yaml or .git).",
)
@click.option(
    "--compose",
    type=click.Choice(["merge", "oasdiff"]),
    default="merge",
    show_default=True,
    help="merge: merge allOf members before comparing; oasdiff: report allOf/anyOf/oneOf "
    "members added and removed, as oasdiff does.",
)
@click.option(
    "--deprecation-days-beta",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Least days from deprecating a beta operation, parameter or property to its sunset.",
)
@click.option(
    "--deprecation-days-stable",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Least days from deprecating a stable operation, parameter or property to its sunset.",
)
@click.option(
    "--stability-level",
    type=click.Choice(["draft", "alpha", "beta", "stable"]),
    default="beta",
    show_default=True,
    help="Report changes to operations and properties of this x-stability-level or above.",
)
@ignore_options
def diff(
    base: Path,
    revision: Path,
    contract_type: str | None,
    output_format: str,
    fail_on: str | None,
    engine: str,
    root: Path | None,
    compose: str,
    deprecation_days_beta: int,
    deprecation_days_stable: int,
    stability_level: str,
    err_ignore: Path | None,
    warn_ignore: Path | None,
) -> int:
    """Classify every change from BASE to REVISION as breaking or not.

    $refs are resolved only inside the project (never over the network);
    a renamed path parameter is the same path; request and response changes
    are judged by their direction.
    """
    from dde_ci.contracts.diff import DiffOptions, diff_files, project_root
    from dde_ci.contracts.diff.report import render_markdown, render_text
    from dde_ci.contracts.ignore import apply_ignores, load_ignore_files

    options = DiffOptions(
        compose=compose,
        deprecation_days_beta=deprecation_days_beta,
        deprecation_days_stable=deprecation_days_stable,
        stability_level=stability_level,
    )
    ignores = load_ignore_files(
        {"error": err_ignore, "warning": warn_ignore}, root or project_root(revision)
    )
    found = apply_ignores(
        diff_files(
            base, revision, contract_type=contract_type, engine=engine, root=root, options=options
        ),
        ignores,
    )
    result = found.result
    if output_format == "json":
        data = result.to_dict()
        if ignores:
            data["ignored"] = [i.to_json() for i in found.ignored]
        echo_json(data)
    elif output_format == "markdown":
        echo(render_markdown(result, ignored=found.ignored).rstrip("\n"))
    elif output_format == "githubactions":
        _annotate(result, notices=True)
        for level in ("error", "warning", "info"):
            set_step_output(f"{level}_count", str(result.count(level)))
    else:
        echo(render_text(result))
        for item in found.ignored:
            echo(
                f"ignored by {item.ignore.location} ({item.ignore.justification}): "
                f"[{item.change.id}] {item.change.message}"
            )
    if on_github() and output_format in ("text", "markdown"):  # JSON stays JSON
        _annotate(result, notices=False)
        append_step_summary(render_markdown(result, ignored=found.ignored))
    return 1 if fail_on == "breaking" and result.breaking else 0


def _annotate(result: DiffResult, *, notices: bool) -> None:
    """One workflow command per change (``::notice`` for info changes only with ``notices``)."""
    from dde_ci.contracts.diff.report import annotation_items

    for command, title, message, file, line, col in annotation_items(result):
        if notices or command != "notice":
            echo(annotation(command, message, file=file, line=line, col=col, title=title))


# ---------------------------------------------------------------------------------------
# lock, verify, history, publish (contracts: lock and publish, consumer validation, history)


def _load(manifest: str) -> tuple[Manifest, Layout]:
    from dde_ci.layout import Layout
    from dde_ci.manifest.loader import load_manifest

    loaded = load_manifest(manifest)
    return loaded, Layout(loaded.root)


def _need_repo(repo: str | None, flag: str) -> str:
    if not repo:
        raise click.UsageError(f"{flag} needs --repo OWNER/NAME (or GITHUB_REPOSITORY)")
    return repo


@contract.command(
    "lock",
    epilog="""\b
Examples:
  dde-ci contract lock orders-api
  dde-ci contract lock orders-api -m examples/shop/dde.yaml --iteration Iter-7
  dde-ci contract lock orders-api --format json
  dde-ci contract lock orders-api --pr 42      (comment on PR 42 when it breaks consumers)
  dde-ci contract lock orders-api --err-ignore api/breaking-ignore.txt

\b
The first lock is 1.0.0; then major when the change breaks the previous version,
minor when it only adds, patch when only documentation changed.  A breaking change
an ignore file accepts (--err-ignore, default: the contract's err_ignore in the
manifest) makes a minor version.  Locking the same content again changes nothing.
Writes .dde/contracts/{domain}/{name}/{version}/ and contracts.lock; logs
contract.locked (and contract.breaking_change).
""",
)
@click.argument("name")
@manifest_argument
@iteration_option
@click.option("--commit", metavar="SHA", help="Commit that owns the version (default: git HEAD).")
@click.option("--node", "node_id", metavar="NODE", help="Owner node (default: the producer).")
@click.option(
    "--pr",
    "pr_number",
    type=click.IntRange(min=1),
    help="On a breaking change, comment on this pull request naming the affected consumers.",
)
@github_options(repo_help="GitHub repository of the pull request (for --pr).")
@format_option("text", "json")
@ignore_options
@output_option
def lock(
    name: str,
    manifest: str,
    iteration: str | None,
    commit: str | None,
    node_id: str | None,
    pr_number: int | None,
    repo: str | None,
    api_url: str | None,
    output_format: str,
    err_ignore: Path | None,
    warn_ignore: Path | None,
) -> int:
    """Lock contract NAME: digest its canonical form and record an immutable version."""
    from dde_ci.contracts.lock import contract_ignores, lock_contract
    from dde_ci.contracts.registry import MANUAL
    from dde_ci.git import current_commit, current_user
    from dde_ci.log import ExecutionLog
    from dde_ci.manifest.iteration import current_iteration

    loaded, layout = _load(manifest)
    iteration_id = current_iteration(loaded.iteration, layout.reports_dir, option=iteration)
    log = ExecutionLog(layout.execution_log(iteration_id), iteration_id)
    ignores = None
    if loaded.has_contract(name):
        ignores = contract_ignores(loaded, name, err_ignore=err_ignore, warn_ignore=warn_ignore)
    # a person's lock (no --iteration, no DDE_ITERATION) is owned by the person's command,
    # not by whichever iteration ran last
    outcome = lock_contract(
        loaded,
        name,
        layout,
        node_id=node_id,
        iteration_id=iteration_id if iteration else MANUAL,
        commit=commit or current_commit(loaded.root),
        user=None if iteration else current_user(loaded.root),
        log=log,
        ignores=ignores,
    )
    comment = None
    if pr_number is not None and outcome.created and outcome.breaking:
        from dde_ci.github.pulls import comment_affected_consumers

        comment = comment_affected_consumers(
            _need_repo(repo, "--pr"),
            pr_number,
            outcome.contract.to_json(),
            outcome.affected,
            token=github_token(),
            base_url=api_url,
        )
    c = outcome.contract
    if output_format == "json":
        echo_json(
            {
                **c.to_json(),
                "created": outcome.created,
                "kind": outcome.kind,
                "changes": outcome.changes,
                "affected_consumers": outcome.affected,
                "ignored": outcome.ignored,
                "registry": str(c.folder),
                "comment": comment,
            }
        )
    else:
        echo(outcome.summary())
        for change in c.breaking_changes if outcome.created else []:
            echo(f"  breaking: {change.get('message')} [{change.get('id')}]")
        for change in outcome.ignored:
            by = change["ignored_by"]
            echo(
                f"  ignored {change.get('level')}: {change.get('message')} [{change.get('id')}] "
                f"by {by['file']}:{by['line']}"
            )
        for node in outcome.affected:
            owners = ", ".join(node["owners"]) or "no matching worker"
            echo(f"  affected consumer: {node['node_id']} ({owners})")
        if comment:
            echo(f"  commented: {comment}")
    if on_github() and outcome.breaking and outcome.created:
        names = ", ".join(a["node_id"] for a in outcome.affected) or "none"
        echo(
            annotation(
                "warning",
                f"{c.name} {c.version} breaks {c.supersedes}; affected consumers: {names}",
                title="breaking contract change",
            )
        )
    return 0


@contract.command(
    "verify",
    epilog="""\b
Examples:
  dde-ci contract verify BE.Orders
  dde-ci contract verify BE.Orders -m examples/shop/dde.yaml --iteration Iter-7 --format json

\b
For each contract NODE consumes: the source still has the locked digest, the node
was built against the registry's version (its context.json), the description it
serves (serves:) covers the contract with nothing breaking, and its examples
(examples:) validate.  Writes reports/{iteration}/{node}/contracts.json.
Exit codes: 0 conforms, 1 a finding, 2 bad input.
""",
)
@click.argument("node_id", metavar="NODE")
@manifest_argument
@iteration_option
@format_option("text", "json")
@output_option
def verify(node_id: str, manifest: str, iteration: str | None, output_format: str) -> int:
    """Check that NODE matches every contract it consumes."""
    from dde_ci.contracts.verify import verify_node
    from dde_ci.log import ExecutionLog
    from dde_ci.manifest.iteration import current_iteration

    loaded, layout = _load(manifest)
    iteration_id = current_iteration(loaded.iteration, layout.reports_dir, option=iteration)
    log = ExecutionLog(layout.execution_log(iteration_id), iteration_id)
    report = verify_node(loaded, node_id, layout, iteration_id, log=log)
    if output_format == "json":
        echo_json(report.to_json())
    else:
        for result in report.results:
            state = "ok" if result.ok else "FAILED"
            echo(f"{result.contract} {result.version or '(not locked)'}: {state}")
            for finding in result.findings:
                op = f" [{finding.operation}]" if finding.operation else ""
                ptr = f" at {finding.pointer}" if finding.pointer else ""
                tag = "warning: " if finding.level == "warning" else ""
                echo(f"  {finding.check}{op}{ptr}: {tag}{finding.message}")
        if not report.results:
            echo(f"{node_id} consumes no contracts")
    if on_github():
        for finding in report.findings:
            echo(annotation("error", finding.message, file=finding.file, line=finding.line))
    return 0 if report.ok else 1


@contract.command(
    "history",
    epilog="""\b
Examples:
  dde-ci contract history orders-api
  dde-ci contract history orders-api -m examples/shop/dde.yaml --format json
""",
)
@click.argument("name")
@manifest_argument
@format_option("markdown", "json")
@output_option
def history(name: str, manifest: str, output_format: str) -> int:
    """Show every locked version of NAME, with the changes between consecutive versions."""
    from dde_ci.contracts.history import contract_history, history_json, history_markdown

    loaded, layout = _load(manifest)
    domain = loaded.contract(name).domain if loaded.has_contract(name) else None
    entries = contract_history(layout, name, domain)
    if output_format == "json":
        echo_json(history_json(name, entries))
    else:
        text = history_markdown(name, entries)
        echo(text.rstrip("\n"))
        if on_github():
            append_step_summary(text)
    return 0


@contract.command(
    "sync-lock",
    epilog="""\b
Examples:
  dde-ci contract sync-lock
  dde-ci contract sync-lock -m examples/shop/dde.yaml

The GitHub audit job runs it after downloading every node's artifacts: each
interface job uploads its own contracts.lock, the registry folders merge.
""",
)
@manifest_argument
def sync_lock(manifest: str) -> int:
    """Point contracts.lock at the current registry version of every contract.

    An entry only moves forward to a higher version; the registry under
    .dde/contracts is the source of truth.
    """
    from dde_ci.contracts.registry import sync_lockfile

    loaded, layout = _load(manifest)
    changed = sync_lockfile(layout, {c.name: c.domain for c in loaded.contracts})
    echo(
        f"{layout.contracts_lock}: updated {', '.join(changed)}"
        if changed
        else f"{layout.contracts_lock}: up to date"
    )
    return 0


@contract.command(
    "publish",
    epilog="""\b
Examples:
  dde-ci contract publish orders-api                  (show the local registry entry)
  export GITHUB_TOKEN=...  GITHUB_REPOSITORY=octo/shop
  dde-ci contract publish orders-api --github         (release contract/orders/orders-api/v1.0.0)
  dde-ci contract publish orders-api --github --version 1.0.0

\b
Locking already publishes to the local registry.  With --github the version becomes
a GitHub release tagged contract/{domain}/{name}/v{version} with the spec and
contract.json as assets; re-running is safe, and a tag that exists with another
digest is refused (exit 1).
""",
)
@click.argument("name")
@manifest_argument
@click.option("--version", "version", metavar="X.Y.Z", help="Version (default: the current).")
@click.option("--github", "to_github", is_flag=True, help="Publish as a GitHub release.")
@click.option("--target", metavar="SHA", help="Commit the release tag points at (new tags).")
@github_options(repo_help="GitHub repository to publish the release in (for --github).")
@format_option("text", "json")
@output_option
def publish(
    name: str,
    manifest: str,
    version: str | None,
    to_github: bool,
    target: str | None,
    repo: str | None,
    api_url: str | None,
    output_format: str,
) -> int:
    """Publish the locked contract NAME (locally, or as a GitHub release with --github)."""
    from dde_ci.contracts.registry import find_domain, find_version, latest
    from dde_ci.errors import NotFound

    loaded, layout = _load(manifest)
    domain = loaded.contract(name).domain if loaded.has_contract(name) else None
    domain = domain or find_domain(layout, name)
    found = find_version(layout, domain, name, version) if version else latest(layout, domain, name)
    if found is None:
        which = f"version {version}" if version else "a locked version"
        raise NotFound(f"contract {name!r} has no {which}; lock it: dde-ci contract lock {name}")
    if to_github:
        from dde_ci.contracts.publish import publish_release
        from dde_ci.github.releases import GitHubReleases

        host = GitHubReleases(_need_repo(repo, "--github"), token=github_token(), base_url=api_url)
        found = publish_release(found, host, target=target)
    if output_format == "json":
        echo_json({**found.to_json(), "registry": str(found.folder)})
    else:
        echo(f"{found.name} {found.version} ({found.status}) {found.digest}")
        echo(f"  registry: {found.folder}")
        if found.published:
            echo(f"  published: {found.published.get('url')}")
    return 0
