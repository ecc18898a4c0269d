"""Send execution-log events to a webhook as CloudEvents 1.0 (structured JSON mode).

Each event is POSTed as ``application/cloudevents+json``::

    {"specversion": "1.0", "id": "<sha256 of the log line, 32 hex>",
     "source": "urn:dde-ci:<workflow>", "type": "dev.dde-ci.node.started",
     "subject": "<node id>", "time": "<event timestamp>",
     "datacontenttype": "application/json", "data": {<the log event>}}

With a secret, the body is signed: ``X-DDE-Signature: sha256=<hex HMAC-SHA256
of the exact body bytes>`` (verify with ``hmac.compare_digest``).

Threads: the runner's owner thread hands events in (:meth:`WebhookSink.__call__`);
one background thread, ``dde-webhook``, owns the HTTP connection and serves a
bounded queue, retrying with exponential backoff, so a slow or dead endpoint
never stalls the runner.  When the queue is full the newest event is dropped (and counted);
the execution log on disk always has every event.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dde_ci.errors import InputError
from dde_ci.log import encode_event

SIGNATURE_HEADER = "X-DDE-Signature"
CONTENT_TYPE = "application/cloudevents+json"
TYPE_PREFIX = "dev.dde-ci."


def cloud_event(event: Mapping[str, Any], source: str) -> dict[str, Any]:
    """The CloudEvents 1.0 structured form of one execution-log event."""
    out: dict[str, Any] = {
        "specversion": "1.0",
        "id": hashlib.sha256(encode_event(event)).hexdigest()[:32],
        "source": source,
        "type": TYPE_PREFIX + str(event["event_type"]),
        "time": event["timestamp"],
        "datacontenttype": "application/json",
        "data": dict(event),
    }
    if event.get("node_id"):
        out["subject"] = event["node_id"]
    return out


def sign(body: bytes, secret: str) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``body`` with ``secret``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, header: str) -> bool:
    return hmac.compare_digest(sign(body, secret), header)


@dataclass
class WebhookStats:
    sent: int = 0
    failed: int = 0  # gave up after every retry
    dropped: int = 0  # the queue was full
    retries: int = 0


@dataclass
class WebhookSink:
    """A listener for :class:`dde_ci.runner.scheduler.ObservedLog` that posts every event."""

    url: str
    source: str = "urn:dde-ci"
    secret: str | None = None
    max_queue: int = 10_000
    max_attempts: int = 5
    initial_delay: float = 0.2
    max_delay: float = 5.0
    timeout: float = 5.0
    stats: WebhookStats = field(default_factory=WebhookStats)

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise InputError(f"--events-webhook {self.url!r} must be an http:// or https:// URL")
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(self.max_queue)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="dde-webhook", daemon=True)
        self._thread.start()

    def __call__(self, event: dict[str, Any]) -> None:
        """Queue ``event`` (never blocks)."""
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.stats.dropped += 1

    def close(self, timeout: float = 10.0) -> WebhookStats:
        """Send what is queued (waiting at most ``timeout`` seconds), then stop."""
        deadline = time.monotonic() + timeout
        with contextlib.suppress(queue.Full):
            self._queue.put(None, timeout=max(0.0, timeout))
        self._thread.join(max(0.0, deadline - time.monotonic()))
        self._stop.set()
        return self.stats

    def _serve(self) -> None:
        while True:
            event = self._queue.get()
            if event is None:
                return
            self._deliver(event)

    def _deliver(self, event: dict[str, Any]) -> None:
        body = json.dumps(
            cloud_event(event, self.source), allow_nan=False, separators=(",", ":")
        ).encode("utf-8")
        headers = {"Content-Type": CONTENT_TYPE, "User-Agent": "dde-ci"}
        if self.secret:
            headers[SIGNATURE_HEADER] = sign(body, self.secret)
        delay = self.initial_delay
        for attempt in range(1, self.max_attempts + 1):
            if self._post(body, headers):
                self.stats.sent += 1
                return
            if attempt == self.max_attempts or self._stop.wait(delay):
                break
            self.stats.retries += 1
            delay = min(self.max_delay, delay * 2)
        self.stats.failed += 1

    def _post(self, body: bytes, headers: dict[str, str]) -> bool:
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")  # noqa: S310 - scheme checked
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return 200 <= int(response.status) < 300
        except (urllib.error.URLError, OSError, ValueError):
            return False
