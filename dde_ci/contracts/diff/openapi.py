"""Built-in OpenAPI 3.0/3.1 differ with oasdiff's rule ids and levels.

Input: two documents whose ``$ref`` s are already resolved
(:mod:`dde_ci.contracts.refs`); a reference cycle left unexpanded is compared
by its reference string.  What it does:

* endpoints are matched by path *template*, so ``/orders/{id}`` and
  ``/orders/{orderId}`` are the same path, and path parameters by position;
* schemas are compared in **request** context (what a client sends: narrowing
  breaks) or **response** context (what a client receives: widening breaks),
  skipping ``readOnly`` properties in requests and ``writeOnly`` ones in
  responses; ``allOf`` of object schemas is merged before comparing;
* every finding carries the oasdiff check id and level wherever oasdiff has the
  same rule (``api-path-removed-without-deprecation``, ``request-parameter-removed``,
  ``response-property-enum-value-added``, ...).  Levels follow oasdiff's
  long-standing defaults, including the surprising ones: a new enum value in a
  response is a ``warning``, adding or removing a security requirement is
  ``info``, a removed request parameter is a ``warning``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from dde_ci.contracts.diff import composition, lifecycle
from dde_ci.contracts.diff.changes import Change
from dde_ci.contracts.diff.discriminator import discriminator_changes
from dde_ci.contracts.diff.keywords import keyword_changes
from dde_ci.contracts.diff.mediatypes import rename_rule, renamed_pairs
from dde_ci.contracts.diff.options import DiffOptions
from dde_ci.contracts.diff.parameters import extensible_enum_removed, parameter_property_changes
from dde_ci.contracts.diff.security import oauth_changes
from dde_ci.contracts.diff.versioning import versioning_violation

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MAX_SCHEMA_DEPTH = 64

_PLACEHOLDER = re.compile(r"\{([^}/]*)\}")
PointerKey = tuple[str | int, ...]


def pointer(key: PointerKey) -> str:
    """JSON Pointer text for a key tuple (``/paths/~1orders/get``)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in key)


def path_template(path: str) -> str:
    """``/orders/{orderId}`` -> ``/orders/{}``: the shape that identifies an endpoint."""
    return _PLACEHOLDER.sub("{}", path)


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    return json.dumps(value, sort_keys=True, default=str)


