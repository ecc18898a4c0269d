"""Consumer validation: lock and context, served description, examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dde_ci.contracts.lock import lock_contract
from dde_ci.contracts.registry import context_entries
from dde_ci.contracts.verify import verify_node
from dde_ci.errors import NotFound
from dde_ci.layout import Layout
from dde_ci.log import ExecutionLog, read_log
from dde_ci.manifest.loader import load_manifest
from dde_ci.manifest.models import Manifest
from tests.contracts.contract_project import make_project, openapi, write_openapi

IT = "Iter-1"


def _locked(tmp_path: Path) -> tuple[Manifest, Layout]:
    manifest = load_manifest(make_project(tmp_path))
    layout = Layout(manifest.root)
    for name in ("orders-api", "order-created", "catalog-graph"):
        lock_contract(manifest, name, layout)
    return manifest, layout


def _built(manifest: Manifest, layout: Layout, node_id: str) -> None:
    """What the context builder writes: the node's locked contracts."""
    path = layout.context_file(IT, node_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    entries = context_entries(manifest, manifest.node(node_id), layout)
    path.write_text(json.dumps({"node_id": node_id, "locked_contracts": entries}))


def _findings(report: object) -> list[dict[str, object]]:
    data = report.to_json()  # type: ignore[attr-defined]
    return [f for r in data["results"] for f in r["findings"]]


def test_a_matching_consumer_passes_and_the_report_is_written(tmp_path: Path) -> None:
    manifest, layout = _locked(tmp_path)
    _built(manifest, layout, "BE.Orders")
    log = ExecutionLog(layout.execution_log(IT), IT, "r")
    report = verify_node(manifest, "BE.Orders", layout, IT, log=log)
    assert report.ok, _findings(report)
    written = json.loads((tmp_path / "reports" / IT / "BE.Orders" / "contracts.json").read_text())
    assert written["node_id"] == "BE.Orders" and written["ok"] is True
    assert [(r["contract"], r["version"], r["ok"]) for r in written["results"]] == [
        ("orders-api", "1.0.0", True),
        ("order-created", "1.0.0", True),
    ]
    assert written["results"][0]["digest"].startswith("sha256:")
    event = read_log(layout.execution_log(IT)).events[-1]
    assert event["event_type"] == "contract.verified" and event["details"]["ok"] is True


def test_context_entries_name_version_digest_and_location(tmp_path: Path) -> None:
    manifest, layout = _locked(tmp_path)
    entries = context_entries(manifest, manifest.node("BE.Orders"), layout)
    assert entries[0] == {
        "name": "orders-api",
        "domain": "orders",
        "type": "openapi",
        "version": "1.0.0",
        "digest": entries[0]["digest"],
        "role": "consumes",
        "location": {
            "registry": ".dde/contracts/orders/orders-api/1.0.0",
            "spec": ".dde/contracts/orders/orders-api/1.0.0/orders-api.yaml",
            "published": None,
        },
    }
    assert [e["name"] for e in entries] == ["orders-api", "order-created"]
    assert context_entries(manifest, manifest.node("API.Orders"), layout)[0]["role"] == "produces"


def test_source_differing_from_the_locked_digest_fails(tmp_path: Path) -> None:
    manifest, layout = _locked(tmp_path)
    _built(manifest, layout, "BE.Orders")
    spec = openapi()
    spec["info"]["title"] = "Edited after locking"
    write_openapi(tmp_path, spec)
    report = verify_node(manifest, "BE.Orders", layout, IT)
    assert not report.ok
    message = _findings(report)[0]["message"]
    assert isinstance(message, str)
    assert message.startswith("contracts/orders-api.yaml differs from the locked orders-api 1.0.0")
    assert "dde-ci contract lock orders-api" in message


def test_built_against_an_older_version_fails(tmp_path: Path) -> None:
    manifest, layout = _locked(tmp_path)
    _built(manifest, layout, "BE.Orders")
    spec = openapi()
    spec["paths"]["/orders"]["get"] = {"responses": {"200": {"description": "All"}}}
    write_openapi(tmp_path, spec)
    (tmp_path / "build" / "openapi.json").write_text(json.dumps(spec))
    lock_contract(manifest, "orders-api", layout)
    report = verify_node(manifest, "BE.Orders", layout, IT)
    messages = [f["message"] for f in _findings(report)]
    assert len(messages) == 1
    assert "was built against orders-api 1.0.0" in str(messages[0])
    assert "the registry has 1.1.0" in str(messages[0])


def test_served_description_missing_an_operation_is_reported(tmp_path: Path) -> None:
    manifest, layout = _locked(tmp_path)
    _built(manifest, layout, "BE.Orders")
    served = openapi()
    del served["paths"]["/orders/{orderId}"]
    served["components"]["schemas"]["Order"]["properties"]["status"]["enum"].append("lost")
    body = served["paths"]["/orders"]["post"]["requestBody"]["content"]["application/json"]
    body["schema"]["required"].append("coupon")
    body["schema"]["properties"]["coupon"] = {"type": "string"}
    (tmp_path / "build" / "openapi.json").write_text(json.dumps(served, indent=2))
    report = verify_node(manifest, "BE.Orders", layout, IT)
    findings = [f for f in _findings(report) if f["check"] == "serves"]
    assert not report.ok
    assert [f["operation"] for f in findings] == ["POST /orders", "GET /orders/{orderId}"]
    assert "[new-required-request-property]" in str(findings[0]["message"])
    assert "[api-path-removed-without-deprecation]" in str(findings[1]["message"])
    assert "response-property-enum-value-added" not in str(findings)  # a warning, not breaking


def test_examples_that_do_not_match_name_operation_and_pointer(tmp_path: Path) -> None:
    manifest, layout = _locked(tmp_path)
    _built(manifest, layout, "BE.Orders")
    (tmp_path / "examples" / "create-order.json").write_text(json.dumps({"items": []}))
    (tmp_path / "examples" / "order.json").write_text(
        json.dumps({"id": 7, "status": "paid", "total_cents": 1}, indent=2)
    )
    (tmp_path / "examples" / "order-created.json").write_text(json.dumps({"order_id": "o-1"}))
    report = verify_node(manifest, "BE.Orders", layout, IT)
    got = [(f["operation"], f["pointer"], f["message"]) for f in _findings(report)]
    assert got == [
        (
            "POST /orders",
            "/items",
            "examples/create-order.json: request body does not match POST /orders: "
            "[] should be non-empty",
        ),
        (
            "GET /orders/{orderId}",
            "/id",
            "examples/order.json: response 200 body does not match GET /orders/{orderId}: "
            "7 is not of type 'string'",
        ),
        (None, "/", "examples/order-created.json: 'total_cents' is a required property"),
    ]
    assert _findings(report)[1]["location"] == "examples/order.json:2:9"


def test_unknown_operation_and_status(tmp_path: Path) -> None:
    manifest_text = (tmp_path / "x").as_posix()
    del manifest_text
    root = tmp_path
    make_project(root)
    text = (root / "dde.yaml").read_text()
    text = text.replace('operation: "POST /orders"', 'operation: "POST /order"')
    text = text.replace("status: 200", "status: 404")
    (root / "dde.yaml").write_text(text)
    manifest = load_manifest(root / "dde.yaml")
    layout = Layout(root)
    lock_contract(manifest, "orders-api", layout)
    lock_contract(manifest, "order-created", layout)
    _built(manifest, layout, "BE.Orders")
    messages = [
        str(f["message"]) for f in _findings(verify_node(manifest, "BE.Orders", layout, IT))
    ]
    assert messages[0] == (
        "examples/create-order.json: operation 'POST /order' is not in orders-api 1.0.0 "
        "(did you mean 'POST /orders'?)"
    )
    assert messages[1].startswith("examples/order.json: response 404 GET /orders/{orderId}: ")


def test_not_locked_and_not_run(tmp_path: Path) -> None:
    manifest = load_manifest(make_project(tmp_path))
    layout = Layout(manifest.root)
    report = verify_node(manifest, "FE.Checkout", layout, IT)
    assert not report.ok
    assert _findings(report)[0]["message"] == (
        "contract 'orders-api' is not locked yet; its interface node locks it"
    )
    lock_contract(manifest, "orders-api", layout)
    report = verify_node(manifest, "FE.Checkout", layout, IT)
    assert report.ok and _findings(report)[0]["level"] == "warning"
    with pytest.raises(NotFound, match=r"no node 'FE.Chekout'.*did you mean 'FE.Checkout'"):
        verify_node(manifest, "FE.Chekout", layout, IT)


def test_graphql_operation_examples(tmp_path: Path) -> None:
    make_project(tmp_path)
    text = (
        (tmp_path / "dde.yaml")
        .read_text()
        .replace(
            "  - id: FE.Checkout\n    type: implementation\n    consumes: [orders-api]",
            "  - id: FE.Checkout\n    type: implementation\n    consumes: [catalog-graph]\n"
            "    examples:\n      - {contract: catalog-graph, path: q.graphql, kind: request}",
        )
    )
    (tmp_path / "dde.yaml").write_text(text)
    (tmp_path / "q.graphql").write_text("query {\n  product(id: 1) { id price }\n}\n")
    manifest = load_manifest(tmp_path / "dde.yaml")
    layout = Layout(manifest.root)
    lock_contract(manifest, "catalog-graph", layout)
    _built(manifest, layout, "FE.Checkout")
    findings = _findings(verify_node(manifest, "FE.Checkout", layout, IT))
    assert [(f["location"], f["message"]) for f in findings] == [
        ("q.graphql:2:23", "q.graphql: Cannot query field 'price' on type 'Product'.")
    ]


def test_report_findings_for_the_gate(tmp_path: Path) -> None:
    manifest, layout = _locked(tmp_path)
    _built(manifest, layout, "BE.Orders")
    (tmp_path / "examples" / "order.json").write_text(
        json.dumps({"id": 7, "status": "paid", "total_cents": 1}, indent=2)
    )
    report = verify_node(manifest, "BE.Orders", layout, IT)
    assert [(f.file, f.line) for f in report.findings] == [("examples/order.json", 2)]
    assert str(report.findings[0]).startswith("examples/order.json:2:9: examples/order.json: ")
    assert report.warnings == []


def test_without_a_log_the_event_goes_to_the_iteration_log(tmp_path: Path) -> None:
    manifest, layout = _locked(tmp_path)
    verify_node(manifest, "FE.Checkout", layout, IT)
    events = read_log(layout.execution_log(IT)).events
    assert [e["event_type"] for e in events] == ["contract.verified"]
    assert events[0]["node_id"] == "FE.Checkout"
    assert events[0]["details"]["contracts"][0]["contract"] == "orders-api"
