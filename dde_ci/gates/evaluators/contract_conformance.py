"""``contract-conformance``: the node honours the contracts it consumes or serves.

Delegates to :func:`dde_ci.contracts.verify.verify_node` (the contracts
module).  Metrics: ``ok`` (1 or 0), ``findings``.  When contract verification
is not available the gate cannot pass, and says why.
"""

from __future__ import annotations

import importlib
from typing import Any, ClassVar, Literal

from dde_ci.errors import DdeError
from dde_ci.gates.evaluators.base import Finding, GateContext, Measurement, Params

MAX_FINDINGS = 100


class ContractConformanceParams(Params):
    type: Literal["contract-conformance"]


def _finding(item: Any, level: str = "error") -> Finding:
    if isinstance(item, dict):
        message = str(item.get("message") or item)
        file = item.get("file") or item.get("path")
        line = item.get("line") or 0
    else:
        message = str(getattr(item, "message", item))
        file = getattr(item, "file", None) or getattr(item, "path", None)
        line = getattr(item, "line", 0) or 0
    number = int(line) if str(line).isdigit() else 0
    return Finding(message, str(file) if file else None, number, level)


class ContractConformanceEvaluator:
    name: ClassVar[str] = "contract-conformance"
    params: ClassVar[type[Params]] = ContractConformanceParams
    metrics: ClassVar[frozenset[str] | None] = frozenset({"ok", "findings"})
    default_conditions: ClassVar[tuple[str, ...]] = ("ok == 1", "findings == 0")
    phases: ClassVar[frozenset[str]] = frozenset({"post"})

    def evaluate(self, params: ContractConformanceParams, context: GateContext) -> Measurement:
        try:
            module = importlib.import_module("dde_ci.contracts.verify")
            verify_node = module.verify_node
        except (ImportError, AttributeError):
            return Measurement(
                error="contract verification is not available in this dde-ci "
                "(dde_ci.contracts.verify.verify_node is missing); the gate cannot pass"
            )
        try:
            result = verify_node(
                context.manifest,
                context.node.id,
                context.layout,
                context.iteration_id,
                log=context.log,
            )
        except DdeError as exc:
            return Measurement(error=f"contract verification failed: {exc}")
        raw = list(getattr(result, "findings", []) or [])
        findings = [_finding(f) for f in raw[:MAX_FINDINGS]]
        warnings = [_finding(f, "warning") for f in list(getattr(result, "warnings", []) or [])][
            :MAX_FINDINGS
        ]
        ok = bool(getattr(result, "ok", False))
        contracts = [getattr(r, "contract", None) for r in getattr(result, "results", [])]
        return Measurement(
            metrics={"ok": 1 if ok else 0, "findings": len(raw)},
            details={
                "contracts": contracts,
                "findings": [f.to_json() for f in findings + warnings],
            },
            findings=findings + warnings,
        )
