"""Contract types: validation with places, hostile references, canonical digests."""

from __future__ import annotations

import json
import random
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from dde_ci.contracts.types import CONTRACT_TYPES, canonical_json, check_contract, contract_type
from dde_ci.errors import InputError, ValidationError
from tests.contracts.contract_project import EVENT, GRAPHQL, make_project, openapi, write_openapi


def test_every_registered_type_checks_the_example_project(tmp_path: Path) -> None:
    make_project(tmp_path)
    files = {
        "openapi": "contracts/orders-api.yaml",
        "jsonschema": "contracts/order-created.json",
        "graphql": "contracts/catalog.graphql",
    }
    assert set(CONTRACT_TYPES) == set(files)
    for name, rel in files.items():
        checked = check_contract(name, tmp_path / rel, tmp_path)
        assert checked.digest.startswith("sha256:") and len(checked.digest) == 71


def test_unknown_type_suggests_a_close_one() -> None:
    with pytest.raises(
        InputError, match=r"unknown contract type 'openpi' \(did you mean 'openapi'"
    ):
        contract_type("openpi")


def test_openapi_digest_ignores_key_order_and_format(tmp_path: Path) -> None:
    make_project(tmp_path)
    first = check_contract("openapi", tmp_path / "contracts/orders-api.yaml", tmp_path).digest
    (tmp_path / "same.json").write_text(json.dumps(openapi(), indent=None, sort_keys=True))
    assert check_contract("openapi", tmp_path / "same.json", tmp_path).digest == first
    changed = openapi()
    changed["info"]["description"] = "now documented"
    write_openapi(tmp_path, changed)
    assert (
        check_contract("openapi", tmp_path / "contracts/orders-api.yaml", tmp_path).digest != first
    )


def test_openapi_30_is_accepted_and_20_refused(tmp_path: Path) -> None:
    spec = openapi()
    spec["openapi"] = "3.0.3"
    for schema in spec["components"]["schemas"].values():
        schema.pop("examples", None)
    write_openapi(tmp_path, spec)
    check_contract("openapi", tmp_path / "contracts/orders-api.yaml", tmp_path)
    spec["openapi"] = "2.0"
    write_openapi(tmp_path, spec)
    with pytest.raises(ValidationError) as caught:
        check_contract("openapi", tmp_path / "contracts/orders-api.yaml", tmp_path)
    assert "'openapi' is '2.0'; dde-ci checks OpenAPI 3.0.x and 3.1.x" in str(caught.value)
    assert "orders-api.yaml:1:" in str(caught.value)


def test_openapi_error_points_at_the_place(tmp_path: Path) -> None:
    spec = openapi()
    del spec["paths"]["/orders"]["post"]["responses"]["201"]["description"]
    write_openapi(tmp_path, spec)
    with pytest.raises(ValidationError) as caught:
        check_contract("openapi", tmp_path / "contracts/orders-api.yaml", tmp_path)
    assert str(caught.value) == (
        'contracts/orders-api.yaml:25:11: "description" is a required property '
        "(at /paths/~1orders/post/responses/201)"
    )


def _with_ref(tmp_path: Path, ref: str) -> Path:
    spec = openapi()
    spec["components"]["schemas"]["Order"] = {"$ref": ref}
    write_openapi(tmp_path, spec)
    return tmp_path / "contracts" / "orders-api.yaml"


def test_remote_ref_is_refused_without_touching_the_network(tmp_path: Path) -> None:
    path = _with_ref(tmp_path, "https://example.com/schemas/order.json")
    with pytest.raises(ValidationError, match="never fetches remote references"):
        check_contract("openapi", path, tmp_path)


def test_ref_escaping_the_project_is_refused(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "contracts").mkdir(parents=True)
    (tmp_path / "secret.json").write_text('{"type": "object"}')
    path = _with_ref(project, "../../secret.json")
    with pytest.raises(ValidationError, match="resolves outside the project root"):
        check_contract("openapi", path, project)


def test_ref_into_another_file_inside_is_bundled(tmp_path: Path) -> None:
    path = _with_ref(tmp_path, "order.json")
    (tmp_path / "contracts" / "order.json").write_text(
        json.dumps(openapi()["components"]["schemas"]["Order"])
    )
    checked = check_contract("openapi", path, tmp_path)
    assert not checked.loaded.self_contained
    assert b'"total_cents"' in checked.canonical


@pytest.mark.parametrize(
    "schemas",
    [
        {
            "Order": {"$ref": "#/components/schemas/Other"},
            "Other": {"$ref": "#/components/schemas/Order"},
        },
        {"Order": {"allOf": [{"$ref": "#/components/schemas/Order"}]}},
    ],
)
def test_cyclic_ref_is_a_clear_error_not_a_recursion_error(
    tmp_path: Path, schemas: dict[str, object]
) -> None:
    spec = openapi()
    spec["components"]["schemas"] = schemas
    write_openapi(tmp_path, spec)
    with pytest.raises(ValidationError) as caught:
        check_contract("openapi", tmp_path / "contracts/orders-api.yaml", tmp_path)
    assert "cyclic $ref: #/components/schemas/Order -> " in str(caught.value)


