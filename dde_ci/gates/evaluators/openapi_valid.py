"""``openapi-valid``: an OpenAPI 3.x (or Swagger 2) document is valid, offline.

``path`` defaults to every OpenAPI contract the node produces.  Only local
references (``#/...``) are allowed, and each is checked before validation, so
validation never touches the network.  Metrics: ``errors``, ``documents``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from dde_ci.errors import InputError
from dde_ci.gates.evaluators.base import Finding, GateContext, Measurement, Params, report_file
from dde_ci.gates.evaluators.json_metric import PointerError, resolve_pointer
from dde_ci.yamlio import load_yaml_file, read_text

MAX_ERRORS = 50


class OpenApiValidParams(Params):
    type: Literal["openapi-valid"]
    path: str | None = Field(default=None, min_length=1)


def _refs(value: Any) -> Iterator[tuple[str, str]]:
    """Every ``$ref`` in ``value``, with where it stands (``#/paths//orders/get``)."""
    from dde_ci.contracts.types._refcheck import iter_refs

    for ref, key in iter_refs(value):
        yield "#" + "".join(f"/{k}" for k in key), ref


def load_document(path: Path) -> Any:
    if path.suffix.lower() == ".json":
        try:
            return json.loads(read_text(path, what="OpenAPI document"))
        except ValueError as exc:
            raise InputError(f"{path}: not valid JSON: {exc}") from None
    return load_yaml_file(path, what="OpenAPI document").data


def _is_openapi_3(document: Any) -> bool:
    return isinstance(document, dict) and str(document.get("openapi", "")).startswith(
        ("3.0.", "3.1.")
    )


def _contract_findings(file: Path, root: Path, shown: str) -> list[Finding]:
    """An OpenAPI 3.0/3.1 document checked as ``contract lock`` checks it (the official
    JSON Schema and the semantic checks, in time linear in the document), with lines."""
    from dde_ci.contracts.types import contract_type

    kind = contract_type("openapi")
    loaded = kind.load(file, root)
    return [
        Finding(d.message, shown, d.location.line if d.location is not None else 0)
        for d in kind.validate(loaded, root)
        if d.severity == "error"
    ]


def openapi_problems(document: Any, *, structure: bool = True) -> list[str]:
    """Every problem found in an OpenAPI document, without any network access
    (``structure=False``: only its ``$ref`` s, for a 3.x document checked as a contract)."""
    if not isinstance(document, dict) or not ("openapi" in document or "swagger" in document):
        return ["not an OpenAPI document (no 'openapi' or 'swagger' key)"]
    problems = []
    for at, ref in _refs(document):
        if not ref.startswith("#"):
            problems.append(f"{at}: $ref {ref!r} is not local; only '#/...' references are allowed")
            continue
        try:
            resolve_pointer(document, ref[1:])
        except PointerError as exc:
            problems.append(f"{at}: $ref {ref!r} points nowhere ({exc})")
    if problems or not structure:
        return problems
    from openapi_spec_validator import (
        OpenAPIV2SpecValidator,
        OpenAPIV30SpecValidator,
        OpenAPIV31SpecValidator,
    )
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
    from openapi_spec_validator.versions.exceptions import OpenAPIVersionNotFound
    from openapi_spec_validator.versions.shortcuts import get_spec_version

    try:
        version = get_spec_version(document)
    except OpenAPIVersionNotFound as exc:
        return [str(exc)]
    validators: dict[str, Any] = {
        "2.0": OpenAPIV2SpecValidator,
        "3.0": OpenAPIV30SpecValidator,
        "3.1": OpenAPIV31SpecValidator,
    }
    key = f"{version.major}.{version.minor}"
    cls = validators.get(key)
    if cls is None:
        return [f"OpenAPI version {key} is not supported (use 2.0, 3.0 or 3.1)"]
    try:
        for error in cls(document, base_uri="urn:dde-ci:offline").iter_errors():
            path = "/".join(str(p) for p in getattr(error, "absolute_path", []) or [])
            message = _bounded(getattr(error, "message", str(error)), error)
            problems.append(f"#/{path}: {message}" if path else message)
            if len(problems) >= MAX_ERRORS:
                break
    except OpenAPIValidationError as exc:
        problems.append(str(exc))
    except LookupError as exc:  # referencing.Unresolvable is a LookupError subclass? keep safe
        problems.append(f"unresolvable reference: {_bounded(str(exc))}")
    except RecursionError:
        problems.append(
            "cyclic $ref: a schema includes itself and cannot be validated; "
            "give the cycle a property or array item in between"
        )
    return problems


MAX_MESSAGE = 300


def _bounded(message: str, error: Any = None) -> str:
    """A validator's message of a sensible length: jsonschema writes the failing value's
    ``repr`` into it, which for a ``$ref`` to ``#`` is the whole document."""
    if len(message) <= MAX_MESSAGE:
        return message
    keyword = getattr(error, "validator", None)
    rule = f"fails the OpenAPI schema's {keyword!r} rule" if keyword else "is not valid"
    return f"{rule}: {message[:120]}... ({len(message) - 120:,} characters cut)"


class OpenApiValidEvaluator:
    name: ClassVar[str] = "openapi-valid"
    params: ClassVar[type[Params]] = OpenApiValidParams
    metrics: ClassVar[frozenset[str] | None] = frozenset({"errors", "documents"})
    default_conditions: ClassVar[tuple[str, ...]] = ("errors == 0", "documents > 0")
    phases: ClassVar[frozenset[str]] = frozenset({"pre", "post"})

    def evaluate(self, params: OpenApiValidParams, context: GateContext) -> Measurement:
        if params.path is not None:
            wanted = [params.path]
        else:
            wanted = [
                context.manifest.contract(name).path
                for name in context.node.produces
                if context.manifest.has_contract(name)
                and context.manifest.contract(name).type.value == "openapi"
            ]
        findings: list[Finding] = []
        documents = 0
        for rel in wanted:
            file = report_file(context, rel, "OpenAPI document")
            if isinstance(file, Measurement):
                return file
            shown = context.shown(file)
            documents += 1
            try:
                document = load_document(file)
                problems = openapi_problems(document, structure=not _is_openapi_3(document))
            except InputError as exc:
                problems = [str(exc)]
            if not problems and _is_openapi_3(document):
                findings += _contract_findings(file, context.root, shown)
            findings += [Finding(p, shown) for p in problems]
        return Measurement(
            metrics={"errors": len(findings), "documents": documents},
            details={"documents": wanted, "problems": [f.message for f in findings]},
            findings=findings,
        )
