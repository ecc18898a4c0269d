"""Interface node API.Orders: design the orders API and write it as an OpenAPI 3.1 contract."""

from __future__ import annotations

from pathlib import Path

import yaml
from openapi_spec_validator import validate

ORDER_ITEM = {
    "type": "object",
    "required": ["sku", "quantity", "unit_price_cents"],
    "properties": {
        "sku": {"type": "string", "description": "Stock keeping unit"},
        "quantity": {"type": "integer", "minimum": 1},
        "unit_price_cents": {"type": "integer", "minimum": 0},
    },
}
ORDER = {
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


def json_response(description: str, schema: dict[str, object]) -> dict[str, object]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "Orders API", "version": "1.0.0",
             "description": "Create and read customer orders."},
    "paths": {
        "/orders": {
            "post": {
                "operationId": "createOrder",
                "summary": "Place an order",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["items"],
                    "properties": {"items": {"type": "array", "minItems": 1,
                                             "items": {"$ref": "#/components/schemas/OrderItem"}}},
                }}}},
                "responses": {
                    "201": json_response("Order created", {"$ref": "#/components/schemas/Order"}),
                    "400": json_response("Invalid order", {"$ref": "#/components/schemas/Error"}),
                },
            },
            "get": {
                "operationId": "listOrders",
                "summary": "List orders",
                "responses": {"200": json_response(
                    "All orders", {"type": "array", "items": {"$ref": "#/components/schemas/Order"}})},
            },
        },
        "/orders/{orderId}": {
            "get": {
                "operationId": "getOrder",
                "summary": "Read one order",
                "parameters": [{"name": "orderId", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {
                    "200": json_response("The order", {"$ref": "#/components/schemas/Order"}),
                    "404": json_response("No such order", {"$ref": "#/components/schemas/Error"}),
                },
            },
        },
    },
    "components": {"schemas": {
        "Order": ORDER,
        "OrderItem": ORDER_ITEM,
        "Error": {"type": "object", "required": ["error"],
                  "properties": {"error": {"type": "string"}}},
    }},
}

if __name__ == "__main__":
    validate(SPEC)  # openapi-spec-validator: refuse to publish an invalid contract
    out = Path("contracts/orders-api.yaml")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(SPEC, sort_keys=False), encoding="utf-8")
    paths = SPEC["paths"]
    assert isinstance(paths, dict)
    print(f"wrote {out}: {sum(len(v) for v in paths.values())} operations")
