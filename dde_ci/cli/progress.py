"""Progress of a run: a live rich view on a terminal, plain lines otherwise.

Both take execution-log events (from any thread) through ``on_event``.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from types import TracebackType
from typing import Any, TextIO

from dde_ci.cli.output import is_terminal

FLUSH_SECONDS = 0.1  # plain progress lines reach the output at most this late

_SHOWN = {
    "node.started": "started",
    "node.retrying": "retrying",
    "node.completed": "completed",
    "node.failed": "FAILED",
    "node.skipped": "skipped",
    "node.cancelled": "cancelled",
    "node.warning": "warning",
    "workflow.paused": "paused",
    "workflow.resumed": "resumed",
    "workflow.cancelled": "cancelled",
}


def describe(event: dict[str, Any]) -> str | None:
    """One plain line for an event, or None for events not worth a line."""
    kind = _SHOWN.get(str(event["event_type"]))
    if kind is None:
        return None
    clock = str(event["timestamp"])[11:19]
    details = event.get("details") or {}
    subject = event.get("node_id") or "run"
    parts = [f"{clock} {kind:<9} {subject}"]
    if event["event_type"] == "node.started":
        parts.append(f"(agent {event.get('agent_id')}, attempt {event.get('attempt')})")
    elif event["event_type"] == "node.retrying":
        parts.append(
            f"(attempt {event.get('attempt')} exited {details.get('exit_code')}; "
            f"next in {details.get('delay_seconds')}s)"
        )
    elif event["event_type"] in ("node.failed", "node.cancelled") and details.get("message"):
        parts.append(f": {details['message']}")
    elif event["event_type"] in ("node.skipped", "node.warning", "node.cancelled"):
        text = details.get("reason") if event["event_type"] != "node.warning" else None
        parts.append(f": {text or details.get('message', '')}")
    return " ".join(parts)


class PlainProgress:
    """A plain line per event worth one, on standard output (or ``stream``).

    The lines are written to the stream's buffer as events come and flushed by a
    background thread at most every ``interval`` seconds when there is something
    new, and at exit: a flush per line was a system call per event, made from the
    worker thread that starts the next node.  A terminal's stream flushes each
    line itself (line buffering), as before.
    """

    def __init__(self, stream: TextIO | None = None, interval: float = FLUSH_SECONDS) -> None:
        # the stream click.echo writes to as well, so the lines keep their order
        self._stream = stream if stream is not None else sys.stdout
        self._interval = interval
        self._lock = threading.Lock()
        self._unflushed = False
        self._closing = threading.Event()
        self._flusher: threading.Thread | None = None

    def on_event(self, event: dict[str, Any]) -> None:
        line = describe(event)
        if line is None:
            return
        with self._lock:
            with contextlib.suppress(OSError, ValueError):  # output gone: the log has it all
                self._stream.write(line + "\n")
            self._unflushed = True
            if self._flusher is None and not self._closing.is_set():
                self._flusher = threading.Thread(
                    target=self._flush_loop, name="dde-progress", daemon=True
                )
                self._flusher.start()

    def _flush_loop(self) -> None:
        while not self._closing.wait(self._interval):
            self.flush()

    def flush(self) -> None:
        with self._lock:
            if self._unflushed:
                self._unflushed = False
                with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing to do
                    self._stream.flush()

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._closing.set()
        if self._flusher is not None:
            self._flusher.join()
        self.flush()


class LiveProgress:
    """A rich live table: counts, running nodes with their agents, the last events."""

    def __init__(self, total: int | None) -> None:
        from rich.console import Console
        from rich.live import Live

        self.total = total
        self.states: dict[str, str] = {}
        self.running: dict[str, tuple[str, float]] = {}
        self.recent: list[str] = []
        self._lock = threading.Lock()
        self.console = Console()
        self.live = Live(console=self.console, refresh_per_second=8, get_renderable=self._render)

    def on_event(self, event: dict[str, Any]) -> None:
        kind = str(event["event_type"])
        node = event.get("node_id")
        with self._lock:
            if node and kind.startswith("node."):
                if kind == "node.started":
                    self.running[node] = (str(event.get("agent_id")), time.monotonic())
                elif kind in ("node.completed", "node.failed", "node.cancelled"):
                    self.running.pop(node, None)
                state = kind.split(".", 1)[1]
                if state != "warning":
                    self.states[node] = state
            line = describe(event)
            if line is not None:
                self.recent = [*self.recent[-7:], line]

    def _render(self) -> Any:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        with self._lock:
            counts: dict[str, int] = {}
            for s in self.states.values():
                counts[s] = counts.get(s, 0) + 1
            done = sum(counts.get(s, 0) for s in ("completed", "failed", "skipped", "cancelled"))
            head = Text(
                f"{done}/{self.total if self.total is not None else '?'} finished  "
                + "  ".join(f"{k} {v}" for k, v in sorted(counts.items())),
                style="bold",
            )
            table = Table(box=None, show_header=True, header_style="dim")
            table.add_column("running")
            table.add_column("agent")
            table.add_column("for", justify="right")
            now = time.monotonic()
            for node, (agent, since) in sorted(self.running.items()):
                table.add_row(node, agent, f"{now - since:5.1f}s")
            recent = Text("\n".join(self.recent), style="dim")
        return Group(head, table, recent)

    def __enter__(self) -> LiveProgress:
        self.live.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.live.stop()


def make_progress(*, enabled: bool, total: int | None) -> PlainProgress | LiveProgress:
    if enabled and is_terminal():
        return LiveProgress(total)
    return PlainProgress()
