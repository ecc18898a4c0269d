"""Our own spec pairs for oasdiff rules that no pair of oasdiff's checker tests asserts.

:func:`rule_pairs` builds, for a rule id of oasdiff's catalogue, a small
OpenAPI 3.1 base and revision that make the change the rule describes (the
expected level is oasdiff's, from the catalogue), or returns nothing when no
pair is written for it.  Schema rules (``{ctx}-{scope}-...``) are derived from
the id: the change to one schema (``_FRAGMENTS``) is placed as the request or
response body, or as property ``p`` of it.  Other rules have a pair each.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

Schema = dict[str, Any]
S = {"type": "string"}
I = {"type": "integer"}  # noqa: E741


@dataclass(frozen=True)
class RulePair:
    rule: str
    base: dict[str, Any]
    revision: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)


def _doc(paths: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": paths, **extra}


def _body_doc(ctx: str, schema: Schema | None, media: str = "application/json") -> dict[str, Any]:
    content = {media: {} if schema is None else {"schema": schema}}
    if ctx == "request":
        op = {"requestBody": {"content": content}, "responses": {"200": {"description": "ok"}}}
        return _doc({"/t": {"post": op}})
    op = {"responses": {"200": {"description": "ok", "content": content}}}
    return _doc({"/t": {"get": op}})


def _op_doc(op: dict[str, Any], **extra: Any) -> dict[str, Any]:
    full = {"responses": {"200": {"description": "ok"}}, **op}
    return _doc({"/t": {"get": full}}, **extra)


def _param_doc(schema: Schema, **param: Any) -> dict[str, Any]:
    return _op_doc({"parameters": [{"name": "q", "in": "query", "schema": schema, **param}]})


def _header_doc(header: dict[str, Any] | None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": "ok"}
    if header is not None:
        response["headers"] = {"X-H": header}
    return _doc({"/t": {"get": {"responses": {"200": response}}}})


_A = {"type": "object", "title": "A", "properties": {"a": {"type": "string"}}}
_B = {"type": "object", "title": "B", "properties": {"b": {"type": "integer"}}}
_DISC = {"propertyName": "kind", "mapping": {"a": "#/A"}}
_BOUND_KEYWORDS: dict[str, tuple[str, Schema]] = {
    "max": ("maximum", I),
    "min": ("minimum", I),
    "max-length": ("maxLength", S),
    "min-length": ("minLength", S),
    "max-items": ("maxItems", {"type": "array"}),
    "min-items": ("minItems", {"type": "array"}),
    "exclusive-max": ("exclusiveMaximum", {"type": "number"}),
    "exclusive-min": ("exclusiveMinimum", {"type": "number"}),
}
_PRESENCE = {
    "contains": "contains",
    "property-names": "propertyNames",
    "unevaluated-items": "unevaluatedItems",
    "unevaluated-properties": "unevaluatedProperties",
    "content-schema": "contentSchema",
    "if": "if",
    "then": "then",
    "else": "else",
}
# rule id tail -> (base schema, revision schema)
_FRAGMENTS: dict[str, tuple[Schema, Schema]] = {
    "min-contains-increased": (
        {"contains": S, "minContains": 1},
        {"contains": S, "minContains": 2},
    ),
    "min-contains-decreased": (
        {"contains": S, "minContains": 2},
        {"contains": S, "minContains": 1},
    ),
    "max-contains-increased": (
        {"contains": S, "maxContains": 1},
        {"contains": S, "maxContains": 2},
    ),
    "max-contains-decreased": (
        {"contains": S, "maxContains": 2},
        {"contains": S, "maxContains": 1},
    ),
    "dependent-required-added": ({}, {"dependentRequired": {"a": ["b"]}}),
    "dependent-required-removed": ({"dependentRequired": {"a": ["b"]}}, {}),
    "dependent-required-changed": (
        {"dependentRequired": {"a": ["b"]}},
        {"dependentRequired": {"a": ["c"]}},
    ),
    "dependent-schema-added": ({}, {"dependentSchemas": {"a": {"required": ["b"]}}}),
    "dependent-schema-removed": ({"dependentSchemas": {"a": {"required": ["b"]}}}, {}),
    "pattern-property-added": ({}, {"patternProperties": {"^x": S}}),
    "pattern-property-removed": ({"patternProperties": {"^x": S}}, {}),
    "prefix-items-added": ({"prefixItems": [S]}, {"prefixItems": [S, I]}),
    "prefix-items-removed": ({"prefixItems": [S, I]}, {"prefixItems": [S]}),
    "const-added": ({"type": "string"}, {"type": "string", "const": "a"}),
    "const-removed": ({"type": "string", "const": "a"}, {"type": "string"}),
    "const-changed": ({"type": "string", "const": "a"}, {"type": "string", "const": "b"}),
    "content-media-type-changed": ({"contentMediaType": "a/b"}, {"contentMediaType": "a/c"}),
    "content-encoding-changed": ({"contentEncoding": "base64"}, {"contentEncoding": "base32"}),
    "default-value-added": ({"type": "string"}, {"type": "string", "default": "a"}),
    "default-value-removed": ({"type": "string", "default": "a"}, {"type": "string"}),
    "default-value-changed": (
        {"type": "string", "default": "a"},
        {"type": "string", "default": "b"},
    ),
    "list-of-types-widened": ({"oneOf": [S, I]}, {"oneOf": [S, I, {"type": "boolean"}]}),
    "list-of-types-narrowed": ({"oneOf": [S, I, {"type": "boolean"}]}, {"oneOf": [S, I]}),
    "became-nullable": ({"type": "string"}, {"type": ["string", "null"]}),
    "became-not-nullable": ({"type": ["string", "null"]}, {"type": "string"}),
    "enum-value-added": ({"type": "string", "enum": ["a"]}, {"type": "string", "enum": ["a", "b"]}),
    "enum-value-removed": (
        {"type": "string", "enum": ["a", "b"]},
        {"type": "string", "enum": ["a"]},
    ),
    "became-enum": ({"type": "string"}, {"type": "string", "enum": ["a"]}),
    "pattern-added": ({"type": "string"}, {"type": "string", "pattern": "^a"}),
    "pattern-removed": ({"type": "string", "pattern": "^a"}, {"type": "string"}),
    "pattern-changed": ({"type": "string", "pattern": "^a"}, {"type": "string", "pattern": "^b"}),
    "pattern-generalized": (
        {"type": "string", "pattern": "^a"},
        {"type": "string", "pattern": ".*"},
    ),
    "all-of-added": ({"allOf": [{"type": "object"}]}, {"allOf": [{"type": "object"}, _B]}),
    "all-of-removed": ({"allOf": [{"type": "object"}, _B]}, {"allOf": [{"type": "object"}]}),
    "all-of-added-annotation-only": (
        {"allOf": [{"type": "object"}]},
        {"allOf": [{"type": "object"}, {"description": "d"}]},
    ),
    "all-of-removed-annotation-only": (
        {"allOf": [{"type": "object"}, {"description": "d"}]},
        {"allOf": [{"type": "object"}]},
    ),
    "any-of-added": ({"anyOf": [_A]}, {"anyOf": [_A, _B]}),
    "any-of-removed": ({"anyOf": [_A, _B]}, {"anyOf": [_A]}),
    "one-of-added": ({"oneOf": [_A]}, {"oneOf": [_A, _B]}),
    "one-of-removed": ({"oneOf": [_A, _B]}, {"oneOf": [_A]}),
    "discriminator-added": ({"oneOf": [_A]}, {"oneOf": [_A], "discriminator": _DISC}),
    "discriminator-removed": ({"oneOf": [_A], "discriminator": _DISC}, {"oneOf": [_A]}),
    "discriminator-property-name-changed": (
        {"discriminator": _DISC},
        {"discriminator": {**_DISC, "propertyName": "type"}},
    ),
    "discriminator-mapping-added": (
        {"discriminator": _DISC},
        {"discriminator": {**_DISC, "mapping": {"a": "#/A", "b": "#/B"}}},
    ),
    "discriminator-mapping-deleted": (
        {"discriminator": _DISC},
        {"discriminator": {**_DISC, "mapping": {}}},
    ),
    "discriminator-mapping-changed": (
        {"discriminator": _DISC},
        {"discriminator": {**_DISC, "mapping": {"a": "#/B"}}},
    ),
    "x-extensible-enum-value-removed": (
        {"type": "string", "x-extensible-enum": ["a", "b"]},
        {"type": "string", "x-extensible-enum": ["a"]},
    ),
    "deprecated": ({"type": "string"}, {"type": "string", "deprecated": True}),
    "reactivated": ({"type": "string", "deprecated": True}, {"type": "string"}),
    "deprecated-with-sunset": (
        {"type": "string"},
        {"type": "string", "deprecated": True, "x-sunset": "2999-01-01"},
    ),
    "deprecated-sunset-missing": ({"type": "string"}, {"type": "string", "deprecated": True}),
    "deprecated-sunset-invalid": (
        {"type": "string"},
        {"type": "string", "deprecated": True, "x-sunset": "soon"},
    ),
    "sunset-date-too-small": (
        {"type": "string"},
        {"type": "string", "deprecated": True, "x-sunset": "2000-01-01"},
    ),
    "stability-decreased": (
        {"type": "string", "x-stability-level": "stable"},
        {"type": "string", "x-stability-level": "beta"},
    ),
    "stability-increased": (
        {"type": "string", "x-stability-level": "beta"},
        {"type": "string", "x-stability-level": "stable"},
    ),
}
_TYPE_CHANGES = {
    "type-changed": (S, I),
    "type-generalized": (I, {"type": "number"}),
    "type-specialized": ({"type": "number"}, I),
}
_NEEDS_DAYS = ("deprecated-sunset-missing", "sunset-date-too-small")
_SCHEMA_RULE = re.compile(r"^(request|response)-(body|property)-(.+)$")


def _fragment(tail: str) -> tuple[Schema, Schema] | None:
    if tail in _FRAGMENTS:
        return _FRAGMENTS[tail]
    if tail in _TYPE_CHANGES:
        return _TYPE_CHANGES[tail]
    for stem, keyword in _PRESENCE.items():
        if tail == f"{stem}-added":
            return {}, {keyword: S}
        if tail == f"{stem}-removed":
            return {keyword: S}, {}
    bound = re.fullmatch(r"(.+)-(increased|decreased|set|unset)", tail)
    if bound and bound.group(1) in _BOUND_KEYWORDS:
        keyword, typed = _BOUND_KEYWORDS[bound.group(1)]
        low, high = {**typed, keyword: 5}, {**typed, keyword: 10}
        return {
            "increased": (low, high),
            "decreased": (high, low),
            "set": (typed, low),
            "unset": (low, typed),
        }[bound.group(2)]
    return None


def _schema_pair(rule: str) -> RulePair | None:
    match = _SCHEMA_RULE.match(rule)
    if match is None:
        return None
    ctx, scope, tail = match.groups()
    if tail in ("media-type-schema-added", "media-type-schema-removed"):
        pair = (_body_doc(ctx, None), _body_doc(ctx, S))
        return RulePair(rule, *(pair if tail.endswith("added") else pair[::-1]))
    if tail == "type-compatible":  # text on the wire: a string carries an object as well
        base, rev = {"type": "object"}, S
        return RulePair(
            rule,
            _body_doc(ctx, _wrap(scope, base), "text/plain"),
            _body_doc(ctx, _wrap(scope, rev), "text/plain"),
        )
    if tail == "wrapped-in-one-of":
        obj = {"type": "object", "properties": {"a": S, "b": S}}
        wrapped = {"oneOf": [copy.deepcopy(obj), {**copy.deepcopy(obj), "required": ["a"]}]}
        return RulePair(rule, _body_doc(ctx, obj), _body_doc(ctx, wrapped))
    fragment = _fragment(tail)
    if fragment is None:
        return None
    base, rev = fragment
    options: dict[str, Any] = {}
    if tail.startswith("all-of"):
        options["compose"] = "oasdiff"
    if tail in _NEEDS_DAYS:
        options["deprecation_days_stable"] = 30
    return RulePair(
        rule, _body_doc(ctx, _wrap(scope, base)), _body_doc(ctx, _wrap(scope, rev)), options
    )


def _wrap(scope: str, schema: Schema) -> Schema:
    if scope == "body":
        return copy.deepcopy(schema)
    return {"type": "object", "properties": {"p": copy.deepcopy(schema)}}


def _obj(props: dict[str, Schema], required: list[str]) -> Schema:
    out: Schema = {"type": "object", "properties": copy.deepcopy(props)}
    if required:
        out["required"] = required
    return out


def _access_pairs() -> list[RulePair]:
    """readOnly/writeOnly transitions and hidden properties."""
    pairs = []
    for ctx in ("request", "response"):
        for kind in ("required", "optional"):
            req = ["p"] if kind == "required" else []
            for keyword, short in (("readOnly", "read-only"), ("writeOnly", "write-only")):
                plain, flagged = S, {**S, keyword: True}
                base, rev = _obj({"p": plain}, req), _obj({"p": flagged}, req)
                rule = f"{ctx}-{kind}-property-became-{short}"
                pairs.append(RulePair(rule, _body_doc(ctx, base), _body_doc(ctx, rev)))
                rule = f"{ctx}-{kind}-property-became-not-{short}"
                pairs.append(RulePair(rule, _body_doc(ctx, rev), _body_doc(ctx, base)))
    wo = {**S, "writeOnly": True}
    for kind in ("required", "optional"):
        req = ["p"] if kind == "required" else []
        with_p = _body_doc("response", _obj({"p": wo}, req))
        without = _body_doc("response", _obj({}, []))
        pairs.append(RulePair(f"response-{kind}-write-only-property-removed", with_p, without))
        pairs.append(RulePair(f"response-{kind}-write-only-property-added", without, with_p))
    for became, (b, r) in (("required", ([], ["p"])), ("optional", (["p"], []))):
        pairs.append(
            RulePair(
                f"response-write-only-property-became-{became}",
                _body_doc("response", _obj({"p": wo}, b)),
                _body_doc("response", _obj({"p": wo}, r)),
            )
        )
    wo_enum = ({**wo, "enum": ["a"]}, {**wo, "enum": ["a", "b"]})
    pairs.append(
        RulePair(
            "response-write-only-property-enum-value-added",
            _body_doc("response", _obj({"p": wo_enum[0]}, [])),
            _body_doc("response", _obj({"p": wo_enum[1]}, [])),
        )
    )
    ro = {"readOnly": True}
    for tail in (
        "enum-value-removed",
        "max-decreased",
        "exclusive-max-decreased",
        "max-length-decreased",
        "min-increased",
        "exclusive-min-increased",
    ):
        fragment = _fragment(tail)
        assert fragment is not None
        base, rev = ({**f, **ro} for f in fragment)
        pairs.append(
            RulePair(
                f"request-read-only-property-{tail}",
                _body_doc("request", _obj({"p": base}, [])),
                _body_doc("request", _obj({"p": rev}, [])),
            )
        )
    return pairs


def _parameter_pairs() -> list[RulePair]:
    pairs = []
    for tail in (
        "became-nullable",
        "became-not-nullable",
        "enum-value-added",
        "enum-value-removed",
        "became-enum",
        "pattern-added",
        "pattern-removed",
        "pattern-changed",
        "pattern-generalized",
        "default-value-added",
        "default-value-removed",
        "default-value-changed",
        "list-of-types-widened",
        "list-of-types-narrowed",
        "x-extensible-enum-value-removed",
        "type-changed",
        "type-generalized",
    ):
        fragment = _fragment(tail)
        assert fragment is not None
        pairs.append(RulePair(f"request-parameter-{tail}", *(_param_doc(f) for f in fragment)))
    for short in ("max", "min", "max-length", "min-length", "max-items", "min-items"):
        for verb in ("increased", "decreased", "set"):
            fragment = _fragment(f"{short}-{verb}")
            assert fragment is not None
            rule = f"request-parameter-{short}-{verb}"
            pairs.append(RulePair(rule, *(_param_doc(f) for f in fragment)))
    for short in ("exclusive-max", "exclusive-min"):
        for verb in ("increased", "decreased", "set"):
            fragment = _fragment(f"{short}-{verb}")
            assert fragment is not None
            rule = f"request-parameter-{short}-{verb}"
            pairs.append(RulePair(rule, *(_param_doc(f) for f in fragment)))
    obj = {"type": "object", "properties": {"p": S}}
    for tail, prop_b, prop_r in (
        ("became-nullable", S, {**S, "nullable": True}),
        ("became-not-nullable", {**S, "nullable": True}, S),
        ("enum-value-added", {**S, "enum": ["a"]}, {**S, "enum": ["a", "b"]}),
        ("enum-value-removed", {**S, "enum": ["a", "b"]}, {**S, "enum": ["a"]}),
        ("type-generalized", I, {"type": "number"}),
        ("type-specialized", S, I),
        ("type-changed", I, S),
    ):
        pairs.append(
            RulePair(
                f"request-parameter-property-{tail}",
                _param_doc({**obj, "properties": {"p": prop_b}}, style="deepObject"),
                _param_doc({**obj, "properties": {"p": prop_r}}, style="deepObject"),
            )
        )
    header = {"name": "X-H", "in": "header", "schema": obj}

    def header_doc(schema: Schema) -> dict[str, Any]:
        return _op_doc({"parameters": [{**header, "schema": schema}]})

    pairs += [
        RulePair(
            "request-header-property-became-enum",
            header_doc(obj),
            header_doc({**obj, "properties": {"p": {**S, "enum": ["a"]}}}),
        ),
        RulePair(
            "request-header-property-became-required",
            header_doc(obj),
            header_doc({**obj, "required": ["p"]}),
        ),
        RulePair(
            "new-required-request-header-property",
            header_doc(obj),
            header_doc({**obj, "properties": {"p": S, "n": S}, "required": ["n"]}),
        ),
    ]
    none = _op_doc({})
    pairs += [
        RulePair("new-required-request-parameter", none, _param_doc(S, required=True)),
        RulePair("new-optional-request-parameter", none, _param_doc(S)),
        RulePair("request-parameter-removed", _param_doc(S), none),
        RulePair(
            "request-parameter-removed-with-deprecation", _param_doc(S, deprecated=True), none
        ),
        RulePair("request-parameter-became-required", _param_doc(S), _param_doc(S, required=True)),
        RulePair("request-parameter-became-optional", _param_doc(S, required=True), _param_doc(S)),
        RulePair("request-parameter-deprecated", _param_doc(S), _param_doc(S, deprecated=True)),
        RulePair("request-parameter-reactivated", _param_doc(S, deprecated=True), _param_doc(S)),
        RulePair(
            "request-parameter-sunset-date-too-small",
            _param_doc(S),
            _param_doc(S, deprecated=True, **{"x-sunset": "2000-01-01"}),
            {"deprecation_days_stable": 30},
        ),
        RulePair(
            "new-request-path-parameter",
            _doc({"/t": {"get": {"responses": {"200": {"description": "ok"}}}}}),
            _doc(
                {
                    "/t": {
                        "get": {
                            "parameters": [
                                {"name": "q", "in": "path", "required": True, "schema": S}
                            ],
                            "responses": {"200": {"description": "ok"}},
                        }
                    }
                }
            ),
        ),
    ]
    return pairs


def _other_pairs() -> list[RulePair]:
    def resp(status: str) -> dict[str, Any]:
        return _op_doc({"responses": {"200": {"description": "ok"}, status: {"description": "x"}}})

    ok = _op_doc({})
    sec: dict[str, Any] = {
        "securitySchemes": {
            "o": {
                "type": "oauth2",
                "flows": {
                    "authorizationCode": {
                        "authorizationUrl": "https://a/auth",
                        "tokenUrl": "https://a/token",
                        "scopes": {"read": "read things"},
                    }
                },
            }
        }
    }

    def sec_doc(**flow: Any) -> dict[str, Any]:
        changed = copy.deepcopy(sec)
        changed["securitySchemes"]["o"]["flows"]["authorizationCode"].update(flow)
        return _op_doc({}, components=changed)

    header_s, header_i = {"schema": S}, {"schema": I}
    pairs = [
        RulePair("endpoint-added", _doc({}), ok),
        RulePair("api-path-removed-without-deprecation", ok, _doc({})),
        RulePair(
            "api-removed-without-deprecation",
            _doc({"/t": {"get": {"responses": {}}, "put": {"responses": {}}}}),
            _doc({"/t": {"get": {"responses": {}}}}),
        ),
        RulePair("endpoint-deprecated", ok, _op_doc({"deprecated": True})),
        RulePair("endpoint-reactivated", _op_doc({"deprecated": True}), ok),
        RulePair(
            "api-sunset-date-too-small",
            ok,
            _op_doc({"deprecated": True, "x-sunset": "2000-01-01"}),
            {"deprecation_days_stable": 30},
        ),
        RulePair(
            "api-stability-increased",
            _op_doc({"x-stability-level": "beta"}),
            _op_doc({"x-stability-level": "stable"}),
        ),
        RulePair("response-success-status-added", ok, resp("201")),
        RulePair("response-success-status-removed", resp("201"), ok),
        RulePair("response-non-success-status-added", ok, resp("404")),
        RulePair("response-non-success-status-removed", resp("404"), ok),
        RulePair("api-operation-id-added", ok, _op_doc({"operationId": "a"})),
        RulePair("api-operation-id-removed", _op_doc({"operationId": "a"}), ok),
        RulePair("api-tag-added", ok, _op_doc({"tags": ["a"]})),
        RulePair("api-tag-removed", _op_doc({"tags": ["a"]}), ok),
        RulePair("api-schema-removed", _op_doc({}, components={"schemas": {"A": S}}), ok),
        RulePair(
            "request-body-added-required",
            ok,
            _op_doc(
                {"requestBody": {"required": True, "content": {"application/json": {"schema": S}}}}
            ),
        ),
        RulePair(
            "request-body-added-optional",
            ok,
            _op_doc({"requestBody": {"content": {"application/json": {"schema": S}}}}),
        ),
        RulePair(
            "request-body-removed",
            _op_doc({"requestBody": {"content": {"application/json": {"schema": S}}}}),
            ok,
        ),
        RulePair(
            "request-body-became-required",
            _op_doc({"requestBody": {"content": {"a/b": {}}}}),
            _op_doc({"requestBody": {"required": True, "content": {"a/b": {}}}}),
        ),
        RulePair(
            "request-body-became-optional",
            _op_doc({"requestBody": {"required": True, "content": {"a/b": {}}}}),
            _op_doc({"requestBody": {"content": {"a/b": {}}}}),
        ),
        RulePair("api-security-added", ok, _op_doc({"security": [{"o": []}]})),
        RulePair("api-security-removed", _op_doc({"security": [{"o": []}]}), ok),
        RulePair(
            "api-security-scope-added",
            _op_doc({"security": [{"o": []}]}),
            _op_doc({"security": [{"o": ["read"]}]}),
        ),
        RulePair(
            "api-security-scope-removed",
            _op_doc({"security": [{"o": ["read"]}]}),
            _op_doc({"security": [{"o": []}]}),
        ),
        RulePair("api-global-security-added", ok, _op_doc({}, security=[{"o": []}])),
        RulePair("api-global-security-removed", _op_doc({}, security=[{"o": []}]), ok),
        RulePair(
            "api-global-security-scope-added",
            _op_doc({}, security=[{"o": []}]),
            _op_doc({}, security=[{"o": ["read"]}]),
        ),
        RulePair(
            "api-global-security-scope-removed",
            _op_doc({}, security=[{"o": ["read"]}]),
            _op_doc({}, security=[{"o": []}]),
        ),
        RulePair("api-security-component-added", ok, sec_doc()),
        RulePair("api-security-component-removed", sec_doc(), ok),
        RulePair(
            "api-security-component-type-changed",
            sec_doc(),
            _op_doc({}, components={"securitySchemes": {"o": {"type": "http", "scheme": "basic"}}}),
        ),
        RulePair(
            "api-security-component-oauth-url-changed",
            sec_doc(),
            sec_doc(authorizationUrl="https://b/auth"),
        ),
        RulePair(
            "api-security-component-oauth-token-url-changed",
            sec_doc(),
            sec_doc(tokenUrl="https://b/token"),
        ),
        RulePair(
            "api-security-component-oauth-scope-added",
            sec_doc(),
            sec_doc(scopes={"read": "read things", "write": "w"}),
        ),
        RulePair("api-security-component-oauth-scope-removed", sec_doc(), sec_doc(scopes={})),
        RulePair(
            "api-security-component-oauth-scope-changed",
            sec_doc(),
            sec_doc(scopes={"read": "read it"}),
        ),
        RulePair("webhook-added", ok, _op_doc({}, webhooks={"w": {"post": {"responses": {}}}})),
        RulePair("webhook-removed", _op_doc({}, webhooks={"w": {"post": {"responses": {}}}}), ok),
        RulePair("response-header-added", _header_doc(None), _header_doc(header_s)),
        RulePair("optional-response-header-removed", _header_doc(header_s), _header_doc(None)),
        RulePair(
            "required-response-header-removed",
            _header_doc({**header_s, "required": True}),
            _header_doc(None),
        ),
        RulePair(
            "response-header-became-optional",
            _header_doc({**header_s, "required": True}),
            _header_doc(header_s),
        ),
        RulePair(
            "response-header-type-changed",
            _header_doc(header_i),
            _header_doc({"schema": {"type": "boolean"}}),
        ),
        RulePair(
            "response-header-type-generalized",
            _header_doc(header_i),
            _header_doc({"schema": {"type": "number"}}),
        ),
        RulePair(
            "response-header-type-specialized",
            _header_doc({"schema": {"type": "number"}}),
            _header_doc(header_i),
        ),
        RulePair("response-header-type-compatible", _header_doc(header_i), _header_doc(header_s)),
        RulePair(
            "response-header-became-nullable",
            _header_doc(header_s),
            _header_doc({"schema": {"type": ["string", "null"]}}),
        ),
        RulePair(
            "response-header-became-not-nullable",
            _header_doc({"schema": {"type": ["string", "null"]}}),
            _header_doc(header_s),
        ),
    ]

    def versioned(base: str, revision: str) -> tuple[dict[str, Any], dict[str, Any]]:
        b, r = _op_doc({}), _op_doc({})  # a removed path is breaking
        b["paths"]["/u"] = copy.deepcopy(b["paths"]["/t"])
        b["info"]["version"], r["info"]["version"] = base, revision
        return b, r

    pairs += [
        RulePair("api-version-not-bumped", *versioned("1.2.3", "1.2.3")),
        RulePair("api-version-decreased", *versioned("1.2.3", "1.2.0")),
        RulePair("api-major-version-not-bumped", *versioned("1.2.3", "1.3.0")),
    ]
    for rule, old, new in (
        ("response-media-type-name-changed", "application/json", "application/json; charset=utf-8"),
        ("response-media-type-name-specialized", "application/json", "application/hal+json"),
        ("response-media-type-name-generalized", "application/hal+json", "application/json"),
    ):
        pairs.append(RulePair(rule, _body_doc("response", S, old), _body_doc("response", S, new)))
    obj_types = ({"anyOf": [S, I]}, {"anyOf": [S, I, {"type": "boolean"}]})
    for verb, (b_types, r_types) in (
        ("widened", obj_types),
        ("narrowed", obj_types[::-1]),
    ):
        pairs.append(
            RulePair(
                f"request-parameter-property-list-of-types-{verb}",
                _param_doc({"type": "object", "properties": {"p": b_types}}, style="deepObject"),
                _param_doc({"type": "object", "properties": {"p": r_types}}, style="deepObject"),
            )
        )
    for ctx in ("request", "response"):
        for kind, base_req, rev_req in (("required", [], ["p"]), ("optional", ["p"], [])):
            pairs.append(
                RulePair(
                    f"{ctx}-property-became-{kind}",
                    _body_doc(ctx, _obj({"p": S}, base_req)),
                    _body_doc(ctx, _obj({"p": S}, rev_req)),
                )
            )
    return pairs


def rule_pairs(catalogue: dict[str, str]) -> list[RulePair]:
    """Our pair for every catalogue rule we wrote one for."""
    pairs = [p for p in (_schema_pair(rule) for rule in catalogue) if p is not None]
    pairs += _access_pairs() + _parameter_pairs() + _other_pairs()
    return [p for p in pairs if p.rule in catalogue]
