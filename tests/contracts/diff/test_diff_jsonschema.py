"""JSON Schema rules (the corpus covers the common ones)."""

from __future__ import annotations

from typing import Any

import pytest

from dde_ci.contracts.diff import diff_contracts


def found(base: Any, revision: Any) -> list[tuple[str, str, str | None]]:
    return [(c.id, c.level, c.path) for c in diff_contracts("jsonschema", base, revision).changes]


def test_nested_property_and_items_paths() -> None:
    base = {
        "type": "object",
        "properties": {
            "lines": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}},
                },
            }
        },
    }
    revision = {
        "type": "object",
        "properties": {
            "lines": {
                "type": "array",
                "items": {"type": "object", "properties": {"sku": {"type": "string"}}},
            }
        },
    }
    assert found(base, revision) == [("property-removed", "error", "/lines/items/qty")]


def test_bounds_tighten_and_relax() -> None:
    base = {"type": "integer", "minimum": 0, "maximum": 10}
    assert found(base, {"type": "integer", "minimum": 1, "maximum": 20}) == [
        ("minimum-tightened", "error", "/"),
        ("maximum-relaxed", "info", "/"),
    ]
    assert found({"type": "string"}, {"type": "string", "maxLength": 5}) == [
        ("max-length-tightened", "error", "/")
    ]


def test_multiple_of_and_unique_items() -> None:
    assert found({"multipleOf": 2}, {"multipleOf": 4})[0][:2] == ("multiple-of-tightened", "error")
    assert found({"multipleOf": 4}, {"multipleOf": 2})[0][:2] == ("multiple-of-relaxed", "info")
    assert found({"type": "array"}, {"type": "array", "uniqueItems": True})[0][:2] == (
        "unique-items-tightened",
        "error",
    )


def test_const_and_alternatives() -> None:
    assert found({"const": "a"}, {"const": "b"})[0][:2] == ("const-changed", "error")
    base = {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]}
    revision = {"anyOf": [{"type": "string"}]}
    assert ("alternative-removed", "error", "/") in found(base, revision)


def test_boolean_schemas() -> None:
    assert found(True, False) == [("schema-changed", "error", "/")]
    assert found(False, True) == [("schema-changed", "info", "/")]


def test_documentation_kind() -> None:
    result = diff_contracts("jsonschema", {"type": "string"}, {"type": "string", "title": "Id"})
    assert result.changes == [] and result.kind == "documentation"


def test_unclassified_change_counts_as_additive() -> None:
    result = diff_contracts("jsonschema", {"type": "string"}, {"type": "string", "$comment": "x"})
    assert result.changes == [] and result.kind == "additive"


# JSON Schema 2020-12 keywords: oasdiff's schema rule ids without the request-body- prefix,
# at the level oasdiff gives them in a request (a payload valid before must stay valid)
KEYWORD_CASES = [
    ({}, {"contains": {"const": "x"}}, ("contains-added", "error")),
    ({"contains": {"const": "x"}}, {}, ("contains-removed", "info")),
    ({"minContains": 1}, {"minContains": 2}, ("min-contains-increased", "error")),
    ({"maxContains": 3}, {"maxContains": 2}, ("max-contains-decreased", "error")),
    ({}, {"if": {"type": "object"}}, ("if-added", "error")),
    ({"then": {"required": ["a"]}}, {}, ("then-removed", "info")),
    ({}, {"else": {"required": ["a"]}}, ("else-added", "error")),
    ({}, {"dependentRequired": {"a": ["b"]}}, ("dependent-required-added", "error")),
    (
        {"dependentRequired": {"a": ["b"]}},
        {"dependentRequired": {"a": ["c"]}},
        ("dependent-required-changed", "error"),
    ),
    ({}, {"dependentSchemas": {"a": {"required": ["b"]}}}, ("dependent-schema-added", "error")),
    ({}, {"patternProperties": {"^x-": {}}}, ("pattern-property-added", "error")),
    ({}, {"propertyNames": {"maxLength": 3}}, ("property-names-added", "error")),
    ({}, {"unevaluatedProperties": False}, ("unevaluated-properties-added", "error")),
    ({"unevaluatedItems": False}, {}, ("unevaluated-items-removed", "info")),
    ({}, {"contentSchema": {"type": "object"}}, ("content-schema-added", "error")),
    (
        {"contentMediaType": "a/b"},
        {"contentMediaType": "a/c"},
        ("content-media-type-changed", "error"),
    ),
    ({}, {"contentEncoding": "base64"}, ("content-encoding-changed", "error")),
    ({"prefixItems": [{}, {}]}, {"prefixItems": [{}]}, ("prefix-items-removed", "error")),
    ({"prefixItems": [{}]}, {"prefixItems": [{}, {}]}, ("prefix-items-added", "info")),
]


@pytest.mark.parametrize(("base", "revision", "expected"), KEYWORD_CASES)
def test_2020_12_keywords(
    base: dict[str, Any], revision: dict[str, Any], expected: tuple[str, str]
) -> None:
    assert [(rule, level) for rule, level, _ in found(base, revision)] == [expected]


def test_subschemas_of_2020_12_keywords_are_compared_in_place() -> None:
    def schema(min_length: int) -> dict[str, Any]:
        inner = {"type": "string", "minLength": min_length}
        return {
            "if": {"properties": {"kind": inner}},
            "then": {"properties": {"value": inner}},
            "not": inner,
            "contains": inner,
            "propertyNames": inner,
            "patternProperties": {"^a": inner},
            "dependentSchemas": {"a": inner},
            "prefixItems": [inner],
        }

    paths = sorted(
        str(p) for rule, _, p in found(schema(1), schema(3)) if rule == "min-length-tightened"
    )
    assert paths == sorted(
        [
            "/contains",
            "/dependentSchemas[a]",
            "/if/kind",
            "/not",
            "/patternProperties[^a]",
            "/prefixItems[0]",
            "/propertyNames",
            "/then/value",
        ]
    )
