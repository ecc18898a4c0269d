"""Options shared by several commands, so each is spelled one way everywhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import click

F = TypeVar("F", bound=Callable[..., Any])

MANIFEST_HELP = (
    "The manifest (default: dde.yaml in this folder or the nearest parent, up to the "
    "repository root); its folder holds reports/ and .dde/."
)


class DeprecatedManifestArgument(click.Argument):
    """The positional ``MANIFEST`` of earlier releases: still accepted, no longer shown."""

    def get_usage_pieces(self, ctx: click.Context) -> list[str]:
        return []


def resolve_manifest(option: str | None, positional: str | None = None) -> str:
    """The manifest path a command works on.

    The deprecated positional form (with a warning on stderr), else ``-m/--manifest``
    or ``DDE_MANIFEST``, else ``dde.yaml`` found the way Git finds ``.git``, else
    ``dde.yaml`` (whose absence the command then reports).
    """
    import os

    from dde_ci.manifest.discovery import MANIFEST_NAME, find_manifest

    ctx = click.get_current_context(silent=True)
    if positional is not None:
        command = ctx.command_path if ctx is not None else "dde-ci"
        given = (
            ctx is not None
            and ctx.get_parameter_source("manifest") == click.core.ParameterSource.COMMANDLINE
        )
        if given and option != positional:
            raise click.UsageError(
                f"two manifests given: {positional} and -m {option}; give one with -m PATH"
            )
        click.echo(
            f"warning: the positional MANIFEST is deprecated and will be removed; "
            f"use '{command} -m {positional}'",
            err=True,
        )
        return positional
    if option:
        return option
    found = find_manifest(os.fspath(Path.cwd()))
    if found is None:
        return MANIFEST_NAME
    return os.path.relpath(found)


def _manifest(func: F, *, positional: bool) -> F:
    import functools

    @functools.wraps(func)
    def command(*args: Any, **kwargs: Any) -> Any:
        legacy = kwargs.pop("legacy_manifest", None) if positional else None
        kwargs["manifest"] = resolve_manifest(kwargs.get("manifest"), legacy)
        return func(*args, **kwargs)

    decorated: Any = click.option(
        "-m",
        "--manifest",
        "manifest",
        metavar="PATH",
        type=click.Path(dir_okay=False),
        default=None,
        envvar="DDE_MANIFEST",
        show_envvar=True,
        help=MANIFEST_HELP,
    )(command)
    if positional:
        decorated = click.argument(
            "legacy_manifest",
            cls=DeprecatedManifestArgument,
            metavar="[MANIFEST]",
            required=False,
            type=click.Path(dir_okay=False),
        )(decorated)
    return cast("F", decorated)


def manifest_option(func: F) -> F:
    """``-m/--manifest PATH`` (else ``DDE_MANIFEST``, else ``dde.yaml`` found upwards)."""
    return _manifest(func, positional=False)


def manifest_argument(func: F) -> F:
    """:func:`manifest_option`, and the positional ``MANIFEST`` of earlier releases
    (deprecated: accepted with a warning, not shown in the usage line)."""
    return _manifest(func, positional=True)


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


FORMAT_HELP = {
    "text": "text for a person",
    "json": "JSON for programs",
    "markdown": "Markdown (a PR comment, a step summary)",
    "prometheus": "OpenMetrics text",
    "sarif": "SARIF 2.1.0 (code scanning)",
    "mermaid": "a Mermaid flowchart",
    "dot": "Graphviz DOT",
    "githubactions": "GitHub workflow commands",
}


def format_option(*choices: str, default: str | None = None) -> Callable[[F], F]:
    """``--format NAME``: one of ``choices`` (the same names in every command), with
    ``text`` the default wherever a command has it."""
    chosen = default or ("text" if "text" in choices else choices[0])
    described = "; ".join(f"{c}: {FORMAT_HELP.get(c, c)}" for c in choices)

    def decorate(func: F) -> F:
        return click.option(
            "--format",
            "output_format",
            type=click.Choice(list(choices)),
            default=chosen,
            show_default=True,
            help=f"Output format ({described}).",
        )(func)

    return decorate


def output_option(func: F) -> F:
    """``-o/--output FILE``: what the command prints goes to FILE instead (written whole,
    when the command ends, also when it exits 1 for a failed check)."""
    import functools

    @functools.wraps(func)
    def command(*args: Any, **kwargs: Any) -> Any:
        output = kwargs.pop("output", None)
        if output is None:
            return func(*args, **kwargs)
        import contextlib
        import io

        from dde_ci.files import write_text_atomic

        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            result = func(*args, **kwargs)
        write_text_atomic(Path(output), buffer.getvalue())
        return result

    decorated = click.option(
        "-o",
        "--output",
        "output",
        metavar="FILE",
        type=click.Path(dir_okay=False),
        default=None,
        help="Write the output to FILE instead of standard output.",
    )(command)
    return cast("F", decorated)


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
