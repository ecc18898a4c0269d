"""How often does dde-ci's built-in OpenAPI differ reach oasdiff's verdict?

oasdiff cannot run here (it is a Go binary; no Go toolchain new enough and no
module proxy are reachable from this environment), so this script cannot run
both tools side by side.  Instead it replays an *independent* corpus whose
verdicts come from oasdiff itself:

* **source of the scenarios and verdicts**: oasdiff's own catalogue of examples,
  ``docs/BREAKING-CHANGES-EXAMPLES.md`` in ``oasdiff/oasdiff`` ("These examples
  are automatically generated from unit tests"), and the levels asserted by the
  unit tests it links to (``checker/check_breaking_test.go``,
  ``check_breaking_property_test.go``, ``check_breaking_min_max_test.go``,
  ``check_not_breaking_test.go``, ...), with the classic rule levels of
  ``checker/rules.go`` (oasdiff v1.10 - v1.29);
* **the spec pairs** are written here, one small pair per catalogue entry,
  reproducing the change the oasdiff test makes (oasdiff's own test files are
  not copied into this repository).

Two verdicts are compared per scenario:

* ``ERR`` -- breaking as dde-ci defines it (``breaking`` is true exactly when a
  change is at level error, like oasdiff's ERR): the target is >= 95 %;
* ``reported`` -- what ``oasdiff breaking`` prints (ERR or WARN) against dde-ci's
  errors and warnings.

Not covered (left out): sunset dates and deprecation policies (they
need oasdiff's --deprecation-days configuration), ``x-stability-level``,
``x-extensible-enum``, ``--flatten-params``, discriminators and links.

    .venv/bin/python benchmarks/oasdiff_agreement.py [-v]
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dde_ci.contracts.diff import diff_contracts

Spec = dict[str, Any]
Mutation = Callable[[Spec], object]

INSTALL = "/api/{domain}/{project}/install-command"
SCORE = "/api/{domain}/{project}/badges/security-score"


def base_spec() -> Spec:
    """A small API in the shape of oasdiff's test API (written here, not copied)."""
    return {
        "openapi": "3.0.1",
        "info": {"title": "Tufin-like test API", "version": "1.0"},
        "paths": {
            INSTALL: {
                "get": {
                    "operationId": "GetInstallCommand",
                    "tags": ["install"],
                    "parameters": [
                        {
                            "name": "domain",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "enum": ["generic", "gcp"]},
                        },
                        {
                            "name": "project",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        {"name": "network-policies", "in": "header", "schema": {"type": "string"}},
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "maximum": 100, "minimum": 1},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Command"}
                                }
                            },
                        },
                        "default": {
                            "description": "other",
                            "headers": {"X-RateLimit-Limit": {"schema": {"type": "integer"}}},
                        },
                    },
                },
                "post": {
                    "operationId": "PostInstallCommand",
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/NewCommand"}
                            }
                        }
                    },
                    "responses": {
                        "201": {
                            "description": "created",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Command"}
                                }
                            },
                        }
                    },
                },
            },
            SCORE: {
                "get": {
                    "operationId": "GetSecurityScores",
                    "tags": ["security"],
                    "parameters": [
                        {
                            "name": "domain",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "project",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": {"type": "string"}}},
                        },
                        "400": {"description": "bad request"},
                    },
                },
            },
        },
        "components": {
            "schemas": {
                "NewCommand": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string", "maxLength": 30, "minLength": 2},
                        "created": {"type": "string"},
                        "count": {"type": "number", "maximum": 10},
                        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                        "color": {"type": "string", "enum": ["red", "blue"]},
                        "nick": {"type": "string", "nullable": True},
                        "id": {"type": "string", "readOnly": True},
                    },
                },
                "Command": {
                    "type": "object",
                    "required": ["id", "command"],
                    "properties": {
                        "id": {"type": "string"},
                        "command": {"type": "string", "maxLength": 100, "minLength": 5},
                        "note": {"type": "string"},
                        "secret": {"type": "string", "writeOnly": True},
                        "items": {"type": "array", "items": {"type": "string"}, "minItems": 2},
                        "score": {"type": "number", "maximum": 10},
                    },
                },
            }
        },
    }


