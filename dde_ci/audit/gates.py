"""Audit of gate results: blocking gates passed, bypasses covered by an accepted ADR."""

from __future__ import annotations

from datetime import date
from fnmatch import fnmatchcase
from importlib import import_module
from pathlib import Path
from typing import Any

from dde_ci.audit.adr import load_adr, names, parse_day
from dde_ci.audit.model import BLOCKING, Counts, GateWarning, Violation
from dde_ci.audit.records import Record
from dde_ci.errors import DdeError
from dde_ci.layout import inside

STATUSES = frozenset({"passed", "failed", "warning", "bypassed"})
SEVERITIES = frozenset({"blocking", "warning", "info"})
# front matter keys that list bypassed gates (the gates module writes ``bypass``)
BYPASS_KEYS = ("bypass", "bypasses", "gates")


def bypass_problem(root: Path, adr: Any, gate: str, node_id: str, today: date) -> str | None:
    """Why the ADR does not cover bypassing ``gate`` on ``node_id`` (None when it does).

    Uses ``dde_ci.gates.bypass.check_bypass_adr`` when the gates module provides it, so
    both read the ADR the same way; otherwise reads the MADR front matter itself.
    """
    if not isinstance(adr, str) or not adr:
        return "the gate result names no ADR"
    try:
        path = inside(root, adr, what="ADR")
    except DdeError as exc:
        return exc.message
    try:
        external = getattr(import_module("dde_ci.gates.bypass"), "check_bypass_adr", None)
    except ImportError:
        external = None
    if external is not None:
        try:
            result = external(path, gate=gate, node_id=node_id, today=today)
        except DdeError as exc:
            return str(exc)
        return result if isinstance(result, str) else None
    return _read_bypass(path, adr, gate, node_id, today)  # pragma: no cover


def _read_bypass(
    path: Path, adr: str, gate: str, node_id: str, today: date
) -> str | None:  # pragma: no cover - used only without dde_ci.gates.bypass
    try:
        record = load_adr(path, shown=adr)
    except DdeError as exc:
        return str(exc)
    if record.status != "accepted":
        return f"ADR {adr}: status is {record.meta.get('status')!r}, not 'accepted'"
    entries: Any = None
    for key in BYPASS_KEYS:
        if key in record.meta:
            entries = record.meta[key]
            break
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list):
        return f"ADR {adr} does not list gate {gate!r} for node {node_id}"
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        if entry.get("gate") != gate:
            continue
        nodes = names(entry.get("node", entry.get("nodes")))
        if nodes and not any(fnmatchcase(node_id, n) for n in nodes):
            continue
        expires_raw = entry.get("expires")
        expires = parse_day(expires_raw)
        if expires_raw is not None and expires is None:
            return f"ADR {adr} has expiry {expires_raw!r}, which is not a date"
        if expires is not None and expires < today:
            return f"ADR {adr}: expired on {expires.isoformat()}"
        return None
    return f"ADR {adr} does not list gate {gate!r} for node {node_id}"


def audit_gates(
    node_id: str,
    declared: list[str],
    record: Record,
    completed: bool,
    *,
    root: Path,
    today: date,
    counts: Counts,
    warnings: list[GateWarning],
) -> list[Violation]:
    """Check one node's ``gates.json``; ``declared`` are the gates the manifest names.

    Every declared gate must have a result only when the node ``completed`` (a
    node that failed or was skipped is reported as such, and may never have
    reached its post gates).
    """
    shown = str(record.path)
    found: list[Violation] = []
    rerun = f"re-run node {node_id}"
    if not record.ok:
        if record.missing and not (declared and completed):
            return found
        if record.missing:
            message = f"node {node_id} completed but has no gate results ({shown})"
        else:
            message = f"the gate results of node {node_id} ({shown}) {record.problem}"
        return [
            Violation(
                type="gate_record_missing" if record.missing else "gate_record_invalid",
                node_id=node_id,
                severity=BLOCKING,
                message=message,
                recommendation=f"{rerun} so its gates are evaluated and recorded",
                details={"path": shown, "gates": declared},
            )
        ]
    results = record.data.get("results")
    if not isinstance(results, list):
        return [
            Violation(
                type="gate_record_invalid",
                node_id=node_id,
                severity=BLOCKING,
                message=f"the gate results of node {node_id} ({shown}) have no 'results' list",
                recommendation=f"{rerun} so its gates are evaluated and recorded",
                details={"path": shown},
            )
        ]
    seen: set[str] = set()
    for i, result in enumerate(results):
        if isinstance(result, dict):
            gate = result.get("gate_name")
            status = result.get("status")
            severity = result.get("severity")
        else:
            gate = status = severity = None
        if not isinstance(gate, str) or status not in STATUSES or severity not in SEVERITIES:
            found.append(
                Violation(
                    type="gate_record_invalid",
                    node_id=node_id,
                    severity=BLOCKING,
                    message=f"gate result {i} of node {node_id} ({shown}) is not a gate result "
                    "(needs gate_name, status passed|failed|warning|bypassed and severity "
                    "blocking|warning|info)",
                    recommendation=f"{rerun} so its gates are evaluated and recorded",
                    details={"path": shown, "index": i},
                )
            )
            continue
        seen.add(gate)
        if status == "passed":  # most results: nothing more to read
            counts.gates_passed += 1
            continue
        message = str(result.get("message") or "")
        expected = result.get("expected_value")
        actual = result.get("actual_value")
        if status == "warning" or (status == "failed" and severity != "blocking"):
            counts.gates_warning += 1
            if status == "failed":
                counts.gates_failed += 1
            warnings.append(GateWarning(node_id, gate, str(status), str(severity), message))
        elif status == "failed":
            counts.gates_failed += 1
            found.append(
                Violation(
                    type="gate_failed",
                    node_id=node_id,
                    severity=BLOCKING,
                    message=f"blocking gate {gate} failed on node {node_id}: "
                    f"actual {actual!r}, expected {result.get('threshold_condition') or expected!r}"
                    + (f" ({message})" if message else ""),
                    recommendation=f"fix what gate {gate} reports and {rerun}, or add an "
                    f"accepted ADR for gate {gate} on node {node_id} and bypass it",
                    details={
                        "gate_name": gate,
                        "phase": result.get("phase"),
                        "actual_value": actual,
                        "expected_value": expected,
                        "threshold_condition": result.get("threshold_condition"),
                    },
                )
            )
        else:  # bypassed
            adr = result.get("adr")
            problem = bypass_problem(root, adr, gate, node_id, today)
            if problem is None:
                counts.gates_bypassed += 1
                continue
            counts.gates_failed += 1
            found.append(
                Violation(
                    type="bypass_without_adr" if not adr else "bypass_adr_invalid",
                    node_id=node_id,
                    severity=BLOCKING,
                    message=f"gate {gate} on node {node_id} was bypassed, but {problem}",
                    recommendation=f"add an accepted ADR for gate {gate} on node {node_id} "
                    f"(docs/adr/, MADR with status: accepted and 'bypass: [{{gate: {gate}, "
                    f"node: {node_id}}}]'), then {rerun}",
                    details={"gate_name": gate, "adr": adr, "actual_value": actual},
                )
            )
    for gate in declared:
        if completed and gate not in seen:
            found.append(
                Violation(
                    type="gate_not_evaluated",
                    node_id=node_id,
                    severity=BLOCKING,
                    message=f"gate {gate}, named on node {node_id} in the manifest, has no result",
                    recommendation=f"{rerun} so gate {gate} is evaluated",
                    details={"gate_name": gate, "path": shown},
                )
            )
    return found
