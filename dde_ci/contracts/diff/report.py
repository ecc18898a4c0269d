"""Render a :class:`~dde_ci.contracts.diff.DiffResult` as text or Markdown (JSON is ``to_dict``)."""

from __future__ import annotations

from dde_ci.contracts.diff.changes import DiffResult

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


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def render_markdown(result: DiffResult, title: str = "Contract diff") -> str:
    """A Markdown section with a table of changes (for PR comments and step summaries)."""
    icon = {"error": "🔴", "warning": "🟠", "info": "🔵"}
    out = [f"### {title} ({result.contract_type})", "", f"**{summary_line(result)}**", ""]
    if result.changes:
        out.append("| level | rule | operation | path | change | location |")
        out.append("| --- | --- | --- | --- | --- | --- |")
        for c in result.changes:
            out.append(
                f"| {icon.get(c.level, '')} {c.level} | `{c.id}` | {_cell(c.operation)} "
                f"| {_cell(c.path)} | {_cell(c.message)} | {_cell(c.location)} |"
            )
    return "\n".join(out) + "\n"
