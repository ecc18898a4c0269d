"""Port oasdiff checker tests that edit their spec in Go code to spec pairs of our own.

Many of oasdiff's tests (``checker/check_breaking_test.go``,
``check_not_breaking_test.go``) load ``data/openapi-test1.yaml`` twice and edit
one side in Go before diffing.  This script writes the same edits as YAML
pairs (``tests/data/contracts/oasdiff/ported/``) and lists them in
``ported.json`` with the ids and levels the Go test asserts; the corpus test
and ``benchmarks/oasdiff_agreement.py`` read them like the extracted cases.
The edit of each pair is the Go test's, written here in Python; run it again
after changing :data:`PORTS`::

    .venv/bin/python benchmarks/oasdiff_corpus_port.py
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "contracts" / "oasdiff"
SOURCE = CORPUS / "specs" / "data" / "openapi-test1.yaml"
INSTALL = "/api/{domain}/{project}/install-command"
SCORE = "/api/{domain}/{project}/badges/security-score"

Spec = dict[str, Any]
Edit = Callable[[Spec], None]


def _op(spec: Spec, path: str = INSTALL) -> dict[str, Any]:
    op: dict[str, Any] = spec["paths"][path]["get"]
    return op


def _param(spec: Spec, where: str, name: str) -> dict[str, Any]:
    return next(p for p in _op(spec)["parameters"] if p["in"] == where and p["name"] == name)


def _drop_param(spec: Spec, where: str, name: str) -> None:
    op = _op(spec)
    op["parameters"] = [p for p in op["parameters"] if (p["in"], p["name"]) != (where, name)]


def _header(spec: Spec) -> dict[str, Any]:
    header: dict[str, Any] = _op(spec)["responses"]["default"]["headers"]["X-RateLimit-Limit"]
    return header


def _network_schema(spec: Spec) -> dict[str, Any]:
    """The schema the Go tests edit through the ``network-policies`` parameter's ``$ref``."""
    schema: dict[str, Any] = spec["components"]["schemas"]["network-policies"]
    return schema


def _header_schema(spec: Spec) -> dict[str, Any]:
    schema: dict[str, Any] = _header(spec)["schema"]
    return schema


def _body(required: bool) -> Edit:
    def edit(spec: Spec) -> None:
        _op(spec)["requestBody"] = {"required": required, "content": {}}

    return edit


def _set(getter: Callable[[Spec], dict[str, Any]], key: str, value: Any) -> Edit:
    def edit(spec: Spec) -> None:
        getter(spec)[key] = value

    return edit


def _chain(*edits: Edit) -> Edit:
    def edit(spec: Spec) -> None:
        for one in edits:
            one(spec)

    return edit


def _nothing(spec: Spec) -> None:
    del spec


NETWORK = ("header", "network-policies")


def _domain(spec: Spec) -> dict[str, Any]:
    schema: dict[str, Any] = _param(spec, "path", "domain")["schema"]
    return schema


def _xml_201(spec: Spec) -> dict[str, Any]:
    schema: dict[str, Any] = _op(spec, SCORE)["responses"]["201"]["content"]["application/xml"][
        "schema"
    ]
    return schema


def _limit(getter: Callable[[Spec], dict[str, Any]], key: str, value: int | None) -> Edit:
    """The Go test's ``...Schema.Value.MaxLength = value`` (None: ``= nil``)."""

    def edit(spec: Spec) -> None:
        if value is None:
            getter(spec).pop(key, None)
        else:
            getter(spec)[key] = value

    return edit


