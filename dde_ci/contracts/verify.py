"""Consumer validation: does a node match the contracts it consumes?

For each contract a node consumes, ``verify_node`` collects every finding:

* **lock** -- the contract is locked, its source file still has the locked digest,
  and the version and digest in the node's ``context.json`` (what it was built
  against) are the registry's current ones;
* **serves** -- the implementation's own description (``serves:``, e.g. the OpenAPI
  document exported by the service) covers the locked contract with nothing
  breaking (the locked spec is the base, the served document the revision);
* **examples** -- every example (``examples:``) validates against the locked
  spec: requests and responses with openapi-core, events with jsonschema,
  GraphQL operations with graphql-core.

Each finding names the check, the operation (``POST /orders``), a JSON Pointer
and a message.  The report is written to ``reports/{it}/{node}/contracts.json``
and a ``contract.verified`` event is emitted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dde_ci.contracts.registry import LockedContract, latest
from dde_ci.errors import DdeError, NotFound, did_you_mean
from dde_ci.files import write_json_atomic

if TYPE_CHECKING:
    from dde_ci.layout import Layout
    from dde_ci.log import ExecutionLog
    from dde_ci.manifest.models import ContractExample, Manifest, Node

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass
class Finding:
    check: str  # lock | serves | example
    message: str
    operation: str | None = None
    pointer: str | None = None
    location: str | None = None
    level: str = "error"  # error | warning

    @property
    def file(self) -> str | None:
        """The file part of ``location`` (``path:line:col``), for annotations."""
        if not self.location:
            return None
        head, _, tail = self.location.rpartition(":")
        head2, _, line = head.rpartition(":")
        return head2 if line.isdigit() and tail.isdigit() else self.location

    @property
    def line(self) -> int:
        parts = (self.location or "").rsplit(":", 2)
        return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else 0

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "level": self.level,
            "operation": self.operation,
            "pointer": self.pointer,
            "location": self.location,
            "message": self.message,
        }


@dataclass
class ContractResult:
    contract: str
    version: str | None
    digest: str | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.level == "error" for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "contract": self.contract,
            "version": self.version,
            "digest": self.digest,
            "ok": self.ok,
            "findings": [f.to_json() for f in self.findings],
        }


@dataclass
class VerifyReport:
    node_id: str
    iteration_id: str
    results: list[ContractResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def findings(self) -> list[Finding]:
        """Every error-level finding, over all contracts (what fails the gate)."""
        return [f for r in self.results for f in r.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for r in self.results for f in r.findings if f.level != "error"]

    def to_json(self) -> dict[str, Any]:
        return {
            "node_id": self.node_id,
            "iteration_id": self.iteration_id,
            "ok": self.ok,
            "results": [r.to_json() for r in self.results],
        }


def contracts_report_file(layout: Layout, iteration_id: str, node_id: str) -> Path:
    return layout.node_dir(iteration_id, node_id) / "contracts.json"


def verify_node(
    manifest: Manifest,
    node_id: str,
    layout: Layout,
    iteration_id: str,
    *,
    log: ExecutionLog | None = None,
) -> VerifyReport:
    """Check node ``node_id`` against every contract it consumes; write and return the report.

    The ``contract.verified`` event goes to ``log``, else to the iteration's execution log.
    """
    if not manifest.has_node(node_id):
        raise NotFound(
            f"no node {node_id!r} in the manifest{did_you_mean(node_id, manifest.node_ids)}"
        )
    node = manifest.node(node_id)
    context = _built_against(layout, iteration_id, node_id)
    report = VerifyReport(node_id, iteration_id)
    for name in node.consumes:
        report.results.append(_verify_contract(manifest, node, name, layout, context))
    write_json_atomic(
        contracts_report_file(layout, iteration_id, node_id), report.to_json(), durable=True
    )
    if log is None:
        from dde_ci.log import ExecutionLog

        log = ExecutionLog(layout.execution_log(iteration_id), iteration_id)
    log.emit(
        "contract.verified",
        node_id=node_id,
        details={
            "ok": report.ok,
            "contracts": [
                {
                    "contract": r.contract,
                    "version": r.version,
                    "digest": r.digest,
                    "ok": r.ok,
                    "findings": len(r.findings),
                }
                for r in report.results
            ],
        },
    )
    return report


def _built_against(layout: Layout, iteration_id: str, node_id: str) -> dict[str, Any] | None:
    """``locked_contracts`` of the node's context, by name (None when it never ran)."""
    path = layout.context_file(iteration_id, node_id)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    entries = data.get("locked_contracts") if isinstance(data, dict) else None
    return {
        e["name"]: e
        for e in entries or []
        if isinstance(e, dict) and isinstance(e.get("name"), str)
    }


