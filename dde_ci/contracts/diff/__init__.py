"""Breaking-change detection between two versions of a contract.

Public API::

    from dde_ci.contracts.diff import diff_contracts, diff_files

    result = diff_contracts("openapi", base_data, revision_data)  # resolved data
    result = diff_files(Path("v1.yaml"), Path("v2.yaml"))          # load, resolve, infer type
    result.breaking        # True exactly when a change is at level "error"
    result.kind            # "breaking" | "additive" | "documentation" | "none"
    result.to_dict()       # {"breaking": bool, "changes": [{"id", "level", "message",
                           #   "path", "operation", "location"}]}

One module per contract type: :mod:`.openapi` (built-in, oasdiff's check ids
and levels), :mod:`.jsonschema` (own rules; oasdiff's ids for the 2020-12
keywords), :mod:`.graphql` (graphql-core's breaking and dangerous change
finders); :mod:`.oasdiff` runs the ``oasdiff``
executable when ``engine="oasdiff"``.  ``kind`` maps to semantic versioning:
breaking -> major, additive -> minor, documentation (only descriptions,
summaries, titles, examples or ``info`` changed) -> patch.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from dde_ci.contracts.diff.changes import KINDS, LEVELS, Change, DiffResult, sort_changes
from dde_ci.contracts.diff.options import COMPOSE_MODES, STABILITY_LEVELS, DiffOptions
from dde_ci.errors import InputError, Location, did_you_mean

__all__ = [
    "COMPOSE_MODES",
    "CONTRACT_TYPES",
    "ENGINES",
    "KINDS",
    "LEVELS",
    "Change",
    "DiffOptions",
    "DiffResult",
    "diff_contracts",
    "diff_files",
    "infer_type",
    "project_root",
]

CONTRACT_TYPES = ("openapi", "jsonschema", "graphql")
ENGINES = ("builtin", "oasdiff")
GRAPHQL_SUFFIXES = (".graphql", ".graphqls", ".gql")

_DOC_KEYS = frozenset({"description", "summary", "title", "example", "examples", "externalDocs"})
_NAME_MAPS = frozenset(
    {
        "properties",
        "patternProperties",
        "$defs",
        "definitions",
        "dependentSchemas",
        "schemas",
        "responses",
        "parameters",
        "headers",
        "securitySchemes",
        "requestBodies",
        "links",
        "callbacks",
        "paths",
        "content",
        "encoding",
        "variables",
        "mapping",
        "scopes",
        "webhooks",
        "pathItems",
    }
)
_SCHEMA_HINTS = frozenset(
    {"$schema", "type", "properties", "$defs", "definitions", "allOf", "anyOf", "oneOf", "items"}
)


def _check_type(contract_type: str) -> None:
    if contract_type not in CONTRACT_TYPES:
        raise InputError(
            f"unknown contract type {contract_type!r}; expected one of "
            f"{', '.join(CONTRACT_TYPES)}{did_you_mean(contract_type, CONTRACT_TYPES)}"
        )


def strip_documentation(value: Any) -> Any:
    """``value`` without descriptions, summaries, titles, examples and ``info``."""
    memo: dict[int, Any] = {}

    def walk(node: Any, names: bool, top: bool) -> Any:
        if isinstance(node, dict):
            key = id(node) * 4 + names * 2 + top
            if key in memo:
                return memo[key]
            out: dict[str, Any] = {}
            for k, v in node.items():
                if not names and (k in _DOC_KEYS or (top and k in ("info", "tags"))):
                    continue
                out[k] = walk(v, not names and k in _NAME_MAPS, False)
            memo[key] = out
            return out
        if isinstance(node, list):
            return [walk(item, False, False) for item in node]
        return node

    return walk(value, False, True)


def _path_names_neutral(doc: Any) -> Any:
    """An OpenAPI document (already stripped) with path parameter names neutralised."""
    from dde_ci.contracts.diff.openapi import path_template

    if not isinstance(doc, dict) or not isinstance(doc.get("paths"), dict):
        return doc

    def params(node: Any) -> None:
        for param in node.get("parameters", []) if isinstance(node, dict) else []:
            if isinstance(param, dict) and param.get("in") == "path":
                param["name"] = "{}"

    paths: dict[str, Any] = {}
    for key, item in doc["paths"].items():
        paths[path_template(key)] = item
        params(item)
        for op in item.values() if isinstance(item, dict) else []:
            params(op)
    return {**doc, "paths": paths}


def _classify_rest(result: DiffResult, base: Any, revision: Any) -> None:
    if result.changes or base == revision:
        return
    stripped_base, stripped_revision = strip_documentation(base), strip_documentation(revision)
    if result.contract_type == "openapi":
        stripped_base = _path_names_neutral(stripped_base)
        stripped_revision = _path_names_neutral(stripped_revision)
    if stripped_base == stripped_revision:
        result.documentation_changed = True
    else:
        result.unclassified_changed = True


def _openapi_document(value: Any, side: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError(f"the {side} OpenAPI document is not a mapping")
    version = value.get("openapi")
    if "swagger" in value and version is None:
        raise InputError(
            f"the {side} document is Swagger 2.0; dde-ci diffs OpenAPI 3.0 and 3.1 "
            "(convert it, e.g. with swagger2openapi)"
        )
    if not isinstance(version, str) or not version.startswith("3."):
        raise InputError(f"the {side} document has no 'openapi: 3.x' field; is it OpenAPI?")
    return value


def diff_contracts(
    contract_type: str,
    base: Any,
    revision: Any,
    *,
    engine: str = "builtin",
    resolved: bool = False,
    options: DiffOptions | None = None,
) -> DiffResult:
    """Classify every change from ``base`` to ``revision``.

    ``base``/``revision`` are loaded documents (dicts) for ``openapi`` and
    ``jsonschema``, SDL text (or ``GraphQLSchema``) for ``graphql``.  Internal
    ``#/...`` references are resolved here unless ``resolved=True`` says the
    caller did it already; a reference to another file is followed only by
    :func:`diff_files` (or :func:`dde_ci.contracts.refs.load_document` first):
    in data it is kept as it is and not followed.  The ``oasdiff``
    engine needs files: use :func:`diff_files` for it.  ``options`` (see
    :class:`DiffOptions`) choose oasdiff-compatible composition handling and the
    deprecation periods.
    """
    _check_type(contract_type)
    options = options or DiffOptions()
    if options.compose not in COMPOSE_MODES:
        raise InputError(
            f"unknown compose mode {options.compose!r}; expected {' or '.join(COMPOSE_MODES)}"
        )
    if options.stability_level not in STABILITY_LEVELS:
        raise InputError(
            f"unknown stability level {options.stability_level!r}; "
            f"expected one of {', '.join(STABILITY_LEVELS)}"
        )
    if engine != "builtin":
        raise InputError(f"engine {engine!r} needs files; use diff_files() or --engine builtin")
    if contract_type != "graphql" and not resolved:
        from dde_ci.contracts.refs import resolve_internal_refs

        base = resolve_internal_refs(base, "base") if isinstance(base, dict) else base
        revision = (
            resolve_internal_refs(revision, "revision") if isinstance(revision, dict) else revision
        )
    result = DiffResult(contract_type)
    if contract_type == "openapi":
        from dde_ci.contracts.diff.openapi import diff_openapi

        b, r = _openapi_document(base, "base"), _openapi_document(revision, "revision")
        result.changes = sort_changes(diff_openapi(b, r, options))
        _classify_rest(result, b, r)
    elif contract_type == "jsonschema":
        from dde_ci.contracts.diff.jsonschema import diff_jsonschema

        for side, value in (("base", base), ("revision", revision)):
            if not isinstance(value, (dict, bool)):
                raise InputError(f"the {side} JSON Schema is not a mapping or a boolean")
        result.changes = sort_changes(diff_jsonschema(base, revision, options))
        _classify_rest(result, base, revision)
    else:
        from dde_ci.contracts.diff.graphql import diff_graphql

        changes, documentation, unclassified = diff_graphql(base, revision)
        result.changes = sort_changes(changes)
        result.documentation_changed = documentation
        result.unclassified_changed = unclassified
    return result


def infer_type(data: Any, display: str = "") -> str:
    """``openapi``, ``jsonschema`` or ``graphql`` from a file name and its content."""
    if display.lower().endswith(GRAPHQL_SUFFIXES):
        return "graphql"
    if isinstance(data, dict):
        if "openapi" in data or "swagger" in data:
            return "openapi"
        if "asyncapi" in data:
            raise InputError(
                "AsyncAPI documents are not a contract type dde-ci diffs", Location(display)
            )
        if _SCHEMA_HINTS & data.keys():
            return "jsonschema"
    raise InputError(
        "cannot tell the contract type (no 'openapi' field, no JSON Schema keywords); "
        "pass --type openapi|jsonschema|graphql",
        Location(display) if display else None,
    )


def project_root(path: Path) -> Path:
    """The nearest folder above ``path`` holding ``dde.yaml`` or ``.git``, else its folder."""
    start = path.resolve().parent
    for folder in (start, *start.parents):
        if (folder / "dde.yaml").exists() or (folder / ".git").exists():
            return folder
    return start


def _pointer_parts(raw: str) -> list[str]:
    """The unescaped reference tokens of JSON Pointer ``raw`` (URI-fragment encoded)."""
    from urllib.parse import unquote

    return [unquote(p).replace("~1", "/").replace("~0", "~") for p in raw.split("/")[1:]]


def _child(node: Any, name: str) -> tuple[Any, str | int] | None:
    """The member ``name`` of an object or item ``name`` of an array, with its key."""
    if isinstance(node, dict) and name in node:
        return node[name], name
    if isinstance(node, list) and name.isdigit() and int(name) < len(node):
        return node[int(name)], int(name)
    return None


def _pointer_target(data: Any, raw: str) -> tuple[Any, list[str | int]]:
    """The value at JSON Pointer ``raw`` in ``data`` and its key path (``None`` if absent)."""
    node = data
    key: list[str | int] = []
    for name in _pointer_parts(raw):
        found = _child(node, name)
        if found is None:
            return None, key
        node, step = found
        key.append(step)
    return node, key


def _locator(doc: Any) -> Callable[[str], str]:
    """Turn ``side#/json/pointer`` into ``file:line:col`` using the source positions."""

    def locate(pointer_text: str) -> str:
        raw = pointer_text.partition("#")[2]
        node = doc.data
        key: list[str | int] = []
        for name in _pointer_parts(raw):
            for _hop in range(16):  # follow internal references to where the value is written
                ref = node.get("$ref") if isinstance(node, dict) else None
                if not isinstance(ref, str) or not ref.startswith("#/"):
                    break
                target, target_key = _pointer_target(doc.data, ref[1:])
                if target is None:
                    break
                node, key = target, target_key
            if isinstance(node, dict) and isinstance(node.get("$ref"), str):
                break  # an external reference: show the $ref itself
            found = _child(node, name)
            if found is None:
                break
            node, step = found
            key.append(step)
        where = doc.locate(tuple(key))
        if where.line <= 0:
            from dde_ci.contracts.diff.openapi import pointer

            return f"{doc.display}#{pointer(tuple(key))}"
        return str(where)

    return locate


