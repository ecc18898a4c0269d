"""One exception family for dde-ci, each error owning its exit code.

The domain raises these; only ``dde_ci.cli.main`` catches them, prints them and
turns them into an exit code.  Every message a person sees points at a place
(``path:line:col: message``) whenever a place is known.

Exit codes: 0 ok, 1 a check failed (gate, audit, breaking change, stale
workflow), 2 bad input or usage, 3 an unexpected error, 130 interrupted.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_UNEXPECTED = 3
EXIT_INTERRUPTED = 130


def safe_text(text: str) -> str:
    """``text`` with nothing a terminal or a CI log would act on: every character that is
    not printable (newlines, the ESC of ANSI/OSC sequences, bidi overrides, line
    separators) written as ``repr`` writes it (``\\n``, ``\\x1b``, ``\\u202e``).

    Messages quote untrusted values with ``!r`` (repr: quotes and escapes); every
    diagnostic and every line the CLI prints goes through this too, so a manifest's
    text can neither start a line of its own (a forged ``::error::`` or
    ``::add-mask::`` workflow command) nor drive the terminal.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def safe_lines(text: str) -> str:
    """:func:`safe_text` for each line of ``text`` (its newlines and tabs are kept)."""
    if text.isprintable():
        return text
    return "\n".join(
        "\t".join(safe_text(part) for part in line.split("\t")) for line in text.split("\n")
    )


MAX_SHOWN = 2000  # characters of one message shown: a value's repr can be a whole document


def shortened(text: str, limit: int = MAX_SHOWN) -> str:
    """``text``, or its first ``limit`` characters and how many more were cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit:,} more characters)"


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a file, 1-based line and column (0 means unknown)."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        path = safe_text(self.path)
        if path.startswith(":"):  # never the start of a workflow command
            path = f"./{path}"
        if self.line <= 0:
            return path
        return f"{path}:{self.line}:{self.col or 1}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding: a message, where it is, and whether it stops the work."""

    message: str
    location: Location | None = None
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        prefix = f"{self.location}: " if self.location is not None else ""
        tag = "warning: " if self.severity == "warning" else ""
        return f"{prefix}{tag}{shortened(safe_text(self.message))}"


class DdeError(Exception):
    """Root of every error dde-ci expects.  Subclasses choose the exit code."""

    exit_code = EXIT_UNEXPECTED

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [Diagnostic(self.message, self.location)]

    def __str__(self) -> str:
        return "\n".join(str(d) for d in self.diagnostics)


class InputError(DdeError):
    """Bad input: a manifest, a gate file, an argument.  Exit code 2."""

    exit_code = EXIT_BAD_INPUT


class ValidationError(InputError):
    """Several input problems found in one pass, reported together."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        errors = [d for d in diagnostics if d.severity == "error"]
        first = errors[0] if errors else diagnostics[0]
        super().__init__(first.message, first.location)
        self._diagnostics = list(diagnostics)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return list(self._diagnostics)


class CheckFailed(DdeError):
    """A check said no: gate, audit, breaking change, stale workflow.  Exit 1."""

    exit_code = EXIT_CHECK_FAILED


class NotFound(InputError):
    """Something named on the command line or in a file does not exist."""


class StateError(DdeError):
    """An operation is not allowed in the current state (e.g. resume a finished run)."""

    exit_code = EXIT_BAD_INPUT


class ExternalError(DdeError):
    """A tool or service outside dde-ci failed (git, a subprocess, the GitHub API)."""

    exit_code = EXIT_UNEXPECTED


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return `` (did you mean 'x'?)`` for the closest choice, or ``""``."""
    pool = list(choices)
    close = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower().replace("-", ".").replace("_", "."): c for c in pool}
        key = word.lower().replace("-", ".").replace("_", ".")
        if key in lowered:
            close = [lowered[key]]
    return f" (did you mean {close[0]!r}?)" if close else ""


def not_one_of(value: object, allowed: Iterable[str]) -> str:
    """``'deploy' is not one of 'test', 'deployment' (did you mean 'deployment'?)``."""
    pool = list(allowed)
    shown = ", ".join(repr(a) for a in pool)
    return f"{value!r} is not one of {shown}{did_you_mean(str(value), pool)}"


def pydantic_choices(error: Mapping[str, Any]) -> list[str] | None:
    """The allowed values of a pydantic ``enum`` or ``literal_error`` error, else None."""
    import re

    if error.get("type") not in ("enum", "literal_error"):
        return None
    if not isinstance(error.get("input"), (str, int)):
        return None
    return re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
