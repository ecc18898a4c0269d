"""The as-built timeline, rebuilt from the execution log in one pass.

For each node: its attempts (from ``node.started``), its first start, its first
``node.completed`` and its last terminal event.  Log problems found on the way
(events of another iteration, unknown attempt numbers, timestamps that do not
parse) are kept as :class:`dde_ci.audit.model.Violation`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dde_ci.audit.model import (
    BLOCKING,
    CANCELLED,
    COMPLETED,
    FAILED,
    SKIPPED,
    WARNING,
    Violation,
)
from dde_ci.log import parse_timestamp

TERMINAL = {
    "node.completed": COMPLETED,
    "node.failed": FAILED,
    "node.skipped": SKIPPED,
    "node.cancelled": CANCELLED,
}


@dataclass
class NodeTimeline:
    """What the log says about one node."""

    node_id: str
    started: list[tuple[int | None, datetime]] = field(default_factory=list)
    first_started: datetime | None = None
    first_started_text: str | None = None  # as logged
    first_completed: datetime | None = None
    terminal: str | None = None  # COMPLETED, FAILED, SKIPPED or CANCELLED (the last one)
    terminal_at: datetime | None = None
    terminal_text: str | None = None  # as logged
    terminal_attempts: list[int] = field(default_factory=list)
    terminal_details: dict[str, Any] = field(default_factory=dict)
    agent_id: str | None = None
    events: int = 0

    attempt_numbers: set[int] = field(default_factory=set)  # of the node.started events


@dataclass
class Timeline:
    nodes: dict[str, NodeTimeline] = field(default_factory=dict)
    run_ids: list[str] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    events: int = 0


def _when(event: Mapping[str, Any], line_hint: int, out: Timeline) -> datetime | None:
    raw = event.get("timestamp")
    try:
        if not isinstance(raw, str):
            raise ValueError
        return parse_timestamp(raw)
    except ValueError:
        out.violations.append(
            Violation(
                type="log_invalid_event",
                node_id=event.get("node_id") if isinstance(event.get("node_id"), str) else None,
                severity=BLOCKING,
                message=f"event {line_hint} ({event.get('event_type')}) has timestamp {raw!r}, "
                "which is not RFC 3339",
                recommendation="find the writer of that event and fix it; re-run the node "
                "so the log holds a valid record",
                details={"event_index": line_hint, "timestamp": raw},
            )
        )
        return None


def build_timeline(events: Iterable[Mapping[str, Any]], iteration_id: str) -> Timeline:
    """Index the events of ``iteration_id`` by node (events of other iterations are reported)."""
    out = Timeline()
    foreign: dict[str, int] = {}
    runs: dict[str, None] = {}
    nodes = out.nodes
    index = 0
    for index, event in enumerate(events, start=1):
        it = event.get("iteration_id")
        if it != iteration_id:
            key = str(it)
            foreign[key] = foreign.get(key, 0) + 1
            continue
        run_id = event.get("run_id")
        if isinstance(run_id, str) and run_id not in runs:
            runs[run_id] = None
        kind = event.get("event_type")
        if not isinstance(kind, str) or not kind.startswith("node."):
            continue
        node_id = event.get("node_id")
        if not isinstance(node_id, str) or not node_id:
            out.violations.append(
                Violation(
                    type="log_invalid_event",
                    node_id=None,
                    severity=BLOCKING,
                    message=f"event {index} ({kind}) names no node",
                    recommendation="find the writer of that event and fix it",
                    details={"event_index": index},
                )
            )
            continue
        record = nodes.get(node_id)
        if record is None:
            record = nodes[node_id] = NodeTimeline(node_id)
        record.events += 1
        attempt = event.get("attempt")
        if attempt is not None and (
            not isinstance(attempt, int) or isinstance(attempt, bool) or attempt < 1
        ):
            out.violations.append(
                Violation(
                    type="log_invalid_event",
                    node_id=node_id,
                    severity=BLOCKING,
                    message=f"event {index} ({kind}) of node {node_id} has attempt {attempt!r}; "
                    "attempts are numbered from 1",
                    recommendation=f"re-run node {node_id} so the log holds a valid record",
                    details={"event_index": index, "attempt": attempt},
                )
            )
            attempt = None
        if kind == "node.started":
            when = _when(event, index, out)
            if when is None:
                continue
            record.started.append((attempt, when))
            if attempt is not None:
                record.attempt_numbers.add(attempt)
            if record.first_started is None or when < record.first_started:
                record.first_started = when
                record.first_started_text = event["timestamp"]
            agent = event.get("agent_id")
            if isinstance(agent, str):
                record.agent_id = agent
        elif kind in TERMINAL:
            when = _when(event, index, out)
            if when is None:
                continue
            status = TERMINAL[kind]
            record.terminal = status
            record.terminal_at = when
            record.terminal_text = event["timestamp"]
            details = event.get("details")
            record.terminal_details = details if isinstance(details, dict) else {}
            if attempt is not None and status in (COMPLETED, FAILED):
                record.terminal_attempts.append(attempt)
            if status == COMPLETED and (
                record.first_completed is None or when < record.first_completed
            ):
                record.first_completed = when
    out.events = index
    out.run_ids = list(runs)
    for other, count in foreign.items():
        out.violations.append(
            Violation(
                type="log_foreign_events",
                node_id=None,
                severity=WARNING,
                message=f"the log holds {count} event(s) of iteration {other}, not {iteration_id}",
                recommendation="keep one iteration per log: check what wrote into "
                f"reports/{iteration_id}/execution.log",
                details={"iteration_id": other, "events": count},
            )
        )
    out.violations.extend(attempt_problems(nodes.values()))
    return out


def attempt_problems(nodes: Iterable[NodeTimeline]) -> list[Violation]:
    """Gaps in attempt numbers, and outcomes logged for attempts that never started."""
    found: list[Violation] = []
    for record in nodes:
        numbers = record.attempt_numbers
        if numbers:
            gaps = sorted(set(range(1, max(numbers) + 1)) - numbers)
            if gaps:
                found.append(
                    Violation(
                        type="log_attempt_gap",
                        node_id=record.node_id,
                        severity=BLOCKING,
                        message=f"node {record.node_id}: the log has no node.started for "
                        f"attempt(s) {', '.join(map(str, gaps))} of {max(numbers)}",
                        recommendation="the log is missing events: restore the complete "
                        f"execution log, or re-run node {record.node_id}",
                        details={"missing_attempts": gaps, "attempts": sorted(numbers)},
                    )
                )
        orphans = sorted(set(record.terminal_attempts) - numbers)
        if not record.started and record.terminal in (COMPLETED, FAILED):
            found.append(
                Violation(
                    type="log_attempt_gap",
                    node_id=record.node_id,
                    severity=BLOCKING,
                    message=f"node {record.node_id} is {record.terminal} in the log "
                    "but has no node.started event",
                    recommendation="the log is missing events: restore the complete "
                    f"execution log, or re-run node {record.node_id}",
                    details={"status": record.terminal},
                )
            )
        elif orphans:
            found.append(
                Violation(
                    type="log_attempt_gap",
                    node_id=record.node_id,
                    severity=BLOCKING,
                    message=f"node {record.node_id}: attempt(s) {', '.join(map(str, orphans))} "
                    "finished in the log but never started",
                    recommendation="the log is missing events: restore the complete "
                    f"execution log, or re-run node {record.node_id}",
                    details={"finished_without_start": orphans, "attempts": sorted(numbers)},
                )
            )
    return found
