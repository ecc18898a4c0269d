"""The CloudEvents webhook against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from dde_ci.errors import InputError
from dde_ci.log import make_event
from dde_ci.runner.webhook import SIGNATURE_HEADER, WebhookSink, cloud_event, verify
from tests.conftest import run_cli
from tests.runner.project import chain_manifest, events


class Receiver:
    def __init__(self, fail_first: int = 0, delay: float = 0.0) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.fail_first = fail_first
        self.delay = delay
        self.calls = 0
        self.lock = threading.Lock()


def serve(receiver: Receiver) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(receiver.delay)
            with receiver.lock:
                receiver.calls += 1
                failing = receiver.calls <= receiver.fail_first
                if not failing:
                    receiver.received.append(
                        ({k.lower(): v for k, v in self.headers.items()}, body)
                    )
            self.send_response(503 if failing else 204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/events"


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    got = Receiver()
    server, url = serve(got)
    yield got, url
    server.shutdown()
    server.server_close()


def test_run_posts_signed_cloudevents(
    tmp_path: Path, receiver: tuple[Receiver, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    got, url = receiver
    monkeypatch.setenv("DDE_WEBHOOK_SECRET", "s3cret")
    manifest = chain_manifest(tmp_path, {"A": ([], "true"), "B": (["A"], "true")})
    code = run_cli("run", "-m", str(manifest.path), "--events-webhook", url, "--no-progress")
    assert code == 0
    log = events(manifest)
    assert len(got.received) == len(log)
    bodies = [json.loads(body) for _, body in got.received]
    assert sorted(b["data"]["timestamp"] for b in bodies) == sorted(e["timestamp"] for e in log)
    for headers, body in got.received:
        assert headers["content-type"] == "application/cloudevents+json"
        expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        assert headers[SIGNATURE_HEADER.lower()] == expected
        assert verify(body, "s3cret", headers[SIGNATURE_HEADER.lower()])
        assert not verify(body, "wrong", headers[SIGNATURE_HEADER.lower()])
    started = next(b for b in bodies if b["type"] == "dev.dde-ci.node.started")
    assert started["specversion"] == "1.0"
    assert started["source"] == "urn:dde-ci:t"
    assert started["subject"] == started["data"]["node_id"]
    assert started["datacontenttype"] == "application/json"
    assert len({b["id"] for b in bodies}) == len(bodies)


def test_no_signature_without_a_secret(receiver: tuple[Receiver, str]) -> None:
    got, url = receiver
    sink = WebhookSink(url)
    sink(make_event("workflow.started", iteration_id="it1"))
    assert sink.close().sent == 1
    assert SIGNATURE_HEADER.lower() not in got.received[0][0]


def test_retries_with_backoff_until_the_sink_answers() -> None:
    got = Receiver(fail_first=2)
    server, url = serve(got)
    try:
        sink = WebhookSink(url, initial_delay=0.05)
        sink(make_event("node.started", iteration_id="it1", node_id="A"))
        stats = sink.close()
    finally:
        server.shutdown()
        server.server_close()
    assert (stats.sent, stats.retries, stats.failed) == (1, 2, 0)
    assert got.calls == 3


def test_a_dead_sink_never_stalls_the_run_and_the_log_keeps_everything(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = WebhookSink(f"http://127.0.0.1:{port}/", max_attempts=3, initial_delay=0.5)
    from dde_ci.runner.scheduler import start_run

    manifest = chain_manifest(tmp_path, {f"n{i}": ([], "true") for i in range(5)})
    start = time.monotonic()
    start_run(manifest, iteration_id="it1", listeners=[sink])
    assert time.monotonic() - start < 10  # 17 events x 1.5 s of backoff would be 25 s
    stats = sink.close(timeout=0.2)
    assert stats.sent == 0
    assert len(events(manifest)) == 5 * 2 + 2 + 5  # started/completed, workflow, ready


def test_bounded_queue_drops_and_counts(receiver: tuple[Receiver, str]) -> None:
    got, url = receiver
    got.delay = 0.2
    sink = WebhookSink(url, max_queue=2)
    for i in range(10):
        sink(make_event("node.ready", iteration_id="it1", node_id=f"n{i}"))
    stats = sink.close()
    assert stats.dropped >= 6
    assert stats.sent + stats.dropped == 10


def test_cloud_event_shape_and_bad_url() -> None:
    event = make_event("workflow.started", iteration_id="it1")
    ce = cloud_event(event, "urn:dde-ci:w")
    assert "subject" not in ce and ce["data"] == event and ce["time"] == event["timestamp"]
    with pytest.raises(InputError, match="must be an http"):
        WebhookSink("file:///etc/passwd")
