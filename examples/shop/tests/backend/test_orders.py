from pathlib import Path

import pytest
from shop.orders import OrdersService, openapi

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def service() -> OrdersService:
    return OrdersService(schema_sql=(ROOT / "build/backend/schema.sql").read_text())


def test_create_order_computes_total_and_emits_event(service):
    status, order = service.create_order(
        {"items": [{"sku": "A", "quantity": 3, "unit_price_cents": 200}]})
    assert status == 201
    assert order["total_cents"] == 600
    assert order["status"] == "pending"
    assert service.outbox[-1]["order"] == {"id": order["id"], "total_cents": 600, "item_count": 1}


@pytest.mark.parametrize("body", [None, {}, {"items": []}, {"items": [{"sku": "A"}]},
                                  {"items": [{"sku": "A", "quantity": 0, "unit_price_cents": 1}]}])
def test_invalid_orders_are_refused(service, body):
    status, error = service.create_order(body)
    assert status == 400
    assert "error" in error
    assert service.outbox == []


def test_get_and_list(service):
    _, first = service.create_order({"items": [{"sku": "A", "quantity": 1, "unit_price_cents": 5}]})
    _, second = service.create_order({"items": [{"sku": "B", "quantity": 2, "unit_price_cents": 7}]})
    assert service.get_order(first["id"]) == (200, first)
    assert service.get_order("nope")[0] == 404
    status, orders = service.list_orders()
    assert status == 200
    assert {o["id"] for o in orders} == {first["id"], second["id"]}


def test_exported_openapi_lists_every_route():
    doc = openapi()
    assert set(doc["paths"]) == {"/orders", "/orders/{orderId}"}
    assert doc["paths"]["/orders"]["post"]["operationId"] == "createOrder"
