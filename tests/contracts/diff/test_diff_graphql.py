"""GraphQL through graphql-core's finders."""

from __future__ import annotations

import pytest

from dde_ci.contracts.diff import diff_contracts
from dde_ci.errors import InputError

SDL = (
    'type Query {\n  "the order"\n  order(id: ID!): Order\n}\n\n'
    "type Order {\n  id: ID!\n  total: Float\n}\n"
)


def test_breaking_dangerous_and_added() -> None:
    revision = SDL.replace("  total: Float\n", "  total: Int\n  note: String\n").replace(
        "order(id: ID!)", 'order(id: ID!, lang: String = "en")'
    )
    result = diff_contracts("graphql", SDL, revision)
    assert {(c.id, c.level, c.path) for c in result.changes} == {
        ("field-changed-kind", "error", "Order.total"),
        ("optional-arg-added", "warning", "Query.order(lang:)"),
        ("field-added", "info", "Order.note"),
    }
    assert result.breaking and result.kind == "breaking"


def test_description_only_is_documentation() -> None:
    result = diff_contracts("graphql", SDL, SDL.replace('"the order"', '"one order by id"'))
    assert result.changes == [] and result.kind == "documentation"


def test_invalid_sdl_is_an_input_error_with_line_and_column() -> None:
    with pytest.raises(InputError) as info:
        diff_contracts("graphql", SDL, "type Query {\n  order: \n}\n")
    assert str(info.value).startswith("revision:3:1: invalid GraphQL SDL: Syntax Error")