@dataclass
class Scenario:
    title: str  # the oasdiff catalogue entry
    level: str  # oasdiff's level for the change: ERR, WARN or NONE (INFO or nothing)
    revise: Mutation
    prepare: Mutation | None = None  # applied to both sides first
    base_only: Mutation | None = None  # applied to the base after the revision was copied


def P(spec: Spec) -> dict[str, Any]:
    return spec["paths"]  # type: ignore[no-any-return]


def S(spec: Spec) -> dict[str, Any]:
    return spec["components"]["schemas"]  # type: ignore[no-any-return]


def get(spec: Spec) -> dict[str, Any]:
    return P(spec)[INSTALL]["get"]  # type: ignore[no-any-return]


def post(spec: Spec) -> dict[str, Any]:
    return P(spec)[INSTALL]["post"]  # type: ignore[no-any-return]


def param(spec: Spec, name: str) -> dict[str, Any]:
    return next(p for p in get(spec)["parameters"] if p["name"] == name)


def body_schema(spec: Spec) -> dict[str, Any]:
    return post(spec)["requestBody"]["content"]["application/json"]["schema"]  # type: ignore[no-any-return]


def score_schema(spec: Spec) -> dict[str, Any]:
    return P(spec)[SCORE]["get"]["responses"]["200"]["content"]["application/json"]["schema"]  # type: ignore[no-any-return]


def header(spec: Spec) -> dict[str, Any]:
    return get(spec)["responses"]["default"]["headers"]["X-RateLimit-Limit"]  # type: ignore[no-any-return]


def both(*mutations: Mutation) -> Mutation:
    def run(spec: Spec) -> None:
        for mutate in mutations:
            mutate(spec)

    return run


def setter(getter: Callable[[Spec], dict[str, Any]], **values: Any) -> Mutation:
    def run(spec: Spec) -> None:
        target = getter(spec)
        for key, value in values.items():
            if value is None:
                target.pop(key, None)
            else:
                target[key] = value

    return run


def new_cmd(spec: Spec) -> dict[str, Any]:
    return S(spec)["NewCommand"]  # type: ignore[no-any-return]


def cmd(spec: Spec) -> dict[str, Any]:
    return S(spec)["Command"]  # type: ignore[no-any-return]


def prop(getter: Callable[[Spec], dict[str, Any]], name: str) -> Callable[[Spec], dict[str, Any]]:
    return lambda spec: getter(spec)["properties"][name]


def unparam(name: str) -> Mutation:
    return lambda s: get(s).update(
        parameters=[p for p in get(s)["parameters"] if p["name"] != name]
    )


