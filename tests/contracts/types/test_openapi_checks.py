"""The linear OpenAPI validation: what it rejects, where it points, and that it agrees with
openapi-spec-validator (the validator it replaces) on every kind of problem both check."""

from __future__ import annotations

import copy
import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dde_ci.contracts.refs import resolve_internal_refs
from dde_ci.contracts.types import check_contract
from dde_ci.contracts.types.openapi_checks import MAX_PROBLEMS, validate_openapi
from dde_ci.errors import InputError, ValidationError
from tests.contracts.contract_project import openapi, write_openapi

Spec = dict[str, Any]


def _get(spec: Spec) -> Spec:
    op: Spec = spec["paths"]["/orders/{orderId}"]["get"]
    return op


def _no_description(spec: Spec) -> None:
    del _get(spec)["responses"]["200"]["description"]


def _parameter_in_body(spec: Spec) -> None:
    _get(spec)["parameters"][0]["in"] = "body"


def _unknown_type(spec: Spec) -> None:
    spec["components"]["schemas"]["Order"]["properties"]["id"]["type"] = "strin"


def _bad_minimum(spec: Spec) -> None:
    spec["components"]["schemas"]["Order"]["properties"]["total_cents"]["minimum"] = "zero"


def _duplicate_operation_id(spec: Spec) -> None:
    _get(spec)["operationId"] = "createOrder"


def _duplicate_tag(spec: Spec) -> None:
    spec["tags"] = [{"name": "orders"}, {"name": "orders", "description": "again"}]


def _duplicate_parameter(spec: Spec) -> None:
    params = _get(spec)["parameters"]
    params.append({**copy.deepcopy(params[0]), "description": "again"})


def _undeclared_path_parameter(spec: Spec) -> None:
    _get(spec)["parameters"] = []


def _path_parameter_not_in_path(spec: Spec) -> None:
    item = spec["paths"].pop("/orders/{orderId}")
    spec["paths"]["/orders/latest"] = item


def _required_not_defined(spec: Spec) -> None:
    spec["components"]["schemas"]["Order"] = {
        "allOf": [{"type": "object", "properties": {"id": {"type": "string"}}}],
        "required": ["id", "total"],
    }


def _default_of_wrong_type(spec: Spec) -> None:
    spec["components"]["schemas"]["Order"]["properties"]["id"]["default"] = 5


def _bad_pattern(spec: Spec) -> None:
    spec["components"]["schemas"]["Order"]["properties"]["id"]["pattern"] = "(["


def _unknown_top_level_key(spec: Spec) -> None:
    spec["servrs"] = [{"url": "https://example.com"}]


def _referenced_parameter_without_placeholder(spec: Spec) -> None:
    spec["components"]["parameters"] = {"OrderId": _get(spec)["parameters"][0]}
    spec["paths"]["/orders"]["post"]["parameters"] = [{"$ref": "#/components/parameters/OrderId"}]


MUTATIONS: dict[str, tuple[Callable[[Spec], None], str]] = {
    "no description": (
        _no_description,
        'contracts/orders-api.yaml:{line}:11: "description" is a required property '
        "(at /paths/~1orders~1{{orderId}}/get/responses/200)",
    ),
    "parameter in body": (_parameter_in_body, "(at /paths/~1orders~1{{orderId}}/get/parameters/0"),
    "unknown type": (_unknown_type, "(at /components/schemas/Order/properties/id/type)"),
    "bad minimum": (
        _bad_minimum,
        '"zero" is not of type "number" (at /components/schemas/Order/properties/total_cents'
        "/minimum)",
    ),
    "duplicate operationId": (
        _duplicate_operation_id,
        "operationId 'createOrder' of GET /orders/{{orderId}} is not unique "
        "(at /paths/~1orders~1{{orderId}}/get/operationId)",
    ),
    "duplicate tag": (_duplicate_tag, "duplicate tag name 'orders' (at /tags/1/name)"),
    "duplicate parameter": (
        _duplicate_parameter,
        "duplicate path parameter 'orderId' (at /paths/~1orders~1{{orderId}}/get/parameters/1)",
    ),
    "undeclared path parameter": (
        _undeclared_path_parameter,
        "path parameter 'orderId' of GET /orders/{{orderId}} is not declared in parameters",
    ),
    "path parameter not in path": (
        _path_parameter_not_in_path,
        "path parameter 'orderId' of GET /orders/latest is not in the path",
    ),
    "required not defined": (
        _required_not_defined,
        "required 'total' not defined in any properties (at /components/schemas/Order/required)",
    ),
    "default of the wrong type": (
        _default_of_wrong_type,
        "default 5 is not of type 'string' (at /components/schemas/Order/properties/id/default)",
    ),
    "unknown top-level key": (_unknown_top_level_key, "servrs"),
    "bad pattern": (_bad_pattern, "(at /components/schemas/Order/properties/id/pattern)"),
    "referenced path parameter": (
        _referenced_parameter_without_placeholder,
        "path parameter 'orderId' of POST /orders is not in the path",
    ),
}


