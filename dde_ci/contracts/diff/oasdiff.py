"""Optional engine: run the ``oasdiff`` executable and map its JSON to :class:`Change`.

Only this module knows oasdiff.  ``oasdiff changelog --format json BASE REVISION``
prints a JSON array, one object per change, shaped like::

    {"id": "request-property-type-changed", "text": "...", "level": 3,
     "operation": "POST", "operationId": "createUser", "path": "/users",
     "section": "paths",
     "baseSource": {"file": "base.yaml", "line": 42, "column": 15},
     "revisionSource": {"file": "revision.yaml", "line": 42, "column": 15}}

with ``level`` 3 = ERR, 2 = WARN, 1 = INFO.  :func:`map_oasdiff_json` turns that
into dde-ci's changes; :func:`run_oasdiff` runs the executable (never through a
shell, with a timeout) and raises :class:`~dde_ci.errors.InputError` when it is
not installed, :class:`~dde_ci.errors.ExternalError` when it fails.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from dde_ci.contracts.diff.changes import Change
from dde_ci.errors import ExternalError, InputError

_LEVELS = {3: "error", 2: "warning", 1: "info", "ERR": "error", "WARN": "warning", "INFO": "info"}
TIMEOUT_S = 120


def map_oasdiff_json(payload: Any) -> list[Change]:
    """Map oasdiff's ``--format json`` output (a list, or ``{"changes": [...]}``) to changes."""
    items = payload.get("changes") if isinstance(payload, dict) else payload
    if items is None:
        items = []
    if not isinstance(items, list):
        raise ExternalError("oasdiff printed JSON that is not a list of changes")
    changes: list[Change] = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise ExternalError(f"oasdiff printed an unexpected change: {item!r:.200}")
        level = _LEVELS.get(item.get("level", 1))
        if level is None:
            raise ExternalError(f"oasdiff printed an unknown level {item.get('level')!r}")
        operation = item.get("operation")
        changes.append(
            Change(
                id=item["id"],
                level=level,
                message=str(item.get("text") or item["id"]),
                path=item.get("path") or None,
                operation=operation.upper() if isinstance(operation, str) and operation else None,
                location=_source(item.get("revisionSource")) or _source(item.get("baseSource")),
            )
        )
    return changes


def _source(source: Any) -> str | None:
    if not isinstance(source, dict) or not source.get("file"):
        return None
    line, column = source.get("line") or 0, source.get("column") or 0
    if line:
        return f"{source['file']}:{line}:{column or 1}"
    return str(source["file"])


def oasdiff_executable() -> str:
    """Path of ``oasdiff`` on PATH, or an :class:`InputError` saying how to get it."""
    found = shutil.which("oasdiff")
    if found is None:
        raise InputError(
            "--engine oasdiff needs the 'oasdiff' executable on PATH "
            "(https://github.com/oasdiff/oasdiff#installation); "
            "or use the built-in engine (--engine builtin)"
        )
    return found


def run_oasdiff(base: Path, revision: Path) -> list[Change]:
    """Run ``oasdiff changelog --format json`` on two files and map the result."""
    exe = oasdiff_executable()
    command = [exe, "changelog", "--format", "json", str(base), str(revision)]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise ExternalError(
            f"oasdiff did not finish within {TIMEOUT_S} s: {' '.join(command)}"
        ) from None
    except OSError as exc:
        raise ExternalError(f"cannot run {exe}: {exc.strerror}") from None
    if done.returncode != 0:
        raise ExternalError(
            f"{' '.join(command)} exited with {done.returncode}\n"
            f"stdout: {done.stdout.strip()[:2000]}\nstderr: {done.stderr.strip()[:2000]}"
        )
    text = done.stdout.strip() or "[]"
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExternalError(f"oasdiff printed invalid JSON: {exc.msg}") from None
    return map_oasdiff_json(payload)
