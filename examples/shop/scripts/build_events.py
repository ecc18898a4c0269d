"""BE.Events: run the service in-process and record the events it publishes as examples."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, "build/backend")
from shop.orders import OrdersService  # noqa: E402

service = OrdersService(schema_sql=Path("build/backend/schema.sql").read_text())
orders = [
    {"items": [{"sku": "BOOK-1", "quantity": 2, "unit_price_cents": 1250}]},
    {"items": [{"sku": "PEN-7", "quantity": 10, "unit_price_cents": 99},
               {"sku": "INK-2", "quantity": 1, "unit_price_cents": 450}]},
]
for body in orders:
    status, _ = service.create_order(body)
    if status != 201:
        raise SystemExit(f"order was refused with {status}")
out = Path("build/events")
out.mkdir(parents=True, exist_ok=True)
for old in out.glob("*.json"):
    old.unlink()
for index, event in enumerate(service.outbox, start=1):
    (out / f"order-created-{index}.json").write_text(json.dumps(event, indent=2) + "\n")
print(f"recorded {len(service.outbox)} events in {out}")
