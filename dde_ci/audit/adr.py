"""Architecture decision records (MADR) with YAML front matter, as the audit reads them.

MADR keeps its metadata in a YAML front matter block::

    ---
    status: accepted
    date: 2026-11-27
    deciders: [Alice Moreau, Bo Chen]
    ---
    # Deploy Iter-20261127-001 with the flaky payment test

The audit reads ADRs for two reasons: a gate bypass (see ``dde_ci.gates.bypass``,
which owns that format) and an audit override (:mod:`dde_ci.audit.override`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from dde_ci.errors import InputError, Location
from dde_ci.yamlio import YamlDocument, load_yaml_text, read_text

MAX_ADR_BYTES = 1024 * 1024
_FRONT = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n(.*?)^---[ \t]*\r?$", re.S | re.M)
_TITLE = re.compile(r"^#[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)


@dataclass(frozen=True)
class Adr:
    """One ADR: its front matter (with positions), title and where it lives."""

    path: Path
    shown: str
    meta: dict[str, Any]
    doc: YamlDocument
    title: str

    @property
    def status(self) -> str:
        value = self.meta.get("status")
        return str(value).strip().lower() if value is not None else ""

    def locate(self, *key: str | int) -> Location:
        return self.doc.locate(key)


def load_adr(path: Path, *, shown: str | None = None) -> Adr:
    """Read an ADR and its front matter; raises :class:`InputError` with a location."""
    display = shown or str(path)
    text = read_text(path, max_bytes=MAX_ADR_BYTES, what="ADR")
    match = _FRONT.match(text)
    if match is None:
        raise InputError(
            "ADR has no YAML front matter: start it with '---', then 'status: accepted', "
            "'date:' and the decision's metadata, then '---'",
            Location(display, 1, 1),
        )
    body = match.group(1)
    # keep line numbers: front matter starts on line 2 of the file
    doc = load_yaml_text("\n" + body, display, what="ADR front matter")
    if not isinstance(doc.data, dict):
        raise InputError("ADR front matter must be a YAML mapping", Location(display, 2, 1))
    rest = text[match.end() :]
    found = _TITLE.search(rest)
    title = found.group(1) if found else path.stem
    return Adr(path=path, shown=display, meta=doc.data, doc=doc, title=title)


def parse_day(value: Any) -> date | None:
    """A date or timestamp from front matter (``2026-12-01`` or RFC 3339), else None."""
    if value is None:
        return None
    text = str(value).strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).date()
    except ValueError:
        return None


def names(value: Any) -> list[str]:
    """A list of people from front matter: a YAML list or a comma-separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        items: list[Any] = value.split(",")
    elif isinstance(value, list):
        items = value
    else:
        return []
    return [str(v).strip() for v in items if isinstance(v, (str, int)) and str(v).strip()]
