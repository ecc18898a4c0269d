"""Everything dde-ci writes to a terminal or to GitHub Actions goes through here.

Under GitHub Actions (``GITHUB_ACTIONS=true``) diagnostics also become
workflow commands (``::error file=...,line=...,col=...::message``) so they show
as annotations on the pull request; the step summary is appended with
:func:`append_step_summary`, step outputs with :func:`set_step_output`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from dde_ci.errors import Diagnostic, safe_lines, safe_text

STEP_SUMMARY_LIMIT = 1024 * 1024  # GitHub's limit per step summary


def on_github() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(
    level: str,
    message: str,
    *,
    file: str | None = None,
    line: int = 0,
    col: int = 0,
    title: str | None = None,
) -> str:
    """A GitHub workflow command such as ``::error file=a.yaml,line=3,col=5::message``."""
    props = []
    if file:
        props.append(f"file={_escape_property(safe_text(file))}")
        if line > 0:
            props.append(f"line={line}")
            if col > 0:
                props.append(f"col={col}")
    if title:
        props.append(f"title={_escape_property(safe_text(title))}")
    head = f"::{level} {','.join(props)}" if props else f"::{level}"
    return f"{head}::{_escape_data(safe_lines(message))}"


def report_diagnostics(diagnostics: Iterable[Diagnostic]) -> None:
    """Print each diagnostic to stderr (and as an annotation under GitHub Actions)."""
    github = on_github()
    for diag in diagnostics:
        click.echo(f"{diag}" if diag.location else f"error: {diag}", err=True)
        if github:
            loc = diag.location
            level = "warning" if diag.severity == "warning" else "error"
            click.echo(
                annotation(
                    level,
                    safe_text(diag.message),
                    file=loc.path if loc else None,
                    line=loc.line if loc else 0,
                    col=loc.col if loc else 0,
                ),
                err=False,
            )


def echo(text: str = "", *, err: bool = False) -> None:
    """Print ``text``: its lines as they are, anything unprintable escaped
    (:func:`dde_ci.errors.safe_lines`), so printed manifest or log text cannot drive the
    terminal."""
    click.echo(safe_lines(text), err=err)


def echo_json(data: Any) -> None:
    """Print strict JSON (no NaN), two-space indented, keys in the given order."""
    click.echo(json.dumps(data, indent=2, allow_nan=False, ensure_ascii=False))


def append_step_summary(markdown: str) -> bool:
    """Append to ``$GITHUB_STEP_SUMMARY`` when it exists, truncated under GitHub's 1 MiB limit."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return False
    path = Path(target)
    try:
        used = path.stat().st_size if path.exists() else 0
    except OSError:
        used = 0
    room = STEP_SUMMARY_LIMIT - used - 1024
    data = markdown.encode()
    if room <= 0:
        return False
    if len(data) > room:
        note = b"\n\n> Truncated: the full report is in the workflow artifact.\n"
        kept = data[: max(0, room - len(note) - 8)].decode("utf-8", "ignore")
        kept = kept[: kept.rfind("\n") + 1]  # whole lines only: no half table row
        if sum(1 for line in kept.splitlines() if line.startswith("```")) % 2:
            kept += "```\n"  # close an open code block so the note shows as text
        data = kept.encode() + note
    try:
        with path.open("ab") as handle:
            handle.write(data + b"\n")
    except OSError:
        return False  # a summary must never fail the step
    return True


def set_step_output(name: str, value: str) -> bool:
    """Append ``name=value`` to ``$GITHUB_OUTPUT`` when it exists (a GitHub step output)."""
    target = os.environ.get("GITHUB_OUTPUT")
    if not target:
        return False
    if "\n" in value or "\r" in value:
        raise ValueError(f"step output {name!r} must be one line")
    with Path(target).open("a", encoding="utf-8") as handle:
        handle.write(f"{name}={value}\n")
    return True


def is_terminal() -> bool:
    return sys.stdout.isatty()
