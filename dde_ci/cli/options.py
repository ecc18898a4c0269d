"""Options shared by several commands, so each is spelled one way everywhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

manifest_argument = click.argument(
    "manifest", type=click.Path(dir_okay=False), default="dde.yaml", required=False
)


manifest_option = click.option(
    "--manifest",
    "-m",
    "manifest",
    metavar="PATH",
    type=click.Path(dir_okay=False),
    default="dde.yaml",
    show_default=True,
    envvar="DDE_MANIFEST",
    show_envvar=True,
    help="The manifest; its folder holds reports/ and .dde/.",
)
"""``--manifest PATH`` for commands whose arguments are something else (a run, a node's files)."""

run_id_option = click.option(
    "--run-id",
    "run_id",
    metavar="ID",
    envvar="DDE_RUN_ID",
    show_envvar=True,
    default=None,
    help="Run id to record in the execution log.",
)


def iteration_option(func: F) -> F:
    """``--iteration ID`` (else ``DDE_ITERATION``, else the manifest's ``iteration``)."""
    return click.option(
        "--iteration",
        "iteration",
        metavar="ID",
        envvar="DDE_ITERATION",
        show_envvar=True,
        help="Iteration id (default: DDE_ITERATION, then the manifest's 'iteration').",
    )(func)


def format_option(*choices: str, default: str | None = None) -> Callable[[F], F]:
    def decorate(func: F) -> F:
        return click.option(
            "--format",
            "output_format",
            type=click.Choice(list(choices)),
            default=default or choices[0],
            show_default=True,
            help="Output format.",
        )(func)

    return decorate


def github_options(
    *, required: bool = False, repo_help: str = "GitHub repository."
) -> Callable[[F], F]:
    """``--repo OWNER/NAME`` (else ``GITHUB_REPOSITORY``) and ``--api-url`` (else
    ``GITHUB_API_URL``), for commands that call the GitHub API."""

    def decorate(func: F) -> F:
        func = click.option(
            "--repo",
            metavar="OWNER/NAME",
            envvar="GITHUB_REPOSITORY",
            show_envvar=True,
            required=required,
            help=repo_help,
        )(func)
        return click.option(
            "--api-url",
            metavar="URL",
            envvar="GITHUB_API_URL",
            show_envvar=True,
            default=None,
            help="GitHub API URL (default https://api.github.com; GHES: https://HOST/api/v3).",
        )(func)

    return decorate


def github_token() -> str | None:
    """The GitHub token, from ``GITHUB_TOKEN`` only (an option would show it in ``ps``)."""
    import os

    return os.environ.get("GITHUB_TOKEN")


def project_root(manifest: str) -> Path:
    """The folder of ``manifest`` (which must exist): where .dde/ and reports/ live."""
    from dde_ci.errors import NotFound, did_you_mean

    path = Path(manifest)
    if not path.is_file():
        near = [p.name for p in path.absolute().parent.glob("*.y*ml")]
        raise NotFound(
            f"manifest {manifest} not found{did_you_mean(path.name, near)}; "
            "pass --manifest PATH or run from the manifest's folder"
        )
    return path.absolute().parent
