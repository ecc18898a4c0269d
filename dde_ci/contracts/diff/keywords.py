"""JSON Schema 2020-12 keyword rules (OpenAPI 3.1 schemas, JSON Schema contracts, event payloads).

One function, :func:`keyword_changes`, compares one schema node of a base and a
revision and yields ``(rule id, level, message)`` for the keywords oasdiff's
checker has rules for (its ids at the release named in ``docs/contracts.md``):

===================  ==========================================================
keyword              rule ids (``{ctx}-{scope}-...``)
===================  ==========================================================
contains             ``contains-added``/``-removed``
minContains          ``min-contains-increased``/``-decreased``
maxContains          ``max-contains-increased``/``-decreased``
const                ``const-added``/``-removed``/``-changed``
dependentRequired    ``dependent-required-added``/``-removed``/``-changed`` (per key)
dependentSchemas     ``dependent-schema-added``/``-removed`` (per key)
patternProperties    ``pattern-property-added``/``-removed`` (per pattern)
propertyNames        ``property-names-added``/``-removed``
unevaluated*         ``unevaluated-items-added``/``-removed``, ``unevaluated-properties-...``
contentSchema        ``content-schema-added``/``-removed``
contentMediaType     ``content-media-type-changed``
contentEncoding      ``content-encoding-changed``
prefixItems          ``prefix-items-added``/``-removed``
if / then / else     ``if-added``/``-removed``, ``then-...``, ``else-...``
===================  ==========================================================

``ctx`` is ``request`` or ``response`` and ``scope`` ``body`` or ``property``.
The level follows from the direction: a constraint *added* to what a client
sends (request) rejects input it used to send (error) and, removed, breaks
nothing (info); in a response it is the mirror image.  A changed value
(``const``, ``dependentRequired`` lists, ``content*``) is an error both ways.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

Finding = tuple[str, str, str]

# keyword -> id stem; presence of the keyword is what oasdiff compares
_PRESENCE = (
    ("contains", "contains"),
    ("propertyNames", "property-names"),
    ("unevaluatedItems", "unevaluated-items"),
    ("unevaluatedProperties", "unevaluated-properties"),
    ("contentSchema", "content-schema"),
    ("if", "if"),
    ("then", "then"),
    ("else", "else"),
)
# keyword -> id stem, True when a larger value narrows what is valid
_COUNTS = (("minContains", "min-contains", True), ("maxContains", "max-contains", False))
_CHANGED = (("contentMediaType", "content-media-type"), ("contentEncoding", "content-encoding"))


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _count(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def keyword_changes(
    base: dict[str, Any], rev: dict[str, Any], ctx: str, scope: str, label: str
) -> Iterator[Finding]:
    """Findings for the 2020-12 keywords of one schema node (``label`` names it in messages)."""
    prefix = f"{ctx}-{scope}"
    narrowed, widened = ("error", "info") if ctx == "request" else ("info", "error")

    def added_removed(stem: str, added: bool, what: str) -> Finding:
        verb = "added" if added else "removed"
        level = narrowed if added else widened
        return (
            f"{prefix}-{stem}-{verb}",
            level,
            f"{verb} {what} {'to' if added else 'from'} {label}",
        )

    for keyword, stem in _PRESENCE:
        if (keyword in base) != (keyword in rev):
            yield added_removed(stem, keyword in rev, f"the '{keyword}' subschema")
    for keyword, stem, larger_narrows in _COUNTS:
        bv, rv = _count(base.get(keyword)), _count(rev.get(keyword))
        if bv is None or rv is None or bv == rv:
            continue
        grew = rv > bv
        verb = "increased" if grew else "decreased"
        level = narrowed if grew == larger_narrows else widened
        yield f"{prefix}-{stem}-{verb}", level, f"{label}: {keyword} was {verb} from {bv} to {rv}"
    for keyword, stem in _CHANGED:
        if base.get(keyword) != rev.get(keyword):
            yield (
                f"{prefix}-{stem}-changed",
                "error",
                f"{label}: {keyword} changed from {_show(base.get(keyword))}"
                f" to {_show(rev.get(keyword))}",
            )
    yield from _const(base, rev, prefix, label, narrowed, widened)
    yield from _dependent_required(base, rev, prefix, label, narrowed, widened)
    for keyword, stem, what in (
        ("dependentSchemas", "dependent-schema", "the dependent schema for"),
        ("patternProperties", "pattern-property", "the pattern property"),
    ):
        bm, rm = base.get(keyword), rev.get(keyword)
        bm = bm if isinstance(bm, dict) else {}
        rm = rm if isinstance(rm, dict) else {}
        for key in rm.keys() - bm.keys():
            yield added_removed(stem, True, f"{what} '{key}'")
        for key in bm.keys() - rm.keys():
            yield added_removed(stem, False, f"{what} '{key}'")
    bp, rp = base.get("prefixItems"), rev.get("prefixItems")
    bn = len(bp) if isinstance(bp, list) else 0
    rn = len(rp) if isinstance(rp, list) else 0
    if rn > bn:
        yield (
            f"{prefix}-prefix-items-added",
            "info" if ctx == "request" else "error",
            f"added {rn - bn} prefixItems schema(s) to {label}",
        )
    elif bn > rn:
        yield (
            f"{prefix}-prefix-items-removed",
            "error" if ctx == "request" else "info",
            f"removed {bn - rn} prefixItems schema(s) from {label}",
        )


def _const(
    base: dict[str, Any], rev: dict[str, Any], prefix: str, label: str, narrowed: str, widened: str
) -> Iterator[Finding]:
    if "const" not in base and "const" not in rev:
        return
    if "const" not in base:
        yield f"{prefix}-const-added", narrowed, f"added const {_show(rev['const'])} to {label}"
    elif "const" not in rev:
        yield (
            f"{prefix}-const-removed",
            widened,
            f"removed const {_show(base['const'])} from {label}",
        )
    elif base["const"] != rev["const"]:
        yield (
            f"{prefix}-const-changed",
            "error",
            f"{label}: const changed from {_show(base['const'])} to {_show(rev['const'])}",
        )


def _dependent_required(
    base: dict[str, Any], rev: dict[str, Any], prefix: str, label: str, narrowed: str, widened: str
) -> Iterator[Finding]:
    bm, rm = base.get("dependentRequired"), rev.get("dependentRequired")
    bm = bm if isinstance(bm, dict) else {}
    rm = rm if isinstance(rm, dict) else {}
    for key in sorted(rm.keys() - bm.keys()):
        yield (
            f"{prefix}-dependent-required-added",
            narrowed,
            f"added dependentRequired '{key}' -> {_show(rm[key])} to {label}",
        )
    for key in sorted(bm.keys() - rm.keys()):
        yield (
            f"{prefix}-dependent-required-removed",
            widened,
            f"removed dependentRequired '{key}' from {label}",
        )
    for key in sorted(bm.keys() & rm.keys()):
        if sorted(map(str, bm[key] or [])) != sorted(map(str, rm[key] or [])):
            yield (
                f"{prefix}-dependent-required-changed",
                "error",
                f"{label}: dependentRequired '{key}' changed from {_show(bm[key])}"
                f" to {_show(rm[key])}",
            )
