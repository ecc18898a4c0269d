"""The execution log: one JSON event per line, append-only, never torn.

Every event has the same fields::

    event_type      e.g. "node.started", "gate.failed", "contract.locked"
    timestamp       RFC 3339 UTC with microseconds, e.g. 2026-11-27T13:47:24.123456Z
    iteration_id    the iteration
    run_id          the run (local run id or GitHub run id), may be null
    correlation_id  ties the events of one node attempt (or one run) together
    node_id         may be null for workflow events
    agent_id        the agent or runner, may be null
    attempt         1-based attempt number, may be null
    details         an object with event-specific data

A line is written with a single ``write`` on a file opened with ``O_APPEND``,
so concurrent writers (the runner and node steps in other processes) never
interleave within a line.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dde_ci.errors import Diagnostic, Location

EVENT_FIELDS = (
    "event_type",
    "timestamp",
    "iteration_id",
    "run_id",
    "correlation_id",
    "node_id",
    "agent_id",
    "attempt",
    "details",
)


def now_rfc3339() -> str:
    """Current UTC time as RFC 3339 with microseconds and a ``Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str) -> datetime:
    """Parse a timestamp written by :func:`now_rfc3339` (or any RFC 3339 form)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def new_id() -> str:
    return uuid.uuid4().hex


def make_event(
    event_type: str,
    *,
    iteration_id: str,
    run_id: str | None = None,
    node_id: str | None = None,
    agent_id: str | None = None,
    attempt: int | None = None,
    correlation_id: str | None = None,
    details: Mapping[str, Any] | None = None,
    timestamp: str | None = None,
) -> dict[str, Any]:
    """An event dict with every field of :data:`EVENT_FIELDS`, in that order."""
    return {
        "event_type": event_type,
        "timestamp": timestamp or now_rfc3339(),
        "iteration_id": iteration_id,
        "run_id": run_id,
        "correlation_id": correlation_id or new_id(),
        "node_id": node_id,
        "agent_id": agent_id,
        "attempt": attempt,
        "details": dict(details or {}),
    }


def encode_event(event: Mapping[str, Any]) -> bytes:
    """One strict JSON line (no NaN/Infinity), terminated by a newline."""
    return (
        json.dumps(event, allow_nan=False, ensure_ascii=False, separators=(",", ":")) + "\n"
    ).encode("utf-8")


@dataclass
class ExecutionLog:
    """Appends events to ``path`` (created with its folder on first write)."""

    path: Path
    iteration_id: str
    run_id: str | None = None

    def append(self, event: Mapping[str, Any]) -> None:
        data = encode_event(event)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            written = os.write(fd, data)
            while written < len(data):  # pragma: no cover - regular files write whole
                written += os.write(fd, data[written:])
        finally:
            os.close(fd)

    def emit(self, event_type: str, **fields: Any) -> dict[str, Any]:
        """Build an event for this log's iteration and run, append it, return it."""
        fields.setdefault("run_id", self.run_id)
        event = make_event(event_type, iteration_id=self.iteration_id, **fields)
        self.append(event)
        return event

    def sync(self) -> None:
        """fsync the log (called at node boundaries)."""
        if not self.path.exists():
            return
        fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@dataclass
class LogContents:
    """Events read from a log, and the problems found while reading it."""

    events: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)


def iter_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as handle:
        yield from enumerate(handle, start=1)


def read_log(path: Path) -> LogContents:
    """Read every event; a torn or invalid line is reported as a problem, never raised."""
    out = LogContents()
    if not path.exists():
        return out
    shown = str(path)
    for number, raw in iter_lines(path):
        if not raw.endswith(b"\n"):
            out.problems.append(
                Diagnostic(
                    "torn last line (no newline): the writer stopped mid-line",
                    Location(shown, number, 1),
                )
            )
            continue
        if not raw.strip():
            continue
        try:
            event = json.loads(raw, parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            out.problems.append(Diagnostic(f"invalid JSON: {exc}", Location(shown, number, 1)))
            continue
        if not isinstance(event, dict) or not all(k in event for k in EVENT_FIELDS):
            missing = [k for k in EVENT_FIELDS if not isinstance(event, dict) or k not in event]
            out.problems.append(
                Diagnostic(f"event is missing {', '.join(missing)}", Location(shown, number, 1))
            )
            continue
        out.events.append(event)
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")
