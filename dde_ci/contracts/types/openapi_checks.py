"""Validate an OpenAPI 3.0 / 3.1 document in time linear in its size.

Two passes, each one walk of the document:

* **structure** -- the document against the official OpenAPI JSON Schema
  (``dde_ci/resources/openapi``: 3.0's of 2021-09-28, 3.1's of 2022-10-07 with
  its Schema Object dialect, so every 3.1 Schema Object is checked against JSON
  Schema 2020-12 and the OpenAPI vocabulary), with jsonschema-rs's compiled
  validator;
* **semantics** -- what a JSON Schema cannot say, the checks
  openapi-spec-validator makes: unique ``operationId`` s and tag names, no
  duplicate parameter (name and location) in one list, every ``{name}`` of a
  path template declared as a path parameter and no path parameter without its
  ``{name}``, ``required`` names defined somewhere in a schema that uses
  ``allOf``, each ``default`` valid against its schema, and (3.1) each
  ``pattern`` a regular expression.  It runs when the
  structure is valid, on the document with its ``$ref`` s followed, visiting a
  shared schema once.

openapi-spec-validator makes the same checks through a reference-resolving
accessor and list look-ups, whose time grows faster than the document.  The
schemas in ``dde_ci/resources/openapi`` are the OpenAPI Initiative's, as
openapi-spec-validator and openapi-schema-validator ship them.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from itertools import islice
from typing import Any

MAX_PROBLEMS = 100
"""Validation stops after this many problems."""

DIALECT_31 = "https://spec.openapis.org/oas/3.1/dialect/base"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_MESSAGE_LIMIT = 240


@dataclass(frozen=True)
class Problem:
    """One problem: ``path`` is where it is in the (resolved) document."""

    path: tuple[str | int, ...]
    message: str


def _resource(name: str) -> Any:
    return json.loads(files("dde_ci.resources").joinpath("openapi", name).read_text("utf-8"))


@cache
def _validator(minor: str, dialect: bool) -> Any:
    """The compiled validator of OpenAPI 3.``minor`` documents (``dialect``: check schemas)."""
    import jsonschema_rs

    if minor == "0":
        return jsonschema_rs.validator_for(_resource("oas-3.0-schema.json"))
    document = _resource("oas-3.1-schema.json")
    if not dialect:
        return jsonschema_rs.validator_for(document)
    base = _resource("oas-3.1-dialect.json")
    meta = _resource("oas-3.1-meta.json")
    registry = jsonschema_rs.Registry(
        [(document["$id"], document), (base["$id"], base), (meta["$id"], meta)]
    )
    # the official "schema-base" form: the document schema with Schema Objects in the dialect
    schema_base = {
        "$id": "urn:dde-ci:oas-3.1-schema-base",
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": document["$id"],
        "$defs": {"schema": {"$dynamicAnchor": "meta", "$ref": DIALECT_31}},
    }
    return jsonschema_rs.validator_for(schema_base, registry=registry)


def validate_openapi(document: Any, resolved: Any) -> list[Problem]:
    """Every problem of an OpenAPI 3.0/3.1 document, at most :data:`MAX_PROBLEMS`.

    ``document`` is checked against the JSON Schema (as written, with ``$ref`` s to
    places inside it; bundled when it spans files), ``resolved`` (its ``$ref`` s
    followed) for the rest.
    """
    v31 = str(document.get("openapi", "3.0")).startswith("3.1")
    dialect = document.get("jsonSchemaDialect", DIALECT_31) == DIALECT_31
    validator = _validator("1" if v31 else "0", v31 and dialect)
    if validator.is_valid(document):  # the common case, and the fast one: no error objects
        found: Iterator[Problem] = _semantics(resolved, v31)
    else:  # the same error can come through several applicators of the 2020-12 dialect
        found = _unique(p for e in validator.iter_errors(document) for p in _explain(e, document))
    return list(islice(found, MAX_PROBLEMS))


def _unique(problems: Iterator[Problem]) -> Iterator[Problem]:
    seen: set[Problem] = set()
    for problem in problems:
        if problem not in seen:
            seen.add(problem)
            yield problem


# ------------------------------------------------------------------------------ structure


def _real_path(data: Any, raw: list[Any]) -> tuple[str | int, ...]:
    """jsonschema-rs reports a key such as ``"200"`` as the number 200: give keys back."""
    node, out = data, []
    for part in raw:
        key: str | int = str(part) if isinstance(node, dict) else part
        out.append(key)
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            node = None
    return tuple(out)


def _shorten(message: str) -> str:
    if len(message) <= _MESSAGE_LIMIT:
        return message
    half = _MESSAGE_LIMIT // 2
    return f"{message[:half]} ... {message[-half:]}"


def _explain(error: Any, data: Any) -> list[Problem]:
    """One error, or, for a failed ``oneOf``/``anyOf`` whose branches all but one say the
    value is of another kind (e.g. "not a Reference Object: no $ref"), that branch's errors."""
    branches = getattr(error.kind, "context", None)
    if error.kind.name in ("oneOf", "anyOf") and branches:
        at = list(error.instance_path)
        relevant = [b for b in branches if b and not all(_other_kind(e, at) for e in b)]
        if len(relevant) == 1:
            return [p for sub in relevant[0] for p in _explain(sub, data)]
    return [Problem(_real_path(data, list(error.instance_path)), _shorten(error.message))]


