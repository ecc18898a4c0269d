"""``dde-ci schema``: print the JSON Schemas dde-ci reads and writes."""

from __future__ import annotations

import click

from dde_ci.cli.options import output_option
from dde_ci.cli.output import echo


@click.command(
    epilog="""\b
Examples:
  dde-ci schema manifest > schemas/manifest.schema.json
  dde-ci schema manifest -o dde.schema.json
  dde-ci schema --list
  dde-ci schema --write schemas
"""
)
@click.argument("name", required=False)
@output_option
@click.option("--list", "list_names", is_flag=True, help="List the schema names.")
@click.option(
    "--write",
    "write_dir",
    metavar="DIR",
    help="Write every schema to DIR as NAME.schema.json (how schemas/ is regenerated).",
)
def schema(name: str | None, list_names: bool, write_dir: str | None) -> int:
    """Print the JSON Schema called NAME (manifest, context, execution-log, ...).

    Point your editor's YAML language server at the manifest schema to get
    completion and checks while you type.
    """
    from dde_ci.schemas import SCHEMAS, schema_text, write_all

    if write_dir:
        for path in write_all(write_dir):
            echo(path)
        return 0
    if list_names or not name:
        for key in SCHEMAS:
            echo(key)
        return 0
    echo(schema_text(name).rstrip("\n"))
    return 0
