"""A small project with one contract of each type, written into a temporary folder."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml

MANIFEST = """\
version: "1"
workflow: contracts-test
iteration: Iter-1
agents:
  - id: backend-dev
    capabilities: ["Backend:Python", "Contracts:OpenAPI"]
  - id: web-dev
    capabilities: ["Frontend:JavaScript"]
contracts:
  - {name: orders-api, domain: orders, type: openapi, path: contracts/orders-api.yaml}
  - {name: order-created, domain: orders, type: jsonschema, path: contracts/order-created.json}
  - {name: catalog-graph, domain: catalog, type: graphql, path: contracts/catalog.graphql}
nodes:
  - {id: API.Orders, type: interface, produces: [orders-api], run: "true"}
  - {id: EVT.OrderCreated, type: interface, produces: [order-created], run: "true"}
  - {id: GQL.Catalog, type: interface, produces: [catalog-graph], run: "true"}
  - id: BE.Orders
    type: implementation
    consumes: [orders-api, order-created]
    capabilities: ["Backend:Python"]
    run: "true"
    serves:
      - {contract: orders-api, path: build/openapi.json}
    examples:
      - {contract: orders-api, path: examples/create-order.json, kind: request,
         operation: "POST /orders"}
      - {contract: orders-api, path: examples/order.json, kind: response,
         operation: "GET /orders/{orderId}", status: 200}
      - {contract: order-created, path: examples/order-created.json, kind: event}
  - id: FE.Checkout
    type: implementation
    consumes: [orders-api]
    capabilities: ["Frontend:JavaScript"]
    run: "true"
"""

ORDER = {
    "type": "object",
    "required": ["id", "status", "total_cents"],
    "properties": {
        "id": {"type": "string"},
        "status": {"type": "string", "enum": ["pending", "paid"]},
        "total_cents": {"type": "integer", "minimum": 0},
    },
}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Orders API", "version": "1.0.0"},
    "paths": {
        "/orders": {
            "post": {
                "operationId": "createOrder",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["items"],
                                "properties": {
                                    "items": {
                                        "type": "array",
                                        "minItems": 1,
                                        "items": {"type": "string"},
                                    }
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": {
                        "description": "Created",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Order"}}
                        },
                    }
                },
            }
        },
        "/orders/{orderId}": {
            "get": {
                "operationId": "getOrder",
                "parameters": [
                    {
                        "name": "orderId",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "The order",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Order"}}
                        },
                    }
                },
            }
        },
    },
    "components": {"schemas": {"Order": ORDER}},
}

EVENT: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["order_id", "total_cents"],
    "properties": {"order_id": {"type": "string"}, "total_cents": {"type": "integer"}},
}

GRAPHQL = """\
type Query {
  product(id: ID!): Product
}

type Product {
  id: ID!
  name: String!
}
"""


def openapi() -> dict[str, Any]:
    return copy.deepcopy(OPENAPI)


def write_openapi(root: Path, spec: dict[str, Any]) -> None:
    path = root / "contracts" / "orders-api.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")


def make_project(root: Path) -> Path:
    """Write the manifest, the three contracts and BE.Orders' served spec and examples."""
    (root / "contracts").mkdir(parents=True, exist_ok=True)
    (root / "dde.yaml").write_text(MANIFEST, encoding="utf-8")
    write_openapi(root, openapi())
    (root / "contracts" / "order-created.json").write_text(json.dumps(EVENT, indent=2))
    (root / "contracts" / "catalog.graphql").write_text(GRAPHQL)
    (root / "build").mkdir(exist_ok=True)
    (root / "build" / "openapi.json").write_text(json.dumps(openapi(), indent=2))
    (root / "examples").mkdir(exist_ok=True)
    (root / "examples" / "create-order.json").write_text(json.dumps({"items": ["sku-1"]}))
    (root / "examples" / "order.json").write_text(
        json.dumps({"id": "o-1", "status": "paid", "total_cents": 1200})
    )
    (root / "examples" / "order-created.json").write_text(
        json.dumps({"order_id": "o-1", "total_cents": 1200})
    )
    return root / "dde.yaml"
