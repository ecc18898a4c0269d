"""Ignore files: accepted breaking changes, in oasdiff's ``--err-ignore``/``--warn-ignore`` format.

Each line names one change the way oasdiff's ignore files do: the method and
path of the operation (the first word starting with ``/`` is the path) and the
change's text, in any order and case, with any other words around them::

    GET /orders/{id} removed the success response with the status '200'  adr: docs/adr/0007-v2.md
    POST /orders deleted the 'query' request parameter 'dryRun'  expires: 2027-01-31

A change matches a line when the line holds its ``METHOD /path`` (with that
path as the line's path, a ``:`` or ``,`` after it left out) and its message (a
change without an operation: its path, or ``components``, and its message).  A
line copied from ``dde-ci contract diff`` 's text output matches its change.  Blank lines and lines
starting with ``#`` are comments.

dde-ci adds one rule oasdiff does not have: every ignore says why it holds,
with ``adr: PATH`` (an accepted ADR of the project, e.g. under ``docs/adr/``)
and/or ``expires: YYYY-MM-DD`` (the last day it holds).  An ignore with
neither, with an ADR that is missing or not accepted, or past its expiry date
is an error at its line.  The file stays readable by oasdiff: the extra words
do not change what it matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from dde_ci.contracts.diff.changes import Change, DiffResult
from dde_ci.errors import Diagnostic, InputError, Location, ValidationError

IGNORE_OPTIONS = {"error": "--err-ignore", "warning": "--warn-ignore"}
"""The level each kind of ignore file applies to, with its option name (oasdiff's)."""

MAX_IGNORE_BYTES = 1024 * 1024
_ADR = re.compile(r"(?i)\badr:\s*(\S+)")
_EXPIRES = re.compile(r"(?i)\bexpires:\s*(\S+)")


@dataclass(frozen=True)
class Ignore:
    """One line of an ignore file."""

    file: str
    line: int
    level: str  # the level of the changes it ignores: error | warning
    text: str  # the line as written
    adr: str | None = None
    expires: date | None = None
    adr_title: str | None = None

    @property
    def location(self) -> Location:
        return Location(self.file, self.line, 1)

    @property
    def justification(self) -> str:
        parts = [
            f"ADR {self.adr}" if self.adr else "",
            f"until {self.expires}" if self.expires else "",
        ]
        return ", ".join(p for p in parts if p)

    def matches(self, change: Change) -> bool:
        """oasdiff's rule (``checker/ignore.go``), on the change's operation, path and text."""
        if change.level != self.level:
            return False
        line = self.text.lower()
        message = change.message.lower()
        if message not in line:
            return False
        if change.operation and change.path:
            path = next((w for w in line.split() if w.startswith("/")), "").rstrip(":,")
            return path == change.path.lower() and (
                f"{change.operation} {change.path}".lower() in line
            )
        return (change.path or "components").lower() in line

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "level": self.level,
            "text": self.text,
            "adr": self.adr,
            "adr_title": self.adr_title,
            "expires": self.expires.isoformat() if self.expires else None,
        }


@dataclass
class IgnoredChange:
    change: Change
    ignore: Ignore

    def to_json(self) -> dict[str, Any]:
        return {**self.change.to_dict(), "ignored_by": self.ignore.to_json()}


@dataclass
class Ignored:
    """A diff with its ignored changes taken out."""

    result: DiffResult
    ignored: list[IgnoredChange] = field(default_factory=list)
    ignores: list[Ignore] = field(default_factory=list)

    @property
    def unused(self) -> list[Ignore]:
        used = {id(i.ignore) for i in self.ignored}
        return [i for i in self.ignores if id(i) not in used]


