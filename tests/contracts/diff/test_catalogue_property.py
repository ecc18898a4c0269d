"""Property: on any pair of schemas, every change dde-ci reports is an oasdiff rule at its level.

Hypothesis draws small schemas from the keywords the rules look at and places
them as a request body, a response body and a query parameter; the diff, in
both directions and both compose modes, must only report ids of oasdiff's
catalogue at oasdiff's level, and a document diffed with itself reports nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dde_ci.contracts.diff import DiffOptions, diff_contracts

CORPUS = Path(__file__).resolve().parents[2] / "data" / "contracts" / "oasdiff"
CATALOGUE: dict[str, str] = json.loads((CORPUS / "cases.json").read_text(encoding="utf-8"))["rules"]

TYPES = st.sampled_from(["string", "integer", "number", "boolean", "object", "array"])
NAMES = st.sampled_from(["a", "b", "c"])


def schemas() -> st.SearchStrategy[dict[str, Any]]:
    leaf = st.fixed_dictionaries(
        {"type": TYPES},
        optional={
            "enum": st.lists(st.sampled_from(["x", "y", "z"]), min_size=1, max_size=3, unique=True),
            "minimum": st.integers(0, 3),
            "maximum": st.integers(4, 8),
            "exclusiveMinimum": st.one_of(st.booleans(), st.integers(0, 3)),
            "maxLength": st.integers(1, 5),
            "pattern": st.sampled_from(["^a", "^b", ".*"]),
            "nullable": st.booleans(),
            "readOnly": st.booleans(),
            "writeOnly": st.booleans(),
            "default": st.sampled_from(["x", 1]),
            "deprecated": st.booleans(),
            "const": st.sampled_from(["x", "y"]),
            "x-extensible-enum": st.lists(st.sampled_from(["p", "q"]), unique=True),
            "x-stability-level": st.sampled_from(["alpha", "beta", "stable", "bogus"]),
            "x-sunset": st.sampled_from(["2000-01-01", "2999-01-01", "soon"]),
            "contains": st.just({"type": "string"}),
            "minContains": st.integers(0, 2),
            "prefixItems": st.lists(st.just({"type": "string"}), max_size=2),
            "dependentRequired": st.dictionaries(NAMES, st.lists(NAMES, max_size=2), max_size=2),
            "patternProperties": st.dictionaries(
                st.sampled_from(["^x", "^y"]), st.just({}), max_size=2
            ),
            "discriminator": st.fixed_dictionaries(
                {"propertyName": NAMES},
                optional={"mapping": st.dictionaries(NAMES, st.sampled_from(["#/A", "#/B"]))},
            ),
        },
    )

    def extend(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        return st.one_of(
            st.fixed_dictionaries(
                {
                    "type": st.just("object"),
                    "properties": st.dictionaries(NAMES, children, max_size=3),
                },
                optional={"required": st.lists(NAMES, unique=True, max_size=3)},
            ),
            st.fixed_dictionaries({"type": st.just("array"), "items": children}),
            st.fixed_dictionaries(
                {st.sampled_from(["oneOf", "anyOf", "allOf"]): st.lists(children, max_size=3)}
            ),
        )

    return st.recursive(leaf, extend, max_leaves=6)


def document(schema: dict[str, Any]) -> dict[str, Any]:
    json_body = {"content": {"application/json": {"schema": schema}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1.0.0"},
        "paths": {
            "/t": {
                "post": {
                    "parameters": [{"name": "q", "in": "query", "schema": schema}],
                    "requestBody": json_body,
                    "responses": {"200": {"description": "ok", **json_body}},
                }
            }
        },
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=schemas(), revision=schemas())
def test_every_reported_change_is_an_oasdiff_rule_at_its_level(
    base: dict[str, Any], revision: dict[str, Any]
) -> None:
    for compose in ("merge", "oasdiff"):
        options = DiffOptions(compose=compose, deprecation_days_stable=30)
        for a, b in ((base, revision), (revision, base)):
            result = diff_contracts("openapi", document(a), document(b), options=options)
            wrong = [(c.id, c.level) for c in result.changes if CATALOGUE.get(c.id) != c.level]
            assert wrong == []
        same = diff_contracts("openapi", document(base), document(base), options=options)
        assert same.changes == []
