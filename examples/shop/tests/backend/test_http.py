import io
import json
from pathlib import Path

import pytest
from shop.orders import OrdersService, wsgi_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app():
    return wsgi_app(OrdersService(schema_sql=(ROOT / "build/backend/schema.sql").read_text()))


def request(app, method, path, body=None):
    data = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "CONTENT_LENGTH": str(len(data)),
               "wsgi.input": io.BytesIO(data)}
    seen = {}

    def start_response(status, headers):
        seen["status"] = int(status.split()[0])
        seen["headers"] = dict(headers)

    payload = b"".join(app(environ, start_response))
    assert seen["headers"]["Content-Type"] == "application/json"
    return seen["status"], json.loads(payload)


def test_order_flow_over_wsgi(app):
    status, order = request(app, "POST", "/orders",
                            {"items": [{"sku": "A", "quantity": 1, "unit_price_cents": 10}]})
    assert status == 201
    assert request(app, "GET", f"/orders/{order['id']}") == (200, order)
    assert request(app, "GET", "/orders")[1] == [order]
    assert request(app, "GET", "/events")[1][0]["order"]["id"] == order["id"]


def test_errors_over_wsgi(app):
    assert request(app, "POST", "/orders", b"{not json")[0] == 400
    assert request(app, "GET", "/orders/missing")[0] == 404
    assert request(app, "DELETE", "/orders")[0] == 404