def read_ignores(
    path: Path, level: str, root: Path, *, today: date, shown: str | None = None
) -> list[Ignore]:
    """Read an ignore file for changes at ``level``; raise :class:`ValidationError` listing every
    line that has no justification, an ADR that is missing or not accepted, or has expired."""
    from dde_ci.yamlio import read_text

    display = shown or str(path)
    text = read_text(path, max_bytes=MAX_IGNORE_BYTES, what="ignore file")
    out: list[Ignore] = []
    problems: list[Diagnostic] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            out.append(_parse(line, display, number, level, root, today))
        except InputError as exc:
            problems.extend(exc.diagnostics)
    if problems:
        raise ValidationError(problems)
    return out


def _parse(line: str, display: str, number: int, level: str, root: Path, today: date) -> Ignore:
    def at(match: re.Match[str] | None) -> Location:
        return Location(display, number, match.start(1) + 1 if match else 1)

    adr_match, expires_match = _ADR.search(line), _EXPIRES.search(line)
    if adr_match is None and expires_match is None:
        raise InputError(
            "ignore without a reason: add 'adr: docs/adr/NNNN-title.md' (an accepted ADR) "
            "or 'expires: YYYY-MM-DD' to the line",
            at(None),
        )
    expires = None
    if expires_match is not None:
        try:
            expires = date.fromisoformat(expires_match.group(1))
        except ValueError:
            raise InputError(
                f"expires: {expires_match.group(1)!r} is not a date (YYYY-MM-DD)", at(expires_match)
            ) from None
        if expires < today:
            raise InputError(
                f"ignore expired on {expires}: fix the change, or extend the date with a reason",
                at(expires_match),
            )
    adr = adr_title = None
    if adr_match is not None:
        adr = adr_match.group(1)
        adr_title = _accepted_adr(adr, root, at(adr_match))
    return Ignore(display, number, level, line, adr, expires, adr_title)


def _accepted_adr(rel: str, root: Path, where: Location) -> str:
    """The title of the accepted ADR ``rel`` (inside ``root``), else an InputError at ``where``."""
    from dde_ci.audit.adr import load_adr
    from dde_ci.layout import inside

    path = inside(root, rel, what="ADR", location=where)
    if not path.is_file():
        raise InputError(f"ADR {rel} does not exist", where)
    adr = load_adr(path, shown=rel)
    if adr.status != "accepted":
        raise InputError(
            f"ADR {rel} is {adr.status or 'without a status'!r}, not 'accepted'", where
        )
    return adr.title


def apply_ignores(result: DiffResult, ignores: list[Ignore]) -> Ignored:
    """``result`` without the changes an ignore matches (which are listed apart).

    The remaining result still counts as a change (a minor version at least) when
    something was ignored: an accepted breaking change is still a change.
    """
    if not ignores:
        return Ignored(result, [], [])
    kept: list[Change] = []
    ignored: list[IgnoredChange] = []
    for change in result.changes:
        match = next((i for i in ignores if i.matches(change)), None)
        if match is None:
            kept.append(change)
        else:
            ignored.append(IgnoredChange(change, match))
    out = DiffResult(
        result.contract_type,
        kept,
        result.documentation_changed,
        result.unclassified_changed or bool(ignored),
    )
    return Ignored(out, ignored, list(ignores))


def load_ignore_files(
    files: dict[str, Path | None], root: Path, *, today: date | None = None
) -> list[Ignore]:
    """Read the ignore files given per level (``{"error": path, "warning": path}``)."""
    from datetime import UTC, datetime

    day = today or datetime.now(UTC).date()
    out: list[Ignore] = []
    problems: list[Diagnostic] = []
    for level, path in files.items():
        if path is None:
            continue
        if level not in IGNORE_OPTIONS:
            raise InputError(f"ignore level {level!r} is not one of {', '.join(IGNORE_OPTIONS)}")
        try:
            out.extend(read_ignores(path, level, root, today=day, shown=_shown(path, root)))
        except InputError as exc:
            problems.extend(exc.diagnostics)
    if problems:
        raise ValidationError(problems)
    return out


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
