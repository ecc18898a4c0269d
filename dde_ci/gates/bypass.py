"""Bypassing a gate with an Architecture Decision Record (MADR) in ``docs/adr/``.

An ADR's YAML front matter lists the gates it bypasses::

    ---
    status: accepted
    date: 2026-11-20
    bypass:
      - gate: coverage-80
        node: BE.Orders          # a node id or a pattern such as "BE.*"
        expires: 2026-12-31      # optional; the last day the bypass holds
    ---
    # Accept 72% coverage on the orders service until the refactoring lands
    ...

A failing gate is bypassed only when an ADR lists it for the node, its status
is ``accepted``, it has not expired, and the gate's ``bypass`` policy allows it
(``allowed``, ``require_expiry``, ``max_days``).  Otherwise the bypass is
refused and the gate keeps its status, with the reason in the message.  A
bypassed gate is still evaluated and reports its actual values.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import threading
from dataclasses import dataclass, field
from datetime import UTC, date
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from dde_ci.errors import InputError, Location, ValidationError
from dde_ci.yamlio import load_yaml_text, read_text

if TYPE_CHECKING:
    from dde_ci.gates.definitions import BypassPolicy

ADR_DIR = "docs/adr"
MAX_ADR_BYTES = 1024 * 1024


class BypassEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    gate: str = Field(min_length=1)
    node: str = Field(min_length=1)
    expires: date | None = None


class FrontMatter(BaseModel):
    """MADR front matter; keys other than these (decision-makers, ...) are kept as they are."""

    model_config = ConfigDict(extra="allow", frozen=True)

    status: str = "proposed"
    date: dt.date | None = None
    bypass: list[BypassEntry] = Field(default_factory=list)


@dataclass(frozen=True)
class Adr:
    path: str  # relative to the project root, posix
    status: str
    decided: date | None
    entries: tuple[BypassEntry, ...]
    location: Location


@dataclass
class AdrIndex:
    adrs: list[Adr] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BypassDecision:
    granted: bool
    adr: str | None = None
    reason: str = ""


def front_matter_text(text: str) -> str | None:
    """The front matter of a Markdown file, with its opening ``---`` (line numbers kept)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        return None
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            return "".join(lines[:i])
    return None


def read_adr(path: Path, shown: str) -> Adr | None:
    """Parse one ADR; None when it has no front matter.  Bad front matter raises InputError."""
    import pydantic

    text = read_text(path, max_bytes=MAX_ADR_BYTES, what="ADR")
    head = front_matter_text(text)
    if head is None:
        return None
    doc = load_yaml_text(head, shown, what="ADR front matter")
    if not isinstance(doc.data, dict):
        raise InputError("ADR front matter must be a YAML mapping", doc.locate(()))
    try:
        meta = FrontMatter.model_validate(doc.data)
    except pydantic.ValidationError as exc:
        from dde_ci.errors import Diagnostic

        out = []
        for err in exc.errors(include_url=False):
            key = tuple(p for p in err["loc"] if isinstance(p, str | int))
            where = ".".join(str(p) for p in key)
            if err["type"] == "extra_forbidden":
                out.append(Diagnostic(f"unknown key {where!r}", doc.locate_key(key)))
            else:
                out.append(Diagnostic(f"{where}: {err['msg']}", doc.locate(key)))
        raise ValidationError(out) from None
    return Adr(shown, meta.status.strip().lower(), meta.date, tuple(meta.bypass), doc.locate(()))


_CACHE: dict[Path, tuple[tuple[tuple[str, int, int], ...], AdrIndex]] = {}
_LOCK = threading.Lock()


def load_adrs(root: Path) -> AdrIndex:
    """Every ADR under ``root/docs/adr`` (cached until a file changes)."""
    folder = root / ADR_DIR
    if not folder.is_dir():
        return AdrIndex()
    files = sorted(folder.glob("*.md"))
    stamp = tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    with _LOCK:
        hit = _CACHE.get(folder)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    index = AdrIndex()
    for file in files:
        shown = file.relative_to(root).as_posix()
        try:
            adr = read_adr(file, shown)
        except InputError as exc:
            index.problems.extend(str(d) for d in exc.diagnostics)
            continue
        if adr is not None:
            index.adrs.append(adr)
    with _LOCK:
        _CACHE[folder] = (stamp, index)
    return index


def decide(
    root: Path, gate: str, node_id: str, policy: BypassPolicy, today: date | None = None
) -> BypassDecision | None:
    """Whether an ADR bypasses ``gate`` on ``node_id``; None when no ADR asks for it."""
    day = today or dt.datetime.now(UTC).date()
    index = load_adrs(root)
    refusals: list[str] = []
    for adr in index.adrs:
        for entry in adr.entries:
            if entry.gate != gate or not fnmatch.fnmatchcase(node_id, entry.node):
                continue
            reason = _refusal(adr, entry, policy, day)
            if reason is None:
                return BypassDecision(True, adr.path, f"bypassed by {adr.path}")
            refusals.append(f"{adr.path}: {reason}")
    if refusals:
        return BypassDecision(False, None, "bypass refused: " + "; ".join(refusals))
    if index.problems:
        return BypassDecision(
            False,
            None,
            "no valid ADR bypasses it (unreadable ADRs: " + "; ".join(index.problems) + ")",
        )
    return None


def _refusal(adr: Adr, entry: BypassEntry, policy: BypassPolicy, day: date) -> str | None:
    if not policy.allowed:
        return "the gate's policy does not allow a bypass"
    if adr.status != "accepted":
        return f"status is {adr.status!r}, not 'accepted'"
    if entry.expires is None and (policy.require_expiry or policy.max_days is not None):
        return "the gate's policy requires an 'expires' date"
    if entry.expires is not None and day > entry.expires:
        return f"expired on {entry.expires.isoformat()}"
    if policy.max_days is not None and entry.expires is not None:
        start = adr.decided or day
        if (entry.expires - start).days > policy.max_days:
            return (
                f"expires {(entry.expires - start).days} days after {start.isoformat()}; the "
                f"gate's policy allows at most {policy.max_days}"
            )
    return None


def check_bypass_adr(path: Path, *, gate: str, node_id: str, today: date) -> str | None:
    """Why the ADR at ``path`` does not cover bypassing ``gate`` on ``node_id`` (None: it does).

    Used by the audit to re-check a ``bypassed`` gate result; reads the ADR the
    same way the gate evaluation does.  A bad ADR raises :class:`InputError`.
    """
    from dde_ci.gates.definitions import BypassPolicy

    adr = read_adr(path, str(path))
    if adr is None:
        return f"ADR {path} has no YAML front matter"
    reasons = []
    for entry in adr.entries:
        if entry.gate != gate or not fnmatch.fnmatchcase(node_id, entry.node):
            continue
        reason = _refusal(adr, entry, BypassPolicy(), today)
        if reason is None:
            return None
        reasons.append(reason)
    if reasons:
        return f"ADR {path}: " + "; ".join(reasons)
    return f"ADR {path} does not list gate {gate!r} for node {node_id}"