def _num(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _is_ref(schema: Any) -> bool:
    return isinstance(schema, dict) and isinstance(schema.get("$ref"), str)


def schema_types(schema: dict[str, Any]) -> frozenset[str]:
    """The JSON types a schema names (3.0 ``type`` string or 3.1 list, without null)."""
    raw = schema.get("type")
    if isinstance(raw, str):
        return frozenset({raw}) - {"null"}
    if isinstance(raw, list):
        return frozenset(t for t in raw if isinstance(t, str)) - {"null"}
    return frozenset()


def nullable(schema: dict[str, Any]) -> bool:
    """True when ``null`` is allowed: 3.0 ``nullable: true`` or 3.1 ``type: [.., null]``."""
    if schema.get("nullable") is True:
        return True
    raw = schema.get("type")
    if raw == "null" or (isinstance(raw, list) and "null" in raw):
        return True
    return any(
        isinstance(m, dict) and (m.get("type") == "null" or m.get("nullable") is True)
        for kw in ("anyOf", "oneOf")
        for m in _l(schema.get(kw))
    )


def merge_all_of(schema: dict[str, Any]) -> dict[str, Any]:
    """Merge an ``allOf`` of object schemas into one schema (properties and required)."""
    members = _l(schema.get("allOf"))
    if not members or not all(isinstance(m, dict) and not _is_ref(m) for m in members):
        return schema
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    props: dict[str, Any] = dict(_d(merged.get("properties")))
    required: list[Any] = list(_l(merged.get("required")))
    for member in members:
        flat = merge_all_of(member)
        for key, value in flat.items():
            if key == "properties":
                props.update(_d(value))
            elif key == "required":
                required.extend(r for r in _l(value) if r not in required)
            else:
                merged.setdefault(key, value)
    if props:
        merged["properties"] = props
    if required:
        merged["required"] = required
    return merged


# constraint keyword -> (id name, request breaks when it..., response breaks when it ...)
_BOUNDS = (
    ("maximum", "max", "decrease", "increase"),
    ("minimum", "min", "increase", "decrease"),
    ("maxLength", "max-length", "decrease", "increase"),
    ("minLength", "min-length", "increase", "decrease"),
    ("maxItems", "max-items", "decrease", None),
    ("minItems", "min-items", "increase", "decrease"),
    ("exclusiveMaximum", "exclusive-max", "decrease", "increase"),
    ("exclusiveMinimum", "exclusive-min", "increase", "decrease"),
)
# which bounds oasdiff reports when set where none was (request: warn) or unset (response: err)
_SET_IN_REQUEST = frozenset(
    {"max", "min", "max-length", "min-items", "exclusive-max", "exclusive-min"}
)
_UNSET_IN_RESPONSE = frozenset({"max-length", "min-items"})
# keywords whose value is one subschema, compared like a property
_SUBSCHEMAS = (
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
)
# a finding inside a property hidden on this side (readOnly in a request, writeOnly
# in a response) that oasdiff reports under its own id, at info
_HIDDEN_IDS = {
    **{
        f"request-property-{kind}": f"request-read-only-property-{kind}"
        for kind in (
            "enum-value-removed",
            "max-decreased",
            "exclusive-max-decreased",
            "max-length-decreased",
            "min-increased",
            "exclusive-min-increased",
        )
    },
    "response-property-enum-value-added": "response-write-only-property-enum-value-added",
}
# patterns that accept any string: changing to one of them only widens
_ANY_STRING = frozenset({".*", "^.*$", "^.*", ".*$", "(.*)", "[\\s\\S]*"})


class _Site:
    """Where a schema sits: endpoint, response status, and JSON Pointers on each side."""

    __slots__ = ("base_ptr", "method", "path", "rev_ptr", "status")

    def __init__(
        self,
        path: str | None,
        method: str | None,
        base_ptr: PointerKey,
        rev_ptr: PointerKey,
        status: str | None = None,
    ) -> None:
        self.path = path
        self.method = method
        self.base_ptr = base_ptr
        self.rev_ptr = rev_ptr
        self.status = status

    def down(self, *keys: str | int) -> _Site:
        return _Site(
            self.path, self.method, (*self.base_ptr, *keys), (*self.rev_ptr, *keys), self.status
        )


class OpenApiDiffer:
    """Compare two resolved OpenAPI documents; :meth:`run` returns the changes."""

    def __init__(self, options: DiffOptions | None = None) -> None:
        self.changes: list[Change] = []
        self.options = options or DiffOptions()
        self.op_stability = ""
        self.loose = False
        """True while comparing a media type that is not JSON (values arrive as text)."""
        """``x-stability-level`` of the operation being compared (deprecation periods)."""

    # -- reporting ---------------------------------------------------------------

    def add(
        self,
        rule: str,
        level: str,
        message: str,
        site: _Site,
        *,
        side: str = "revision",
    ) -> None:
        ptr = site.base_ptr if side == "base" else site.rev_ptr
        self.changes.append(
            Change(
                id=rule,
                level=level,
                message=message,
                path=site.path,
                operation=site.method.upper() if site.method else None,
                location=f"{side}#{pointer(ptr)}",
            )
        )

    # -- document --------------------------------------------------------------

    def run(self, base: dict[str, Any], revision: dict[str, Any]) -> list[Change]:
        self._paths(_d(base.get("paths")), _d(revision.get("paths")))
        top = _Site(None, None, (), ())
        self._security(
            base.get("security"), revision.get("security"), top.down("security"), glob=True
        )
        self._components(_d(base.get("components")), _d(revision.get("components")))
        self._webhooks(_d(base.get("webhooks")), _d(revision.get("webhooks")))
        breaking = any(change.level == "error" for change in self.changes)
        versioning = versioning_violation(
            _d(base.get("info")).get("version"), _d(revision.get("info")).get("version"), breaking
        )
        if versioning:
            self.add(*versioning, _Site(None, None, ("info", "version"), ("info", "version")))
        return self.changes

    def _webhooks(self, base: dict[str, Any], rev: dict[str, Any]) -> None:
        """OpenAPI 3.1 ``webhooks``: removing one breaks its subscribers (error)."""
        for name in sorted(base.keys() - rev.keys()):
            site = _Site(None, None, ("webhooks", name), ())
            self.add("webhook-removed", "error", f"removed the webhook '{name}'", site, side="base")
        for name in sorted(rev.keys() - base.keys()):
            site = _Site(None, None, (), ("webhooks", name))
            self.add("webhook-added", "info", f"added the webhook '{name}'", site)

    def _components(self, base: dict[str, Any], rev: dict[str, Any]) -> None:
        site = _Site(None, None, ("components",), ("components",))
        bs, rs = _d(base.get("securitySchemes")), _d(rev.get("securitySchemes"))
        for name in bs.keys() - rs.keys():
            self.add(
                "api-security-component-removed",
                "info",
                f"the component security scheme '{name}' was removed",
                site.down("securitySchemes", name),
                side="base",
            )
        for name in rs.keys() - bs.keys():
            self.add(
                "api-security-component-added",
                "info",
                f"the component security scheme '{name}' was added",
                site.down("securitySchemes", name),
            )
        for name in bs.keys() & rs.keys():
            bt, rt = _d(bs[name]).get("type"), _d(rs[name]).get("type")
            if bt != rt:
                self.add(
                    "api-security-component-type-changed",
                    "info",
                    f"the component security scheme '{name}' type changed from {bt} to {rt}",
                    site.down("securitySchemes", name, "type"),
                )
            for found in oauth_changes(name, bs[name], rs[name]):
                self.add(*found, site.down("securitySchemes", name, "flows"))
        bsch, rsch = _d(base.get("schemas")), _d(rev.get("schemas"))
        for name in sorted(bsch.keys() - rsch.keys()):
            self.add(
                "api-schema-removed",
                "info",
                f"removed the schema '{name}'",
                site.down("schemas", name),
                side="base",
            )

    def _paths(self, base: dict[str, Any], rev: dict[str, Any]) -> None:
        rev_by_template: dict[str, str] = {}
        for path in rev:
            rev_by_template.setdefault(path_template(path), path)
        matched: set[str] = set()
        for bpath, bitem in base.items():
            rpath = rev_by_template.get(path_template(bpath))
            if rpath is None:
                self._path_removed(bpath, _d(bitem))
                continue
            matched.add(rpath)
            self._path_item(bpath, _d(bitem), rpath, _d(rev[rpath]))
        for rpath, ritem in rev.items():
            if rpath in matched:
                continue
            for method in METHODS:
                if method in _d(ritem):
                    site = _Site(rpath, method, (), ("paths", rpath, method))
                    self.add("endpoint-added", "info", "endpoint added", site)

    def _path_removed(self, bpath: str, bitem: dict[str, Any]) -> None:
        for method in METHODS:
            op = bitem.get(method)
            if not isinstance(op, dict):
                continue
            site = _Site(bpath, method, ("paths", bpath, method), ())
            level, error = lifecycle.stability(op)
            if error:
                self.add("api-invalid-stability-level", "error", error, site, side="base")
                continue
            if level in lifecycle.UNSTABLE:
                continue
            found = lifecycle.removal(
                ("api-path-removed-without-deprecation", "error"),
                "api-path-removed-with-deprecation",
                "api-path-removed-before-sunset",
                "api-path-sunset-parse",
                op,
                self.options,
                "api path",
            )
            if found:
                self.add(*found, site, side="base")

    def _path_item(
        self, bpath: str, bitem: dict[str, Any], rpath: str, ritem: dict[str, Any]
    ) -> None:
        for method in METHODS:
            bop, rop = bitem.get(method), ritem.get(method)
            site = _Site(rpath, method, ("paths", bpath, method), ("paths", rpath, method))
            if isinstance(bop, dict) and not isinstance(rop, dict):
                site.path = bpath
                level, error = lifecycle.stability(bop)
                if error:
                    self.add("api-invalid-stability-level", "error", error, site, side="base")
                    continue
                if level in lifecycle.UNSTABLE:
                    continue
                found = lifecycle.removal(
                    ("api-removed-without-deprecation", "error"),
                    "api-removed-with-deprecation",
                    "api-removed-before-sunset",
                    "api-path-sunset-parse",
                    bop,
                    self.options,
                    "api",
                )
                if found:
                    self.add(*found, site, side="base")
            elif isinstance(rop, dict) and not isinstance(bop, dict):
                self.add("endpoint-added", "info", "endpoint added", site)
            elif isinstance(bop, dict) and isinstance(rop, dict):
                if bop == rop and bitem.get("parameters") == ritem.get("parameters"):
                    continue
                self._operation(bpath, bitem, bop, rpath, ritem, rop, site)

    # -- operation -------------------------------------------------------------

    def _operation(
        self,
        bpath: str,
        bitem: dict[str, Any],
        bop: dict[str, Any],
        rpath: str,
        ritem: dict[str, Any],
        rop: dict[str, Any],
        site: _Site,
    ) -> None:
        if not self._operation_lifecycle(bop, rop, site):
            return
        bid, rid = bop.get("operationId"), rop.get("operationId")
        if bid is not None and bid != rid:
            self.add(
                "api-operation-id-removed",
                "info",
                f"api operation id '{bid}' removed and replaced with '{rid}'",
                site,
            )
        elif bid is None and rid is not None:
            self.add("api-operation-id-added", "info", f"api operation id '{rid}' was added", site)
        btags, rtags = [t for t in _l(bop.get("tags"))], [t for t in _l(rop.get("tags"))]
        for tag in btags:
            if tag not in rtags:
                self.add("api-tag-removed", "info", f"api tag '{tag}' removed", site)
        for tag in rtags:
            if tag not in btags:
                self.add("api-tag-added", "info", f"api tag '{tag}' added", site)
        if "security" in bop or "security" in rop:
            self._security(bop.get("security"), rop.get("security"), site.down("security"))
        self._parameters(bpath, bitem, bop, rpath, ritem, rop, site)
        self._request_body(_d(bop.get("requestBody")), _d(rop.get("requestBody")), site)
        self._responses(_d(bop.get("responses")), _d(rop.get("responses")), site)

    def _operation_lifecycle(self, bop: dict[str, Any], rop: dict[str, Any], site: _Site) -> bool:
        """Stability, deprecation and sunset of an operation; False: compare nothing else."""
        for op, side in ((bop, "base"), (rop, "revision")):
            _level, error = lifecycle.stability(op)
            if error:
                self.add("api-invalid-stability-level", "error", error, site, side=side)
        changed = lifecycle.stability_change(
            bop, rop, "api-stability-decreased", "api-stability-increased", "the endpoint's"
        )
        if changed:
            self.add(*changed, site)
        level, error = lifecycle.stability(rop)
        self.op_stability = level
        if error or level in lifecycle.UNSTABLE:
            return False
        for check in (lifecycle.deprecation, lifecycle.sunset_changed):
            found = check(lifecycle.ENDPOINT, bop, rop, level, self.options, "endpoint")
            if found:
                self.add(*found, site.down("deprecated"))
        return True

    def _security(self, base: Any, rev: Any, site: _Site, *, glob: bool = False) -> None:
        def reqs(value: Any) -> dict[frozenset[str], dict[str, list[Any]]]:
            out: dict[frozenset[str], dict[str, list[Any]]] = {}
            for req in _l(value):
                if isinstance(req, dict):
                    out[frozenset(req)] = {k: _l(v) for k, v in req.items()}
            return out

        b, r = reqs(base), reqs(rev)
        prefix = "api-global-security" if glob else "api-security"
        where = "the API" if glob else "the endpoint"
        for key in b.keys() - r.keys():
            name = " AND ".join(sorted(key)) or "{}"
            self.add(
                f"{prefix}-removed",
                "info",
                f"the security scheme '{name}' was removed from {where}",
                site,
                side="base",
            )
        for key in r.keys() - b.keys():
            name = " AND ".join(sorted(key)) or "{}"
            self.add(
                f"{prefix}-added",
                "info",
                f"the security scheme '{name}' was added to {where}",
                site,
            )
        for key in b.keys() & r.keys():
            for scheme in sorted(key):
                bscopes, rscopes = b[key][scheme], r[key][scheme]
                for scope in bscopes:
                    if scope not in rscopes:
                        self.add(
                            f"{prefix}-scope-removed",
                            "info",
                            f"the security scope '{scope}' was removed from the security scheme"
                            f" '{scheme}'",
                            site,
                        )
                for scope in rscopes:
                    if scope not in bscopes:
                        self.add(
                            f"{prefix}-scope-added",
                            "info",
                            f"the security scope '{scope}' was added to the security scheme"
                            f" '{scheme}'",
                            site,
                        )

    # -- parameters ------------------------------------------------------------

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
        if _type_lists(bs, rs) and bt != rt and bf == rf:
            verb, level = ("narrowed", "error") if bt - rt else ("widened", "info")
            text = f"{for_label}, the list of types {verb} from {_tf(bt, bf)} to {_tf(rt, rf)}"
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

    # -- request body ----------------------------------------------------------

    def _request_body(self, base: dict[str, Any], rev: dict[str, Any], site: _Site) -> None:
        bsite = site.down("requestBody")
        if not base and not rev:
            return
        if not base:
            if rev.get("required") is True:
                self.add(
                    "request-body-added-required", "error", "added required request body", bsite
                )
            else:
                self.add(
                    "request-body-added-optional", "info", "added optional request body", bsite
                )
            return
        if not rev:
            self.add(
                "request-body-removed", "error", "removed the request body", bsite, side="base"
            )
            return
        breq, rreq = base.get("required") is True, rev.get("required") is True
        if rreq and not breq:
            self.add("request-body-became-required", "error", "request body became required", bsite)
        elif breq and not rreq:
            self.add("request-body-became-optional", "info", "request body became optional", bsite)
        where = ("from", "to", "the request body")
        self._content(base, rev, "request", bsite, "request-body-media-type", where)

    # -- responses -------------------------------------------------------------

    def _responses(self, base: dict[str, Any], rev: dict[str, Any], site: _Site) -> None:
        rsite = site.down("responses")
        for status in base:
            if status in rev:
                continue
            success = str(status).startswith("2")
            kind = "success" if success else "non-success"
            self.add(
                f"response-{kind}-status-removed",
                "error" if success else "info",
                f"removed the {kind} response with the status '{status}'",
                rsite.down(status),
                side="base",
            )
        for status in rev:
            if status in base:
                continue
            kind = "success" if str(status).startswith("2") else "non-success"
            self.add(
                f"response-{kind}-status-added",
                "info",
                f"added the {kind} response with the status '{status}'",
                rsite.down(status),
            )
        for status in base:
            if status not in rev or base[status] == rev[status]:
                continue
            ssite = rsite.down(status)
            ssite.status = str(status)
            self._response(_d(base[status]), _d(rev[status]), ssite)

    def _response(self, base: dict[str, Any], rev: dict[str, Any], site: _Site) -> None:
        status = site.status
        bh, rh = _d(base.get("headers")), _d(rev.get("headers"))
        rh_lower = {k.lower(): k for k in rh}
        for name, header in bh.items():
            rname = rh_lower.get(name.lower())
            hsite = site.down("headers", name)
            if rname is None:
                if _d(header).get("required") is True:
                    self.add(
                        "required-response-header-removed",
                        "error",
                        f"the mandatory response header '{name}' removed for the status '{status}'",
                        hsite,
                        side="base",
                    )
                else:
                    self.add(
                        "optional-response-header-removed",
                        "warning",
                        f"the optional response header '{name}' removed for the status '{status}'",
                        hsite,
                        side="base",
                    )
            elif _d(header).get("required") is True and _d(rh[rname]).get("required") is not True:
                self.add(
                    "response-header-became-optional",
                    "error",
                    f"the response header '{name}' became optional for the status '{status}'",
                    site.down("headers", rname),
                )
            if rname is not None:
                self._response_header(name, _d(header), _d(rh[rname]), site.down("headers", rname))
        bh_lower = {k.lower() for k in bh}
        for name in rh:
            if name.lower() not in bh_lower:
                self.add(
                    "response-header-added",
                    "info",
                    f"the response header '{name}' was added for the status '{status}'",
                    site.down("headers", name),
                )
        where = f"the response with the status '{status}'"
        self._content(base, rev, "response", site, "response-media-type", ("for", "for", where))

    def _response_header(
        self, name: str, base: dict[str, Any], rev: dict[str, Any], site: _Site
    ) -> None:
        """Type and nullability of a response header (text on the wire: not strongly typed)."""
        bs, rs = _d(base.get("schema")), _d(rev.get("schema"))
        where = f"the response header '{name}' for the status '{site.status}'"
        bt, rt = schema_types(bs), schema_types(rs)
        bf, rf = bs.get("format"), rs.get("format")
        ssite = site.down("schema")
        if (bt and rt and bt != rt) or (bt == rt and bf != rf):
            text = f"{where}: type/format changed from {_tf(bt, bf)} to {_tf(rt, rf)}"
            if _widened(rt, rf, bt, bf):
                self.add("response-header-type-specialized", "info", text, ssite)
            elif "string" in (bt | rt):
                self.add("response-header-type-compatible", "info", text, ssite)
            elif _widened(bt, bf, rt, rf):
                self.add("response-header-type-generalized", "error", text, ssite)
            else:
                self.add("response-header-type-changed", "error", text, ssite)
        if nullable(rs) and not nullable(bs):
            self.add("response-header-became-nullable", "error", f"{where} became nullable", ssite)
        elif nullable(bs) and not nullable(rs):
            text = f"{where} became not nullable"
            self.add("response-header-became-not-nullable", "info", text, ssite)

    def _content(
        self,
        base: dict[str, Any],
        rev: dict[str, Any],
        ctx: str,
        site: _Site,
        rule: str,
        where: tuple[str, str, str],
    ) -> None:
        """The media types of a request body or a response, each schema compared in ``ctx``.

        ``where`` words the messages: (preposition when removed, when added, the place).
        """
        removed_from, added_to, place = where
        bc, rc = _d(base.get("content")), _d(rev.get("content"))
        removed, added = sorted(bc.keys() - rc.keys()), sorted(rc.keys() - bc.keys())
        renamed = renamed_pairs(removed, added)
        for old, new in renamed:
            removed.remove(old)
            added.remove(new)
            if ctx == "response":
                rename, level = rename_rule(old, new)
                text = f"the media type '{old}' was renamed to '{new}' {added_to} {place}"
                self.add(rename, level, text, site.down("content", new))
        for media in removed:
            self.add(
                f"{rule}-removed",
                "error",
                f"removed the media type '{media}' {removed_from} {place}",
                site.down("content", media),
                side="base",
            )
        for media in added:
            self.add(
                f"{rule}-added",
                "info",
                f"added the media type '{media}' {added_to} {place}",
                site.down("content", media),
            )
        for bmedia, media in [(m, m) for m in sorted(bc.keys() & rc.keys())] + renamed:
            bs, rs = _d(bc[bmedia]).get("schema"), _d(rc[media]).get("schema")
            msite = site.down("content", media, "schema")
            if isinstance(bs, dict) != isinstance(rs, dict):
                appeared = isinstance(rs, dict)
                verb = "added" if appeared else "removed"
                if ctx == "request":
                    level = "error" if appeared else "info"
                else:
                    level = "info" if appeared else "warning"
                self.add(
                    f"{ctx}-body-media-type-schema-{verb}",
                    level,
                    f"{verb} the schema of the media type '{media}' {added_to} {place}",
                    msite,
                    side="revision" if appeared else "base",
                )
            if isinstance(bs, dict) and isinstance(rs, dict):
                self.loose = "json" not in media.lower()
                self._schema(bs, rs, ctx, site.down("content", media, "schema"), (), 0)

    # -- schemas ---------------------------------------------------------------

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

        bt, rt = schema_types(base), schema_types(rev)
        bf, rf = base.get("format"), rev.get("format")
        if _type_lists(base, rev) and bt != rt and bf == rf:
            # OpenAPI 3.1 lists of types: oasdiff reports the list widening or narrowing
            if ctx == "request":
                verb, level = ("narrowed", "error") if bt - rt else ("widened", "info")
            else:
                verb, level = ("widened", "error") if rt - bt else ("narrowed", "info")
            text = f"{label}: the list of types {verb} from {_tf(bt, bf)} to {_tf(rt, rf)}{status}"
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
            changed = lifecycle.stability_change(
                base,
                rev,
                f"{ctx}-property-stability-decreased",
                f"{ctx}-property-stability-increased",
                label,
            )
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
        for keyword in ("anyOf", "oneOf", "allOf"):
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

    # -- keyword families ------------------------------------------------------

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
            return  # enum dropped: widens requests; in responses oasdiff reports nothing
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


def _tf(types: Iterable[str], fmt: Any) -> str:
    shown = "/".join(sorted(types)) or "any"
    return f"'{shown}/{fmt}'" if fmt else f"'{shown}'"


def _type_lists(base: dict[str, Any], rev: dict[str, Any]) -> bool:
    """True when both ``type`` s are lists and one has two types besides ``null`` (3.1)."""
    bt, rt = base.get("type"), rev.get("type")
    if not isinstance(bt, list) or not isinstance(rt, list):
        return False
    return any(len([t for t in types if t != "null"]) > 1 for types in (bt, rt))


def _type_widened(base: dict[str, Any], rev: dict[str, Any]) -> bool | None:
    """None when type and format are the same, else whether the revision only widens."""
    bt, rt = schema_types(base), schema_types(rev)
    bf, rf = base.get("format"), rev.get("format")
    if bt == rt and bf == rf:
        return None
    return _widened(bt, bf, rt, rf)


def _widened(bt: frozenset[str], bf: Any, rt: frozenset[str], rf: Any) -> bool:
    """True when the revision's type/format accepts everything the base's did."""
    if not rt:
        return True
    if bt == rt:
        return rf is None
    if bt <= rt and (rf is None or rf == bf):
        return True
    return bool(bt == {"integer"} and "number" in rt and (rf is None or rf == bf))


def diff_openapi(base: Any, revision: Any, options: DiffOptions | None = None) -> list[Change]:
    """Changes from ``base`` to ``revision`` (both resolved OpenAPI documents)."""
    return OpenApiDiffer(options or DiffOptions()).run(_d(base), _d(revision))
