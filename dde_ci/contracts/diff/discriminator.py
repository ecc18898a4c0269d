"""Discriminator rules: ``discriminator`` and its ``mapping`` added, removed and changed.

oasdiff reports every discriminator change at level info, in requests and
responses alike (``{ctx}-{scope}-discriminator-added``/``-removed``/
``-property-name-changed``, ``-mapping-added``/``-deleted``/``-changed``);
what breaks clients is already found by the rules on the ``oneOf``/``anyOf``
alternatives and the discriminating property itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Finding = tuple[str, str, str]


def discriminator_changes(
    base: dict[str, Any], rev: dict[str, Any], ctx: str, scope: str, label: str
) -> Iterator[Finding]:
    """Findings for the ``discriminator`` of one schema node."""
    bd, rd = base.get("discriminator"), rev.get("discriminator")
    if bd == rd:
        return
    prefix = f"{ctx}-{scope}-discriminator"
    if not isinstance(bd, dict):
        if isinstance(rd, dict):
            yield f"{prefix}-added", "info", f"added the discriminator to {label}"
        return
    if not isinstance(rd, dict):
        yield f"{prefix}-removed", "info", f"removed the discriminator from {label}"
        return
    bname, rname = bd.get("propertyName"), rd.get("propertyName")
    if bname != rname:
        yield (
            f"{prefix}-property-name-changed",
            "info",
            f"the discriminator property name of {label} changed from '{bname}' to '{rname}'",
        )
    bm: dict[str, Any] = bd["mapping"] if isinstance(bd.get("mapping"), dict) else {}
    rm: dict[str, Any] = rd["mapping"] if isinstance(rd.get("mapping"), dict) else {}
    added = sorted(rm.keys() - bm.keys())
    deleted = sorted(bm.keys() - rm.keys())
    if added:
        yield (
            f"{prefix}-mapping-added",
            "info",
            f"added the discriminator mapping keys {added} to {label}",
        )
    if deleted:
        yield (
            f"{prefix}-mapping-deleted",
            "info",
            f"removed the discriminator mapping keys {deleted} from {label}",
        )
    for key in sorted(bm.keys() & rm.keys()):
        if bm[key] != rm[key]:
            yield (
                f"{prefix}-mapping-changed",
                "info",
                f"the discriminator mapping '{key}' of {label} changed"
                f" from '{bm[key]}' to '{rm[key]}'",
            )
