"""``dependencies``: every node this node depends on finished COMPLETED (a pre gate).

Reads each dependency's ``reports/{iteration}/{dep}/result.json`` (the node
step's outcome).  Metrics: ``total``, ``completed``, ``incomplete``.
"""

from __future__ import annotations

import json
from typing import ClassVar, Literal

from dde_ci.gates.evaluators.base import Finding, GateContext, Measurement, Params


class DependenciesParams(Params):
    type: Literal["dependencies"]


class DependenciesEvaluator:
    name: ClassVar[str] = "dependencies"
    params: ClassVar[type[Params]] = DependenciesParams
    metrics: ClassVar[frozenset[str] | None] = frozenset({"total", "completed", "incomplete"})
    default_conditions: ClassVar[tuple[str, ...]] = ("incomplete == 0",)
    phases: ClassVar[frozenset[str]] = frozenset({"pre"})

    def evaluate(self, params: DependenciesParams, context: GateContext) -> Measurement:
        statuses: dict[str, str] = {}
        findings: list[Finding] = []
        for dep in context.node.depends_on:
            path = context.layout.result_file(context.iteration_id, dep)
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                status = str(data.get("status", "UNKNOWN")) if isinstance(data, dict) else "?"
            except FileNotFoundError:
                status = "NOT_RUN"
            except (OSError, ValueError):
                status = "UNREADABLE"
            statuses[dep] = status
            if status != "COMPLETED":
                findings.append(
                    Finding(f"dependency {dep!r} is {status}, not COMPLETED", context.shown(path))
                )
        completed = sum(1 for s in statuses.values() if s == "COMPLETED")
        return Measurement(
            metrics={
                "total": len(statuses),
                "completed": completed,
                "incomplete": len(statuses) - completed,
            },
            details={"dependencies": statuses},
            findings=findings,
        )
