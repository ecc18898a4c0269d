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

from dde_ci.contracts.diff import lifecycle
from dde_ci.contracts.diff.base import (
    _PLACEHOLDER,
    DifferBase,
    PointerKey,
    _d,
    _is_ref,
    _l,
    _Site,
    _tf,
    _type_widened,
    _widened,
    list_of_types_diff,
    merge_all_of,
    nullable,
    schema_types,
)

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
        listed = list_of_types_diff(bs, rs)
        if listed is not None:
            verb, level = ("narrowed", "error") if listed[1] else ("widened", "info")
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


class ParameterRules(DifferBase):
    """Request parameters: added, removed, required, deprecated, and their schemas."""

    @staticmethod
    def _collect(
        path: str, item: dict[str, Any], op: dict[str, Any]
    ) -> dict[tuple[str, str | int], tuple[dict[str, Any], PointerKey]]:
        names = _PLACEHOLDER.findall(path)
        out: dict[tuple[str, str | int], tuple[dict[str, Any], PointerKey]] = {}
        sources = (
            (_l(item.get("parameters")), ("paths", path, "parameters")),
            (_l(op.get("parameters")), None),
        )
        for params, prefix in sources:
            for index, param in enumerate(params):
                if not isinstance(param, dict) or _is_ref(param):
                    continue
                where = str(param.get("in", ""))
                name = str(param.get("name", ""))
                key: tuple[str, str | int]
                if where == "path" and name in names:
                    key = ("path", names.index(name))
                elif where == "header":
                    key = (where, name.lower())
                else:
                    key = (where, name)
                out[key] = (param, (*prefix, index) if prefix else ("parameters", index))
        return out

    def _parameters(
        self,
        bpath: str,
        bitem: dict[str, Any],
        bop: dict[str, Any],
        rpath: str,
        ritem: dict[str, Any],
        rop: dict[str, Any],
        site: _Site,
    ) -> None:
        base = self._collect(bpath, bitem, bop)
        rev = self._collect(rpath, ritem, rop)

        def at(ptr: PointerKey, root: PointerKey) -> PointerKey:
            return ptr if ptr[:1] == ("paths",) else (*root, *ptr)

        for key, (param, ptr) in base.items():
            if key in rev:
                continue
            psite = _Site(site.path, site.method, at(ptr, site.base_ptr), site.rev_ptr)
            where, name = param.get("in"), param.get("name")
            found = lifecycle.removal(
                ("request-parameter-removed", "warning"),
                "request-parameter-removed-with-deprecation",
                "request-parameter-removed-before-sunset",
                "request-parameter-sunset-parse",
                param,
                self.options,
                f"the {where} request parameter '{name}'",
            )
            if found:
                self.add(*found, psite, side="base")
        for key, (param, ptr) in rev.items():
            psite = _Site(site.path, site.method, site.base_ptr, at(ptr, site.rev_ptr))
            where, name = param.get("in"), param.get("name")
            if key not in base:
                if where != "path" and ptr[:1] == ("paths",) and ptr[-2:-1] == ("parameters",):
                    kind = "required" if param.get("required") is True else "optional"
                    self.add(
                        f"new-{kind}-request-default-parameter-to-existing-path",
                        "error" if kind == "required" else "info",
                        f"added the new {kind} {where} request parameter '{name}'"
                        " to all operations of the path",
                        psite,
                    )
                elif where == "path":
                    self.add(
                        "new-request-path-parameter",
                        "error",
                        f"added the new path request parameter '{name}'",
                        psite,
                    )
                elif param.get("required") is True:
                    self.add(
                        "new-required-request-parameter",
                        "error",
                        f"added the new required {where} request parameter '{name}'",
                        psite,
                    )
                else:
                    self.add(
                        "new-optional-request-parameter",
                        "info",
                        f"added the new optional {where} request parameter '{name}'",
                        psite,
                    )
                continue
            bparam, bptr = base[key]
            if bparam == param:
                continue
            psite.base_ptr = at(bptr, site.base_ptr)
            self._parameter(bparam, param, psite)

    def _parameter(self, bparam: dict[str, Any], rparam: dict[str, Any], site: _Site) -> None:
        where, name = rparam.get("in"), rparam.get("name")
        label = f"the {where} request parameter '{name}'"
        breq = bparam.get("required") is True or where == "path"
        rreq = rparam.get("required") is True or where == "path"
        if rreq and not breq:
            self.add("request-parameter-became-required", "error", f"{label} became required", site)
        elif breq and not rreq:
            self.add("request-parameter-became-optional", "info", f"{label} became optional", site)
        for check in (lifecycle.deprecation, lifecycle.sunset_changed):
            found = check(
                lifecycle.PARAMETER, bparam, rparam, self.op_stability, self.options, label
            )
            if found:
                self.add(*found, site)
        bs, rs = _d(bparam.get("schema")), _d(rparam.get("schema"))
        if bs == rs:
            return
        ssite = site.down("schema")
        bs, rs = merge_all_of(bs), merge_all_of(rs)
        for_label = f"for the {where} request parameter '{name}'"
        bt, rt = schema_types(bs), schema_types(rs)
        bf, rf = bs.get("format"), rs.get("format")
        listed = list_of_types_diff(bs, rs)
        if listed is not None:
            verb, level = ("narrowed", "error") if listed[1] else ("widened", "info")
            text = f"{for_label}, the list of types {verb}"
            self.add(f"request-parameter-list-of-types-{verb}", level, text, ssite)
        elif (bt and rt and bt != rt) or (bt == rt and bf != rf and bf is not None):
            what = "type/format"
            text = f"{for_label}, the {what} was changed from {_tf(bt, bf)} to {_tf(rt, rf)}"
            if _widened(bt, bf, rt, rf):
                self.add("request-parameter-type-generalized", "info", text, ssite)
            else:
                self.add("request-parameter-type-changed", "error", text, ssite)
        if nullable(bs) and not nullable(rs):
            self.add(
                "request-parameter-became-not-nullable",
                "error",
                f"{label} became not nullable",
                ssite,
            )
        elif nullable(rs) and not nullable(bs):
            self.add("request-parameter-became-nullable", "info", f"{label} became nullable", ssite)
        self._enum(bs, rs, ssite, "request-parameter", label, parameter=True)
        rule = "request-parameter-x-extensible-enum-value-removed"
        for found in extensible_enum_removed(bs, rs, rule, label):
            self.add(*found, ssite)
        for found in parameter_property_changes(bs, rs, where == "header", label, _type_widened):
            self.add(*found, ssite)
        bi, ri = _d(bs.get("items")), _d(rs.get("items"))
        if "maxItems" not in bs and "maxItems" not in rs and "maxItems" in bi and "maxItems" in ri:
            # oasdiff also reads maxItems written on the items of an array parameter
            bs, rs = {**bs, "maxItems": bi["maxItems"]}, {**rs, "maxItems": ri["maxItems"]}
        self._bounds(bs, rs, ssite, "request", "request-parameter", for_label)
        self._pattern(bs, rs, ssite, "request-parameter", label)
        explicit = bparam.get("required") is True or rparam.get("required") is True
        if ("default" in bs or "default" in rs) and not explicit:
            # a default matters to clients that omit an optional parameter
            bd, rd = bs.get("default"), rs.get("default")
            if "default" not in bs:
                self.add(
                    "request-parameter-default-value-added",
                    "error",
                    f"{for_label}, default value {_show(rd)} was added",
                    ssite,
                )
            elif "default" not in rs:
                self.add(
                    "request-parameter-default-value-removed",
                    "error",
                    f"{for_label}, default value {_show(bd)} was removed",
                    ssite,
                )
            elif bd != rd:
                self.add(
                    "request-parameter-default-value-changed",
                    "error",
                    f"{for_label}, default value was changed from {_show(bd)} to {_show(rd)}",
                    ssite,
                )