SCENARIOS = [
    # ---- breaking (ERR) -------------------------------------------------------------
    Scenario(
        "adding a required request body is breaking",
        "ERR",
        lambda s: get(s).update(
            requestBody={
                "required": True,
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        ),
    ),
    Scenario(
        "changing an existing request body from optional to required is breaking",
        "ERR",
        setter(lambda s: post(s)["requestBody"], required=True),
    ),
    Scenario(
        "deleting an enum value is breaking",
        "ERR",
        setter(lambda s: param(s, "domain")["schema"], enum=["generic"]),
    ),
    Scenario(
        "new required path param is breaking", "ERR", lambda s: None, base_only=unparam("project")
    ),
    Scenario(
        "new required header param is breaking",
        "ERR",
        lambda s: get(s)["parameters"].append(
            {"name": "x-tenant", "in": "header", "required": True, "schema": {"type": "string"}}
        ),
    ),
    Scenario(
        "changing an existing header param from optional to required is breaking",
        "ERR",
        setter(lambda s: param(s, "network-policies"), required=True),
    ),
    Scenario(
        "changing an existing response header from required to optional is breaking",
        "ERR",
        setter(header, required=False),
        prepare=setter(header, required=True),
    ),
    Scenario(
        "removing an existing required response header is breaking as error",
        "ERR",
        lambda s: get(s)["responses"]["default"]["headers"].pop("X-RateLimit-Limit"),
        prepare=setter(header, required=True),
    ),
    Scenario(
        "removing an existing response with successful status is breaking",
        "ERR",
        lambda s: P(s)[SCORE]["get"]["responses"].pop("200"),
    ),
    Scenario(
        "deleting a media-type from response is breaking",
        "ERR",
        lambda s: P(s)[SCORE]["get"]["responses"]["200"].update(
            content={"text/plain": {"schema": {"type": "string"}}}
        ),
    ),
    Scenario(
        "modifying the default value of an optional request parameter is breaking",
        "ERR",
        setter(lambda s: param(s, "network-policies")["schema"], default="Y"),
        prepare=setter(lambda s: param(s, "network-policies")["schema"], default="X"),
    ),
    Scenario(
        "setting the default value of an optional request parameter is breaking",
        "ERR",
        setter(lambda s: param(s, "network-policies")["schema"], default="Y"),
    ),
    Scenario(
        "removing the default value of an optional request parameter is breaking",
        "ERR",
        setter(lambda s: param(s, "network-policies")["schema"], default=None),
        prepare=setter(lambda s: param(s, "network-policies")["schema"], default="Y"),
    ),
    Scenario(
        "removing a media type from request body is breaking",
        "ERR",
        lambda s: post(s)["requestBody"].update(
            content={"application/xml": {"schema": {"type": "object"}}}
        ),
    ),
    Scenario(
        "removing 'anyOf' schema from the request body is breaking",
        "ERR",
        lambda s: post(s)["requestBody"]["content"]["application/json"].update(
            schema={"anyOf": [{"$ref": "#/components/schemas/NewCommand"}]}
        ),
        prepare=lambda s: post(s)["requestBody"]["content"]["application/json"].update(
            schema={
                "anyOf": [
                    {"$ref": "#/components/schemas/NewCommand"},
                    {"type": "object", "properties": {"rabbit": {"type": "string"}}},
                ]
            }
        ),
    ),
    Scenario(
        "removing 'oneOf' schema from the request body is breaking",
        "ERR",
        lambda s: post(s)["requestBody"]["content"]["application/json"].update(
            schema={"oneOf": [{"$ref": "#/components/schemas/NewCommand"}]}
        ),
        prepare=lambda s: post(s)["requestBody"]["content"]["application/json"].update(
            schema={
                "oneOf": [
                    {"$ref": "#/components/schemas/NewCommand"},
                    {"type": "object", "properties": {"rabbit": {"type": "string"}}},
                ]
            }
        ),
    ),
    Scenario(
        "adding 'allOf' subschema to the request body is breaking",
        "ERR",
        lambda s: post(s)["requestBody"]["content"]["application/json"].update(
            schema={
                "allOf": [
                    {"$ref": "#/components/schemas/NewCommand"},
                    {"type": "object", "properties": {"rabbit": {"type": "string"}}},
                ]
            }
        ),
        prepare=lambda s: post(s)["requestBody"]["content"]["application/json"].update(
            schema={"allOf": [{"$ref": "#/components/schemas/NewCommand"}]}
        ),
    ),
    Scenario("deleting a path without deprecation is breaking", "ERR", lambda s: P(s).pop(SCORE)),
    Scenario(
        "deleting an operation without deprecation is breaking",
        "ERR",
        lambda s: P(s)[INSTALL].pop("post"),
    ),
    Scenario(
        "adding a new required property in request body is breaking",
        "ERR",
        lambda s: (
            new_cmd(s)["properties"].update(email={"type": "string"}),
            new_cmd(s)["required"].append("email"),
        ),
    ),
    Scenario(
        "changing a request body to enum is breaking",
        "ERR",
        lambda s: post(s)["requestBody"]["content"]["application/json"].update(
            schema={"type": "string", "enum": ["a", "b"]}
        ),
        prepare=lambda s: post(s)["requestBody"]["content"]["application/json"].update(
            schema={"type": "string"}
        ),
    ),
    Scenario(
        "changing a request property to not nullable is breaking",
        "ERR",
        setter(prop(new_cmd, "nick"), nullable=None),
    ),
    Scenario(
        "changing a response body to nullable is breaking",
        "ERR",
        setter(score_schema, nullable=True),
    ),
    Scenario(
        "changing a response property to nullable is breaking",
        "ERR",
        setter(prop(cmd, "note"), nullable=True),
    ),
    Scenario(
        "changing an existing property in response body to optional is breaking",
        "ERR",
        lambda s: cmd(s)["required"].remove("command"),
    ),
    Scenario(
        "changing an existing property in request body to required is breaking",
        "ERR",
        lambda s: new_cmd(s)["required"].append("created"),
    ),
    Scenario(
        "changing an existing path param to enum is breaking",
        "ERR",
        setter(lambda s: param(s, "project")["schema"], enum=["a", "b"]),
    ),
    Scenario(
        "changing an existing property in request body to enum is breaking",
        "ERR",
        setter(prop(new_cmd, "created"), enum=["x", "y"]),
    ),
    Scenario(
        "deleting a required property in response body is breaking",
        "ERR",
        lambda s: (cmd(s)["properties"].pop("command"), cmd(s)["required"].remove("command")),
    ),
    Scenario(
        "reducing max length in request is breaking",
        "ERR",
        setter(prop(new_cmd, "name"), maxLength=20),
    ),
    Scenario(
        "increasing max length in response is breaking",
        "ERR",
        setter(prop(cmd, "command"), maxLength=200),
    ),
    Scenario(
        "changing max length in response from any value to nil is breaking",
        "ERR",
        setter(prop(cmd, "command"), maxLength=None),
    ),
    Scenario(
        "reducing min length in response is breaking",
        "ERR",
        setter(prop(cmd, "command"), minLength=1),
    ),
    Scenario(
        "increasing min items in request is breaking",
        "ERR",
        setter(prop(new_cmd, "tags"), minItems=3),
    ),
    Scenario(
        "reducing min items in response is breaking", "ERR", setter(prop(cmd, "items"), minItems=1)
    ),
    Scenario(
        "reducing max in request is breaking", "ERR", setter(prop(new_cmd, "count"), maximum=5)
    ),
    Scenario(
        "changing request's body schema type from number to string is breaking",
        "ERR",
        setter(prop(new_cmd, "count"), type="string", maximum=None),
    ),
    Scenario(
        "changing request's body schema type from number to integer is breaking",
        "ERR",
        setter(prop(new_cmd, "count"), type="integer"),
    ),
    Scenario(
        "changing request's body schema type from string to number is breaking",
        "ERR",
        setter(prop(new_cmd, "created"), type="number"),
    ),
    Scenario(
        "changing response's body schema type from string to number is breaking",
        "ERR",
        setter(score_schema, type="number"),
    ),
    Scenario(
        "changing response's body schema type from integer to number is breaking",
        "ERR",
        setter(score_schema, type="number"),
        prepare=setter(score_schema, type="integer"),
    ),
    Scenario(
        "changing response's embedded property schema type from string/none to integer/int32"
        " is breaking",
        "ERR",
        setter(prop(cmd, "note"), type="integer", format="int32"),
    ),
    Scenario(
        "changing an existing header param to enum is breaking",
        "ERR",
        setter(lambda s: param(s, "network-policies")["schema"], enum=["a"]),
    ),
    Scenario("removing request body is breaking", "ERR", lambda s: post(s).pop("requestBody")),
    # ---- breaking with warn (WARN) ----------------------------------------------------
    Scenario(
        "removing an existing optional response header is breaking as warn",
        "WARN",
        lambda s: get(s)["responses"]["default"]["headers"].pop("X-RateLimit-Limit"),
    ),
    Scenario(
        "deleting a non-required non-write-only property in response body is breaking with warning",
        "WARN",
        lambda s: cmd(s)["properties"].pop("note"),
    ),
    Scenario(
        "deleting a required property in request is breaking with warn",
        "WARN",
        lambda s: (new_cmd(s)["properties"].pop("name"), new_cmd(s)["required"].remove("name")),
    ),
    Scenario(
        "deleting a parameter without deprecation is breaking (warn)", "WARN", unparam("limit")
    ),
    Scenario(
        "adding a pattern to a schema is breaking (warn)",
        "WARN",
        setter(prop(new_cmd, "created"), pattern="^[a-z]+$"),
    ),
    Scenario(
        "modifying a pattern in a schema is breaking (warn)",
        "WARN",
        setter(prop(new_cmd, "created"), pattern=".+"),
        prepare=setter(prop(new_cmd, "created"), pattern="^[a-z]+$"),
    ),
    Scenario(
        "modifying a pattern in request parameter is breaking (warn)",
        "WARN",
        setter(lambda s: param(s, "project")["schema"], pattern="[0-9]+"),
        prepare=setter(lambda s: param(s, "project")["schema"], pattern="[0-9a-f]+"),
    ),
    Scenario(
        "removing 'allOf' subschema from the request body is breaking with warn",
        "WARN",
        lambda s: post(s)["requestBody"]["content"]["application/json"].update(
            schema={"allOf": [{"$ref": "#/components/schemas/NewCommand"}]}
        ),
        prepare=lambda s: post(s)["requestBody"]["content"]["application/json"].update(
            schema={
                "allOf": [
                    {"$ref": "#/components/schemas/NewCommand"},
                    {"type": "object", "properties": {"rabbit": {"type": "string"}}},
                ]
            }
        ),
    ),
    Scenario(
        "added an enum value to response is breaking (warn)",
        "WARN",
        setter(prop(cmd, "note"), enum=["a", "b", "c"]),
        prepare=setter(prop(cmd, "note"), enum=["a", "b"]),
    ),
    Scenario(
        "changing max length in request from nil to any value is breaking (warn)",
        "WARN",
        setter(prop(new_cmd, "created"), maxLength=10),
    ),
    # ---- not breaking ------------------------------------------------------------------
    Scenario(
        "renaming a path parameter is not breaking",
        "NONE",
        lambda s: P(s).__setitem__(
            "/api/{domain}/{projectId}/badges/security-score", _renamed(P(s).pop(SCORE))
        ),
    ),
    Scenario(
        "removing an existing response with error status is not breaking",
        "NONE",
        lambda s: P(s)[SCORE]["get"]["responses"].pop("400"),
    ),
    Scenario(
        "removing an existing response with unparseable status is not breaking",
        "NONE",
        lambda s: get(s)["responses"].pop("default"),
    ),
    Scenario(
        "deleting a pattern from a schema is not breaking",
        "NONE",
        setter(prop(new_cmd, "created"), pattern=None),
        prepare=setter(prop(new_cmd, "created"), pattern="^[a-z]+$"),
    ),
    Scenario(
        "modifying a pattern to .* in a schema is not breaking",
        "NONE",
        setter(prop(new_cmd, "created"), pattern=".*"),
        prepare=setter(prop(new_cmd, "created"), pattern="^[a-z]+$"),
    ),
    Scenario(
        "modifying the default value of a required request parameter is not breaking",
        "NONE",
        setter(lambda s: param(s, "network-policies")["schema"], default="Y"),
        prepare=both(
            setter(lambda s: param(s, "network-policies"), required=True),
            setter(lambda s: param(s, "network-policies")["schema"], default="X"),
        ),
    ),
    Scenario(
        "adding a media-type to response is not breaking",
        "NONE",
        lambda s: P(s)[SCORE]["get"]["responses"]["200"]["content"].update(
            {"text/plain": {"schema": {"type": "string"}}}
        ),
    ),
    Scenario(
        "adding a new required property in response body is not breaking",
        "NONE",
        lambda s: (
            cmd(s)["properties"].update(extra={"type": "string"}),
            cmd(s)["required"].append("extra"),
        ),
    ),
    Scenario(
        "adding a new required read-only property in request body is not breaking",
        "NONE",
        lambda s: (
            new_cmd(s)["properties"].update(ro={"type": "string", "readOnly": True}),
            new_cmd(s)["required"].append("ro"),
        ),
    ),
    Scenario(
        "adding an enum value is not breaking",
        "NONE",
        setter(lambda s: param(s, "domain")["schema"], enum=["generic", "gcp", "aws"]),
    ),
    Scenario(
        "adding an enum value to request body is not breaking",
        "NONE",
        setter(prop(new_cmd, "color"), enum=["red", "blue", "green"]),
    ),
    Scenario(
        "adding an optional request body is not breaking",
        "NONE",
        lambda s: get(s).update(
            requestBody={"content": {"application/json": {"schema": {"type": "object"}}}}
        ),
    ),
    Scenario(
        "changing an existing property in request body to optional is not breaking",
        "NONE",
        lambda s: new_cmd(s)["required"].remove("name"),
    ),
    Scenario(
        "changing an existing property in response body to required is not breaking",
        "NONE",
        lambda s: cmd(s)["required"].append("note"),
    ),
    Scenario(
        "changing an existing read-only property in request body to required is not breaking",
        "NONE",
        lambda s: new_cmd(s)["required"].append("id"),
    ),
    Scenario(
        "changing an existing required property in response body to write-only is not breaking",
        "NONE",
        setter(prop(cmd, "command"), writeOnly=True),
    ),
    Scenario(
        "changing an existing write-only property in response body to optional is not breaking",
        "NONE",
        lambda s: cmd(s)["required"].remove("secret"),
        prepare=lambda s: cmd(s)["required"].append("secret"),
    ),
    Scenario(
        "changing max length in request from any value to nil is not breaking",
        "NONE",
        setter(prop(new_cmd, "name"), maxLength=None),
    ),
    Scenario(
        "changing max length in response from nil to any value is not breaking",
        "NONE",
        setter(prop(cmd, "note"), maxLength=10),
    ),
    Scenario(
        "changing request's body schema type from integer to number is not breaking",
        "NONE",
        setter(prop(new_cmd, "count"), type="number"),
        prepare=setter(prop(new_cmd, "count"), type="integer"),
    ),
    Scenario(
        "changing response's body schema type from number to integer is not breaking",
        "NONE",
        setter(score_schema, type="integer"),
        prepare=setter(score_schema, type="number"),
    ),
    Scenario(
        "changing response's body schema type from number/none to integer/int32 is not breaking",
        "NONE",
        setter(score_schema, type="integer", format="int32"),
        prepare=setter(score_schema, type="number"),
    ),
    Scenario(
        "deleting a deprecated operation without sunset date is not breaking",
        "NONE",
        lambda s: P(s)[INSTALL].pop("post"),
        prepare=setter(post, deprecated=True),
    ),
    Scenario(
        "deleting a path with deprecated operations without sunset date is not breaking",
        "NONE",
        lambda s: P(s).pop(SCORE),
        prepare=setter(lambda s: P(s)[SCORE]["get"], deprecated=True),
    ),
    Scenario(
        "deleting a required write-only property in response body is not breaking",
        "NONE",
        lambda s: (cmd(s)["properties"].pop("secret"), cmd(s)["required"].remove("secret")),
        prepare=lambda s: cmd(s)["required"].append("secret"),
    ),
    Scenario(
        "deprecating a parameter is not breaking",
        "NONE",
        setter(lambda s: param(s, "limit"), deprecated=True),
    ),
    Scenario(
        "deprecating an operation without a deprecation policy is not breaking",
        "NONE",
        setter(post, deprecated=True),
    ),
    Scenario(
        "increasing max length in request is not breaking",
        "NONE",
        setter(prop(new_cmd, "name"), maxLength=60),
    ),
    Scenario(
        "increasing min items in response is not breaking",
        "NONE",
        setter(prop(cmd, "items"), minItems=3),
    ),
    Scenario(
        "reducing max in response is not breaking", "NONE", setter(prop(cmd, "score"), maximum=5)
    ),
    Scenario(
        "reducing max length in response is not breaking",
        "NONE",
        setter(prop(cmd, "command"), maxLength=50),
    ),
    Scenario(
        "reducing min items in request is not breaking",
        "NONE",
        setter(prop(new_cmd, "tags"), minItems=0),
    ),
    Scenario(
        "reducing min length in request is not breaking",
        "NONE",
        setter(prop(new_cmd, "name"), minLength=1),
    ),
    Scenario(
        "new optional header param is not breaking",
        "NONE",
        lambda s: get(s)["parameters"].append(
            {"name": "x-opt", "in": "header", "schema": {"type": "string"}}
        ),
    ),
    Scenario(
        "new required response header param is not breaking",
        "NONE",
        lambda s: get(s)["responses"]["default"]["headers"].update(
            {"X-New": {"required": True, "schema": {"type": "string"}}}
        ),
    ),
    Scenario("no change is not breaking", "NONE", lambda s: None),
    Scenario(
        "changing operation ID is not breaking",
        "NONE",
        setter(lambda s: P(s)[SCORE]["get"], operationId="newOperationId"),
    ),
    Scenario(
        "changing servers is not breaking",
        "NONE",
        lambda s: s.update(servers=[{"url": "https://api.example.com"}]),
    ),
    Scenario(
        "changing extensions is not breaking", "NONE", lambda s: s.update({"x-extension-test": "x"})
    ),
    Scenario(
        "changing comments is not breaking",
        "NONE",
        setter(lambda s: P(s)[SCORE]["get"], description="a new description"),
    ),
    Scenario(
        "deleting a tag is not breaking", "NONE", setter(lambda s: P(s)[SCORE]["get"], tags=None)
    ),
    Scenario(
        "adding a tag is not breaking",
        "NONE",
        setter(lambda s: P(s)[SCORE]["get"], tags=["security", "new"]),
    ),
    Scenario(
        "adding an operation ID is not breaking",
        "NONE",
        lambda s: None,
        base_only=setter(post, operationId=None),
    ),
    Scenario(
        "removing/updating an operation id is breaking (optional: INFO by default)",
        "NONE",
        setter(lambda s: P(s)[SCORE]["get"], operationId="other"),
    ),
    Scenario(
        "removing an schema object from components is breaking (optional: INFO by default)",
        "NONE",
        lambda s: S(s).update(Unused=None) or S(s).pop("Unused"),
        prepare=lambda s: S(s).update(Unused={"type": "string"}),
    ),
    Scenario(
        "adding a new global security to the API (info)",
        "NONE",
        lambda s: s.update(security=[{"apiKey": []}]),
    ),
    Scenario(
        "adding a new security to the API endpoint (info)",
        "NONE",
        setter(post, security=[{"apiKey": []}]),
    ),
    Scenario(
        "adding a success response status (info)",
        "NONE",
        lambda s: post(s)["responses"].update({"202": {"description": "accepted"}}),
    ),
]


def _renamed(item: dict[str, Any]) -> dict[str, Any]:
    for parameter in item["get"]["parameters"]:
        if parameter["name"] == "project":
            parameter["name"] = "projectId"
    return item


def build(scenario: Scenario) -> tuple[Spec, Spec]:
    base = base_spec()
    if scenario.prepare is not None:
        scenario.prepare(base)
    revision = copy.deepcopy(base)
    scenario.revise(revision)
    if scenario.base_only is not None:
        scenario.base_only(base)
    return base, revision


def main() -> int:
    verbose = "-v" in sys.argv
    rows = []
    for scenario in SCENARIOS:
        base, revision = build(scenario)
        result = diff_contracts("openapi", base, revision)
        ours_err = result.breaking
        ours_reported = any(c.level in ("error", "warning") for c in result.changes)
        theirs_err = scenario.level == "ERR"
        theirs_reported = scenario.level in ("ERR", "WARN")
        rows.append((scenario, ours_err == theirs_err, ours_reported == theirs_reported, result))
    total = len(rows)
    err_agree = sum(1 for r in rows if r[1])
    rep_agree = sum(1 for r in rows if r[2])
    print(f"scenarios from oasdiff's catalogue: {total}")
    for label, agree in (
        ("same ERR verdict (breaking: true/false):", err_agree),
        ("same 'oasdiff breaking' verdict (ERR or WARN):", rep_agree),
    ):
        print(f"{label:<48} {agree}/{total} = {100 * agree / total:.1f} %")
    for scenario, same_err, same_rep, result in rows:
        if verbose or not (same_err and same_rep):
            mark = "ok  " if same_err and same_rep else "DIFF"
            ids = ", ".join(f"{c.id}({c.level})" for c in result.changes) or "no change"
            print(
                f"  {mark} oasdiff {scenario.level:<4} | {scenario.title}\n         dde-ci: {ids}"
            )
    return 0 if err_agree / total >= 0.95 else 1


if __name__ == "__main__":
    sys.exit(main())
