"""``dde-ci contract``: lock, verify, diff and trace the history of API contracts.

The group stays at the top; each sub-command is one function below it that
parses, calls one domain function, renders and returns an exit code.
"""

from __future__ import annotations

from pathlib import Path

import click

from dde_ci.cli.options import format_option
from dde_ci.cli.output import annotation, append_step_summary, echo, echo_json, on_github


@click.group(
    epilog="""\b
Examples:
  dde-ci contract diff v1/openapi.yaml openapi.yaml --fail-on breaking
  dde-ci contract diff old.graphql new.graphql --format markdown
"""
)
def contract() -> None:
    """Work with the contracts interface nodes produce (OpenAPI, JSON Schema, GraphQL)."""


@contract.command(
    "diff",
    epilog="""\b
Examples:
  dde-ci contract diff base.yaml revision.yaml
  dde-ci contract diff base.yaml revision.yaml --format json --fail-on breaking
  git show main:api/openapi.yaml > /tmp/base.yaml
  dde-ci contract diff /tmp/base.yaml api/openapi.yaml --root . --format markdown
  dde-ci contract diff v1.json v2.json --type jsonschema
  dde-ci contract diff base.yaml revision.yaml --engine oasdiff   (oasdiff on PATH)

\b
Levels follow oasdiff: error = breaking (oasdiff ERR), warning = may break,
info = safe.  Exit codes: 0 done (or not breaking with --fail-on breaking),
1 breaking with --fail-on breaking, 2 bad input.
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
@format_option("text", "json", "markdown")
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
    help="Folder that bounds file $refs (default: the nearest folder with dde.yaml or .git).",
)
def diff(
    base: Path,
    revision: Path,
    contract_type: str | None,
    output_format: str,
    fail_on: str | None,
    engine: str,
    root: Path | None,
) -> int:
    """Classify every change from BASE to REVISION as breaking or not.

    $refs are resolved only inside the project (never over the network);
    a renamed path parameter is the same path; request and response changes
    are judged by their direction.
    """
    from dde_ci.contracts.diff import diff_files
    from dde_ci.contracts.diff.report import render_markdown, render_text

    result = diff_files(base, revision, contract_type=contract_type, engine=engine, root=root)
    if output_format == "json":
        echo_json(result.to_dict())
    elif output_format == "markdown":
        echo(render_markdown(result).rstrip("\n"))
    else:
        echo(render_text(result))
    if on_github():
        for change in result.changes:
            if change.level == "info":
                continue
            file, line, col = _split_location(change.location)
            echo(
                annotation(
                    "error" if change.level == "error" else "warning",
                    change.message,
                    file=file,
                    line=line,
                    col=col,
                    title=change.id,
                )
            )
        append_step_summary(render_markdown(result))
    return 1 if fail_on == "breaking" and result.breaking else 0


def _split_location(location: str | None) -> tuple[str | None, int, int]:
    if not location or "#" in location:
        return None, 0, 0
    parts = location.rsplit(":", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        return parts[0], int(parts[1]), int(parts[2])
    return location, 0, 0
