"""Progress of a run: a live rich view on a terminal, plain lines otherwise.

Both take execution-log events (from any thread) through ``on_event``.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any

from dde_ci.cli.output import echo, is_terminal

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
    def __init__(self) -> None:
        self._lock = threading.Lock()

    def on_event(self, event: dict[str, Any]) -> None:
        line = describe(event)
        if line is not None:
            with self._lock:
                echo(line)

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None


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
