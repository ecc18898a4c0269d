"""GraphQL contracts: a schema in SDL, checked with graphql-core.

The canonical form is the schema printed by graphql-core with its types and
fields sorted, so reordering definitions or reformatting does not change the digest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dde_ci.contracts.types import LoadedContract
from dde_ci.errors import Diagnostic, InputError, Location


def _locations(display: str, error: Any) -> Location:
    locs = getattr(error, "locations", None) or []
    if locs:
        return Location(display, locs[0].line, locs[0].column)
    return Location(display)


class GraphQLType:
    name = "graphql"

    def load(self, path: Path, root: Path) -> LoadedContract:
        from graphql import GraphQLError, parse

        from dde_ci.yamlio import read_text

        display = _display(path, root)
        text = read_text(path, what="GraphQL schema")
        try:
            document = parse(text, no_location=False)
        except GraphQLError as exc:
            raise InputError(
                f"invalid GraphQL SDL: {exc.message}", _locations(display, exc)
            ) from None
        return LoadedContract(self.name, path, display, text, document)

    def prepare(self, loaded: LoadedContract, root: Path) -> list[Diagnostic]:
        return self.validate(loaded, root)  # building the schema is the whole check

    def validate(self, loaded: LoadedContract, root: Path) -> list[Diagnostic]:
        from graphql import build_ast_schema, validate_schema
        from graphql.validation.validate import validate_sdl

        errors = validate_sdl(loaded.data)
        if errors:
            return [Diagnostic(e.message, _locations(loaded.display, e)) for e in errors]
        schema = build_ast_schema(loaded.data, assume_valid_sdl=True)
        problems = validate_schema(schema)
        if problems:
            return [Diagnostic(e.message, _locations(loaded.display, e)) for e in problems]
        loaded.resolved = schema
        return []

    def canonical(self, loaded: LoadedContract) -> bytes:
        from graphql import build_ast_schema, lexicographic_sort_schema, print_schema

        schema = loaded.resolved or build_ast_schema(loaded.data)
        return (print_schema(lexicographic_sort_schema(schema)) + "\n").encode("utf-8")


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)