def _min_max_ports() -> dict[str, tuple[str, Edit, Edit, list[tuple[str, str]]]]:
    """check_breaking_min_max_test.go, the tests that assert ids or that nothing is reported."""
    go = "check_breaking_min_max_test.go"
    table: list[tuple[str, Callable[[Spec], dict[str, Any]], str, int | None, int | None, str]] = [
        (
            "RequestMaxLengthSmaller",
            _domain,
            "maxLength",
            13,
            11,
            "request-parameter-max-length-decreased:error",
        ),
        ("ResponseMaxLengthSmaller", _xml_201, "maxLength", 13, 11, ""),
        ("RequestMinLengthSmaller", _domain, "minLength", 13, 11, ""),
        (
            "MinLengthSmaller",
            _xml_201,
            "minLength",
            13,
            11,
            "response-body-min-length-decreased:error",
        ),
        ("RequestMaxLengthGreater", _domain, "maxLength", 13, 14, ""),
        (
            "MaxLengthFromNil",
            _domain,
            "maxLength",
            None,
            14,
            "request-parameter-max-length-set:warning",
        ),
        ("ResponseMaxLengthFromNil", _xml_201, "maxLength", None, 14, ""),
        ("RequestMaxLengthToNil", _domain, "maxLength", 13, None, ""),
        (
            "ResponseMaxLengthToNil",
            _xml_201,
            "maxLength",
            13,
            None,
            "response-body-max-length-unset:error",
        ),
        ("MaxLengthBothNil", _domain, "maxLength", None, None, ""),
        ("ResponseMaxLengthBothNil", _xml_201, "maxLength", None, None, ""),
        ("RequestMinItemsSmaller", _domain, "minItems", 13, 11, ""),
        (
            "ResponseMinItemsSmaller",
            _xml_201,
            "minItems",
            13,
            11,
            "response-body-min-items-decreased:error",
        ),
        ("ResponseMinItemsGreater", _xml_201, "minItems", 13, 14, ""),
        ("MaxSmallerInResponse", _header_schema, "maximum", 13, 11, ""),
    ]
    ports = {}
    for name, getter, key, before, after, expected in table:
        pairs = [tuple(expected.split(":"))] if expected else []
        ports[f"TestBreaking_{name}"] = (
            go,
            _limit(getter, key, before),
            _limit(getter, key, after),
            [(rule, level) for rule, level in pairs],
        )
    return ports