def test_recursive_schema_through_a_property_is_fine(tmp_path: Path) -> None:
    spec = openapi()
    spec["components"]["schemas"]["Order"]["properties"]["parts"] = {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Order"},
    }
    write_openapi(tmp_path, spec)
    check_contract("openapi", tmp_path / "contracts/orders-api.yaml", tmp_path)


def test_jsonschema_must_be_draft_2020_12(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps({**EVENT, "$schema": "http://json-schema.org/draft-07/schema#"}))
    with pytest.raises(ValidationError, match="dde-ci checks draft 2020-12 schemas"):
        check_contract("jsonschema", path, tmp_path)


def test_jsonschema_metaschema_errors_name_the_pointer(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps({**EVENT, "properties": {"order_id": {"type": "strnig"}}}, indent=2))
    with pytest.raises(ValidationError) as caught:
        check_contract("jsonschema", path, tmp_path)
    assert "not a valid draft 2020-12 schema at /properties/order_id/type" in str(caught.value)


def test_jsonschema_remote_ref_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"$ref": "http://evil.invalid/x.json"}))
    with pytest.raises(ValidationError, match="never fetches remote"):
        check_contract("jsonschema", path, tmp_path)


def test_graphql_canonical_form_ignores_order_and_layout(tmp_path: Path) -> None:
    a = tmp_path / "a.graphql"
    a.write_text(GRAPHQL)
    b = tmp_path / "b.graphql"
    b.write_text(
        "type Product { name: String!  id: ID! }\n\ntype Query { product(id: ID!): Product }\n"
    )
    assert (
        check_contract("graphql", a, tmp_path).digest
        == check_contract("graphql", b, tmp_path).digest
    )


def test_graphql_syntax_and_schema_errors_have_places(tmp_path: Path) -> None:
    bad = tmp_path / "bad.graphql"
    bad.write_text("type Query {\n  product: Missing\n}\n")
    with pytest.raises(ValidationError) as caught:
        check_contract("graphql", bad, tmp_path)
    assert str(caught.value) == "bad.graphql:2:12: Unknown type 'Missing'."
    broken = tmp_path / "broken.graphql"
    broken.write_text("type Query {\n  product(: ID\n}\n")
    with pytest.raises(InputError, match=r"broken.graphql:2:11: invalid GraphQL SDL"):
        check_contract("graphql", broken, tmp_path)


def _shuffled(value: object, rnd: random.Random) -> object:
    if isinstance(value, dict):
        items = list(value.items())
        rnd.shuffle(items)
        return {k: _shuffled(v, rnd) for k, v in items}
    if isinstance(value, list):
        return [_shuffled(v, rnd) for v in value]
    return value


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), indent=st.sampled_from([None, 1, 4]))
def test_digest_is_independent_of_key_order_and_layout(seed: int, indent: int | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        reference = root / "reference.json"
        reference.write_text(json.dumps(openapi()))
        shuffled = _shuffled(openapi(), random.Random(seed))
        as_json = root / "shuffled.json"
        as_json.write_text(json.dumps(shuffled, indent=indent))
        as_yaml = root / "shuffled.yaml"
        as_yaml.write_text(
            yaml.safe_dump(shuffled, sort_keys=False, default_flow_style=bool(seed % 2))
        )
        expected = check_contract("openapi", reference, root).digest
        assert check_contract("openapi", as_json, root).digest == expected
        assert check_contract("openapi", as_yaml, root).digest == expected


@settings(max_examples=50, deadline=None)
@given(
    data=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
        ),
        max_leaves=12,
    )
)
def test_canonical_json_round_trips_and_is_stable(data: object) -> None:
    encoded = canonical_json(data)
    assert json.loads(encoded) == data
    assert canonical_json(json.loads(encoded)) == encoded
    assert b"\n" not in encoded and b", " not in encoded.replace(b'", "', b"")


def test_jsonschema_hostile_refs(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "outside.json").write_text('{"type": "string"}')
    escape = project / "escape.json"
    escape.write_text(json.dumps({"properties": {"a": {"$ref": "../outside.json"}}}))
    with pytest.raises(ValidationError, match="resolves outside the project root"):
        check_contract("jsonschema", escape, project)
    cycle = project / "cycle.json"
    cycle.write_text(
        json.dumps(
            {"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}
        )
    )
    with pytest.raises(
        ValidationError, match=r"cyclic \$ref: #/\$defs/a -> #/\$defs/b -> #/\$defs/a"
    ):
        check_contract("jsonschema", cycle, project)
    tree = project / "tree.json"
    tree.write_text(
        json.dumps(
            {
                "type": "object",
                "properties": {"children": {"type": "array", "items": {"$ref": "#"}}},
            }
        )
    )
    assert check_contract("jsonschema", tree, project).digest.startswith("sha256:")
