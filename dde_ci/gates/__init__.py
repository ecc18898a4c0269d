"""Quality gates: YAML definitions, attachment, evaluation, bypass with an ADR, reports.

The two calls other modules use:

* :func:`context_entries` - the gates attached to a node, for its context file;
* :func:`evaluate_node_gates` - the node step's pre / post gate evaluation.

Imports stay lazy so that loading :mod:`dde_ci.gates` costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dde_ci.gates.results import GateOutcome
    from dde_ci.manifest.models import Manifest, Node
    from dde_ci.results import NodeRun

__all__ = ["GateOutcome", "context_entries", "evaluate_node_gates", "has_gates"]


def context_entries(manifest: Manifest, node: Node | str) -> list[dict[str, Any]]:
    """The gates attached to ``node`` in evaluation order (pre first), for ``context.json``.

    Each entry: ``name``, ``phase``, ``threshold`` (the conditions as text),
    ``severity``, ``evaluator``, ``description``.
    """
    if isinstance(node, str):
        node = manifest.node(node)
    if not manifest.gate_files:
        return []
    from dde_ci.gates.attach import attached_gates
    from dde_ci.gates.conditions import render
    from dde_ci.gates.definitions import load_gates

    gate_set = load_gates(manifest)
    out = []
    for phase in ("pre", "post"):
        for gate in attached_gates(gate_set, node, phase):
            out.append(
                {
                    "name": gate.name,
                    "phase": gate.phase,
                    "threshold": render(gate.conditions),
                    "severity": gate.severity,
                    "evaluator": gate.evaluator_name,
                    "description": gate.definition.description,
                }
            )
    return out


def has_gates(manifest: Manifest, node: Node, phase: str) -> bool:
    """Whether :func:`evaluate_node_gates` has anything to do for ``node`` in ``phase``.

    True when the node names gates (an unknown name is a failed result in
    either phase), when an enabled gate of ``phase`` is attached to it, or when
    the gate files cannot be loaded (the evaluation then reports why).  Cheap
    when the manifest has no ``gate_files``; the files are parsed once.
    """
    if node.gates:
        return True
    if not manifest.gate_files:
        return False
    from dde_ci.errors import DdeError
    from dde_ci.gates.attach import attached_gates
    from dde_ci.gates.definitions import load_gates

    try:
        gate_set = load_gates(manifest)
    except DdeError:
        return True
    return bool(attached_gates(gate_set, node, phase))


def evaluate_node_gates(run: NodeRun, phase: str) -> GateOutcome:
    """Evaluate ``run.node``'s gates of ``phase`` ('pre' or 'post'); see
    :func:`dde_ci.gates.evaluate.evaluate_node_gates`."""
    from dde_ci.gates.evaluate import evaluate_node_gates as evaluate

    return evaluate(run, phase)


def __getattr__(name: str) -> Any:
    if name == "GateOutcome":
        from dde_ci.gates.results import GateOutcome

        return GateOutcome
    raise AttributeError(name)
