"""``dde-ci init``: write a starter plan that validates, runs and audits as it is."""

from __future__ import annotations

from pathlib import Path

import click

from dde_ci.cli.output import echo
from dde_ci.errors import InputError, Location

# the starter's files, relative to the target folder (read from dde_ci/resources/starter)
STARTER_FILES = ("dde.yaml", "gates.yaml", "contracts/greeting.schema.json")


def starter_text(name: str) -> str:
    from importlib import resources

    return resources.files("dde_ci.resources").joinpath("starter", name).read_text("utf-8")


def write_starter(folder: Path, *, force: bool = False) -> list[Path]:
    """Write the starter files into ``folder``; refuse (nothing written) when one exists."""
    targets = [folder / name for name in STARTER_FILES]
    existing = [t for t in targets if t.exists() or t.is_symlink()]
    if existing and not force:
        raise InputError(
            "already exists; nothing was written (pass --force to overwrite the starter "
            "files, or choose another folder)",
            Location(str(existing[0])),
        )
    for target in targets:
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise InputError("is not a regular file; nothing is written", Location(str(target)))
    from dde_ci.files import write_text_atomic

    for name, target in zip(STARTER_FILES, targets, strict=True):
        write_text_atomic(target, starter_text(name))
    return targets


@click.command(
    epilog="""\b
Examples:
  dde-ci init                      write dde.yaml, gates.yaml and a contract here
  dde-ci init services/greeter     into another folder (created if missing)
  dde-ci init --force              overwrite the starter files if they exist

\b
Then:
  dde-ci validate && dde-ci run     run the starter graph on this machine
  dde-ci generate -o .github/workflows/dde.yml     the same graph on GitHub Actions
"""
)
@click.argument("folder", default=".", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite the starter files where they exist.")
def init(folder: str, force: bool) -> int:
    """Write a starter plan into FOLDER (default: here): dde.yaml, gates.yaml, a contract.

    The starter has an interface node defining a JSON Schema contract, an
    implementation built against it, its test and a deployment, each a shell
    command that works as it is: it validates, runs (dde-ci run) and passes its
    audit before you change anything. Refuses to overwrite existing files
    (exit 2) unless --force is given.
    """
    target = Path(folder)
    written = write_starter(target, force=force)
    for path in written:
        echo(f"wrote {path}")
    manifest = target / "dde.yaml"
    shown = "" if folder in (".", "./") else f" -m {manifest}"
    echo(f"next: dde-ci validate{shown} && dde-ci run{shown}")
    return 0
