"""Schemas in request or response context: types, nullability, enums, bounds,
patterns, defaults, properties (added, removed, required, ``readOnly``/
``writeOnly``), composition, discriminators and the JSON Schema 2020-12
keywords, walking into every subschema.
"""

from __future__ import annotations

from typing import Any

from dde_ci.contracts.diff import composition, lifecycle
from dde_ci.contracts.diff.base import (
    _ANY_STRING,
    _BOUNDS,
    _HIDDEN_IDS,
    _SET_IN_REQUEST,
    _SUBSCHEMAS,
    _UNSET_IN_RESPONSE,
    MAX_SCHEMA_DEPTH,
    DifferBase,
    _canon,
    _d,
    _is_ref,
    _l,
    _num,
    _show,
    _Site,
    _tf,
    _widened,
    list_of_types_diff,
    merge_all_of,
    nullable,
    schema_types,
)
from dde_ci.contracts.diff.changes import Change
from dde_ci.contracts.diff.discriminator import discriminator_changes
from dde_ci.contracts.diff.keywords import keyword_changes
from dde_ci.contracts.diff.parameters import extensible_enum_removed


class SchemaRules(DifferBase):
    """The schemas rules of :class:`~dde_ci.contracts.diff.openapi.OpenApiDiffer`."""

    def _schema(
        self,
        base: dict[str, Any],
        rev: dict[str, Any],
        ctx: str,
        site: _Site,
        prop: tuple[str, ...],
        depth: int,
    ) -> None:
        if base is rev or base == rev or depth > MAX_SCHEMA_DEPTH:
            return
        if _is_ref(base) or _is_ref(rev):
            return  # a reference cycle kept unexpanded on one side: compared by identity only
        if self.options.compose == "merge":
            base, rev = merge_all_of(base), merge_all_of(rev)
        scope = "property" if prop else "body"
        name = "/".join(prop)
        label = f"the {ctx} property '{name}'" if prop else f"the {ctx}'s body"
        status = f" for the status '{site.status}'" if ctx == "response" and site.status else ""
        if not prop and composition.wrapped_in_one_of(base, rev):
            text = f"{label} was wrapped in a oneOf with other alternatives{status}"
            self.add(f"{ctx}-body-wrapped-in-one-of", "error", text, site)
            return
        if self._nullable_wrap(base, rev, ctx, site, prop, depth, (scope, label + status)):
            return
        if prop:
            for side, schema in (("base", base), ("revision", rev)):
                _level, error = lifecycle.stability(schema)
                if error:
                    text = f"{label}: {error}"
                    self.add("api-invalid-stability-level", "error", text, site, side=side)

        bt, rt = schema_types(base), schema_types(rev)
        bf, rf = base.get("format"), rev.get("format")
        listed = list_of_types_diff(base, rev)
        if listed is not None:
            # a oneOf/anyOf of plain types: oasdiff reports the list, not its members
            added, deleted = listed
            if ctx == "request":
                verb, level = ("narrowed", "error") if deleted else ("widened", "info")
            else:
                verb, level = ("widened", "error") if added else ("narrowed", "info")
            shown = ", ".join(sorted(added if verb == "widened" else deleted))
            text = f"{label}: the list of types {verb} ({shown}){status}"
            self.add(f"{ctx}-{scope}-list-of-types-{verb}", level, text, site)
        elif (bt and rt and bt != rt) or (bt == rt and bf != rf and bf is not None):
            text = f"{label} type/format changed from {_tf(bt, bf)} to {_tf(rt, rf)}{status}"
            swap = self.loose and "string" in (bt | rt)  # text on the wire either way
            if ctx == "request":
                if _widened(bt, bf, rt, rf):
                    self.add(f"request-{scope}-type-generalized", "info", text, site)
                elif swap:
                    self.add(f"request-{scope}-type-compatible", "info", text, site)
                else:
                    self.add(f"request-{scope}-type-changed", "error", text, site)
            elif _widened(rt, rf, bt, bf):
                self.add(f"response-{scope}-type-specialized", "info", text, site)
            elif swap:
                self.add(f"response-{scope}-type-compatible", "info", text, site)
            elif _widened(bt, bf, rt, rf):
                self.add(f"response-{scope}-type-generalized", "error", text, site)
            else:
                self.add(f"response-{scope}-type-changed", "error", text, site)

        bn, rn = nullable(base), nullable(rev)
        if ctx == "request" and bn and not rn:
            self.add(
                f"request-{scope}-became-not-nullable",
                "error",
                f"{label} became not nullable",
                site,
            )
        elif ctx == "request" and rn and not bn:
            self.add(f"request-{scope}-became-nullable", "info", f"{label} became nullable", site)
        elif ctx == "response" and rn and not bn:
            self.add(
                f"response-{scope}-became-nullable",
                "error",
                f"{label} became nullable{status}",
                site,
            )
        elif ctx == "response" and bn and not rn:
            self.add(
                f"response-{scope}-became-not-nullable",
                "info",
                f"{label} became not nullable{status}",
                site,
            )

        self._enum(base, rev, site, f"{ctx}-{scope}", label + status, response=ctx == "response")
        self._bounds(base, rev, site, ctx, f"{ctx}-{scope}", label, status)
        if ctx == "request":
            self._pattern(base, rev, site, "request-property", label)
        else:
            self._pattern(base, rev, site, "response-property", label, info_only=True)
        if ctx == "request" and prop:
            rule = "request-property-x-extensible-enum-value-removed"
            for removed in extensible_enum_removed(base, rev, rule, label):
                self.add(*removed, site)
        for rule, level, text in keyword_changes(base, rev, ctx, scope, label + status):
            self.add(rule, level, text, site)
        for rule, level, text in discriminator_changes(base, rev, ctx, scope, label + status):
            self.add(rule, level, text, site.down("discriminator"))

        if "default" in base or "default" in rev:
            bd, rd = base.get("default"), rev.get("default")
            if "default" not in base:
                change, text = "added", f"{label} default value {_show(rd)} was added"
            elif "default" not in rev:
                change, text = "removed", f"{label} default value {_show(bd)} was removed"
            elif bd != rd:
                change, text = (
                    "changed",
                    f"{label} default value changed from {_show(bd)} to {_show(rd)}",
                )
            else:
                change = ""
            if change:
                self.add(f"{ctx}-{scope}-default-value-{change}", "info", text, site)

        if prop:
            ids = lifecycle.property_ids(ctx)
            found = lifecycle.deprecation(ids, base, rev, self.op_stability, self.options, label)
            if found:
                self.add(*found, site)
            names = (f"{ctx}-property-stability-decreased", f"{ctx}-property-stability-increased")
            threshold = self.options.stability_level
            changed = lifecycle.stability_change(base, rev, names, label, threshold)
            if changed:
                self.add(*changed, site)

        self._properties(base, rev, ctx, site, prop, depth, status)

        for keyword in _SUBSCHEMAS:
            bi, ri = base.get(keyword), rev.get(keyword)
            if isinstance(bi, dict) and isinstance(ri, dict):
                self._schema(bi, ri, ctx, site.down(keyword), (*prop, keyword), depth + 1)
        for keyword in ("patternProperties", "dependentSchemas"):
            bm, rm = _d(base.get(keyword)), _d(rev.get(keyword))
            for key in bm.keys() & rm.keys():
                if isinstance(bm[key], dict) and isinstance(rm[key], dict):
                    sub = site.down(keyword, key)
                    self._schema(bm[key], rm[key], ctx, sub, (*prop, key), depth + 1)
        bpi, rpi = _l(base.get("prefixItems")), _l(rev.get("prefixItems"))
        for index, (bi, ri) in enumerate(zip(bpi, rpi, strict=False)):
            if isinstance(bi, dict) and isinstance(ri, dict):
                sub = site.down("prefixItems", index)
                self._schema(bi, ri, ctx, sub, (*prop, "prefixItems", str(index)), depth + 1)
        for keyword in ("allOf",) if listed else ("anyOf", "oneOf", "allOf"):
            self._alternatives(base, rev, keyword, ctx, site, (scope, label), prop, depth)

    def _properties(
        self,
        base: dict[str, Any],
        rev: dict[str, Any],
        ctx: str,
        site: _Site,
        prop: tuple[str, ...],
        depth: int,
        status: str,
    ) -> None:
        bp, rp = _d(base.get("properties")), _d(rev.get("properties"))
        breq = {r for r in _l(base.get("required")) if isinstance(r, str)}
        rreq = {r for r in _l(rev.get("required")) if isinstance(r, str)}
        if not bp and not rp and breq == rreq:
            return
        hidden = "readOnly" if ctx == "request" else "writeOnly"

        def full(name: str) -> str:
            return "/".join((*prop, name))

        for name, schema in bp.items():
            if name in rp:
                continue
            psite = site.down("properties", name)
            if _d(schema).get(hidden) is True:
                if ctx == "response":
                    kind = "required" if name in breq else "optional"
                    text = f"removed the {kind} write-only property '{full(name)}'{status}"
                    self.add(f"response-{kind}-write-only-property-removed", "info", text, psite)
                continue
            if ctx == "request":
                self.add(
                    "request-property-removed",
                    "warning",
                    f"removed the request property '{full(name)}'",
                    psite,
                    side="base",
                )
            elif name in breq:
                self.add(
                    "response-required-property-removed",
                    "error",
                    f"removed the required property '{full(name)}' from the response{status}",
                    psite,
                    side="base",
                )
            else:
                self.add(
                    "response-optional-property-removed",
                    "warning",
                    f"removed the optional property '{full(name)}' from the response{status}",
                    psite,
                    side="base",
                )
        for name, schema in rp.items():
            psite = site.down("properties", name)
            rs = _d(schema)
            if name not in bp:
                if rs.get(hidden) is True:
                    if ctx == "response":
                        kind = "required" if name in rreq else "optional"
                        text = f"added the {kind} write-only property '{full(name)}'{status}"
                        self.add(f"response-{kind}-write-only-property-added", "info", text, psite)
                    continue
                if ctx == "request":
                    if name in rreq and "default" not in rs:
                        self.add(
                            "new-required-request-property",
                            "error",
                            f"added the new required request property '{full(name)}'",
                            psite,
                        )
                    elif name in rreq:
                        self.add(
                            "new-required-request-property-with-default",
                            "error",
                            f"added the new required request property '{full(name)}'"
                            " with a default value",
                            psite,
                        )
                    else:
                        self.add(
                            "new-optional-request-property",
                            "info",
                            f"added the new optional request property '{full(name)}'",
                            psite,
                        )
                else:
                    kind = "required" if name in rreq else "optional"
                    self.add(
                        f"response-{kind}-property-added",
                        "info",
                        f"added the {kind} property '{full(name)}' to the response{status}",
                        psite,
                    )
                continue
            bs = _d(bp[name])
            self._access_changed(bs, rs, ctx, name in rreq, psite, full(name), status)
            if ctx == "request":
                if name in rreq and name not in breq and rs.get("readOnly") is not True:
                    if "default" in rs:
                        self.add(
                            "request-property-became-required-with-default",
                            "error",
                            f"the request property '{full(name)}' with a default value"
                            " became required",
                            psite,
                        )
                    else:
                        self.add(
                            "request-property-became-required",
                            "error",
                            f"the request property '{full(name)}' became required",
                            psite,
                        )
                elif name in breq and name not in rreq:
                    self.add(
                        "request-property-became-optional",
                        "info",
                        f"the request property '{full(name)}' became optional",
                        psite,
                    )
            elif ctx == "response" and bs.get(hidden) is True and rs.get(hidden) is True:
                if (name in breq) != (name in rreq):
                    became = "required" if name in rreq else "optional"
                    self.add(
                        f"response-write-only-property-became-{became}",
                        "info",
                        f"the write-only response property '{full(name)}' became {became}{status}",
                        psite,
                    )
            elif name in breq and name not in rreq and rs.get("writeOnly") is not True:
                self.add(
                    "response-property-became-optional",
                    "error",
                    f"the response property '{full(name)}' became optional{status}",
                    psite,
                )
            elif name in rreq and name not in breq:
                self.add(
                    "response-property-became-required",
                    "info",
                    f"the response property '{full(name)}' became required{status}",
                    psite,
                )
            if bs != rs:
                start = len(self.changes)
                self._schema(bs, rs, ctx, psite, (*prop, name), depth + 1)
                if bs.get(hidden) is True and rs.get(hidden) is True:
                    self._hidden(start)

    def _nullable_wrap(
        self,
        base: dict[str, Any],
        rev: dict[str, Any],
        ctx: str,
        site: _Site,
        prop: tuple[str, ...],
        depth: int,
        named: tuple[str, str],
    ) -> bool:
        """A schema wrapped in (or unwrapped from) ``oneOf: [{type: "null"}, schema]``.

        The same schema inside is a nullability change only; a changed one is
        compared with the schema it wraps (oasdiff's nullable wrapping, #1088).
        """
        scope, label = named
        for wrapped, plain, became in ((rev, base, "nullable"), (base, rev, "not-nullable")):
            inner = composition.nullable_wrapped(wrapped)
            if inner is None or composition.nullable_wrapped(plain) is not None:
                continue
            if _canon(inner) == _canon(plain):
                breaks = (ctx == "request") == (became == "not-nullable")
                level = "error" if breaks else "info"
                self.add(f"{ctx}-{scope}-became-{became}", level, f"{label} became {became}", site)
            elif became == "nullable":
                self._schema(plain, inner, ctx, site, prop, depth + 1)
            else:
                self._schema(inner, plain, ctx, site, prop, depth + 1)
            return True
        return False

    def _hidden(self, start: int) -> None:
        """Rename the findings from ``start`` on that oasdiff names apart for hidden properties."""
        for index in range(start, len(self.changes)):
            change = self.changes[index]
            renamed = _HIDDEN_IDS.get(change.id)
            if renamed is not None:
                self.changes[index] = Change(
                    renamed, "info", change.message, change.path, change.operation, change.location
                )

    def _access_changed(
        self,
        base: dict[str, Any],
        rev: dict[str, Any],
        ctx: str,
        required: bool,
        site: _Site,
        name: str,
        status: str,
    ) -> None:
        """``readOnly``/``writeOnly`` set or unset on a property both sides have."""
        kind = "required" if required else "optional"
        for keyword, short in (("readOnly", "read-only"), ("writeOnly", "write-only")):
            before, after = base.get(keyword) is True, rev.get(keyword) is True
            if before == after:
                continue
            became = short if after else f"not-{short}"
            rule = f"{ctx}-{kind}-property-became-{became}"
            level = (
                "warning" if rule == "response-required-property-became-not-write-only" else "info"
            )
            self.add(
                rule, level, f"the {ctx} {kind} property '{name}' became {became}{status}", site
            )

    def _alternatives(
        self,
        base: dict[str, Any],
        rev: dict[str, Any],
        keyword: str,
        ctx: str,
        site: _Site,
        named: tuple[str, str],
        prop: tuple[str, ...],
        depth: int,
    ) -> None:
        scope, label = named
        bl, rl = _l(base.get(keyword)), _l(rev.get(keyword))
        if (not bl and not rl) or bl == rl:
            return
        removed, added, in_place = composition.members_changed(bl, rl)
        for old, new in in_place:  # an alternative changed in place: compare it as a schema
            if isinstance(old, dict) and isinstance(new, dict):
                self._schema(old, new, ctx, site.down(keyword), prop, depth + 1)
        for rule, level, text in composition.composition_changes(
            keyword, removed, added, ctx, scope, label
        ):
            self.add(rule, level, text, site.down(keyword))

    def _enum(
        self,
        base: dict[str, Any],
        rev: dict[str, Any],
        site: _Site,
        prefix: str,
        label: str,
        *,
        response: bool = False,
        parameter: bool = False,
    ) -> None:
        be, re_ = base.get("enum"), rev.get("enum")
        if be == re_:
            return
        if not isinstance(re_, list):
            # enum dropped: widens a request (no change; oasdiff reports each value removed,
            # an error); in a response each value is reported removed at info, as oasdiff does
            if response and isinstance(be, list):
                body = prefix == "response-body"
                rule = (
                    "response-mediatype-enum-value-removed"
                    if body
                    else ("response-property-enum-value-removed")
                )
                for value in be:
                    self.add(
                        rule, "info", f"removed the {_show(value)} enum value from {label}", site
                    )
            return
        if not isinstance(be, list):
            if not response:
                self.add(
                    f"{prefix}-became-enum",
                    "error",
                    f"{label} was restricted to a list of enum values",
                    site,
                )
            return
        bset = {_canon(v): v for v in be}
        rset = {_canon(v): v for v in re_}
        removed = [bset[k] for k in bset if k not in rset]
        added = [rset[k] for k in rset if k not in bset]
        if response:
            rule = "response-property-enum-value"
            if prefix == "response-body":
                for value in removed:
                    text = f"removed the {_show(value)} enum value from {label}"
                    self.add("response-mediatype-enum-value-removed", "info", text, site)
                removed = []
            for value in added:
                self.add(
                    f"{rule}-added",
                    "warning",
                    f"added the new {_show(value)} enum value to {label}",
                    site,
                )
            for value in removed:
                self.add(
                    f"{rule}-removed",
                    "info",
                    f"removed the {_show(value)} enum value from {label}",
                    site,
                )
            return
        rule = "request-parameter-enum-value" if parameter else f"{prefix}-enum-value"
        for value in removed:
            self.add(
                f"{rule}-removed",
                "error",
                f"removed the enum value {_show(value)} from {label}",
                site,
            )
        for value in added if rule != "request-body-enum-value" else ():
            self.add(
                f"{rule}-added", "info", f"added the new enum value {_show(value)} to {label}", site
            )

    def _bounds(
        self,
        base: dict[str, Any],
        rev: dict[str, Any],
        site: _Site,
        ctx: str,
        prefix: str,
        label: str,
        status: str = "",
    ) -> None:
        for flag, short in (
            ("exclusiveMinimum", "exclusive-min"),
            ("exclusiveMaximum", "exclusive-max"),
        ):
            # OpenAPI 3.0's boolean form: true makes the bound next to it exclusive (tighter)
            bflag, rflag = base.get(flag), rev.get(flag)
            if not (isinstance(bflag, bool) or isinstance(rflag, bool)) or bflag == rflag:
                continue
            tighter = rflag is True
            if ctx == "request" and tighter:
                text = f"{label}: the {flag} was set to true"
                self.add(f"{prefix}-{short}-set", "warning", text, site)
            elif ctx == "request" and bflag is True and rflag is False:
                verb = "decreased" if short == "exclusive-min" else "increased"
                text = f"{label}: the {flag} was changed from true to false"
                self.add(f"{prefix}-{short}-{verb}", "info", text, site)
            elif ctx == "response" and bflag is True and not tighter:
                verb = "decreased" if short == "exclusive-min" else "increased"
                text = f"{label}: the {flag} was changed from true to {rflag}{status}"
                self.add(f"{prefix}-{short}-{verb}", "error", text, site)
        for keyword, short, request_breaks, response_breaks in _BOUNDS:
            bv, rv = _num(base.get(keyword)), _num(rev.get(keyword))
            if bv == rv:
                continue
            text_b, text_r = base.get(keyword), rev.get(keyword)
            if ctx == "request":
                if bv is None and rv is not None:
                    if short in _SET_IN_REQUEST:
                        self.add(
                            f"{prefix}-{short}-set",
                            "warning",
                            f"{label}: the {keyword} was set to {text_r}",
                            site,
                        )
                    continue
                if rv is None or bv is None:
                    continue
                grew = rv > bv
                if prefix != "request-parameter" and (
                    short == "max-items" or (short == "min-items" and not grew)
                ):
                    continue  # oasdiff has these rules for parameters only
                breaks = (request_breaks == "increase") == grew
                verb = "increased" if grew else "decreased"
                self.add(
                    f"{prefix}-{short}-{verb}",
                    "error" if breaks else "info",
                    f"{label}: the {keyword} was {verb} from {text_b} to {text_r}",
                    site,
                )
            else:
                if response_breaks is None:
                    continue
                if bv is not None and rv is None:
                    if short in _UNSET_IN_RESPONSE:
                        self.add(
                            f"{prefix}-{short}-unset",
                            "error",
                            f"{label}: the {keyword} was unset from {text_b}{status}",
                            site,
                        )
                    continue
                if rv is None or bv is None:
                    continue
                grew = rv > bv
                if (response_breaks == "increase") == grew:
                    verb = "increased" if grew else "decreased"
                    self.add(
                        f"{prefix}-{short}-{verb}",
                        "error",
                        f"{label}: the {keyword} was {verb} from {text_b} to {text_r}{status}",
                        site,
                    )

    def _pattern(
        self,
        base: dict[str, Any],
        rev: dict[str, Any],
        site: _Site,
        prefix: str,
        label: str,
        *,
        info_only: bool = False,
    ) -> None:
        bp, rp = base.get("pattern") or None, rev.get("pattern") or None
        if bp == rp:
            return
        if bp is None:
            level, change, text = "error", "added", f"added the pattern {_show(rp)} to {label}"
        elif rp is None:
            level, change, text = "info", "removed", f"removed the pattern {_show(bp)} from {label}"
        elif rp in _ANY_STRING:
            level, change = "info", "generalized"
            text = (
                f"changed the pattern of {label} from {_show(bp)}"
                f" to a more general pattern {_show(rp)}"
            )
        else:
            level, change = "warning", "changed"
            text = f"changed the pattern of {label} from {_show(bp)} to {_show(rp)}"
        if info_only:  # responses: oasdiff reports added, removed and changed, at info
            self.add(
                f"{prefix}-pattern-{'changed' if change == 'generalized' else change}",
                "info",
                text,
                site,
            )
        else:
            self.add(f"{prefix}-pattern-{change}", level, text, site)
