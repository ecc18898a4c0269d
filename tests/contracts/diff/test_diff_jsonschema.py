"""JSON Schema rules (the corpus covers the common ones)."""

from __future__ import annotations

from typing import Any

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
