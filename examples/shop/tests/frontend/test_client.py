import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "build" / "frontend"


def test_client_has_a_function_per_operation():
    spec = yaml.safe_load((ROOT / "contracts/orders-api.yaml").read_text())
    wanted = {op["operationId"] for ops in spec["paths"].values() for op in ops.values()}
    client = (FRONTEND / "orders-client.js").read_text()
    found = set(re.findall(r"export async function (\w+)\(", client))
    assert found == wanted


def test_pages_import_the_client():
    for page, call in [("checkout", "createOrder"), ("history", "listOrders")]:
        text = (FRONTEND / f"{page}.html").read_text()
        assert f"import {{ {call} }} from './orders-client.js'" in text
