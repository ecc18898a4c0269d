"""What every OpenAPI rule family shares: schema helpers, :class:`_Site` and :class:`DifferBase`.

:class:`DifferBase` holds a diff's state (the changes found, the options, the
stability of the operation and whether the media type is text) and
:meth:`DifferBase.add`; each rule family is a mixin of it in its own module
(:mod:`.paths`, :mod:`.security`, :mod:`.parameters`, :mod:`.request_body`,
:mod:`.responses`, :mod:`.schemas`), and :class:`dde_ci.contracts.diff.openapi.OpenApiDiffer`
combines them.  The methods one family calls in another are declared here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from dde_ci.contracts.diff.changes import Change
from dde_ci.contracts.diff.options import DiffOptions

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
# keywords whose value is one subschema, compared in place
IN_PLACE_SUBSCHEMAS = (
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
# keywords whose value is one subschema, compared like a property
_SUBSCHEMAS = ("items", "additionalProperties", *IN_PLACE_SUBSCHEMAS)
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


class DifferBase:
    """A diff's state and reporting; the rule families are its mixins."""

    def __init__(self, options: DiffOptions | None = None) -> None:
        self.changes: list[Change] = []
        self.options = options or DiffOptions()
        self.op_stability = ""
        """``x-stability-level`` of the operation being compared (deprecation periods)."""
        self.loose = False
        """True while comparing a media type that is not JSON (values arrive as text)."""

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

    # -- implemented by the rule families ------------------------------------------

    def _security(self, base: Any, rev: Any, site: _Site, *, glob: bool = False) -> None:
        raise NotImplementedError

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
        raise NotImplementedError

    def _request_body(self, base: dict[str, Any], rev: dict[str, Any], site: _Site) -> None:
        raise NotImplementedError

    def _responses(self, base: dict[str, Any], rev: dict[str, Any], site: _Site) -> None:
        raise NotImplementedError

    def _content(
        self,
        base: dict[str, Any],
        rev: dict[str, Any],
        ctx: str,
        site: _Site,
        rule: str,
        where: tuple[str, str, str],
    ) -> None:
        raise NotImplementedError

    def _schema(
        self,
        base: dict[str, Any],
        rev: dict[str, Any],
        ctx: str,
        site: _Site,
        prop: tuple[str, ...],
        depth: int,
    ) -> None:
        raise NotImplementedError

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
        raise NotImplementedError

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
        raise NotImplementedError

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
        raise NotImplementedError


def _tf(types: Iterable[str], fmt: Any) -> str:
    shown = "/".join(sorted(types)) or "any"
    return f"'{shown}/{fmt}'" if fmt else f"'{shown}'"


def _type_pattern(schema: dict[str, Any]) -> tuple[str, frozenset[str]] | None:
    """oasdiff's "list of types": ``("single", {type})``, ``("list", types)`` or None.

    A list is a ``oneOf`` (else an ``anyOf``) whose members are each one plain
    type; a schema with ``not``, ``allOf`` or properties has no pattern.
    """
    if "not" in schema or schema.get("allOf") or schema.get("properties"):
        return None
    types = schema.get("type")
    if isinstance(types, str) or (isinstance(types, list) and types):
        return "single", frozenset([types if isinstance(types, str) else str(types[0])])
    for keyword in ("oneOf", "anyOf"):
        members = _l(schema.get(keyword))
        found: list[str] = []
        for member in members:
            mtype = member.get("type") if isinstance(member, dict) else None
            if isinstance(mtype, list) and len(mtype) == 1:
                mtype = mtype[0]
            plain = isinstance(member, dict) and not any(
                member.get(k) for k in ("properties", "oneOf", "anyOf", "allOf")
            )
            if not isinstance(mtype, str) or not plain:
                found = []
                break
            found.append(mtype)
        if found:
            return "list", frozenset(found)
    return None


def list_of_types_diff(
    base: dict[str, Any], rev: dict[str, Any]
) -> tuple[frozenset[str], frozenset[str]] | None:
    """``(added, deleted)`` types when a list of types changed (oasdiff's ListOfTypesDiff)."""
    bp, rp = _type_pattern(base), _type_pattern(rev)
    if bp is None or rp is None or "list" not in (bp[0], rp[0]) or bp[1] == rp[1]:
        return None
    return rp[1] - bp[1], bp[1] - rp[1]


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
