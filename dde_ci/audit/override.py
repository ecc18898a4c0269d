"""Audit overrides: an accepted ADR that lets one failed iteration through the deployment gate.

The ADR is MADR with front matter naming the iteration and its approvers::

    ---
    status: accepted
    date: 2026-11-27
    deciders: [Alice Moreau, Bo Chen]
    audit_override:
      iteration: Iter-20261127-001
      approvers: [Alice Moreau, Bo Chen]
      expires: 2026-12-04        # optional
    ---
    # Ship Iter-20261127-001 although SEC.Scan was skipped

``approvers`` falls back to MADR's ``deciders``.  An ADR that is not accepted,
names another iteration, has no approvers or has expired is refused with a
``path:line:col`` error (exit 2): an override that does not apply must never
look as if it did.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from dde_ci.audit.adr import load_adr, names, parse_day
from dde_ci.audit.model import Override
from dde_ci.errors import InputError, Location

KEY = "audit_override"


def load_override(path: Path, iteration_id: str, *, today: date | None = None) -> Override:
    """Check the override ADR at ``path`` for ``iteration_id``; raise :class:`InputError` if not."""
    adr = load_adr(path)
    where = adr.shown
    if adr.status != "accepted":
        raise InputError(
            f"override ADR status is {adr.meta.get('status')!r}, it must be 'accepted' "
            "before it can let an iteration through",
            adr.locate("status") if "status" in adr.meta else Location(where, 1, 1),
        )
    section = adr.meta.get(KEY)
    if not isinstance(section, dict):
        raise InputError(
            f"override ADR has no '{KEY}' mapping naming the iteration and its approvers; "
            f"add '{KEY}: {{iteration: {iteration_id}, approvers: [...]}}' to its front matter",
            adr.locate(KEY) if KEY in adr.meta else Location(where, 2, 1),
        )
    named = section.get("iterations", section.get("iteration"))
    iterations = names(named) if named is not None else []
    if iteration_id not in iterations:
        raise InputError(
            f"override ADR names iteration(s) {', '.join(iterations) or 'none'}, "
            f"not {iteration_id!r}; an override covers only the iterations it names",
            adr.locate(KEY, "iteration" if "iteration" in section else "iterations"),
        )
    approvers = names(section.get("approvers")) or names(adr.meta.get("deciders"))
    if not approvers:
        raise InputError(
            f"override ADR names no approvers: list them in '{KEY}.approvers' "
            "(or MADR's 'deciders')",
            adr.locate(KEY),
        )
    expires_raw = section.get("expires")
    expires = parse_day(expires_raw)
    if expires_raw is not None and expires is None:
        raise InputError(
            f"override ADR expiry {expires_raw!r} is not a date such as 2026-12-31",
            adr.locate(KEY, "expires"),
        )
    day = today or datetime.now(UTC).date()
    if expires is not None and expires < day:
        raise InputError(
            f"override ADR expired on {expires.isoformat()}; write a new ADR to override again",
            adr.locate(KEY, "expires"),
        )
    when = parse_day(adr.meta.get("date"))
    return Override(
        adr=where,
        title=adr.title,
        approvers=approvers,
        date=when.isoformat() if when else None,
        expires=expires.isoformat() if expires else None,
    )