def _verify_contract(
    manifest: Manifest,
    node: Node,
    name: str,
    layout: Layout,
    context: dict[str, Any] | None,
) -> ContractResult:
    declared = manifest.contract(name)
    locked = latest(layout, declared.domain, name)
    if locked is None:
        result = ContractResult(name, None, None)
        result.findings.append(
            Finding("lock", f"contract {name!r} is not locked yet; its interface node locks it")
        )
        return result
    result = ContractResult(name, locked.version, locked.digest)
    result.findings.extend(_check_lock(manifest, name, locked, context))
    for served in node.serves:
        if served.contract == name:
            result.findings.extend(_check_serves(manifest, locked, served.path, layout))
    for example in node.examples:
        if example.contract == name:
            result.findings.extend(_check_example(manifest, locked, example))
    return result


def _check_lock(
    manifest: Manifest, name: str, locked: LockedContract, context: dict[str, Any] | None
) -> list[Finding]:
    from dde_ci.contracts.types import digest_contract
    from dde_ci.layout import inside

    out: list[Finding] = []
    declared = manifest.contract(name)
    try:
        source = inside(manifest.root, declared.path, what="contract path")
        digest = digest_contract(str(declared.type), source, manifest.root).digest
    except DdeError as exc:
        return [Finding("lock", f"{declared.path}: cannot be checked: {exc}")]
    if digest != locked.digest:
        out.append(
            Finding(
                "lock",
                f"{declared.path} differs from the locked {name} {locked.version} "
                f"({digest} != {locked.digest}); lock it again (dde-ci contract lock {name}) "
                "or restore the locked content",
                location=declared.path,
            )
        )
    if context is None:
        out.append(
            Finding(
                "lock",
                "the node has no context.json in this iteration, so what it was built against "
                "is unknown",
                level="warning",
            )
        )
        return out
    entry = context.get(name)
    if entry is None:
        out.append(
            Finding("lock", f"the node was built without {name} in its context (not locked then)")
        )
    elif entry.get("version") != locked.version or entry.get("digest") != locked.digest:
        out.append(
            Finding(
                "lock",
                f"the node was built against {name} {entry.get('version')} "
                f"({entry.get('digest')}) but the registry has {locked.version} "
                f"({locked.digest}); run the node again",
            )
        )
    return out


def _check_serves(
    manifest: Manifest, locked: LockedContract, rel: str, layout: Layout
) -> list[Finding]:
    from dde_ci.contracts.diff import diff_contracts
    from dde_ci.layout import inside

    try:
        served = inside(manifest.root, rel, what="served contract path")
        if not served.is_file():
            return [
                Finding("serves", f"{rel}: the served description does not exist", location=rel)
            ]
        docs = {
            "base": _resolved_document(locked.spec_path, layout.root, locked.type),
            "revision": _resolved_document(served, layout.root, locked.type),
        }
        result = diff_contracts(locked.type, docs["base"][1], docs["revision"][1])
    except DdeError as exc:
        return [Finding("serves", f"{rel}: cannot be compared: {exc}", location=rel)]
    out = []
    for change in result.changes:
        if change.level != "error":
            continue
        operation = f"{change.operation} {change.path}" if change.operation else change.path
        side, _, pointer = (change.location or "").partition("#")
        document = docs.get(side, (None, None))[0]
        out.append(
            Finding(
                "serves",
                f"{rel} does not cover {locked.name} {locked.version}: {change.message} "
                f"[{change.id}]",
                operation=operation,
                pointer=pointer or None,
                location=_locate_pointer(document, pointer) if document is not None else None,
            )
        )
    return out


def _resolved_document(path: Path, root: Path, type_name: str) -> tuple[Any, Any]:
    """(document with positions, resolved data) -- SDL text for GraphQL."""
    if type_name == "graphql":
        from dde_ci.yamlio import read_text

        return None, read_text(path, what="contract")
    from dde_ci.contracts.refs import Resolver, read_document

    doc = read_document(path, root)
    return doc, Resolver(root).resolve_document(doc)


