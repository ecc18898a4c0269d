"""Evaluate a node's gates for one phase: measure, compare, bypass, record.

For each attached gate, in order (see :mod:`dde_ci.gates.attach`):

1. the evaluator measures (reads a report, runs a command, ...);
2. the conditions compare the metrics; ``>=`` holds at exactly the threshold;
3. a gate that does not hold is ``failed`` (blocking), ``warning`` (warning or
   info severity; info is recorded only, it adds no warning to the node); an
   accepted, unexpired ADR that lists the gate for the node turns it into
   ``bypassed`` (see :mod:`dde_ci.gates.bypass`), with the actual values kept;
4. the results are merged into ``reports/{iteration}/{node}/gates.json`` and
   each becomes a ``gate.passed|failed|warning|bypassed`` event.

Every gate is evaluated even after one fails, so a report shows everything.
"""

from __future__ import annotations

import math
import time
from datetime import date
from typing import TYPE_CHECKING, Any

from dde_ci.errors import DdeError
from dde_ci.gates.conditions import Comparison, comparisons, format_value, render
from dde_ci.gates.conditions import evaluate as evaluate_conditions
from dde_ci.gates.evaluators import EVALUATORS, GateContext, Measurement
from dde_ci.gates.results import GateOutcome, GateResult, write_results
from dde_ci.log import now_rfc3339
from dde_ci.secrets import secret_env_values, secret_values

if TYPE_CHECKING:
    from dde_ci.gates.definitions import Gate
    from dde_ci.results import NodeRun

MAX_FINDINGS_IN_DETAILS = 20


def _values(gate: Gate, metrics: dict[str, Any]) -> tuple[Any, Any]:
    """``actual_value`` and ``expected_value``: plain values for one comparison, else maps."""
    items = list(comparisons(gate.conditions))
    if len(items) == 1:
        return metrics.get(items[0].metric), items[0].value
    actual: dict[str, Any] = {}
    expected: dict[str, str] = {}
    for item in items:
        actual[item.metric] = metrics.get(item.metric)
        text = f"{item.op} {format_value(item.value)}"
        expected[item.metric] = (
            f"{expected[item.metric]} and {text}" if item.metric in expected else text
        )
    return actual, expected


def _unmet_text(unmet: list[Comparison], metrics: dict[str, Any]) -> str:
    parts = []
    for item in unmet:
        actual = metrics.get(item.metric)
        shown = "not reported" if actual is None else format_value(actual)
        parts.append(f"{item.metric} is {shown}, expected {item.op} {format_value(item.value)}")
    return "; ".join(parts)


def _actual_text(gate: Gate, metrics: dict[str, Any]) -> str:
    names = list(dict.fromkeys(c.metric for c in comparisons(gate.conditions)))
    shown = {n: format_value(metrics.get(n)) for n in names}
    if len(names) == 1:
        return shown[names[0]]
    return ", ".join(f"{n} {v}" for n, v in shown.items())


def _evaluator_failed(gate: Gate, exc: BaseException) -> str:
    """The gate's failure when its evaluator raised (a report it could not read as it
    should): the report named, the error, and that the gate does not pass."""
    path = getattr(gate.definition.evaluator, "path", None)
    subject = f"on {path!r}" if isinstance(path, str) else "while measuring"
    detail = "nested too deeply" if isinstance(exc, RecursionError) else f"{exc}"[:500]
    return (
        f"the {gate.evaluator_name} evaluator failed {subject}: "
        f"{type(exc).__name__}: {detail}; the gate does not pass"
    )


