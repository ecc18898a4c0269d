"""Tests for dde_ci.contracts.refs: $ref resolution only inside the repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dde_ci.contracts.refs import (
    MAX_DEPTH,
    Resolver,
    load_document,
    parse_document,
    read_document,
    resolve_refs,
)
from dde_ci.errors import InputError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_internal_ref_is_replaced_by_its_target(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "api.yaml",
        "components:\n  schemas:\n    Id: {type: string}\n"
        "    Order:\n      properties:\n        id: {$ref: '#/components/schemas/Id'}\n",
    )
    data = load_document(spec, tmp_path)
    assert data["components"]["schemas"]["Order"]["properties"]["id"] == {"type": "string"}


def test_relative_file_ref_and_its_own_internal_refs(tmp_path: Path) -> None:
    write(
        tmp_path / "common" / "money.yaml",
        "Money:\n  type: object\n  properties:\n    currency: {$ref: '#/Currency'}\n"
        "Currency: {type: string, enum: [EUR, USD]}\n",
    )
    spec = write(
        tmp_path / "api" / "orders.yaml",
        "price: {$ref: '../common/money.yaml#/Money'}\n",
    )
    data = load_document(spec, tmp_path)
    assert data["price"]["properties"]["currency"] == {"type": "string", "enum": ["EUR", "USD"]}


def test_whole_file_ref_in_json(tmp_path: Path) -> None:
    write(tmp_path / "event.json", json.dumps({"type": "object", "required": ["id"]}))
    spec = write(tmp_path / "a.json", json.dumps({"payload": {"$ref": "event.json"}}))
    assert load_document(spec, tmp_path) == {"payload": {"type": "object", "required": ["id"]}}


def test_remote_ref_is_refused_with_its_location(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "api.yaml",
        "a:\n  b:\n    $ref: 'https://example.com/schemas/x.yaml'\n",
    )
    with pytest.raises(InputError) as info:
        load_document(spec, tmp_path)
    assert str(info.value).startswith("api.yaml:3:11: $ref 'https://example.com/schemas/x.yaml'")
    assert "never fetches remote references" in str(info.value)


@pytest.mark.parametrize("ref", ["file:///etc/passwd", "urn:example:x", "http://localhost/x"])
def test_every_scheme_is_refused(tmp_path: Path, ref: str) -> None:
    spec = write(tmp_path / "api.yaml", f"a: {{$ref: '{ref}'}}\n")
    with pytest.raises(InputError, match="never fetches remote"):
        load_document(spec, tmp_path)


def test_file_outside_the_root_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write(tmp_path / "secret.yaml", "x: 1\n")
    spec = write(root / "api.yaml", "a: {$ref: '../secret.yaml'}\n")
    with pytest.raises(InputError, match="resolves outside the project root"):
        load_document(spec, root)


def test_symlink_escaping_the_root_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write(tmp_path / "secret.yaml", "x: 1\n")
    root.mkdir()
    (root / "link.yaml").symlink_to(tmp_path / "secret.yaml")
    spec = write(root / "api.yaml", "a: {$ref: 'link.yaml'}\n")
    with pytest.raises(InputError, match="resolves outside the project root"):
        load_document(spec, root)


def test_absolute_path_is_refused(tmp_path: Path) -> None:
    spec = write(tmp_path / "api.yaml", f"a: {{$ref: '{tmp_path}/x.yaml'}}\n")
    with pytest.raises(InputError, match="must be a relative path"):
        load_document(spec, tmp_path)


def test_missing_pointer_target_says_where_and_suggests(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "api.yaml",
        "components:\n  schemas:\n    Order: {}\nx:\n  $ref: '#/components/schemas/Ordr'\n",
    )
    with pytest.raises(InputError) as info:
        load_document(spec, tmp_path)
    message = str(info.value)
    assert message.startswith("api.yaml:5:9: $ref '#/components/schemas/Ordr': 'Ordr' not found")
    assert "(did you mean 'Order'?)" in message


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    spec = write(tmp_path / "api.yaml", "a: {$ref: 'nope.yaml#/X'}\n")
    with pytest.raises(InputError, match=r"file 'nope\.yaml' not found"):
        load_document(spec, tmp_path)


def test_cycle_is_kept_unexpanded_not_a_recursion_error(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "api.yaml",
        "Node:\n  type: object\n  properties:\n    children:\n      type: array\n"
        "      items: {$ref: '#/Node'}\n",
    )
    data = load_document(spec, tmp_path)
    items = data["Node"]["properties"]["children"]["items"]
    assert items["type"] == "object"
    assert items["properties"]["children"]["items"] == {"$ref": "#/Node"}


def test_mutual_cycle_across_files(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "A: {properties: {b: {$ref: 'b.yaml#/B'}}}\n")
    write(tmp_path / "b.yaml", "B: {properties: {a: {$ref: 'a.yaml#/A'}}}\n")
    data = load_document(tmp_path / "a.yaml", tmp_path)
    assert data["A"]["properties"]["b"]["properties"]["a"]["properties"]["b"] == {
        "$ref": "b.yaml#/B"
    }


def test_self_reference_to_the_root(tmp_path: Path) -> None:
    spec = write(tmp_path / "s.json", json.dumps({"properties": {"next": {"$ref": "#"}}}))
    data = load_document(spec, tmp_path)
    assert data["properties"]["next"]["properties"]["next"] == {"$ref": "#"}


def test_ref_chain_longer_than_the_depth_bound_is_an_error(tmp_path: Path) -> None:
    n = MAX_DEPTH + 10
    defs = {f"d{i}": {"$ref": f"#/defs/d{i + 1}"} for i in range(n)}
    defs[f"d{n}"] = {"type": "string"}
    spec = write(tmp_path / "deep.json", json.dumps({"x": {"$ref": "#/defs/d0"}, "defs": defs}))
    with pytest.raises(InputError, match="nests more than"):
        load_document(spec, tmp_path)


def test_exponential_expansion_is_refused(tmp_path: Path) -> None:
    defs: dict[str, object] = {"l0": {"type": "string"}}
    for i in range(1, 40):
        defs[f"l{i}"] = {"allOf": [{"$ref": f"#/defs/l{i - 1}"}, {"$ref": f"#/defs/l{i - 1}"}]}
    spec = write(tmp_path / "bomb.json", json.dumps({"x": {"$ref": "#/defs/l39"}, "defs": defs}))
    with pytest.raises(InputError, match="expands to more than"):
        load_document(spec, tmp_path)


def test_deep_json_is_an_input_error(tmp_path: Path) -> None:
    spec = write(tmp_path / "deep.json", "[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputError):
        load_document(spec, tmp_path)


def test_siblings_of_ref_are_laid_over_the_target(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "api.yaml",
        "S: {type: string, description: old}\nx: {$ref: '#/S', description: new}\n",
    )
    assert load_document(spec, tmp_path)["x"] == {"type": "string", "description": "new"}


def test_pointer_escapes(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "api.yaml",
        "paths:\n  /orders/{id}:\n    get: {summary: s}\n"
        "x: {$ref: '#/paths/~1orders~1%7Bid%7D/get'}\n",
    )
    assert load_document(spec, tmp_path)["x"] == {"summary": "s"}


def test_unchanged_subtrees_are_not_copied(tmp_path: Path) -> None:
    spec = write(tmp_path / "api.yaml", "a: {b: {c: 1}}\nr: {$ref: '#/a'}\n")
    doc = read_document(spec, tmp_path)
    data = Resolver(tmp_path).resolve_document(doc)
    assert data["a"] is doc.data["a"]
    assert data["r"] is data["a"]


def test_resolve_refs_on_loaded_data(tmp_path: Path) -> None:
    data = {"a": {"$ref": "#/b"}, "b": [1, 2]}
    assert resolve_refs(data, tmp_path / "x.json", tmp_path) == {"a": [1, 2], "b": [1, 2]}


def test_plain_yaml_floats_in_schema_keywords_become_numbers() -> None:
    doc = parse_document(
        "info: {version: 1.0}\n"
        "s:\n  minimum: 0.5\n  maximum: '2.5'\n  enum: [1.5, '2.5', abc]\n"
        "  example: {price: 9.99}\n",
        "api.yaml",
    )
    assert doc.data["info"]["version"] == "1.0"
    assert doc.data["s"]["minimum"] == 0.5
    assert doc.data["s"]["maximum"] == "2.5"
    assert doc.data["s"]["enum"] == [1.5, "2.5", "abc"]
    assert doc.data["s"]["example"] == {"price": 9.99}


def test_json_errors_have_line_and_column(tmp_path: Path) -> None:
    spec = write(tmp_path / "bad.json", '{\n  "a": 1,\n  "b": }\n')
    with pytest.raises(InputError) as info:
        read_document(spec, tmp_path)
    assert str(info.value).startswith("bad.json:3:8: invalid JSON")


def test_json_duplicate_keys_and_nan_are_refused() -> None:
    with pytest.raises(InputError, match="duplicate key 'a'"):
        parse_document('{"a": 1, "a": 2}', "x.json")
    with pytest.raises(InputError, match="NaN is not valid JSON"):
        parse_document('{"a": NaN}', "x.json")


def test_yaml_errors_come_from_yamlio_with_positions(tmp_path: Path) -> None:
    spec = write(tmp_path / "dup.yaml", "a: 1\na: 2\n")
    with pytest.raises(InputError) as info:
        read_document(spec, tmp_path)
    assert str(info.value).startswith("dup.yaml:2:1: duplicate key 'a'")


def test_json_ref_error_is_located_lazily(tmp_path: Path) -> None:
    spec = write(tmp_path / "a.json", '{\n  "x": {"$ref": "#/nope"}\n}\n')
    with pytest.raises(InputError) as info:
        load_document(spec, tmp_path)
    assert str(info.value).startswith("a.json:2:17: ")


def test_resolve_internal_refs_of_in_memory_data() -> None:
    from dde_ci.contracts.refs import resolve_internal_refs

    assert resolve_internal_refs({"a": {"$ref": "#/b"}, "b": 1}) == {"a": 1, "b": 1}
    assert resolve_internal_refs({"a": {"$ref": "x.yaml#/A"}}) == {"a": {"$ref": "x.yaml#/A"}}
