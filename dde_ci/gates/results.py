"""Gate results and a node's gate outcome, in the shape of ``gates.json``.

``reports/{iteration}/{node}/gates.json``::

    {"iteration_id": "...", "node_id": "...", "results": [GateResult, ...]}

A GateResult has ``gate_name``, ``node_id``, ``phase``, ``status`` (passed |
failed | warning | bypassed), ``actual_value``, ``expected_value``,
``threshold_condition``, ``severity``, ``timestamp``, ``duration_ms``,
``message``, ``details`` and ``adr`` (the ADR's path when bypassed, else null).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dde_ci.files import write_json_atomic
from dde_ci.gates.evaluators.base import Finding
from dde_ci.secrets import redact_value

STATUSES = ("passed", "failed", "warning", "bypassed")


@dataclass
class GateResult:
    gate_name: str
    node_id: str
    phase: str
    status: str
    actual_value: Any
    expected_value: Any
    threshold_condition: str
    severity: str
    timestamp: str
    duration_ms: float
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    adr: str | None = None
    findings: list[Finding] = field(default_factory=list, repr=False)
    source: str | None = field(default=None, repr=False)  # gate file location, for reports

    def to_json(self) -> dict[str, Any]:
        return {
            "gate_name": self.gate_name,
            "node_id": self.node_id,
            "phase": self.phase,
            "status": self.status,
            "actual_value": self.actual_value,
            "expected_value": self.expected_value,
            "threshold_condition": self.threshold_condition,
            "severity": self.severity,
            "timestamp": self.timestamp,
            "duration_ms": self.duration_ms,
            "message": self.message,
            "details": self.details,
            "adr": self.adr,
        }

    @property
    def blocking_failure(self) -> bool:
        return self.status == "failed"


@dataclass
class GateOutcome:
    """What the node step needs from one phase of gates."""

    node_id: str
    phase: str
    results: list[GateResult] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        """True when a blocking gate failed (and was not bypassed)."""
        return any(r.status == "failed" for r in self.results)

    @property
    def failed(self) -> list[GateResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def warnings(self) -> list[str]:
        """Messages of warning-severity gates that did not hold (info is recorded only)."""
        return [
            r.message for r in self.results if r.status == "warning" and r.severity == "warning"
        ]

    @property
    def message(self) -> str:
        failed = self.failed
        if failed:
            return "; ".join(r.message for r in failed)
        if not self.results:
            return f"no {self.phase} gates attached to {self.node_id}"
        counts = {s: sum(1 for r in self.results if r.status == s) for s in STATUSES}
        shown = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        return f"{self.phase} gates of {self.node_id}: {shown}"

    def to_json(self, iteration_id: str) -> dict[str, Any]:
        return {
            "iteration_id": iteration_id,
            "node_id": self.node_id,
            "results": [r.to_json() for r in self.results],
        }


def write_results(
    path: Path, iteration_id: str, outcome: GateOutcome, secrets: Sequence[str] = ()
) -> dict[str, Any]:
    """Merge ``outcome`` into ``gates.json``: results of the same phase are replaced.

    ``secrets`` (and token-shaped strings) are hidden in what is written (a gate's
    command may print them).  Written to a temporary file and renamed, so a reader
    never sees half a file.
    """
    kept: list[dict[str, Any]] = []
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(old, dict) and isinstance(old.get("results"), list):
            kept = [
                r for r in old["results"] if isinstance(r, dict) and r.get("phase") != outcome.phase
            ]
    except (OSError, ValueError):
        kept = []
    data = {
        "iteration_id": iteration_id,
        "node_id": outcome.node_id,
        "results": kept + [redact_value(r.to_json(), secrets) for r in outcome.results],
    }
    write_json_atomic(path, data)
    return data
