"""Run metrics, computed from the execution log alone (so ``--log FILE`` needs no database).

* ``total_duration_seconds``: first to last event of the run (``workflow.started`` to
  its closing ``workflow.*`` event when present);
* per node: ``execution_seconds`` (first ``node.started`` to the closing
  ``node.completed``/``failed``/``cancelled``), ``queue_wait_seconds`` (``node.ready``
  to the first ``node.started``), ``attempts`` and ``retries`` (``node.retrying`` events);
* ``gate_pass_rate``: ``gate.passed`` / every ``gate.*`` result (null without gates);
* ``parallel_efficiency``: sum of node execution times / (makespan x WIP limit);
* ``critical_path``: planned (from ``workflow.started``: by ``estimated_effort``) and
  actual (walking back from the last node to finish through the dependency whose
  completion made each node ready, with actual durations).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dde_ci.errors import NotFound
from dde_ci.log import parse_timestamp

_CLOSING = ("node.completed", "node.failed", "node.cancelled")
_RUN_CLOSING = ("workflow.completed", "workflow.failed", "workflow.cancelled")


@dataclass
class NodeMetrics:
    node_id: str
    status: str | None = None
    agent_id: str | None = None
    attempts: int = 0
    retries: int = 0
    ready_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    waited_for: str | None = None

    @property
    def execution_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def queue_wait_seconds(self) -> float | None:
        if self.ready_at is None or self.started_at is None:
            return None
        return max(0.0, (self.started_at - self.ready_at).total_seconds())

    def to_json(self) -> dict[str, Any]:
        return {
            "node_id": self.node_id,
            "status": self.status,
            "agent_id": self.agent_id,
            "execution_seconds": _round(self.execution_seconds),
            "queue_wait_seconds": _round(self.queue_wait_seconds),
            "attempts": self.attempts,
            "retries": self.retries,
        }


@dataclass
class RunMetrics:
    run_id: str | None
    iteration_id: str | None
    state: str | None
    wip_limit: int | None
    total_duration_seconds: float
    nodes: list[NodeMetrics]
    gates: dict[str, int] = field(default_factory=dict)
    planned_critical_path: list[str] = field(default_factory=list)
    actual_critical_path: list[str] = field(default_factory=list)

    @property
    def busy_seconds(self) -> float:
        return sum(n.execution_seconds or 0.0 for n in self.nodes)

    @property
    def gate_pass_rate(self) -> float | None:
        total = sum(self.gates.values())
        return self.gates.get("passed", 0) / total if total else None

    @property
    def parallel_efficiency(self) -> float | None:
        if not self.wip_limit or self.total_duration_seconds <= 0:
            return None
        return self.busy_seconds / (self.total_duration_seconds * self.wip_limit)

    def path_seconds(self, path: Sequence[str]) -> float:
        by_id = {n.node_id: n for n in self.nodes}
        return sum((by_id[n].execution_seconds or 0.0) for n in path if n in by_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "iteration_id": self.iteration_id,
            "state": self.state,
            "wip_limit": self.wip_limit,
            "total_duration_seconds": _round(self.total_duration_seconds),
            "node_seconds_total": _round(self.busy_seconds),
            "parallel_efficiency": _round(self.parallel_efficiency),
            "gate_pass_rate": _round(self.gate_pass_rate),
            "gates": dict(self.gates),
            "retries_total": sum(n.retries for n in self.nodes),
            "critical_path": {
                "planned": self.planned_critical_path,
                "planned_seconds": _round(self.path_seconds(self.planned_critical_path)),
                "actual": self.actual_critical_path,
                "actual_seconds": _round(self.path_seconds(self.actual_critical_path)),
            },
            "nodes": [n.to_json() for n in self.nodes],
        }


def _round(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(value, 6)


def select_run(events: Sequence[Mapping[str, Any]], run_id: str | None) -> str | None:
    """``run_id`` if the log has it, else the run of the last event (NotFound if absent)."""
    if run_id is None:
        return next((str(e["run_id"]) for e in reversed(events) if e.get("run_id")), None)
    if not any(e.get("run_id") == run_id for e in events):
        raise NotFound(f"the execution log has no events of run {run_id!r}")
    return run_id


def compute_metrics(events: Iterable[Mapping[str, Any]], run_id: str | None = None) -> RunMetrics:
    """Metrics of run ``run_id`` (default: the last run in the log)."""
    every = list(events)
    chosen = select_run(every, run_id)
    mine = [e for e in every if chosen is None or e.get("run_id") == chosen]
    mine.sort(key=lambda e: parse_timestamp(str(e["timestamp"])))
    nodes: dict[str, NodeMetrics] = {}
    gates: dict[str, int] = {}
    wip: int | None = None
    state: str | None = None
    planned: list[str] = []
    depends_on: dict[str, list[str]] = {}
    run_start: datetime | None = None
    run_end: datetime | None = None
    iteration: str | None = None
    for event in mine:
        kind = str(event["event_type"])
        when = parse_timestamp(str(event["timestamp"]))
        details = event.get("details") or {}
        iteration = iteration or event.get("iteration_id")
        run_start = when if run_start is None else min(run_start, when)
        run_end = when if run_end is None else max(run_end, when)
        if kind == "workflow.started":
            wip = int(details.get("wip_limit") or 0) or None
            planned = list(details.get("planned_critical_path") or [])
            depends_on = dict(details.get("depends_on") or {})
            state = "RUNNING"
        elif kind in _RUN_CLOSING:
            state = kind.split(".", 1)[1].upper()
        elif kind == "workflow.paused":
            state = "PAUSED"
        elif kind == "workflow.resumed":
            state = "RUNNING"
        elif kind.startswith("gate."):
            status = kind.split(".", 1)[1]
            gates[status] = gates.get(status, 0) + 1
        node_id = event.get("node_id")
        if not node_id or not kind.startswith("node."):
            continue
        node = nodes.setdefault(str(node_id), NodeMetrics(str(node_id)))
        if kind == "node.ready":
            node.ready_at = when
            node.waited_for = details.get("waited_for")
        elif kind == "node.started":
            if node.started_at is None:
                node.started_at = when
            node.attempts = max(node.attempts, int(event.get("attempt") or 1))
            node.agent_id = event.get("agent_id") or node.agent_id
        elif kind == "node.retrying":
            node.retries += 1
        elif kind in _CLOSING:
            node.finished_at = when
            node.status = kind.split(".", 1)[1].upper()
        elif kind == "node.skipped":
            node.status = "SKIPPED"
    ordered = sorted(nodes.values(), key=_start_key)
    return RunMetrics(
        run_id=chosen,
        iteration_id=iteration,
        state=state,
        wip_limit=wip,
        total_duration_seconds=(run_end - run_start).total_seconds()
        if run_start and run_end
        else 0,
        nodes=ordered,
        gates=gates,
        planned_critical_path=planned,
        actual_critical_path=actual_critical_path(nodes, depends_on),
    )


def _start_key(node: NodeMetrics) -> float:
    when = node.started_at or node.ready_at
    return when.timestamp() if when is not None else math.inf


def _end_key(node: NodeMetrics) -> float:
    return node.finished_at.timestamp() if node.finished_at is not None else -math.inf


def actual_critical_path(
    nodes: Mapping[str, NodeMetrics], depends_on: Mapping[str, Sequence[str]]
) -> list[str]:
    """The chain that decided the makespan: from the last node to finish, back through the
    dependency that finished last before it (``waited_for``, else the latest-finishing one)."""
    finished = [n for n in nodes.values() if n.finished_at is not None]
    if not finished:
        return []
    node: NodeMetrics | None = max(finished, key=_end_key)
    path: list[str] = []
    seen: set[str] = set()
    while node is not None and node.node_id not in seen:
        path.append(node.node_id)
        seen.add(node.node_id)
        preds = [nodes[p] for p in depends_on.get(node.node_id, []) if p in nodes]
        preds = [p for p in preds if p.finished_at is not None]
        if node.waited_for and node.waited_for in nodes:
            node = nodes[node.waited_for]
        elif preds:
            node = max(preds, key=_end_key)
        else:
            node = None
    path.reverse()
    return path


# -- renderers ------------------------------------------------------------------------------


def _metric_name(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def to_openmetrics(metrics: RunMetrics) -> str:
    """OpenMetrics text exposition (ends with ``# EOF``)."""
    run = _metric_name(metrics.run_id or "")
    lines: list[str] = []

    def gauge(name: str, help_text: str, samples: list[tuple[str, float | None]]) -> None:
        lines.append(f"# TYPE dde_{name} gauge")
        lines.append(f"# HELP dde_{name} {help_text}")
        for labels, value in samples:
            if value is not None:
                lines.append(f"dde_{name}{{{labels}}} {value:.6g}")

    base = f'run_id="{run}"'
    gauge(
        "run_duration_seconds",
        "Total duration of the run.",
        [(base, metrics.total_duration_seconds)],
    )
    gauge(
        "parallel_efficiency",
        "Sum of node times / (makespan x WIP).",
        [(base, metrics.parallel_efficiency)],
    )
    gauge("gate_pass_rate", "Passed gates / evaluated gates.", [(base, metrics.gate_pass_rate)])

    def node_labels(n: NodeMetrics) -> str:
        return f'{base},node_id="{_metric_name(n.node_id)}"'

    gauge(
        "node_execution_seconds",
        "Time from the first start to the end of a node.",
        [(node_labels(n), n.execution_seconds) for n in metrics.nodes],
    )
    gauge(
        "node_queue_wait_seconds",
        "Time from ready to running.",
        [(node_labels(n), n.queue_wait_seconds) for n in metrics.nodes],
    )
    lines.append("# TYPE dde_node_retries counter")
    lines.append("# HELP dde_node_retries Retries of a node.")
    lines.extend(f"dde_node_retries_total{{{node_labels(n)}}} {n.retries}" for n in metrics.nodes)
    gauge(
        "critical_path_seconds",
        "Duration of the planned and the actual critical path.",
        [
            (f'{base},path="planned"', metrics.path_seconds(metrics.planned_critical_path)),
            (f'{base},path="actual"', metrics.path_seconds(metrics.actual_critical_path)),
        ],
    )
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def to_markdown(metrics: RunMetrics) -> str:
    def num(value: float | None, unit: str = "s") -> str:
        return "-" if value is None else f"{value:.2f}{unit}"

    pct = metrics.parallel_efficiency
    rate = metrics.gate_pass_rate
    out = [
        f"## Run {metrics.run_id} ({metrics.state or 'unknown'})",
        "",
        "| metric | value |",
        "|---|---|",
        f"| iteration | {metrics.iteration_id} |",
        f"| total duration | {num(metrics.total_duration_seconds)} |",
        f"| WIP limit | {metrics.wip_limit or '-'} |",
        f"| parallel efficiency | {'-' if pct is None else f'{pct:.0%}'} |",
        f"| gate pass rate | {'-' if rate is None else f'{rate:.0%}'} |",
        f"| retries | {sum(n.retries for n in metrics.nodes)} |",
        f"| planned critical path | {' → '.join(metrics.planned_critical_path) or '-'} "
        f"({num(metrics.path_seconds(metrics.planned_critical_path))}) |",
        f"| actual critical path | {' → '.join(metrics.actual_critical_path) or '-'} "
        f"({num(metrics.path_seconds(metrics.actual_critical_path))}) |",
        "",
        "| node | status | agent | execution | queue wait | attempts | retries |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for n in metrics.nodes:
        out.append(
            f"| {n.node_id} | {n.status or '-'} | {n.agent_id or '-'} | "
            f"{num(n.execution_seconds)} | {num(n.queue_wait_seconds)} | {n.attempts} | "
            f"{n.retries} |"
        )
    return "\n".join(out) + "\n"
