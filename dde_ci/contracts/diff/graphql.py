"""GraphQL SDL differ: graphql-core's breaking and dangerous change finders.

``find_breaking_changes`` gives the ``error`` changes and
``find_dangerous_changes`` the ``warning`` ones; their ids are graphql-core's
change types in kebab case (``FIELD_REMOVED`` -> ``field-removed``,
``VALUE_ADDED_TO_ENUM`` -> ``value-added-to-enum``).  Additions graphql-core
does not report are ``info``: ``type-added``, ``field-added``, ``directive-added``.
"""

from __future__ import annotations

import re
from typing import Any

from dde_ci.contracts.diff.changes import Change
from dde_ci.errors import InputError, Location

_DOTTED = re.compile(r"[A-Za-z_]\w*\.[A-Za-z_]\w*(?:\(\w+:\))?")
_UNION = re.compile(r"union type (\w+)")
_LEADING = re.compile(r"^([A-Za-z_]\w*) (?:was|changed)\b")
_STANDARD_SCALARS = frozenset({"String", "Int", "Float", "Boolean", "ID"})


def build_sdl(sdl: Any, display: str = "<schema>") -> Any:
    """Build a ``GraphQLSchema`` from SDL text, or pass a schema through."""
    from graphql import GraphQLError, GraphQLSchema, build_schema

    if isinstance(sdl, GraphQLSchema):
        return sdl
    if not isinstance(sdl, str):
        raise InputError("a GraphQL contract must be SDL text", Location(display))
    try:
        return build_schema(sdl)
    except GraphQLError as exc:
        loc = exc.locations[0] if exc.locations else None
        where = Location(display, loc.line, loc.column) if loc else Location(display)
        raise InputError(f"invalid GraphQL SDL: {exc.message}", where) from None
    except (TypeError, ValueError) as exc:
        raise InputError(f"invalid GraphQL SDL: {exc}", Location(display)) from None


def _subject(description: str) -> str | None:
    """``Order.total`` from "Field Order.total changed type ...", ``U`` for a union."""
    for pattern in (_DOTTED, _UNION, _LEADING):
        match = pattern.search(description)
        if match:
            return match.group(match.lastindex or 0)
    return None


def signature(schema: Any) -> dict[str, Any]:
    """Everything in a schema except descriptions (to tell documentation-only edits)."""
    from graphql import (
        GraphQLEnumType,
        GraphQLInputObjectType,
        GraphQLInterfaceType,
        GraphQLObjectType,
        GraphQLUnionType,
    )

    out: dict[str, Any] = {}
    for name, gtype in schema.type_map.items():
        if name.startswith("__"):
            continue
        entry: dict[str, Any] = {"kind": type(gtype).__name__}
        if isinstance(gtype, (GraphQLObjectType, GraphQLInterfaceType)):
            entry["fields"] = {
                fname: (
                    str(field.type),
                    {a: (str(arg.type), repr(arg.default_value)) for a, arg in field.args.items()},
                    field.deprecation_reason,
                )
                for fname, field in gtype.fields.items()
            }
            entry["interfaces"] = sorted(i.name for i in gtype.interfaces)
        elif isinstance(gtype, GraphQLInputObjectType):
            entry["fields"] = {
                fname: (str(field.type), repr(field.default_value))
                for fname, field in gtype.fields.items()
            }
        elif isinstance(gtype, GraphQLEnumType):
            entry["values"] = sorted(gtype.values)
        elif isinstance(gtype, GraphQLUnionType):
            entry["types"] = sorted(t.name for t in gtype.types)
        out[name] = entry
    out["@directives"] = sorted(
        (d.name, sorted(str(loc) for loc in d.locations), sorted(d.args)) for d in schema.directives
    )
    return out


def _descriptions(schema: Any) -> list[Any]:
    from graphql import (
        GraphQLEnumType,
        GraphQLInputObjectType,
        GraphQLInterfaceType,
        GraphQLObjectType,
    )

    out: list[Any] = []
    for name, gtype in sorted(schema.type_map.items()):
        out.append((name, gtype.description))
        if isinstance(gtype, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for fname, field in gtype.fields.items():
                out.append((name, fname, field.description))
        if isinstance(gtype, GraphQLEnumType):
            for vname, value in gtype.values.items():
                out.append((name, vname, value.description))
    return out


def diff_graphql(base: Any, revision: Any) -> tuple[list[Change], bool, bool]:
    """Changes, ``documentation_changed`` and ``unclassified_changed`` for two SDL schemas."""
    from graphql import (
        GraphQLInterfaceType,
        GraphQLObjectType,
        find_breaking_changes,
        find_dangerous_changes,
    )

    old = build_sdl(base, "base")
    new = build_sdl(revision, "revision")
    changes: list[Change] = []
    for item in find_breaking_changes(old, new):
        if item.description.startswith("Standard scalar "):
            continue  # a built-in scalar no longer used: nothing a client relies on
        changes.append(
            Change(
                id=item.type.name.lower().replace("_", "-"),
                level="error",
                message=item.description,
                path=_subject(item.description),
            )
        )
    for danger in find_dangerous_changes(old, new):
        changes.append(
            Change(
                id=danger.type.name.lower().replace("_", "-"),
                level="warning",
                message=danger.description,
                path=_subject(danger.description),
            )
        )
    for name, gtype in new.type_map.items():
        if name.startswith("__") or name in _STANDARD_SCALARS:
            continue
        if name not in old.type_map:
            changes.append(Change("type-added", "info", f"{name} was added.", name))
            continue
        before = old.type_map[name]
        if isinstance(gtype, (GraphQLObjectType, GraphQLInterfaceType)) and isinstance(
            before, (GraphQLObjectType, GraphQLInterfaceType)
        ):
            for fname in gtype.fields:
                if fname not in before.fields:
                    changes.append(
                        Change(
                            "field-added", "info", f"{name}.{fname} was added.", f"{name}.{fname}"
                        )
                    )
    old_directives = {d.name for d in old.directives}
    for directive in new.directives:
        if directive.name not in old_directives:
            changes.append(
                Change(
                    "directive-added", "info", f"@{directive.name} was added.", f"@{directive.name}"
                )
            )
    same_shape = signature(old) == signature(new)
    documentation = _descriptions(old) != _descriptions(new)
    return changes, documentation, not same_shape and not changes
