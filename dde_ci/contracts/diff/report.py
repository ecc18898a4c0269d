"""Render a :class:`~dde_ci.contracts.diff.DiffResult` as text or Markdown (JSON is ``to_dict``).

GitHub workflow commands (``--format githubactions``) are written by ``cli/`` (the one
place that knows GitHub's output syntax) from :func:`annotation_items`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from dde_ci.contracts.diff.changes import LEVELS, Change, DiffResult

if TYPE_CHECKING:
    from dde_ci.contracts.ignore import IgnoredChange

_VERSION_HINT = {
    "breaking": "breaking: a major version",
    "additive": "not breaking: a minor version",
    "documentation": "documentation only: a patch version",
    "none": "no changes",
}


def summary_line(result: DiffResult) -> str:
    """``3 changes: 1 error, 1 warning, 1 info (breaking: a major version)``."""
    total = len(result.changes)
    noun = "change" if total == 1 else "changes"
    counts = ", ".join(f"{result.count(level)} {level}" for level in ("error", "warning", "info"))
    return f"{total} {noun}: {counts} ({_VERSION_HINT[result.kind]})"


def render_text(result: DiffResult) -> str:
    """One line per change, compiler style: ``where: level: [id] GET /path: message``."""
    lines = []
    for change in result.changes:
        where = f"{change.location}: " if change.location else ""
        endpoint = " ".join(p for p in (change.operation, change.path) if p)
        subject = f" {endpoint}:" if endpoint else ""
        lines.append(f"{where}{change.level}: [{change.id}]{subject} {change.message}")
    lines.append(summary_line(result))
    return "\n".join(lines)


_HEADINGS = {
    "error": "🔴 Breaking changes (error)",
    "warning": "🟠 Changes that may break (warning)",
    "info": "🔵 Other changes (info)",
}


def _inline(text: str | None) -> str:
    """``text`` on one line, with Markdown's and HTML's special characters made literal."""
    out = " ".join((text or "").split())
    for char in "\\`*_[]<>|#~":
        out = out.replace(char, "\\" + char)
    return out


def _code(text: str) -> str:
    """``text`` as inline code (a backtick inside lengthens the fence)."""
    fence = "``" if "`" in text else "`"
    return f"{fence}{' '.join(text.split())}{fence}"


def subject(change: Change) -> str:
    """What a change is about: ``GET /orders/{id}``, a path, or the whole document."""
    return " ".join(p for p in (change.operation, change.path) if p) or "(document)"


def _bullet(change: Change, extra: str = "") -> str:
    where = f" ({_code(change.location)})" if change.location else ""
    return f"- {_inline(change.message)} {_code(change.id)}{where}{extra}"


def render_markdown(
    result: DiffResult,
    title: str = "Contract diff",
    ignored: Sequence[IgnoredChange] = (),
) -> str:
    """A PR-comment-ready changelog: the verdict, then the changes grouped by level (most
    severe first) and by operation, then the changes an ignore file accepted."""
    out = [f"### {title} ({result.contract_type})", "", f"**{summary_line(result)}**"]
    for level in LEVELS:
        changes = [c for c in result.changes if c.level == level]
        if not changes:
            continue
        out += ["", f"#### {_HEADINGS[level]}: {len(changes)}"]
        by_subject: dict[str, list[Change]] = {}
        for change in changes:
            by_subject.setdefault(subject(change), []).append(change)
        for name in sorted(by_subject):
            out += ["", f"##### {_code(name)}", ""]
            out += [_bullet(c) for c in by_subject[name]]
    if ignored:
        out += ["", f"#### Accepted by an ignore file: {len(ignored)}", ""]
        for item in ignored:
            why = item.ignore.justification
            out.append(
                _bullet(
                    item.change,
                    f", {item.change.level} in {_code(subject(item.change))}, ignored by "
                    f"{_code(str(item.ignore.location))} ({_inline(why)})",
                )
            )
    return "\n".join(out) + "\n"


GITHUB_LEVELS = {"error": "error", "warning": "warning", "info": "notice"}
"""Change level -> GitHub workflow command (as oasdiff's githubactions format)."""


def annotation_items(result: DiffResult) -> list[tuple[str, str, str, str | None, int, int]]:
    """One ``(command, title, message, file, line, col)`` per change, for GitHub annotations:
    the message says where in the API (``in API GET /orders ...``, as oasdiff writes it)."""
    items = []
    for change in result.changes:
        file, line, col = split_location(change.location)
        endpoint = " ".join(p for p in (change.operation, change.path) if p)
        message = f"in API {endpoint} {change.message}" if change.operation else change.message
        items.append((GITHUB_LEVELS[change.level], change.id, message, file, line, col))
    return items


def split_location(location: str | None) -> tuple[str | None, int, int]:
    """``file:line:col`` -> its parts; a JSON Pointer place (``x#/a``) has no file."""
    if not location or "#" in location:
        return None, 0, 0
    parts = location.rsplit(":", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        return parts[0], int(parts[1]), int(parts[2])
    return location, 0, 0
