"""JSON Schema (event payload) differ with dde-ci's own stable rule ids.

An event schema is a promise in two directions: producers must keep emitting
payloads that old consumers understand, and payloads valid yesterday should
stay valid.  So a change is an ``error`` when it removes something a consumer
may read or rejects a payload that was valid before; a ``warning`` when it may
surprise a consumer without invalidating anything (a new enum value, an
alternative added); ``info`` when it only widens.

Rule ids (stable, documented in ``docs/contracts.md``):

=================================  =======  =====================================
id                                 level    when
=================================  =======  =====================================
``property-removed``               error    a property disappears
``required-property-added``        error    a new property is required
``property-became-required``       error    an existing property becomes required
``property-became-optional``       warning  consumers may no longer rely on it
``property-added``                 info     a new optional property
``type-changed``                   error    the type narrows or changes
``type-widened``                   info     the type accepts more (integer->number)
``became-not-nullable``            error    null no longer valid
``became-nullable``                warning  consumers may now receive null
``enum-added``                     error    a free value becomes an enum
``enum-value-removed``             error    an enum value disappears
``enum-value-added``               warning  consumers may receive a new value
``enum-removed``                   info     the enum restriction is dropped
``const-changed``                  error    a const value is added or changed
``additional-properties-closed``   error    extra properties were allowed, now refused
``additional-properties-opened``   info     extra properties are now allowed
``{keyword}-tightened``            error    a bound moves inward or is newly set
``{keyword}-relaxed``              info     a bound moves outward or is removed
``pattern-added``/``-changed``     warning  may reject strings (not decidable)
``pattern-removed``                info
``format-changed``                 warning  may reject strings
``alternative-removed``            error    an anyOf/oneOf branch disappears
``alternative-added``              warning  consumers may receive a new shape
=================================  =======  =====================================

``{keyword}`` is one of ``maximum``, ``minimum``, ``exclusive-maximum``,
``exclusive-minimum``, ``max-length``, ``min-length``, ``max-items``,
``min-items``, ``max-properties``, ``min-properties``, ``multiple-of``,
``unique-items``.

JSON Schema 2020-12 keywords use oasdiff's schema rule ids without their
``request-body-`` prefix, at the level oasdiff gives them in a request (a
payload that was valid must stay valid): ``contains-added`` (error),
``min-contains-increased``, ``dependent-required-added``/``-changed``,
``dependent-schema-added``, ``pattern-property-added``,
``property-names-added``, ``unevaluated-items-added``,
``unevaluated-properties-added``, ``content-schema-added``,
``content-media-type-changed``, ``content-encoding-changed``,
``prefix-items-removed``, ``if-added``/``then-added``/``else-added`` (error);
their opposites are info (see :mod:`dde_ci.contracts.diff.keywords`).  The
subschemas of ``not``, ``if``/``then``/``else``, ``contains``,
``propertyNames``, ``patternProperties``, ``dependentSchemas``,
``prefixItems``, ``unevaluated*`` and ``contentSchema`` are compared in place.
"""

from __future__ import annotations

from typing import Any

from dde_ci.contracts.diff.base import (
    IN_PLACE_SUBSCHEMAS,
    MAX_SCHEMA_DEPTH,
    PointerKey,
    _canon,
    _d,
    _is_ref,
    _l,
    _num,
    _show,
    _widened,
    merge_all_of,
    nullable,
    pointer,
    schema_types,
)
from dde_ci.contracts.diff.changes import Change
from dde_ci.contracts.diff.keywords import keyword_changes
from dde_ci.contracts.diff.options import DiffOptions

_SUBSCHEMAS = IN_PLACE_SUBSCHEMAS  # compared in place