def evaluate_gate(gate: Gate, context: GateContext, *, today: date | None = None) -> GateResult:
    """Evaluate one gate and decide its status (bypass included)."""
    from dde_ci.gates.bypass import decide

    started = time.perf_counter()
    evaluator = EVALUATORS[gate.evaluator_name]
    try:
        measurement = evaluator.evaluate(gate.definition.evaluator, context)
    except DdeError as exc:
        measurement = Measurement(error=str(exc))
    except Exception as exc:
        measurement = Measurement(error=_evaluator_failed(gate, exc))
    # NaN and infinities (json.loads accepts them) never satisfy a condition nor reach JSON
    metrics = {
        k: None if isinstance(v, float) and not math.isfinite(v) else v
        for k, v in measurement.metrics.items()
    }
    if measurement.error is not None:
        ok, reason = False, measurement.error
    else:
        ok, unmet = evaluate_conditions(gate.conditions, metrics)
        reason = _unmet_text(unmet, metrics)
    node_id = context.node.id
    adr = None
    if ok:
        status = "passed"
        message = (
            f"gate {gate.name!r} passed on {node_id}: {render(gate.conditions)} "
            f"(actual {_actual_text(gate, metrics)})"
        )
    else:
        status = "failed" if gate.severity == "blocking" else "warning"
        word = "failed" if status == "failed" else f"not met ({gate.severity})"
        message = f"gate {gate.name!r} {word} on {node_id}: {reason}"
        decision = decide(context.root, gate.name, node_id, gate.definition.bypass, today)
        if decision is not None and decision.granted:
            status, adr = "bypassed", decision.adr
            message = f"gate {gate.name!r} bypassed on {node_id} by {adr}: {reason}"
        elif decision is not None:
            message = f"{message} ({decision.reason})"
    actual, expected = _values(gate, metrics)
    details: dict[str, Any] = {
        "evaluator": gate.evaluator_name,
        "metrics": metrics,
        **measurement.details,
        "gate_file": str(gate.location),
    }
    if measurement.error is not None:
        details["error"] = measurement.error
    if measurement.findings and status != "passed":
        details["findings"] = [f.to_json() for f in measurement.findings[:MAX_FINDINGS_IN_DETAILS]]
    return GateResult(
        gate_name=gate.name,
        node_id=node_id,
        phase=gate.phase,
        status=status,
        actual_value=actual,
        expected_value=expected,
        threshold_condition=render(gate.conditions),
        severity=gate.severity,
        timestamp=now_rfc3339(),
        duration_ms=round((time.perf_counter() - started) * 1000.0, 3),
        message=message,
        details=details,
        adr=adr,
        findings=list(measurement.findings) if status != "passed" else [],
        source=str(gate.location),
    )


def _unknown(name: str, node_id: str, phase: str) -> GateResult:
    return GateResult(
        gate_name=name,
        node_id=node_id,
        phase=phase,
        status="failed",
        actual_value=None,
        expected_value=None,
        threshold_condition="",
        severity="blocking",
        timestamp=now_rfc3339(),
        duration_ms=0.0,
        message=f"gate {name!r} is named on node {node_id!r} but no gate file defines it",
        details={},
    )


def evaluate_phase(context: GateContext, *, today: date | None = None) -> GateOutcome:
    """Evaluate every enabled gate of ``context.node`` for ``context.phase`` (no writing)."""
    from dde_ci.gates.attach import attached_gates
    from dde_ci.gates.definitions import GateSet, load_gates

    manifest, node, phase = context.manifest, context.node, context.phase
    gate_set = load_gates(manifest) if manifest.gate_files else GateSet()
    outcome = GateOutcome(node.id, phase)
    for name in node.gates:
        if gate_set.get(name) is None:
            outcome.results.append(_unknown(name, node.id, phase))
    for gate in attached_gates(gate_set, node, phase):
        outcome.results.append(evaluate_gate(gate, context, today=today))
    return outcome


def evaluate_node_gates(step: NodeRun, phase: str) -> GateOutcome:
    """The node step's call: evaluate, merge into ``gates.json``, emit one event per gate."""
    if phase not in ("pre", "post"):
        raise ValueError(f"phase must be 'pre' or 'post', not {phase!r}")
    context = GateContext(
        manifest=step.manifest,
        node=step.node,
        layout=step.layout,
        iteration_id=step.iteration_id,
        phase=phase,
        context_path=step.context_path,
        log=step.log,
    )
    outcome = evaluate_phase(context)
    write_results(
        step.layout.gates_file(step.iteration_id, step.node.id),
        step.iteration_id,
        outcome,
        # the log's (this process's secret variables, tokens) and the node's own
        secret_values([*step.log.secrets, *secret_env_values(step.node.env)]),
    )
    for result in outcome.results:
        step.log.emit(
            f"gate.{result.status}",
            node_id=step.node.id,
            agent_id=step.agent_id,
            attempt=step.attempt or None,
            correlation_id=step.correlation_id,
            details={
                "gate_name": result.gate_name,
                "phase": result.phase,
                "severity": result.severity,
                "actual_value": result.actual_value,
                "expected_value": result.expected_value,
                "threshold_condition": result.threshold_condition,
                "message": result.message,
                "adr": result.adr,
                "duration_ms": result.duration_ms,
            },
        )
    return outcome
