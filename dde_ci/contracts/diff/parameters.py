"""Parameter rules beyond the scalar schema: object-valued parameters and extensible enums.

* ``x-extensible-enum`` (Zalando's convention: the listed values are known
  today, more may come): removing a value a client sends is
  ``request-property-x-extensible-enum-value-removed`` /
  ``request-parameter-x-extensible-enum-value-removed`` (error).
* A parameter whose schema is an object (``style: deepObject``, a header of
  ``key=value`` pairs ...) has properties of its own, with oasdiff's
  ``request-parameter-property-*`` rules (enum values, type, nullable) and,
  for a header, ``request-header-property-*`` (became enum, became required,
  new required property).  A property's type change is ``-specialized``
  (error) when it breaks strongly and loosely typed clients alike,
  ``-generalized`` (info) when it breaks neither, and ``-changed`` (warning)
  when it depends (a value sent as a string may still parse).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

Finding = tuple[str, str, str]


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def extensible_enum_removed(
    base: dict[str, Any], rev: dict[str, Any], rule: str, label: str
) -> Iterator[Finding]:
    """``rule`` (error) for each ``x-extensible-enum`` value ``rev`` no longer lists."""
    be, re_ = base.get("x-extensible-enum"), rev.get("x-extensible-enum")
    if not isinstance(be, list) or not isinstance(re_, list):
        return
    kept = {_show(v) for v in re_}
    for value in be:
        if _show(value) not in kept:
            yield rule, "error", f"removed the x-extensible-enum value {_show(value)} of {label}"


def parameter_property_changes(
    base: dict[str, Any],
    rev: dict[str, Any],
    header: bool,
    label: str,
    widened: Callable[[dict[str, Any], dict[str, Any]], bool | None],
) -> Iterator[Finding]:
    """Findings for the properties of an object-valued parameter schema.

    ``widened(base, rev)`` says whether a property's type/format change only
    widens (None: the type did not change).
    """
    bp, rp = base.get("properties"), rev.get("properties")
    if not isinstance(bp, dict) or not isinstance(rp, dict):
        return
    breq = {r for r in base.get("required") or [] if isinstance(r, str)}
    rreq = {r for r in rev.get("required") or [] if isinstance(r, str)}
    for name in rp:
        where = f"the property '{name}' of {label}"
        bs, rs = bp.get(name), rp[name]
        if not isinstance(rs, dict):
            continue
        if not isinstance(bs, dict):
            if header and name in rreq:
                yield "new-required-request-header-property", "error", f"added required {where}"
            continue
        if header and name in rreq and name not in breq:
            yield "request-header-property-became-required", "error", f"{where} became required"
        be, re_ = bs.get("enum"), rs.get("enum")
        if isinstance(re_, list) and not isinstance(be, list):
            rule = "request-header-property-became-enum" if header else ""
            if rule:
                yield rule, "error", f"{where} was restricted to a list of enum values"
        elif isinstance(re_, list) and isinstance(be, list):
            kept, old = {_show(v) for v in re_}, {_show(v) for v in be}
            for value in be:
                if _show(value) not in kept:
                    yield (
                        "request-parameter-property-enum-value-removed",
                        "error",
                        f"removed the enum value {_show(value)} of {where}",
                    )
            for value in re_:
                if _show(value) not in old:
                    yield (
                        "request-parameter-property-enum-value-added",
                        "info",
                        f"added the enum value {_show(value)} to {where}",
                    )
        wide = widened(bs, rs)
        btypes, rtypes = bs.get("type"), rs.get("type")
        if isinstance(btypes, list) and isinstance(rtypes, list) and btypes != rtypes:
            narrowed = set(map(str, btypes)) - set(map(str, rtypes))
            verb, level = ("narrowed", "error") if narrowed else ("widened", "info")
            text = f"the list of types of {where} {verb}"
            yield f"request-parameter-property-list-of-types-{verb}", level, text
        elif wide is not None:
            text = f"{where} changed type from {_show(bs.get('type'))} to {_show(rs.get('type'))}"
            loose = rs.get("type") == "string"
            if wide:
                yield "request-parameter-property-type-generalized", "info", text
            elif loose:
                yield "request-parameter-property-type-changed", "warning", text
            else:
                yield "request-parameter-property-type-specialized", "error", text
        bn, rn = bs.get("nullable") is True, rs.get("nullable") is True
        if bn and not rn:
            yield "request-parameter-property-became-not-nullable", "error", f"{where} not nullable"
        elif rn and not bn:
            yield "request-parameter-property-became-nullable", "info", f"{where} became nullable"
