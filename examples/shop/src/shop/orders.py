"""Orders service: create, read and list orders; every new order emits an OrderCreated event.

The route table below is the service's own description of what it serves;
``openapi()`` turns it into an OpenAPI document that consumers are checked against.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ORDER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "status", "items", "total_cents", "created_at"],
    "properties": {
        "id": {"type": "string"},
        "status": {"type": "string", "enum": ["pending", "paid", "shipped", "cancelled"]},
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/OrderItem"}},
        "total_cents": {"type": "integer", "minimum": 0},
        "created_at": {"type": "string", "format": "date-time"},
    },
}
ITEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["sku", "quantity", "unit_price_cents"],
    "properties": {
        "sku": {"type": "string"},
        "quantity": {"type": "integer", "minimum": 1},
        "unit_price_cents": {"type": "integer", "minimum": 0},
    },
}
NEW_ORDER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["items"],
    "properties": {"items": {"type": "array", "minItems": 1,
                             "items": {"$ref": "#/components/schemas/OrderItem"}}},
}

Response = tuple[int, Any]


class OrdersService:
    def __init__(self, db_path: str = ":memory:", schema_sql: str | None = None) -> None:
        self.db = sqlite3.connect(db_path, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        if schema_sql:
            self.db.executescript(schema_sql)
        self.outbox: list[dict[str, Any]] = []

    def create_order(self, body: Any) -> Response:
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            return 400, {"error": "items must be a non-empty list"}
        for item in items:
            ok = (isinstance(item, dict) and isinstance(item.get("sku"), str)
                  and isinstance(item.get("quantity"), int) and item["quantity"] >= 1
                  and isinstance(item.get("unit_price_cents"), int)
                  and item["unit_price_cents"] >= 0)
            if not ok:
                return 400, {"error": f"invalid item: {item!r}"}
        order_id = uuid.uuid4().hex[:12]
        total = sum(i["quantity"] * i["unit_price_cents"] for i in items)
        created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self.db:
            self.db.execute(
                "INSERT INTO orders (id, status, total_cents, created_at) VALUES (?, ?, ?, ?)",
                (order_id, "pending", total, created),
            )
            self.db.executemany(
                "INSERT INTO order_items (order_id, sku, quantity, unit_price_cents) "
                "VALUES (?, ?, ?, ?)",
                [(order_id, i["sku"], i["quantity"], i["unit_price_cents"]) for i in items],
            )
        order = self._load(order_id)
        assert order is not None
        self.outbox.append({
            "event_id": uuid.uuid4().hex,
            "type": "order.created",
            "occurred_at": created,
            "order": {"id": order_id, "total_cents": total, "item_count": len(items)},
        })
        return 201, order

    def get_order(self, order_id: str) -> Response:
        order = self._load(order_id)
        return (200, order) if order else (404, {"error": f"order {order_id} not found"})

    def list_orders(self) -> Response:
        rows = self.db.execute("SELECT id FROM orders ORDER BY created_at, id").fetchall()
        return 200, [self._load(r["id"]) for r in rows]

    def _load(self, order_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM orders WHERE id = ?", (order_id,)).fetchone()
        if row is None:
            return None
        items = self.db.execute(
            "SELECT sku, quantity, unit_price_cents FROM order_items WHERE order_id = ? "
            "ORDER BY rowid", (order_id,)).fetchall()
        return {"id": row["id"], "status": row["status"], "items": [dict(i) for i in items],
                "total_cents": row["total_cents"], "created_at": row["created_at"]}


# (method, path template, operationId, request schema, {status: response schema})
ROUTES: list[tuple[str, str, str, dict[str, Any] | None, dict[str, Any]]] = [
    ("post", "/orders", "createOrder", NEW_ORDER_SCHEMA,
     {"201": {"$ref": "#/components/schemas/Order"}, "400": {"$ref": "#/components/schemas/Error"}}),
    ("get", "/orders", "listOrders", None,
     {"200": {"type": "array", "items": {"$ref": "#/components/schemas/Order"}}}),
    ("get", "/orders/{orderId}", "getOrder", None,
     {"200": {"$ref": "#/components/schemas/Order"}, "404": {"$ref": "#/components/schemas/Error"}}),
]


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document this implementation serves."""
    paths: dict[str, Any] = {}
    for method, path, op_id, request, responses in ROUTES:
        op: dict[str, Any] = {"operationId": op_id, "responses": {}}
        params = re.findall(r"\{(\w+)\}", path)
        if params:
            op["parameters"] = [{"name": p, "in": "path", "required": True,
                                 "schema": {"type": "string"}} for p in params]
        if request:
            op["requestBody"] = {"required": True,
                                 "content": {"application/json": {"schema": request}}}
        for status, schema in responses.items():
            op["responses"][status] = {"description": f"{op_id} {status}",
                                       "content": {"application/json": {"schema": schema}}}
        paths.setdefault(path, {})[method] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Orders service", "version": "1.0.0"},
        "paths": paths,
        "components": {"schemas": {
            "Order": ORDER_SCHEMA, "OrderItem": ITEM_SCHEMA,
            "Error": {"type": "object", "required": ["error"],
                      "properties": {"error": {"type": "string"}}},
        }},
    }


def wsgi_app(service: OrdersService) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        status, body = 404, {"error": f"no route for {method} {path}"}
        if path == "/orders" and method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            try:
                payload = json.loads(environ["wsgi.input"].read(length) or b"null")
            except ValueError:
                payload = None
            status, body = service.create_order(payload)
        elif path == "/orders" and method == "GET":
            status, body = service.list_orders()
        elif path.startswith("/orders/") and method == "GET":
            status, body = service.get_order(path.rsplit("/", 1)[1])
        elif path == "/events" and method == "GET":
            status, body = 200, service.outbox
        data = json.dumps(body).encode()
        reason = {200: "OK", 201: "Created", 400: "Bad Request", 404: "Not Found"}[status]
        start_response(f"{status} {reason}", [("Content-Type", "application/json"),
                                              ("Content-Length", str(len(data)))])
        return [data]

    return app


def schema_sql(root: Path) -> str:
    return "\n".join(p.read_text() for p in sorted((root / "migrations").glob("*.sql")))