def diff_files(
    base: Path,
    revision: Path,
    *,
    contract_type: str | None = None,
    engine: str = "builtin",
    root: Path | None = None,
    options: DiffOptions | None = None,
) -> DiffResult:
    """Load two contract files, resolve their ``$ref`` s inside the project, and diff them.

    ``root`` bounds file references (default: :func:`project_root` of each
    file).  Change locations become ``file:line:col`` where the file is known.
    """
    from dde_ci.contracts.refs import Resolver, read_document

    if contract_type is not None:
        _check_type(contract_type)
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; expected builtin or oasdiff")
    if contract_type == "graphql" or (
        contract_type is None and str(revision).lower().endswith(GRAPHQL_SUFFIXES)
    ):
        from dde_ci.yamlio import read_text

        return diff_contracts(
            "graphql", read_text(base, what="contract"), read_text(revision, what="contract")
        )
    docs = []
    for path in (base, revision):
        top = root or project_root(path)
        doc = read_document(path, top, display=str(path))
        docs.append((doc, Resolver(top).resolve_document(doc)))
    (bdoc, bdata), (rdoc, rdata) = docs
    kind = contract_type or infer_type(rdata, str(revision))
    if engine == "oasdiff":
        if kind != "openapi":
            raise InputError(f"--engine oasdiff diffs OpenAPI documents, not {kind}")
        from dde_ci.contracts.diff.oasdiff import run_oasdiff

        _openapi_document(bdata, "base")
        _openapi_document(rdata, "revision")
        result = DiffResult("openapi", sort_changes(run_oasdiff(base, revision)))
        _classify_rest(result, bdata, rdata)
        return result
    result = diff_contracts(kind, bdata, rdata, resolved=True, options=options)
    locators = {"base": _locator(bdoc), "revision": _locator(rdoc)}
    located: list[Change] = []
    for change in result.changes:
        loc = change.location
        if loc and "#" in loc and loc.partition("#")[0] in locators:
            loc = locators[loc.partition("#")[0]](loc)
        located.append(
            Change(change.id, change.level, change.message, change.path, change.operation, loc)
        )
    result.changes = located
    return result
