"""The public API: DiffResult, kinds, type inference, errors; invariants with hypothesis."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dde_ci.contracts.diff import Change, DiffResult, diff_contracts, diff_files, infer_type
from dde_ci.contracts.diff.report import render_markdown, render_text
from dde_ci.errors import InputError


def test_breaking_exactly_when_an_error_is_present() -> None:
    info = Change("endpoint-added", "info", "endpoint added", "/a", "GET")
    warn = Change("request-parameter-removed", "warning", "deleted", "/a", "GET")
    err = Change("api-path-removed-without-deprecation", "error", "removed", "/b", "GET")
    assert DiffResult("openapi", [info, warn]).breaking is False
    assert DiffResult("openapi", [info, warn]).kind == "additive"
    assert DiffResult("openapi", [warn, err]).breaking is True
    assert DiffResult("openapi", [err]).kind == "breaking"
    assert DiffResult("openapi").kind == "none"
    assert DiffResult("openapi", documentation_changed=True).kind == "documentation"
    assert DiffResult("openapi", [err]).to_dict() == {
        "breaking": True,
        "changes": [
            {
                "id": "api-path-removed-without-deprecation",
                "level": "error",
                "message": "removed",
                "path": "/b",
                "operation": "GET",
                "location": None,
            }
        ],
    }


def test_reports() -> None:
    result = DiffResult("openapi", [Change("x-rule", "error", "a | b", "/p", "GET", "f.yaml:3:4")])
    assert render_text(result).splitlines() == [
        "f.yaml:3:4: error: [x-rule] GET /p: a | b",
        "1 change: 1 error, 0 warning, 0 info (breaking: a major version)",
    ]
    assert "\n##### `GET /p`\n\n- a \\| b `x-rule` (`f.yaml:3:4`)\n" in render_markdown(result)


def test_infer_type() -> None:
    assert infer_type({"openapi": "3.1.0"}) == "openapi"
    assert infer_type({"type": "object"}) == "jsonschema"
    assert infer_type("type Query { a: Int }", "s.graphql") == "graphql"
    with pytest.raises(InputError, match="pass --type"):
        infer_type({"hello": 1}, "x.yaml")


def test_unknown_type_suggests() -> None:
    with pytest.raises(InputError, match="did you mean 'openapi'"):
        diff_contracts("openap", {}, {})


def test_diff_files_infers_graphql_and_locates_changes(tmp_path: Path) -> None:
    (tmp_path / "a.graphql").write_text("type Query { a: Int, b: Int }\n")
    (tmp_path / "b.graphql").write_text("type Query { a: Int }\n")
    result = diff_files(tmp_path / "a.graphql", tmp_path / "b.graphql")
    assert [c.id for c in result.changes] == ["field-removed"]


def test_diff_files_json_locations(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(
        '{\n  "type": "object",\n  "properties": {\n    "x": {}\n  }\n}\n'
    )
    (tmp_path / "b.json").write_text('{\n  "type": "object",\n  "properties": {}\n}\n')
    result = diff_files(tmp_path / "a.json", tmp_path / "b.json", root=tmp_path)
    assert [(c.id, c.location) for c in result.changes] == [
        ("property-removed", f"{tmp_path / 'a.json'}:4:10")
    ]


names = st.sampled_from(["id", "name", "total", "status", "note"])
leaf = st.fixed_dictionaries(
    {"type": st.sampled_from(["string", "integer", "number", "boolean"])},
    optional={
        "description": st.text(max_size=5),
        "maxLength": st.integers(0, 9),
        "enum": st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3, unique=True),
    },
)
schemas = st.recursive(
    leaf,
    lambda inner: st.builds(
        lambda props, req: {
            "type": "object",
            "properties": props,
            "required": sorted(set(req) & set(props)),
        },
        st.dictionaries(names, inner, max_size=4),
        st.lists(names, max_size=3),
    ),
    max_leaves=8,
)


def _doc(request: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/x": {
                "post": {
                    "requestBody": {"content": {"application/json": {"schema": request}}},
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": response}},
                        }
                    },
                }
            }
        },
    }


@settings(max_examples=30, deadline=None)
@given(schemas, schemas, schemas, schemas)
def test_invariants(req_a: Any, resp_a: Any, req_b: Any, resp_b: Any) -> None:
    base, revision = _doc(req_a, resp_a), _doc(req_b, resp_b)
    same = diff_contracts("openapi", base, copy.deepcopy(base))
    assert same.changes == [] and same.kind == "none"
    result = diff_contracts("openapi", base, revision)
    assert result.breaking == any(c.level == "error" for c in result.changes)
    assert all(c.level in ("error", "warning", "info") for c in result.changes)
    assert all(c.operation == "POST" and c.path == "/x" for c in result.changes)
    for schema in (req_b, resp_b):
        _strip_descriptions(schema)
    described = diff_contracts("openapi", revision, _doc(req_b, resp_b))
    assert described.kind in ("none", "documentation")


def _strip_descriptions(schema: Any) -> None:
    if isinstance(schema, dict):
        schema.pop("description", None)
        for value in schema.values():
            _strip_descriptions(value)


def test_one_line_json_is_located_by_pointer(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"type": "object", "properties": {"x": {}}}')
    (tmp_path / "b.json").write_text('{"type": "object", "properties": {}}')
    result = diff_files(tmp_path / "a.json", tmp_path / "b.json", root=tmp_path)
    assert [c.location for c in result.changes] == [f"{tmp_path / 'a.json'}#/properties/x"]


def test_diff_contracts_resolves_internal_refs_of_loaded_data() -> None:
    def doc(required: list[str]) -> dict[str, Any]:
        return {
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {
                "/a": {
                    "get": {
                        "responses": {
                            "200": {
                                "description": "ok",
                                "content": {
                                    "application/json": {
                                        "schema": {"$ref": "#/components/schemas/A"}
                                    }
                                },
                            }
                        }
                    }
                }
            },
            "components": {
                "schemas": {
                    "A": {
                        "type": "object",
                        "required": required,
                        "properties": {"x": {"type": "string"}},
                    }
                }
            },
        }

    result = diff_contracts("openapi", doc(["x"]), doc([]))
    assert [c.id for c in result.changes] == ["response-property-became-optional"]


def test_file_ref_in_loaded_data_is_kept_not_followed() -> None:
    schema = {"properties": {"x": {"$ref": "other.json#/X"}}}
    assert diff_contracts("jsonschema", schema, schema).kind == "none"
    moved = {"properties": {"x": {"$ref": "moved.json#/X"}}}
    assert diff_contracts("jsonschema", schema, moved).changes == []
