"""What an audit finds: violations, the as-built record of each node, and the verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

AUDIT_FORMAT_VERSION = 1

BLOCKING = "blocking"
WARNING = "warning"

# As-built node statuses: the runner's terminal states, RUNNING (started, never
# finished) and NOT_RUN (no record at all).
COMPLETED = "COMPLETED"
FAILED = "FAILED"
SKIPPED = "SKIPPED"
CANCELLED = "CANCELLED"
RUNNING = "RUNNING"
NOT_RUN = "NOT_RUN"

# Mermaid class (see dde_ci.pictures.OUTCOME_STYLES) for each status.
STATUS_CLASS = {
    COMPLETED: "completed",
    FAILED: "failed",
    SKIPPED: "skipped",
    CANCELLED: "cancelled",
    RUNNING: "running",
    NOT_RUN: "missing",
}


@dataclass(frozen=True, slots=True)
class Violation:
    """One thing the as-built record gets wrong, and what a person can do about it."""

    type: str
    node_id: str | None
    severity: str  # BLOCKING | WARNING
    message: str
    recommendation: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "node_id": self.node_id,
            "severity": self.severity,
            "message": self.message,
            "details": self.details,
            "recommendation": self.recommendation,
        }


@dataclass(frozen=True, slots=True)
class GateWarning:
    """A gate that did not block but that people should see (warning, or failed non-blocking)."""

    node_id: str
    gate_name: str
    status: str
    severity: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "node_id": self.node_id,
            "gate_name": self.gate_name,
            "status": self.status,
            "severity": self.severity,
            "message": self.message,
        }


@dataclass(slots=True)
class NodeRecord:
    """The as-built record of one node, from the log and its result file."""

    node_id: str
    type: str | None  # the manifest's node type; None for an unplanned node
    planned: bool = True
    status: str = NOT_RUN
    attempts: int = 0
    started_at: str | None = None
    finished_at: str | None = None
    duration_s: float | None = None
    agent_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "node_id": self.node_id,
            "type": self.type,
            "planned": self.planned,
            "status": self.status,
            "attempts": self.attempts,
            "agent_id": self.agent_id,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_s": self.duration_s,
        }


@dataclass(frozen=True, slots=True)
class Override:
    """An accepted ADR that lets a failed audit through, with who approved it."""

    adr: str
    title: str
    approvers: list[str]
    date: str | None
    expires: str | None
    applied: bool = False  # True only when the audit failed and the override let it through

    def to_dict(self) -> dict[str, Any]:
        return {
            "adr": self.adr,
            "title": self.title,
            "approvers": list(self.approvers),
            "date": self.date,
            "expires": self.expires,
            "applied": self.applied,
        }


@dataclass
class Counts:
    """Integrity counters shown in the report."""

    gates_passed: int = 0
    gates_failed: int = 0
    gates_warning: int = 0
    gates_bypassed: int = 0
    artifacts_declared: int = 0
    artifacts_stamped: int = 0
    artifacts_missing: int = 0
    artifacts_tampered: int = 0
    contracts_produced: int = 0
    contracts_locked: int = 0
    consumers_expected: int = 0
    consumers_verified: int = 0
    log_events: int = 0
    log_problems: int = 0


@dataclass
class AuditReport:
    """The audit of one iteration: the record of each node, every violation, the verdict."""

    iteration_id: str
    workflow: str
    manifest: str
    audited_at: str
    nodes: list[NodeRecord]
    violations: list[Violation]
    warnings: list[GateWarning]
    counts: Counts
    run_ids: list[str] = field(default_factory=list)
    override: Override | None = None
    contract_ignores: list[dict[str, Any]] = field(default_factory=list)
    """The active ignores of accepted contract changes (see ``audit.contracts``)."""
    # _statuses, kept for the node list it was counted from (the score, the verdict and
    # both reports ask for it a score of times: 10,000 nodes each time)
    _counted: tuple[list[NodeRecord], int, dict[str, list[str]]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def planned(self) -> list[NodeRecord]:
        return [n for n in self.nodes if n.planned]

    def _statuses(self) -> tuple[int, dict[str, list[str]]]:
        """The planned nodes: how many, and their ids by status (one pass over the nodes,
        once: a report's node records are not changed once it is built; a new node list
        is counted again)."""
        counted = self._counted
        if counted is not None and counted[0] is self.nodes:
            return counted[1], counted[2]
        planned = 0
        by_status: dict[str, list[str]] = {}
        for n in self.nodes:
            if n.planned:
                planned += 1
                by_status.setdefault(n.status, []).append(n.node_id)
        self._counted = (self.nodes, planned, by_status)
        return planned, by_status

    def ids_with(self, status: str) -> list[str]:
        return list(self._statuses()[1].get(status, ()))

    @property
    def score(self) -> float:
        planned, by_status = self._statuses()
        return len(by_status.get(COMPLETED, ())) / planned if planned else 0.0

    @property
    def blocking(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == BLOCKING]

    @property
    def passed(self) -> bool:
        """PASS only when every planned node completed and nothing blocks."""
        return self.score == 1.0 and not self.blocking

    @property
    def result(self) -> str:
        return "PASS" if self.passed else "FAIL"

    @property
    def overridden(self) -> bool:
        return self.override is not None and self.override.applied

    @property
    def deployable(self) -> bool:
        """What the deployment gate says: PASS, or FAIL let through by an accepted override."""
        return self.passed or self.overridden

    @property
    def recommendations(self) -> list[str]:
        """Each distinct recommendation once, blocking ones first."""
        seen: dict[str, None] = {}
        for v in sorted(self.violations, key=lambda v: v.severity != BLOCKING):
            seen.setdefault(v.recommendation, None)
        return list(seen)

    def to_dict(self, *, nodes: bool = True) -> dict[str, Any]:
        """The ``audit.json`` document (see ``schemas/audit.schema.json``); without
        ``nodes``, all of it but the per-node list (what the summaries use)."""
        c = self.counts
        planned, by_status = self._statuses()
        data = {
            "format_version": AUDIT_FORMAT_VERSION,
            "iteration_id": self.iteration_id,
            "workflow": self.workflow,
            "manifest": self.manifest,
            "audited_at": self.audited_at,
            "run_ids": list(self.run_ids),
            "result": self.result,
            "deployable": self.deployable,
            "score": round(self.score, 6),
            "completeness": {
                "planned": planned,
                "completed": len(by_status.get(COMPLETED, ())),
                "failed": list(by_status.get(FAILED, ())),
                "skipped": list(by_status.get(SKIPPED, ())),
                "cancelled": list(by_status.get(CANCELLED, ())),
                "running": list(by_status.get(RUNNING, ())),
                "missing": list(by_status.get(NOT_RUN, ())),
                "unplanned": [n.node_id for n in self.nodes if not n.planned],
            },
            "integrity": {
                "gates": {
                    "passed": c.gates_passed,
                    "failed": c.gates_failed,
                    "warning": c.gates_warning,
                    "bypassed": c.gates_bypassed,
                },
                "artifacts": {
                    "declared": c.artifacts_declared,
                    "stamped": c.artifacts_stamped,
                    "missing": c.artifacts_missing,
                    "tampered": c.artifacts_tampered,
                },
                "contracts": {
                    "produced": c.contracts_produced,
                    "locked": c.contracts_locked,
                    "consumers": c.consumers_expected,
                    "verified": c.consumers_verified,
                },
                "log": {"events": c.log_events, "problems": c.log_problems},
            },
            "violations": [v.to_dict() for v in self.violations],
            "warnings": [w.to_dict() for w in self.warnings],
            "recommendations": self.recommendations,
            "override": self.override.to_dict() if self.override else None,
        }
        if self.contract_ignores:
            integrity: Any = data["integrity"]
            integrity["contracts"]["ignores"] = list(self.contract_ignores)
        if nodes:
            data["nodes"] = [n.to_dict() for n in self.nodes]
        return data