def _spec(version: str, mutate: Callable[[Spec], None] | None = None) -> Spec:
    spec = openapi()
    spec["openapi"] = version
    if mutate is not None:
        mutate(spec)
    return spec


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_each_problem_is_rejected_with_its_place(tmp_path: Path, version: str, name: str) -> None:
    mutate, expected = MUTATIONS[name]
    write_openapi(tmp_path, _spec(version, mutate))
    path = tmp_path / "contracts" / "orders-api.yaml"
    with pytest.raises(ValidationError) as caught:
        check_contract("openapi", path, tmp_path)
    text = str(caught.value)
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "'200':" in t) + 1
    assert expected.format(line=line) in text
    assert text.startswith("contracts/orders-api.yaml:")


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_agrees_with_openapi_spec_validator(version: str, name: str) -> None:
    """Every mutation is also an error for openapi-spec-validator, and the valid spec is valid
    for both: the replacement rejects what the replaced validator rejected."""
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

    cls: Any = OpenAPIV31SpecValidator if version.startswith("3.1") else OpenAPIV30SpecValidator
    valid = _spec(version)
    assert not list(cls(valid).iter_errors())
    assert validate_openapi(valid, resolve_internal_refs(valid)) == []
    invalid = _spec(version, MUTATIONS[name][0])
    assert list(cls(invalid).iter_errors())
    assert validate_openapi(invalid, resolve_internal_refs(invalid))


def test_a_3_1_schema_is_checked_in_the_openapi_dialect() -> None:
    spec = _spec("3.1.0")
    spec["components"]["schemas"]["Order"]["discriminator"] = {"mapping": {"a": "#/x"}}
    problems = validate_openapi(spec, resolve_internal_refs(spec))
    assert [(p.path, p.message) for p in problems] == [
        (
            ("components", "schemas", "Order", "discriminator"),
            '"propertyName" is a required property',
        )
    ]


def test_an_error_reached_through_several_applicators_is_reported_once() -> None:
    spec = _spec("3.1.0")
    spec["components"]["schemas"]["Order"]["properties"]["id"] = "a string, not a schema"
    problems = validate_openapi(spec, resolve_internal_refs(spec))
    assert [(p.path, p.message) for p in problems] == [
        (
            ("components", "schemas", "Order", "properties", "id"),
            '"a string, not a schema" is not of types "boolean", "object"',
        )
    ]


def test_a_nullable_default_of_null_is_fine_in_3_0() -> None:
    spec = _spec("3.0.3")
    spec["components"]["schemas"]["Order"]["properties"]["id"].update(
        {"nullable": True, "default": None}
    )
    assert validate_openapi(spec, resolve_internal_refs(spec)) == []


def test_problems_are_capped() -> None:
    spec = _spec("3.1.0")
    for i in range(MAX_PROBLEMS + 20):
        spec["paths"][f"/p{i}"] = {"get": {"responses": {"200": {}}}}
    problems = validate_openapi(spec, resolve_internal_refs(spec))
    assert len(problems) == MAX_PROBLEMS


def test_a_long_instance_is_shortened_in_the_message() -> None:
    spec = _spec("3.0.3")
    _get(spec)["parameters"][0] = {"name": "orderId", "in": "body", "description": "x" * 2000}
    problems = validate_openapi(spec, resolve_internal_refs(spec))
    assert problems and all(len(p.message) < 300 for p in problems)
    assert any(" ... " in p.message for p in problems)


def test_validation_time_grows_linearly() -> None:
    """10x the operations costs about 10x the CPU time (the replaced validator grew faster)."""

    def build(operations: int) -> Spec:
        spec = _spec("3.0.3")
        order = spec["components"]["schemas"]["Order"]
        for i in range(operations):
            spec["components"]["schemas"][f"Order{i}"] = copy.deepcopy(order)
            get = copy.deepcopy(_get(spec))
            get["operationId"] = f"get{i}"
            get["responses"]["200"]["content"]["application/json"]["schema"] = {
                "$ref": f"#/components/schemas/Order{i}"
            }
            spec["paths"][f"/orders{i}/{{orderId}}"] = {"get": get}
        return spec

    def seconds(operations: int) -> float:
        doc = build(operations)
        resolved = resolve_internal_refs(doc)
        best = float("inf")
        gc.disable()
        try:
            for _ in range(3):
                start = time.process_time()
                assert validate_openapi(doc, resolved) == []
                best = min(best, time.process_time() - start)
        finally:
            gc.enable()
        return best

    small, large = seconds(100), seconds(1000)
    assert large < 30 * small


def _places(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [at]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _places(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _places(item, (*at, index))
    return out


PLACES = [p for p in _places(openapi()) if p]


def _set(spec: Spec, place: tuple[Any, ...], value: Any) -> None:
    """Set ``spec`` at ``place`` when the place is still there (an earlier edit may be above)."""

    def has(node: Any, part: Any) -> bool:
        if isinstance(node, list):
            return isinstance(part, int) and part < len(node)
        return isinstance(node, dict) and part in node

    node: Any = spec
    *parents, last = place
    for part in parents:
        if not has(node, part):
            return
        node = node[part]
    if (isinstance(node, dict) and isinstance(last, str)) or has(node, last):
        node[last] = copy.deepcopy(value)  # keys are strings, as the loaders give them


@settings(max_examples=150, deadline=None)
@given(
    version=st.sampled_from(["3.0.3", "3.1.0"]),
    edits=st.lists(
        st.tuples(
            st.sampled_from(PLACES),
            st.sampled_from(
                [
                    None,
                    1,
                    -1.5,
                    "x",
                    "/p/{q}",
                    [],
                    {},
                    [{}],
                    True,
                    {"$ref": "#/components/schemas/Order"},
                ]
            ),
        ),
        max_size=3,
    ),
)
def test_any_damaged_document_gives_problems_not_exceptions(
    version: str, edits: list[tuple[tuple[Any, ...], Any]]
) -> None:
    spec = _spec(version)
    for place, value in edits:
        _set(spec, place, value)
    try:
        resolved = resolve_internal_refs(spec)
    except InputError:
        return  # a dangling $ref: refused before validation (see test_types)
    problems = validate_openapi(spec, resolved)
    assert all(isinstance(p.message, str) and p.message for p in problems)