def _other_kind(error: Any, at: list[Any]) -> bool:
    """True for an error saying the value at ``at`` is not of a branch's kind at all."""
    if list(error.instance_path) != at:
        return False
    kind = error.kind.name
    return bool(
        kind == "type" or (kind == "required" and error.kind.as_dict()["property"] == "$ref")
    )


# ------------------------------------------------------------------------------ semantics


def _semantics(doc: Any, v31: bool) -> Iterator[Problem]:
    yield from _unique_tags(doc)
    operation_ids: set[str] = set()
    paths = doc.get("paths") or {}
    for url, item in paths.items():
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters") or []
        yield from _unique_parameters(shared, ("paths", url, "parameters"))
        for method in _METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            at = ("paths", url, method)
            op_id = operation.get("operationId")
            if op_id is not None:
                if op_id in operation_ids:
                    yield Problem(
                        (*at, "operationId"),
                        f"operationId {op_id!r} of {method.upper()} {url} is not unique",
                    )
                operation_ids.add(op_id)
            own = operation.get("parameters") or []
            yield from _unique_parameters(own, (*at, "parameters"))
            yield from _path_parameters(url, method, [*shared, *own], at)
    yield from _SchemaChecks(v31).run(doc)


def _unique_tags(doc: Any) -> Iterator[Problem]:
    seen: set[str] = set()
    for index, tag in enumerate(doc.get("tags") or []):
        name = tag.get("name")
        if name in seen:
            yield Problem(("tags", index, "name"), f"duplicate tag name {name!r}")
        seen.add(name)


def _unique_parameters(params: list[Any], at: tuple[str | int, ...]) -> Iterator[Problem]:
    seen: set[tuple[str, str]] = set()
    for index, param in enumerate(params):
        key = (param.get("name"), param.get("in"))
        if None in key:
            continue  # an unresolved (cyclic) reference
        if key in seen:
            yield Problem((*at, index), f"duplicate {key[1]} parameter {key[0]!r}")
        seen.add(key)


def _path_parameters(
    url: str, method: str, params: list[Any], at: tuple[str | int, ...]
) -> Iterator[Problem]:
    declared = {p.get("name") for p in params if p.get("in") == "path"}
    try:
        templated = {field for _, field, _, _ in string.Formatter().parse(url) if field}
    except ValueError:
        yield Problem(at[:2], f"path template {url!r} has an unmatched '{{' or '}}'")
        return
    for name in sorted(templated - declared):
        yield Problem(
            at, f"path parameter {name!r} of {method.upper()} {url} is not declared in parameters"
        )
    for name in sorted(n for n in declared - templated if isinstance(n, str)):
        yield Problem(at, f"path parameter {name!r} of {method.upper()} {url} is not in the path")


_SUBSCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SUBSCHEMA_ONE = frozenset(
    {
        "not",
        "items",
        "additionalProperties",
        "contains",
        "if",
        "then",
        "else",
        "propertyNames",
        "unevaluatedItems",
        "unevaluatedProperties",
        "additionalItems",
    }
)
_SUBSCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})
_NOT_OPENAPI = frozenset({"example", "examples", "default", "enum", "const"})
_NAME_MAPS = frozenset(
    {"headers", "encoding", "links", "callbacks", "variables", "securitySchemes", "webhooks"}
)


