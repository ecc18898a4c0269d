"""Progress of a run: a live rich view on a terminal, plain lines otherwise.

Both take execution-log events through ``on_event``, from the runner's owner thread.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TextIO

from dde_ci.cli.output import is_terminal

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
    elif event["event_type"] == "workflow.resumed" and details.get("retry"):
        parts.append(f"(retry: {', '.join(details['retry'])})")
    elif event["event_type"] in ("node.skipped", "node.warning", "node.cancelled"):
        text = details.get("reason") if event["event_type"] != "node.warning" else None
        parts.append(f": {text or details.get('message', '')}")
    return " ".join(parts)


Tail = Callable[[str], list[str]]  # a node id -> the last lines of its output


def tail_lines(tail: Tail | None, event: dict[str, Any]) -> list[str]:
    """The lines shown under a failed node's line: the end of its output, indented."""
    if tail is None or event["event_type"] != "node.failed" or not event.get("node_id"):
        return []
    return [f"    | {line}" for line in tail(str(event["node_id"]))]


class PlainProgress:
    """A plain line per event worth one, on standard output (or ``stream``), flushed at
    once; a failed node's line is followed by the end of its output (``tail``).  Called
    by the runner's owner thread only."""

    def __init__(self, stream: TextIO | None = None, tail: Tail | None = None) -> None:
        # the stream click.echo writes to as well, so the lines keep their order
        self._stream = stream if stream is not None else sys.stdout
        self._tail = tail

    def on_event(self, event: dict[str, Any]) -> None:
        line = describe(event)
        if line is None:
            return
        text = "\n".join([line, *tail_lines(self._tail, event)]) + "\n"
        with contextlib.suppress(OSError, ValueError):  # output gone: the log has it all
            self._stream.write(text)
            self._stream.flush()

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._stream.flush()


class LiveProgress:
    """A rich live table: counts, running nodes with their agents, the last events; a
    failed node's line and the end of its output are printed above it.  Its state is
    guarded by a lock: rich's refresh thread renders it while the runner adds events."""

    def __init__(self, total: int | None, tail: Tail | None = None) -> None:
        from rich.console import Console
        from rich.live import Live

        self.total = total
        self.tail = tail
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
        if line is not None and kind == "node.failed":
            self.console.print(
                "\n".join([line, *tail_lines(self.tail, event)]), markup=False, highlight=False
            )

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


def make_progress(
    *, enabled: bool, total: int | None, tail: Tail | None = None
) -> PlainProgress | LiveProgress:
    """The live view on a terminal (unless disabled), else plain lines; ``tail`` gives a
    failed node's last output lines (None: not shown)."""
    if enabled and is_terminal():
        return LiveProgress(total, tail)
    return PlainProgress(tail=tail)