# keyword -> (id stem, True when a larger value tightens)
_BOUNDS = (
    ("maximum", "maximum", False),
    ("minimum", "minimum", True),
    ("exclusiveMaximum", "exclusive-maximum", False),
    ("exclusiveMinimum", "exclusive-minimum", True),
    ("maxLength", "max-length", False),
    ("minLength", "min-length", True),
    ("maxItems", "max-items", False),
    ("minItems", "min-items", True),
    ("maxProperties", "max-properties", False),
    ("minProperties", "min-properties", True),
)


class JsonSchemaDiffer:
    """Compare two resolved JSON Schemas; :meth:`run` returns the changes."""

    def __init__(self) -> None:
        self.changes: list[Change] = []

    def add(
        self, rule: str, level: str, message: str, where: str, ptr: PointerKey, side: str
    ) -> None:
        self.changes.append(
            Change(
                id=rule,
                level=level,
                message=message,
                path=where or "/",
                operation=None,
                location=f"{side}#{pointer(ptr)}",
            )
        )

    def run(self, base: Any, rev: Any) -> list[Change]:
        if isinstance(base, bool) or isinstance(rev, bool):
            if base != rev:
                level = "error" if rev is False else "info"
                self.add(
                    "schema-changed",
                    level,
                    f"schema changed from {base} to {rev}",
                    "",
                    (),
                    "revision",
                )
            return self.changes
        self._schema(_d(base), _d(rev), "", (), 0)
        return self.changes

    def _schema(
        self, base: dict[str, Any], rev: dict[str, Any], where: str, ptr: PointerKey, depth: int
    ) -> None:
        if base is rev or base == rev or depth > MAX_SCHEMA_DEPTH:
            return
        if _is_ref(base) or _is_ref(rev):
            return
        base, rev = merge_all_of(base), merge_all_of(rev)
        shown = where or "the payload"

        def add(rule: str, level: str, text: str, side: str = "revision") -> None:
            self.add(rule, level, text, where, ptr, side)

        bt, rt = schema_types(base), schema_types(rev)
        bf, rf = base.get("format"), rev.get("format")
        if (bt or rt) and bt != rt:
            if _widened(bt, None, rt, None):
                add("type-widened", "info", f"{shown}: type widened from {_t(bt)} to {_t(rt)}")
            else:
                add("type-changed", "error", f"{shown}: type changed from {_t(bt)} to {_t(rt)}")
        if bf != rf and rf is not None:
            add(
                "format-changed",
                "warning",
                f"{shown}: format changed from {_show(bf)} to {_show(rf)}",
            )
        bn, rn = nullable(base), nullable(rev)
        if bn and not rn:
            add("became-not-nullable", "error", f"{shown} became not nullable")
        elif rn and not bn:
            add("became-nullable", "warning", f"{shown} became nullable")

        be, re_ = base.get("enum"), rev.get("enum")
        if be != re_:
            if isinstance(re_, list) and not isinstance(be, list):
                add("enum-added", "error", f"{shown} was restricted to a list of enum values")
            elif isinstance(be, list) and not isinstance(re_, list):
                add("enum-removed", "info", f"{shown}: the enum restriction was removed")
            elif isinstance(be, list) and isinstance(re_, list):
                bset, rset = {_canon(v): v for v in be}, {_canon(v): v for v in re_}
                for key, value in bset.items():
                    if key not in rset:
                        add(
                            "enum-value-removed",
                            "error",
                            f"removed the enum value {_show(value)} from {shown}",
                        )
                for key, value in rset.items():
                    if key not in bset:
                        add(
                            "enum-value-added",
                            "warning",
                            f"added the enum value {_show(value)} to {shown}",
                        )
        if "const" in rev and (("const" not in base) or base["const"] != rev["const"]):
            add("const-changed", "error", f"{shown}: const set to {_show(rev['const'])}")
        elif "const" in base and "const" not in rev:
            add("const-removed", "info", f"{shown}: const {_show(base['const'])} removed")

        for keyword, stem, larger_tightens in _BOUNDS:
            self._bound(base, rev, keyword, stem, larger_tightens, shown, add)
        bm, rm = _num(base.get("multipleOf")), _num(rev.get("multipleOf"))
        if bm != rm:
            relaxed = rm is None or (bm is not None and (bm / rm).is_integer())
            level = "info" if relaxed else "error"
            verb = "relaxed" if relaxed else "tightened"
            add(f"multiple-of-{verb}", level, f"{shown}: multipleOf changed from {bm} to {rm}")
        bu, ru = base.get("uniqueItems") is True, rev.get("uniqueItems") is True
        if ru and not bu:
            add("unique-items-tightened", "error", f"{shown}: items must now be unique")
        elif bu and not ru:
            add("unique-items-relaxed", "info", f"{shown}: items need no longer be unique")

        bp, rp = base.get("pattern"), rev.get("pattern")
        if bp != rp:
            if bp is None:
                add("pattern-added", "warning", f"added the pattern {_show(rp)} to {shown}")
            elif rp is None:
                add("pattern-removed", "info", f"removed the pattern {_show(bp)} from {shown}")
            else:
                add(
                    "pattern-changed",
                    "warning",
                    f"changed the pattern of {shown} from {_show(bp)} to {_show(rp)}",
                )

        self._properties(base, rev, where, ptr, depth)
        ba, ra = base.get("additionalProperties", True), rev.get("additionalProperties", True)
        if ba is not False and ra is False:
            add(
                "additional-properties-closed",
                "error",
                f"{shown} no longer allows additional properties",
            )
        elif ba is False and ra is not False:
            add("additional-properties-opened", "info", f"{shown} now allows additional properties")
        elif isinstance(ba, dict) and isinstance(ra, dict):
            self._schema(ba, ra, f"{where}/*", (*ptr, "additionalProperties"), depth + 1)

        bi, ri = base.get("items"), rev.get("items")
        if isinstance(bi, dict) and isinstance(ri, dict):
            self._schema(bi, ri, f"{where}/items", (*ptr, "items"), depth + 1)
        elif bi is not False and ri is False:
            add("max-items-tightened", "error", f"{shown}: no further items allowed")
        for rule, level, text in keyword_changes(base, rev, "request", "body", shown):
            rule = rule.removeprefix("request-body-")
            if not rule.startswith("const-"):  # const is covered above
                add(rule, level, text)
        for keyword in _SUBSCHEMAS:
            bsub, rsub = base.get(keyword), rev.get(keyword)
            if isinstance(bsub, dict) and isinstance(rsub, dict):
                self._schema(bsub, rsub, f"{where}/{keyword}", (*ptr, keyword), depth + 1)
        for keyword in ("patternProperties", "dependentSchemas"):
            bmap, rmap = _d(base.get(keyword)), _d(rev.get(keyword))
            for key in sorted(bmap.keys() & rmap.keys()):
                if isinstance(bmap[key], dict) and isinstance(rmap[key], dict):
                    sub = (*ptr, keyword, key)
                    self._schema(bmap[key], rmap[key], f"{where}/{keyword}[{key}]", sub, depth + 1)
        for index, (bsub, rsub) in enumerate(
            zip(_l(base.get("prefixItems")), _l(rev.get("prefixItems")), strict=False)
        ):
            if isinstance(bsub, dict) and isinstance(rsub, dict):
                sub = (*ptr, "prefixItems", index)
                self._schema(bsub, rsub, f"{where}/prefixItems[{index}]", sub, depth + 1)
        for keyword in ("anyOf", "oneOf"):
            bl, rl = _l(base.get(keyword)), _l(rev.get(keyword))
            if bl == rl:
                continue
            bc, rc = {_canon(m): m for m in bl}, {_canon(m): m for m in rl}
            removed = [k for k in bc if k not in rc]
            added = [k for k in rc if k not in bc]
            if len(removed) == len(added) == 1 and isinstance(bc[removed[0]], dict):
                index = rl.index(rc[added[0]])
                self._schema(
                    bc[removed[0]],
                    rc[added[0]],
                    f"{where}/{keyword}[{index}]",
                    (*ptr, keyword, index),
                    depth + 1,
                )
                continue
            if removed and rl:
                add(
                    "alternative-removed",
                    "error",
                    f"removed {len(removed)} alternative(s) from the {keyword} of {shown}",
                )
            if added and bl:
                add(
                    "alternative-added",
                    "warning",
                    f"added {len(added)} alternative(s) to the {keyword} of {shown}",
                )

    @staticmethod
    def _bound(
        base: dict[str, Any],
        rev: dict[str, Any],
        keyword: str,
        stem: str,
        larger_tightens: bool,
        shown: str,
        add: Any,
    ) -> None:
        raw_b, raw_r = base.get(keyword), rev.get(keyword)
        if isinstance(raw_b, bool) or isinstance(raw_r, bool):
            return  # draft-4 boolean exclusiveMaximum: compared with maximum
        bv, rv = _num(raw_b), _num(raw_r)
        if bv == rv:
            return
        if bv is None:
            add(f"{stem}-tightened", "error", f"{shown}: {keyword} set to {raw_r}")
        elif rv is None:
            add(f"{stem}-relaxed", "info", f"{shown}: {keyword} {raw_b} removed")
        elif (rv > bv) == larger_tightens:
            add(f"{stem}-tightened", "error", f"{shown}: {keyword} changed from {raw_b} to {raw_r}")
        else:
            add(f"{stem}-relaxed", "info", f"{shown}: {keyword} changed from {raw_b} to {raw_r}")

    def _properties(
        self, base: dict[str, Any], rev: dict[str, Any], where: str, ptr: PointerKey, depth: int
    ) -> None:
        bp, rp = _d(base.get("properties")), _d(rev.get("properties"))
        breq = {r for r in _l(base.get("required")) if isinstance(r, str)}
        rreq = {r for r in _l(rev.get("required")) if isinstance(r, str)}
        for name in bp:
            if name not in rp:
                self.add(
                    "property-removed",
                    "error",
                    f"removed the property '{name}'",
                    f"{where}/{name}",
                    (*ptr, "properties", name),
                    "base",
                )
        for name, schema in rp.items():
            at, pptr = f"{where}/{name}", (*ptr, "properties", name)
            if name not in bp:
                if name in rreq:
                    self.add(
                        "required-property-added",
                        "error",
                        f"added the required property '{name}'",
                        at,
                        pptr,
                        "revision",
                    )
                else:
                    self.add(
                        "property-added",
                        "info",
                        f"added the optional property '{name}'",
                        at,
                        pptr,
                        "revision",
                    )
                continue
            if name in rreq and name not in breq:
                self.add(
                    "property-became-required",
                    "error",
                    f"the property '{name}' became required",
                    at,
                    pptr,
                    "revision",
                )
            elif name in breq and name not in rreq:
                self.add(
                    "property-became-optional",
                    "warning",
                    f"the property '{name}' became optional",
                    at,
                    pptr,
                    "revision",
                )
            if isinstance(schema, dict) and isinstance(bp[name], dict):
                self._schema(bp[name], schema, at, pptr, depth + 1)
        for name in sorted(rreq - breq - rp.keys()):
            self.add(
                "property-became-required",
                "error",
                f"the property '{name}' became required",
                f"{where}/{name}",
                (*ptr, "required"),
                "revision",
            )


def _t(types: frozenset[str]) -> str:
    return "'" + ("/".join(sorted(types)) or "any") + "'"


def diff_jsonschema(base: Any, revision: Any, options: DiffOptions | None = None) -> list[Change]:
    """Changes from ``base`` to ``revision`` (both resolved JSON Schemas)."""
    del options
    return JsonSchemaDiffer().run(base, revision)
