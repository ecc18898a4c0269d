import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER = """
import sys
from pathlib import Path
from wsgiref.simple_server import make_server, WSGIRequestHandler
sys.path.insert(0, "build/backend")
from shop.orders import OrdersService, wsgi_app
class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass
service = OrdersService(schema_sql=Path("build/backend/schema.sql").read_text())
server = make_server("127.0.0.1", 0, wsgi_app(service), handler_class=Quiet)
print(server.server_port, flush=True)
server.serve_forever()
"""


@pytest.fixture
def base_url():
    proc = subprocess.Popen([sys.executable, "-c", SERVER], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    try:
        port = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def call(url, method="GET", body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_place_read_and_list_an_order(base_url):
    status, order = call(f"{base_url}/orders", "POST",
                         {"items": [{"sku": "BOOK-1", "quantity": 2, "unit_price_cents": 1250}]})
    assert status == 201
    assert call(f"{base_url}/orders/{order['id']}") == (200, order)
    status, orders = call(f"{base_url}/orders")
    assert [o["id"] for o in orders] == [order["id"]]
    status, events = call(f"{base_url}/events")
    assert [e["order"]["id"] for e in events] == [order["id"]]


def test_bad_order_is_refused_over_http(base_url):
    status, body = call(f"{base_url}/orders", "POST", {"items": []})
    assert status == 400
    assert "error" in body
