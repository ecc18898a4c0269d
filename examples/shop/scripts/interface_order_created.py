"""Interface node EVT.OrderCreated: the JSON Schema (2020-12) of the order-created event."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://shop.example/events/order-created.schema.json",
    "title": "OrderCreated",
    "description": "Emitted once when a customer places an order.",
    "type": "object",
    "required": ["event_id", "type", "occurred_at", "order"],
    "additionalProperties": False,
    "properties": {
        "event_id": {"type": "string", "minLength": 1},
        "type": {"const": "order.created"},
        "occurred_at": {"type": "string", "format": "date-time"},
        "order": {
            "type": "object",
            "required": ["id", "total_cents", "item_count"],
            "properties": {
                "id": {"type": "string"},
                "total_cents": {"type": "integer", "minimum": 0},
                "item_count": {"type": "integer", "minimum": 1},
            },
        },
    },
}

if __name__ == "__main__":
    Draft202012Validator.check_schema(SCHEMA)
    out = Path("contracts/order-created.schema.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(SCHEMA, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
