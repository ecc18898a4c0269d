"""``dde-ci hook ...`` without click: the commit-msg hook runs on every commit.

:func:`run_hook` handles the three hooks' usual command lines (what pre-commit
and CI pass) and returns an exit code; anything else (``--help``, a typo) gets
``None`` and goes to the click command in :mod:`dde_ci.cli.hook`, which calls
the same functions.  Nothing here imports click, pydantic, rich or typing.
"""

# ruff: noqa: PTH109
# (os.getcwd on purpose: pathlib costs more than this whole hook may take)

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from dde_ci.hooks.conventions import HookConfig, Verdict

HOOKS = ("commit-msg", "branch-name", "pr-title")


def parse(args: Sequence[str]) -> tuple[str, list[str], dict[str, str]] | None:
    """``(hook, positionals, options)`` for a plain command line, or None to let click parse it."""
    if not args or args[0] not in HOOKS:
        return None
    positionals: list[str] = []
    options: dict[str, str] = {}
    rest = list(args[1:])
    only_positionals = False
    while rest:
        arg = rest.pop(0)
        if only_positionals or not arg.startswith("-") or arg == "-":
            positionals.append(arg)
        elif arg == "--":
            only_positionals = True
        elif arg in ("--manifest", "-m", "--branch") and rest:
            options["manifest" if arg == "-m" else arg[2:]] = rest.pop(0)
        elif arg.startswith(("--manifest=", "--branch=")):
            name, _, value = arg[2:].partition("=")
            options[name] = value
        else:
            return None  # --help and anything unknown: click explains
    expected = {"commit-msg": 1, "branch-name": 0, "pr-title": 1}[args[0]]
    if len(positionals) != expected or ("branch" in options and args[0] != "branch-name"):
        return None
    return args[0], positionals, options


def run_hook(args: Sequence[str]) -> int | None:
    """Run a hook from its command line; None when the line is not one this fast path takes."""
    parsed = parse(args)
    if parsed is None:
        return None
    hook, positionals, options = parsed
    return run(hook, positionals[0] if positionals else None, options)


def run(hook: str, value: str | None, options: dict[str, str]) -> int:
    """Run ``hook`` (with its FILE or TITLE as ``value``); print what is wrong; exit code."""
    from dde_ci.hooks import conventions as conv

    try:
        manifest = conv.find_manifest(os.getcwd(), options.get("manifest"))
        config = conv.load_config(manifest)
        if hook == "commit-msg":
            return _commit_msg(str(value), config)
        if hook == "branch-name":
            branch = options.get("branch") or conv.current_branch(os.getcwd())
            workspace = conv.Workspace(os.getcwd(), manifest)
            return _report(conv.check_branch_name(branch, config, workspace), None)
        return _report(conv.check_pr_title(str(value), config), None)
    except KeyboardInterrupt:
        _write("interrupted")
        return 130
    except Exception as exc:
        from dde_ci.errors import EXIT_UNEXPECTED, DdeError

        if isinstance(exc, DdeError):
            _write(str(exc))
            return exc.exit_code
        if os.environ.get("DDE_DEBUG"):
            import traceback

            traceback.print_exc()
        _write(
            f"error: unexpected {type(exc).__name__}: {exc}\n"
            "This is a bug in dde-ci. Re-run with DDE_DEBUG=1 for the traceback and report it."
        )
        return EXIT_UNEXPECTED


def _commit_msg(path: str, config: HookConfig) -> int:
    from dde_ci.hooks import conventions as conv

    try:
        text = conv.read_message(path, config.max_message_length)
    except OSError as exc:
        _write(f"{path}: cannot read the commit message: {exc.strerror}")
        return conv.EXIT_BAD_INPUT
    verdict, line = conv.check_commit_message(text, config, branch=conv.current_branch(os.getcwd()))
    return _report(verdict, f"{path}:{line}:1")


def _report(verdict: Verdict, where: str | None) -> int:
    if verdict.ok:
        return 0
    prefix = f"{where}: " if where else "error: "
    _write(prefix + verdict.render())
    if os.environ.get("GITHUB_ACTIONS") == "true":  # an annotation on the run and the PR
        text = verdict.render().replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        sys.stdout.write(f"::error title=dde-ci convention::{text}\n")
        sys.stdout.flush()
    return 1


def _write(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()
