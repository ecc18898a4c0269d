"""Interface node API.Orders: publish the orders API the team designed (api/orders-api.yaml)
as the OpenAPI 3.1 contract contracts/orders-api.yaml, after checking it is valid."""

from __future__ import annotations

from pathlib import Path

import yaml
from openapi_spec_validator import validate

SOURCE = Path("api/orders-api.yaml")
CONTRACT = Path("contracts/orders-api.yaml")

if __name__ == "__main__":
    spec = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    validate(spec)  # openapi-spec-validator: refuse to publish an invalid contract
    CONTRACT.parent.mkdir(parents=True, exist_ok=True)
    CONTRACT.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    operations = sum(len(v) for v in spec["paths"].values())
    print(f"wrote {CONTRACT} from {SOURCE}: {operations} operations")