class _SchemaChecks:
    """The Schema Object checks: ``required`` under ``allOf`` and ``default`` values.

    Every schema is visited once (resolved documents share referenced schemas).
    """

    def __init__(self, v31: bool) -> None:
        self.v31 = v31
        self.seen: set[int] = set()

    def run(self, doc: Any) -> Iterator[Problem]:
        for at, schema in self._roots(doc):
            if isinstance(schema, dict):
                yield from self._required(schema, at)
            yield from self._walk(schema, at)

    def _roots(self, doc: Any) -> Iterator[tuple[tuple[str | int, ...], Any]]:
        """Top-level schemas: components' schemas and every ``schema`` of the document."""
        stack: list[tuple[Any, tuple[str | int, ...], bool]] = [(doc, (), False)]
        seen: set[int] = set()
        while stack:
            node, at, names = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, list):
                stack.extend((v, (*at, i), False) for i, v in enumerate(node))
                continue
            if not isinstance(node, dict):
                continue
            for key, value in node.items():
                if names:  # keys are names (of headers, components, ...), values are objects
                    stack.append((value, (*at, key), False))
                elif at == ("components",) and key == "schemas" and isinstance(value, dict):
                    yield from (((*at, key, n), s) for n, s in value.items())
                elif key == "schema":
                    yield (*at, key), value
                elif key not in _NOT_OPENAPI and not key.startswith("x-"):
                    stack.append((value, (*at, key), key in _NAME_MAPS or at == ("components",)))

    def _required(self, schema: dict[str, Any], at: tuple[str | int, ...]) -> Iterator[Problem]:
        if "allOf" not in schema or not isinstance(schema.get("required"), list):
            return
        defined = set(_properties(schema, set()))
        missing = [name for name in schema["required"] if name not in defined]
        if missing:
            names = ", ".join(repr(n) for n in missing)
            yield Problem((*at, "required"), f"required {names} not defined in any properties")

    def _walk(self, root: Any, at: tuple[str | int, ...]) -> Iterator[Problem]:
        stack: list[tuple[Any, tuple[str | int, ...]]] = [(root, at)]
        while stack:
            schema, where = stack.pop()
            if not isinstance(schema, dict) or id(schema) in self.seen:
                continue
            self.seen.add(id(schema))
            for key, value in schema.items():
                if key == "default":
                    yield from self._default(schema, where)
                elif key == "pattern" and self.v31 and isinstance(value, str):
                    yield from _regex(value, (*where, key))
                elif key in _SUBSCHEMA_ONE:
                    stack.append((value, (*where, key)))
                elif key in _SUBSCHEMA_LISTS and isinstance(value, list):
                    stack.extend((s, (*where, key, i)) for i, s in enumerate(value))
                elif key in _SUBSCHEMA_MAPS and isinstance(value, dict):
                    stack.extend((s, (*where, key, name)) for name, s in value.items())

    def _default(self, schema: dict[str, Any], at: tuple[str | int, ...]) -> Iterator[Problem]:
        value = schema["default"]
        if value is None and schema.get("nullable") is True:
            return
        from openapi_schema_validator import (
            OAS30Validator,
            OAS31Validator,
            oas30_format_checker,
            oas31_format_checker,
        )
        from referencing.exceptions import Unresolvable

        cls: Any = OAS31Validator if self.v31 else OAS30Validator
        checker = oas31_format_checker if self.v31 else oas30_format_checker
        try:
            for error in cls(schema, format_checker=checker).iter_errors(value):
                yield Problem((*at, "default"), f"default {_shorten(error.message)}")
                return
        except Unresolvable:
            return  # a recursive schema's default nested deeper than the schema was expanded


def _regex(pattern: str, at: tuple[str | int, ...]) -> Iterator[Problem]:
    """A 3.1 ``pattern`` must be a regular expression (3.0's JSON Schema says so itself)."""
    try:
        re.compile(pattern)
    except re.error as exc:
        yield Problem(at, f"{pattern!r} is not a regular expression: {exc}")


def _properties(schema: Any, seen: set[int]) -> Iterator[str]:
    """Property names a schema defines, through ``allOf``/``anyOf``/``oneOf``/``items``/``not``."""
    if not isinstance(schema, dict) or id(schema) in seen:
        return
    seen.add(id(schema))
    if isinstance(schema.get("properties"), dict):
        yield from schema["properties"]
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key) or []:
            yield from _properties(sub, seen)
    for key in ("items", "not"):
        yield from _properties(schema.get(key), seen)