# name: (Go test file, edit of the base, edit of the revision, the (id, level) pairs the Go
# test asserts; [] where it asserts that nothing is reported at WARN or above)
PORTS: dict[str, tuple[str, Edit, Edit, list[tuple[str, str]]]] = {
    "TestBreaking_AddingRequiredRequestBody": (
        "check_breaking_test.go",
        _nothing,
        _body(True),
        [("request-body-added-required", "error")],
    ),
    "TestBreaking_RequestBodyRequiredEnabled": (
        "check_breaking_test.go",
        _body(False),
        _body(True),
        [("request-body-became-required", "error")],
    ),
    "TestBreaking_NewPathParam": (
        "check_breaking_test.go",
        lambda s: _drop_param(s, "path", "project"),
        _nothing,
        [("new-request-path-parameter", "error")],
    ),
    "TestBreaking_NewRequiredHeaderParam": (
        "check_breaking_test.go",
        lambda s: _drop_param(s, *NETWORK),
        _set(lambda s: _param(s, *NETWORK), "required", True),
        [("new-required-request-parameter", "error")],
    ),
    "TestBreaking_HeaderParamRequiredEnabled": (
        "check_breaking_test.go",
        _set(lambda s: _param(s, *NETWORK), "required", False),
        _set(lambda s: _param(s, *NETWORK), "required", True),
        [("request-parameter-became-required", "error")],
    ),
    "TestBreaking_ResponseHeaderParamRequiredDisabled": (
        "check_breaking_test.go",
        _set(_header, "required", True),
        _set(_header, "required", False),
        [("response-header-became-optional", "error")],
    ),
    "TestBreaking_ResponseHeaderRemoved": (
        "check_breaking_test.go",
        _set(_header, "required", True),
        lambda s: _op(s)["responses"]["default"].pop("headers"),
        [("required-response-header-removed", "error")],
    ),
    "TestBreaking_OptionalResponseHeaderRemoved": (
        "check_breaking_test.go",
        _set(_header, "required", False),
        lambda s: _op(s)["responses"]["default"].pop("headers"),
        [("optional-response-header-removed", "warning")],
    ),
    "TestBreaking_ResponseSuccessStatusUpdated": (
        "check_breaking_test.go",
        _nothing,
        lambda s: _op(s, SCORE)["responses"].pop("200"),
        [("response-success-status-removed", "error")],
    ),
    "TestBreaking_ResponseNonSuccessStatusUpdated": (
        "check_breaking_test.go",
        _nothing,
        lambda s: _op(s, SCORE)["responses"].pop("400"),
        [("response-non-success-status-removed", "info")],
    ),
    "TestBreaking_OperationIdRemoved": (
        "check_breaking_test.go",
        _nothing,
        _set(lambda s: _op(s, SCORE), "operationId", "newOperationId"),
        [("api-operation-id-removed", "info")],
    ),
    "TestBreaking_TagRemoved": (
        "check_breaking_test.go",
        _nothing,
        lambda s: _op(s, SCORE)["tags"].__setitem__(0, "newTag"),
        [("api-tag-removed", "info")],
    ),
    "TestBreaking_ResponseUnparseableStatusRemoved": (
        "check_breaking_test.go",
        _nothing,
        lambda s: _op(s)["responses"].pop("default"),
        [],
    ),
    "TestBreaking_ResponseErrorStatusRemoved": (
        "check_breaking_test.go",
        _nothing,
        lambda s: _op(s, SCORE)["responses"].pop("400"),
        [],
    ),
    "TestBreaking_ModifyRequiredOptionalParamDefaultValue": (
        "check_breaking_test.go",
        _set(_network_schema, "default", "X"),
        _set(_network_schema, "default", "Y"),
        [("request-parameter-default-value-changed", "error")],
    ),
    "TestBreaking_SettingOptionalParamDefaultValue": (
        "check_breaking_test.go",
        _nothing,
        _set(_network_schema, "default", "Y"),
        [("request-parameter-default-value-added", "error")],
    ),
    "TestBreaking_RemovingOptionalParamDefaultValue": (
        "check_breaking_test.go",
        _set(_network_schema, "default", "Y"),
        _nothing,
        [("request-parameter-default-value-removed", "error")],
    ),
    "TestBreaking_ModifyRequiredRequiredParamDefaultValue": (
        "check_breaking_test.go",
        _chain(
            _set(lambda s: _param(s, *NETWORK), "required", True),
            _set(_network_schema, "default", "X"),
        ),
        _chain(
            _set(lambda s: _param(s, *NETWORK), "required", True),
            _set(_network_schema, "default", "Y"),
        ),
        [],
    ),
    "TestBreaking_AddingOptionalRequestBody": (
        "check_not_breaking_test.go",
        _nothing,
        _body(False),
        [],
    ),
    "TestBreaking_RequestBodyRequiredDisabled": (
        "check_not_breaking_test.go",
        _body(True),
        _body(False),
        [("request-body-became-optional", "info")],
    ),
    "TestBreaking_NewOptionalHeaderParam": (
        "check_not_breaking_test.go",
        lambda s: _drop_param(s, *NETWORK),
        _set(lambda s: _param(s, *NETWORK), "required", False),
        [],
    ),
    "TestBreaking_HeaderParamRequiredDisabled": (
        "check_not_breaking_test.go",
        _set(lambda s: _param(s, *NETWORK), "required", True),
        _set(lambda s: _param(s, *NETWORK), "required", False),
        [("request-parameter-became-optional", "info")],
    ),
    "TestBreaking_NewRequiredResponseHeader": (
        "check_not_breaking_test.go",
        lambda s: _op(s)["responses"]["default"].pop("headers"),
        _set(_header, "required", True),
        [],
    ),
    "TestBreaking_OperationID": (
        "check_not_breaking_test.go",
        _nothing,
        _set(lambda s: _op(s, SCORE), "operationId", "GetSecurityScoresRenamed"),
        [],
    ),
    "TestBreaking_DeprecatedOperation": (
        "check_not_breaking_test.go",
        _nothing,
        _chain(_set(_op, "deprecated", True), _set(_op, "x-sunset", "2999-12-31")),
        [("endpoint-deprecated-with-sunset", "info")],
    ),
    "TestBreaking_DeprecatedParameter": (
        "check_not_breaking_test.go",
        _nothing,
        _set(lambda s: _param(s, *NETWORK), "deprecated", True),
        [],
    ),
    "TestBreaking_DeprecatedHeader": (
        "check_not_breaking_test.go",
        _nothing,
        _set(_header, "deprecated", True),
        [],
    ),
    "TestBreaking_TagAdded": (
        "check_not_breaking_test.go",
        _nothing,
        lambda s: _op(s, SCORE).setdefault("tags", []).append("newTag"),
        [("api-tag-added", "info")],
    ),
    "TestBreaking_OperationIdAdded": (
        "check_not_breaking_test.go",
        lambda s: _op(s, SCORE).pop("operationId"),
        _nothing,
        [("api-operation-id-added", "info")],
    ),
}


def main() -> int:
    source = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    folder = CORPUS / "ported"
    folder.mkdir(exist_ok=True)
    cases = []
    for name, (go_file, edit_base, edit_revision, expected) in {
        **PORTS,
        **_min_max_ports(),
    }.items():
        sides = {}
        for side, edit in (("base", edit_base), ("revision", edit_revision)):
            spec = copy.deepcopy(source)
            edit(spec)
            path = folder / f"{name}.{side}.yaml"
            path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
            sides[side] = f"ported/{path.name}"
        cases.append(
            {
                "name": name,
                **sides,
                "expected": [list(pair) for pair in expected],
                "absent": [],
                "all_checks": True,
                "min_level": "info" if expected else "warning",
                "deprecation_days": None,
                "stability_level": "beta",
                "source": f"checker/{go_file}:{name} (edit written in Python)",
            }
        )
    (CORPUS / "ported.json").write_text(json.dumps(cases, indent=1) + "\n", encoding="utf-8")
    print(f"{len(cases)} ported cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
