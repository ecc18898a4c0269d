"""Behaviour of the built-in OpenAPI differ beyond the corpus."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dde_ci.contracts.diff import diff_contracts
from dde_ci.contracts.diff.openapi import merge_all_of, path_template, pointer
from dde_ci.errors import InputError


def api(**paths: Any) -> dict[str, Any]:
    return {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": paths}


def op(**extra: Any) -> dict[str, Any]:
    return {"responses": {"200": {"description": "ok"}}, **extra}


def body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def ok(schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}


def ids(base: dict[str, Any], revision: dict[str, Any]) -> list[tuple[str, str]]:
    result = diff_contracts("openapi", base, revision)
    return [(c.id, c.level) for c in result.changes]


def test_path_template_and_pointer() -> None:
    assert path_template("/a/{x}/b/{y}") == "/a/{}/b/{}"
    assert pointer(("paths", "/a/{x}", "get")) == "/paths/~1a~1{x}/get"


def test_removed_path_reports_each_operation_with_place_and_method() -> None:
    base = api(**{"/orders/{id}": {"get": op(), "delete": op()}})
    result = diff_contracts("openapi", base, api())
    assert result.breaking
    assert [(c.operation, c.path, c.location) for c in result.changes] == [
        ("DELETE", "/orders/{id}", "base#/paths/~1orders~1{id}/delete"),
        ("GET", "/orders/{id}", "base#/paths/~1orders~1{id}/get"),
    ]


def test_removed_before_sunset_is_an_error_even_when_deprecated() -> None:
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    base = api(**{"/a": {"get": op(deprecated=True, **{"x-sunset": future}), "post": op()}})
    revision = api(**{"/a": {"post": op()}})
    assert ids(base, revision) == [("api-removed-before-sunset", "error")]


def test_renamed_path_parameter_with_a_real_change_is_still_found() -> None:
    base = api(
        **{
            "/o/{id}": {
                "get": op(
                    responses=ok(
                        {
                            "type": "object",
                            "required": ["a"],
                            "properties": {"a": {"type": "string"}},
                        }
                    )
                )
            }
        }
    )
    revision = api(
        **{
            "/o/{orderId}": {
                "get": op(responses=ok({"type": "object", "properties": {"a": {"type": "string"}}}))
            }
        }
    )
    result = diff_contracts("openapi", base, revision)
    assert [(c.id, c.path) for c in result.changes] == [
        ("response-property-became-optional", "/o/{orderId}")
    ]


def test_same_change_judged_by_direction() -> None:
    narrow = {"type": "object", "properties": {"n": {"type": "integer", "maximum": 10}}}
    wide = {"type": "object", "properties": {"n": {"type": "integer", "maximum": 20}}}
    request_base = api(**{"/a": {"post": op(requestBody=body(narrow))}})
    request_rev = api(**{"/a": {"post": op(requestBody=body(wide))}})
    assert ids(request_base, request_rev) == [("request-property-max-increased", "info")]
    response_base = api(**{"/a": {"get": op(responses=ok(narrow))}})
    response_rev = api(**{"/a": {"get": op(responses=ok(wide))}})
    assert ids(response_base, response_rev) == [("response-property-max-increased", "error")]


def test_write_only_property_removed_from_response_is_info() -> None:
    schema = {"type": "object", "properties": {"pw": {"type": "string", "writeOnly": True}}}
    base = api(**{"/a": {"get": op(responses=ok(schema))}})
    revision = api(**{"/a": {"get": op(responses=ok({"type": "object", "properties": {}}))}})
    assert ids(base, revision) == [("response-optional-write-only-property-removed", "info")]


def test_all_of_is_merged_before_comparing() -> None:
    part = {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}
    base = api(**{"/a": {"get": op(responses=ok({"allOf": [part, {"properties": {"x": {}}}]}))}})
    flat = merge_all_of({"allOf": [part, {"properties": {"x": {}}}]})
    assert flat["required"] == ["id"] and set(flat["properties"]) == {"id", "x"}
    revision = api(
        **{
            "/a": {
                "get": op(
                    responses=ok(
                        {"type": "object", "properties": {"id": {"type": "string"}, "x": {}}}
                    )
                )
            }
        }
    )
    assert ids(base, revision) == [("response-property-became-optional", "error")]


def test_one_of_alternative_removed_in_request_is_breaking() -> None:
    a = {"type": "object", "properties": {"a": {"type": "string"}}}
    b = {"type": "object", "properties": {"b": {"type": "integer"}}}
    base = api(**{"/a": {"post": op(requestBody=body({"oneOf": [a, b]}))}})
    revision = api(**{"/a": {"post": op(requestBody=body({"oneOf": [a]}))}})
    assert ids(base, revision) == [("request-body-one-of-removed", "error")]


def test_a_one_of_of_plain_types_is_a_list_of_types() -> None:
    a, b = {"type": "string"}, {"type": "integer"}
    base = api(**{"/a": {"post": op(requestBody=body({"oneOf": [a, b]}))}})
    revision = api(**{"/a": {"post": op(requestBody=body({"oneOf": [a]}))}})
    assert ids(base, revision) == [("request-body-list-of-types-narrowed", "error")]


def test_security_changes_follow_oasdiff_levels() -> None:
    base = api(**{"/a": {"get": op(security=[{"k": ["read"]}])}})
    revision = api(**{"/a": {"get": op(security=[{"k": ["read", "write"]}, {"oauth": []}])}})
    assert sorted(ids(base, revision)) == [
        ("api-security-added", "info"),
        ("api-security-scope-added", "info"),
    ]


def test_header_names_compare_case_insensitively() -> None:
    def resp(name: str) -> dict[str, Any]:
        return {"200": {"description": "ok", "headers": {name: {"required": True}}}}

    base = api(**{"/a": {"get": op(responses=resp("X-Rate"))}})
    assert ids(base, api(**{"/a": {"get": op(responses=resp("x-rate"))}})) == []


def test_parameter_header_default_and_pattern_rules() -> None:
    def with_param(schema: dict[str, Any]) -> dict[str, Any]:
        param = {"name": "X-Mode", "in": "header", "schema": schema}
        return api(**{"/a": {"get": op(parameters=[param])}})

    base = with_param({"type": "string", "default": "fast"})
    revision = with_param({"type": "string", "default": "slow", "pattern": "^[a-z]+$"})
    assert sorted(ids(base, revision)) == [
        ("request-parameter-default-value-changed", "error"),
        ("request-parameter-pattern-added", "error"),
    ]


def test_reference_cycle_is_compared_without_recursion() -> None:
    def doc(leaf: str) -> dict[str, Any]:
        spec = api(**{"/a": {"get": op(responses=ok({"$ref": "#/components/schemas/Node"}))}})
        spec["components"] = {
            "schemas": {
                "Node": {
                    "type": "object",
                    "properties": {
                        "value": {"type": leaf},
                        "next": {"$ref": "#/components/schemas/Node"},
                    },
                }
            }
        }
        return spec

    assert ids(doc("string"), doc("string")) == []
    assert ids(doc("string"), doc("integer")) == [("response-property-type-changed", "error")]


def test_not_openapi_is_refused() -> None:
    with pytest.raises(InputError, match=r"Swagger 2\.0"):
        diff_contracts("openapi", {"swagger": "2.0"}, api())
    with pytest.raises(InputError, match=r"no 'openapi: 3\.x' field"):
        diff_contracts("openapi", {"paths": {}}, api())


def test_deep_schema_nesting_is_bounded() -> None:
    def nested(levels: int, leaf: str) -> dict[str, Any]:
        deep: dict[str, Any] = {"type": leaf}
        for _ in range(levels):
            deep = {"type": "object", "properties": {"x": deep}}
        return api(**{"/a": {"get": op(responses=ok(deep))}})

    # within the bound: compared to the bottom, the change is found
    assert ids(nested(20, "string"), nested(20, "integer")) == [
        ("response-property-type-changed", "error")
    ]
    # past the bound: a clear error, never a RecursionError
    with pytest.raises(InputError, match="nests more than 200 levels"):
        diff_contracts("openapi", nested(150, "string"), nested(150, "integer"))


def test_exclusive_bounds_in_the_openapi_3_0_boolean_form() -> None:
    def doc(schema: dict[str, Any], where: str) -> dict[str, Any]:
        if where == "request":
            return api(**{"/a": {"post": op(requestBody=body(schema))}})
        return api(**{"/a": {"get": op(responses=ok(schema))}})

    inclusive = {"type": "integer", "minimum": 1, "maximum": 9}
    exclusive = {**inclusive, "exclusiveMinimum": True, "exclusiveMaximum": True}
    assert sorted(ids(doc(inclusive, "request"), doc(exclusive, "request"))) == [
        ("request-body-exclusive-max-set", "warning"),
        ("request-body-exclusive-min-set", "warning"),
    ]
    assert sorted(ids(doc(exclusive, "response"), doc(inclusive, "response"))) == [
        ("response-body-exclusive-max-increased", "error"),
        ("response-body-exclusive-min-decreased", "error"),
    ]
    assert ids(doc(inclusive, "response"), doc(exclusive, "response")) == []


def test_an_enum_dropped_widens_a_request_and_is_reported_value_by_value_in_a_response() -> None:
    enum = {"type": "object", "properties": {"s": {"type": "string", "enum": ["a", "b"]}}}
    free = {"type": "object", "properties": {"s": {"type": "string"}}}
    request = (
        api(**{"/a": {"post": op(requestBody=body(enum))}}),
        api(**{"/a": {"post": op(requestBody=body(free))}}),
    )
    assert ids(*request) == []
    response = (
        api(**{"/a": {"get": op(responses=ok(enum))}}),
        api(**{"/a": {"get": op(responses=ok(free))}}),
    )
    assert ids(*response) == [("response-property-enum-value-removed", "info")] * 2
