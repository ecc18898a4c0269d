"""Which gates a node gets, in which order, and the check that every named gate exists.

A node gets a gate when the node names it under ``gates:`` or when the gate's
``applies_to`` rule matches the node (every criterion given must match: the
node's type is one of ``node_types``, one of its capabilities matches one of
``capabilities``, its id matches one of ``nodes``, it consumes a contract
matching one of ``consumes``; patterns are shell-style and case-insensitive for
capabilities).  Disabled gates (``enabled: false``)
are never attached.

Order: by ``order`` (lower first, default 100), then by the position of the
gate file in ``gate_files``, then by the gate's position in its file.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import TYPE_CHECKING

from dde_ci.errors import DdeError, Diagnostic, Location, did_you_mean

if TYPE_CHECKING:
    from dde_ci.gates.definitions import Gate, GateSet
    from dde_ci.manifest.models import Manifest, Node
    from dde_ci.yamlio import PathKey

    Locate = Callable[[PathKey], Location]


def rule_matches(gate: Gate, node: Node) -> bool:
    rule = gate.definition.applies_to
    if rule is None:
        return False
    if not (rule.node_types or rule.capabilities or rule.nodes or rule.consumes):
        return False
    if rule.consumes and not any(
        fnmatch.fnmatchcase(c, p) for c in node.consumes for p in rule.consumes
    ):
        return False
    if rule.node_types and node.type not in rule.node_types:
        return False
    if rule.nodes and not any(fnmatch.fnmatchcase(node.id, p) for p in rule.nodes):
        return False
    if rule.capabilities:
        names = [c.name.lower() for c in node.capabilities]
        patterns = [p.lower() for p in rule.capabilities]
        if not any(fnmatch.fnmatchcase(n, p) for n in names for p in patterns):
            return False
    return True


def attached_gates(gate_set: GateSet, node: Node, phase: str | None = None) -> list[Gate]:
    """The enabled gates of ``node`` (optionally of one phase) in evaluation order."""
    chosen: dict[str, Gate] = {}
    for name in node.gates:
        gate = gate_set.get(name)
        if gate is not None:
            chosen[name] = gate
    for gate in gate_set.gates.values():
        if gate.name not in chosen and rule_matches(gate, node):
            chosen[gate.name] = gate
    gates = [
        g for g in chosen.values() if g.definition.enabled and (phase is None or g.phase == phase)
    ]
    return sorted(gates, key=lambda g: g.sort_key)


def check_gate_references(manifest: Manifest, locate: Locate) -> list[Diagnostic]:
    """Errors for gate names on nodes that no gate file defines (cheap when none are used)."""
    named = [(i, j, name) for i, n in enumerate(manifest.nodes) for j, name in enumerate(n.gates)]
    if not named and not manifest.gate_files:
        return []
    if not manifest.gate_files:
        return [
            Diagnostic(
                f"node {manifest.nodes[i].id!r} names gate {name!r} but the manifest lists no "
                "gate_files; add 'gate_files: [gates.yaml]'",
                locate(("nodes", i, "gates", j)),
            )
            for i, j, name in named
        ]
    from dde_ci.gates.definitions import load_gates

    try:
        gate_set = load_gates(manifest)
    except DdeError as exc:
        out = []
        for diag in exc.diagnostics:
            if diag.location is not None and diag.location.path == str(manifest.path):
                diag = Diagnostic(diag.message, locate(("gate_files",)), diag.severity)
            out.append(diag)
        return out
    return [
        Diagnostic(
            f"node {manifest.nodes[i].id!r} names unknown gate {name!r}"
            f"{did_you_mean(name, gate_set.names)}",
            locate(("nodes", i, "gates", j)),
        )
        for i, j, name in named
        if gate_set.get(name) is None
    ]
