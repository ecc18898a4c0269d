"""The ``dde-ci`` command: a lazy click group and the one place errors become exit codes.

Sub-commands are imported only when they run, so ``dde-ci --version`` and the
commit-msg hook pay for neither pydantic nor PyGithub.  Each command module
returns an exit code; :func:`main` catches :class:`dde_ci.errors.DdeError`
once and prints it as ``path:line:col: message``.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

import click

from dde_ci.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_UNEXPECTED, DdeError, safe_text

# name -> "module:attribute"; one line per command or command group.
COMMANDS: dict[str, str] = {
    "init": "dde_ci.cli.init:init",
    "validate": "dde_ci.cli.validate:validate",
    "graph": "dde_ci.cli.graph:graph",
    "schema": "dde_ci.cli.schema:schema",
    "audit": "dde_ci.cli.audit:audit",
    "run": "dde_ci.cli.run:run",
    "status": "dde_ci.cli.run:status",
    "pause": "dde_ci.cli.run:pause",
    "resume": "dde_ci.cli.run:resume",
    "retry": "dde_ci.cli.run:retry",
    "cancel": "dde_ci.cli.run:cancel",
    "node": "dde_ci.cli.node:node",
    "context": "dde_ci.cli.context:context",
    "metrics": "dde_ci.cli.metrics:metrics",
    "stamp": "dde_ci.cli.stamp:stamp",
    "artifacts": "dde_ci.cli.artifacts:artifacts",
    "log": "dde_ci.cli.log:log",
    "hook": "dde_ci.cli.hook:hook",
    "gate": "dde_ci.cli.gate:gate",
    "gh": "dde_ci.cli.gh:gh",
    "generate": "dde_ci.cli.generate:generate",
    "iteration": "dde_ci.cli.iteration:iteration",
    "contract": "dde_ci.cli.contract:contract",
}

EPILOG = """\b
Examples:
  dde-ci init                         write a starter dde.yaml, gates.yaml and contract here
  dde-ci validate                     check dde.yaml in this folder
  dde-ci graph -m examples/shop/dde.yaml --format mermaid
  dde-ci schema manifest > dde.schema.json

\b
Shared options: -m/--manifest PATH (default: dde.yaml here or in the nearest parent
folder up to the repository root; env DDE_MANIFEST), --format NAME (text by default),
-o/--output FILE.
Exit codes: 0 ok, 1 a check failed, 2 bad input, 3 unexpected error, 130 interrupted.
Shell completion (bash): eval "$(_DDE_CI_COMPLETE=bash_source dde-ci)"; zsh_source and
fish_source for zsh and fish.
Documentation: docs/ in the repository.
"""


class LazyGroup(click.Group):
    """A group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        command = getattr(importlib.import_module(module_name), attr)
        if not isinstance(command, click.Command):  # pragma: no cover - programming error
            raise TypeError(f"{target} is not a click command")
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and name not in COMMANDS and not name.startswith("-"):
            from dde_ci.errors import did_you_mean

            hint = did_you_mean(name, COMMANDS)
            raise click.UsageError(f"no such command {name!r}{hint}", ctx)
        return super().resolve_command(ctx, args)


_DEBUG = {"on": False}


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``dde-ci --version``: version, home and commit (what ``generate`` pins the actions to)."""
    if not value or ctx.resilient_parsing:
        return
    from dde_ci.build import this_build

    click.echo(this_build().describe())
    ctx.exit()


@click.group(cls=LazyGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="Show the version, the home and the commit of this dde-ci build, and exit.",
)
@click.option("--debug", is_flag=True, help="Show a traceback for unexpected errors.")
def cli(debug: bool) -> None:
    """dde-ci: run a delivery plan (a YAML manifest of nodes) as a gated, audited graph.

    Runs on this machine (dde-ci run) or on GitHub Actions (dde-ci generate).
    """
    _DEBUG["on"] = debug


def _print_error(error: DdeError) -> None:
    from dde_ci.cli.output import report_diagnostics

    report_diagnostics(error.diagnostics)


def usage_error_line(exc: click.UsageError) -> str:
    """A usage error on one line: what is wrong (the value, the closest valid one) and
    where the help is.  ``dde-ci graph: error: invalid value for '--format': 'mermiad' is
    not one of 'text', 'mermaid', 'dot', 'json' (did you mean 'mermaid'?); see 'dde-ci
    graph --help'``."""
    from dde_ci.errors import did_you_mean

    message = " ".join(exc.format_message().split())
    message = message[:1].lower() + message[1:]
    message = re.sub(r"\. Did you mean (.+)\?$", r" (did you mean \1?)", message)
    param = getattr(exc, "param", None)
    rejected = re.search(r": '(.*)' is not one of ", message)
    if isinstance(param, click.Parameter) and isinstance(param.type, click.Choice) and rejected:
        choices = [str(c) for c in param.type.choices]
        message = message.rstrip(".") + did_you_mean(rejected.group(1), choices)
    ctx = exc.ctx
    command = ctx.command_path if ctx is not None else "dde-ci"
    return f"{command}: error: {message.rstrip('.')}; see '{command} --help'"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (the console script exits with it)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--debug" in args:
        _DEBUG["on"] = True
    try:
        result: Any = cli.main(args=args, prog_name="dde-ci", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except click.UsageError as exc:
        click.echo(usage_error_line(exc), err=True)
        return EXIT_BAD_INPUT
    except click.ClickException as exc:
        exc.show()
        return EXIT_BAD_INPUT if exc.exit_code == 2 else exc.exit_code
    except DdeError as exc:
        _print_error(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_UNEXPECTED
    except Exception as exc:
        if _DEBUG["on"] or os.environ.get("DDE_DEBUG"):
            import traceback

            traceback.print_exc()
        click.echo(
            f"error: unexpected {type(exc).__name__}: {safe_text(str(exc))}\n"
            "This is a bug in dde-ci. Re-run with --debug for the traceback and report it.",
            err=True,
        )
        return EXIT_UNEXPECTED
    return int(result) if isinstance(result, int) else 0


def entry() -> None:  # pragma: no cover - thin wrapper for python -m
    sys.exit(main())