def _locate_pointer(doc: Any, pointer: str) -> str:
    """``file:line:col`` of a JSON Pointer (stopping at a ``$ref``, where the rest lives)."""
    from urllib.parse import unquote

    node = doc.data
    key: list[str | int] = []
    for raw in pointer.split("/")[1:] if pointer else []:
        part = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            break
        if isinstance(node, dict) and part in node:
            node = node[part]
            key.append(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
            key.append(int(part))
        else:
            break
    return str(doc.locate(tuple(key)))


def _check_example(
    manifest: Manifest, locked: LockedContract, example: ContractExample
) -> list[Finding]:
    from dde_ci.contracts.refs import read_document
    from dde_ci.layout import inside

    try:
        path = inside(manifest.root, example.path, what="example path")
        if locked.type == "graphql":
            from dde_ci.yamlio import read_text

            return _graphql_example(locked, example, read_text(path, what="example"))
        doc = read_document(path, manifest.root)
    except DdeError as exc:
        return [Finding("example", f"{example.path}: {exc}", operation=example.operation)]
    if locked.type == "jsonschema":
        return _event_example(locked, example, doc)
    return _openapi_example(locked, example, doc)


def _locked_data(locked: LockedContract) -> Any:
    from dde_ci.contracts.refs import Resolver, read_document

    doc = read_document(locked.spec_path, locked.folder)
    return Resolver(locked.folder).resolve_document(doc)


def _pointer(path: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _event_example(locked: LockedContract, example: ContractExample, doc: Any) -> list[Finding]:
    import jsonschema

    schema = _locked_data(locked)
    validator = jsonschema.Draft202012Validator(schema)
    out = []
    for error in sorted(validator.iter_errors(doc.data), key=lambda e: list(map(str, e.path))):
        path = tuple(error.absolute_path)
        out.append(
            Finding(
                "example",
                f"{example.path}: {error.message}",
                operation=example.operation,
                pointer=_pointer(path) or "/",
                location=str(doc.locate(path)),
            )
        )
    return out


def _split_operation(text: str | None) -> tuple[str, str] | None:
    parts = (text or "").split()
    if len(parts) != 2 or parts[0].lower() not in HTTP_METHODS or not parts[1].startswith("/"):
        return None
    return parts[0].lower(), parts[1]


def _openapi_example(locked: LockedContract, example: ContractExample, doc: Any) -> list[Finding]:
    spec = _locked_data(locked)
    parsed = _split_operation(example.operation)
    op = example.operation
    if example.kind == "event" or parsed is None:
        return [
            Finding(
                "example",
                f"{example.path}: an OpenAPI example needs kind request or response and an "
                f"operation such as 'POST /orders' (got kind {example.kind!r}, operation {op!r})",
                operation=op,
            )
        ]
    method, route = parsed
    paths = spec.get("paths") or {}
    if route not in paths or method not in (paths.get(route) or {}):
        known = [f"{m.upper()} {p}" for p, item in paths.items() for m in item if m in HTTP_METHODS]
        return [
            Finding(
                "example",
                f"{example.path}: operation {op!r} is not in {locked.name} "
                f"{locked.version}{did_you_mean(str(op), known)}",
                operation=op,
            )
        ]
    return _openapi_validate(spec, method, route, example, doc)


def _openapi_validate(
    spec: dict[str, Any], method: str, route: str, example: ContractExample, doc: Any
) -> list[Finding]:
    from openapi_core import Config, OpenAPI
    from openapi_core.exceptions import OpenAPIError
    from openapi_core.testing import MockRequest, MockResponse
    from openapi_core.validation.request import validators as request_validators
    from openapi_core.validation.response import validators as response_validators

    v31 = str(spec.get("openapi", "")).startswith("3.1")
    config = Config(
        spec_validator_cls=None,  # type: ignore[arg-type]  # checked when locked
        request_validator_cls=(
            request_validators.V31RequestBodyValidator
            if v31
            else request_validators.V30RequestBodyValidator
        ),
        response_validator_cls=(
            response_validators.V31ResponseDataValidator
            if v31
            else response_validators.V30ResponseDataValidator
        ),
    )
    api = OpenAPI.from_dict(spec, config=config)
    body = json.dumps(doc.data).encode("utf-8")
    request = MockRequest(
        "http://localhost", method, route, data=body, content_type="application/json"
    )
    op = f"{method.upper()} {route}"
    try:
        if example.kind == "request":
            api.validate_request(request)
        else:
            response = MockResponse(
                body, status_code=example.status or 200, content_type="application/json"
            )
            api.validate_response(request, response)
    except OpenAPIError as exc:
        return _openapi_findings(exc, example, doc, op)
    return []


def _openapi_findings(exc: Exception, example: ContractExample, doc: Any, op: str) -> list[Finding]:
    errors = getattr(exc.__cause__, "schema_errors", None) or getattr(exc, "schema_errors", None)
    what = f"{example.kind} {'' if example.kind == 'request' else (example.status or 200)}".strip()
    if not errors:
        reason = str(exc.__cause__ or exc)
        return [Finding("example", f"{example.path}: {what} {op}: {reason}", operation=op)]
    out = []
    for error in errors:
        path = tuple(getattr(error, "absolute_path", ()))
        out.append(
            Finding(
                "example",
                f"{example.path}: {what} body does not match {op}: {error.message}",
                operation=op,
                pointer=_pointer(path) or "/",
                location=str(doc.locate(path)),
            )
        )
    return out


def _graphql_example(locked: LockedContract, example: ContractExample, text: str) -> list[Finding]:
    from graphql import GraphQLError, build_schema, parse, validate

    from dde_ci.yamlio import read_text

    schema = build_schema(read_text(locked.spec_path, what="contract"))
    try:
        errors = validate(schema, parse(text))
    except GraphQLError as exc:
        errors = [exc]
    out = []
    for error in errors:
        loc = error.locations[0] if error.locations else None
        where = f"{example.path}:{loc.line}:{loc.column}" if loc else example.path
        out.append(
            Finding(
                "example",
                f"{example.path}: {error.message}",
                operation=example.operation,
                location=where,
            )
        )
    return out
