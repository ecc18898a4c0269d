"""Gate evaluators, one module each, registered by name in :data:`EVALUATORS`.

An evaluator follows the :class:`~dde_ci.gates.evaluators.base.Evaluator`
Protocol: a ``params`` model (its keys in the gate file), the metric names it
reports, default conditions, and ``evaluate(params, context) -> Measurement``.
Heavy libraries are imported inside ``evaluate``.
"""

from __future__ import annotations

from dde_ci.gates.evaluators.artifacts import ArtifactsEvaluator
from dde_ci.gates.evaluators.base import Evaluator, Finding, GateContext, Measurement, Params
from dde_ci.gates.evaluators.command import CommandEvaluator
from dde_ci.gates.evaluators.contract_conformance import ContractConformanceEvaluator
from dde_ci.gates.evaluators.coverage import CoverageEvaluator
from dde_ci.gates.evaluators.dependencies import DependenciesEvaluator
from dde_ci.gates.evaluators.json_metric import JsonMetricEvaluator
from dde_ci.gates.evaluators.junit import JUnitEvaluator
from dde_ci.gates.evaluators.openapi_valid import OpenApiValidEvaluator
from dde_ci.gates.evaluators.sarif import SarifEvaluator

EVALUATORS: dict[str, Evaluator] = {
    e.name: e
    for e in (
        CommandEvaluator(),
        JUnitEvaluator(),
        CoverageEvaluator(),
        SarifEvaluator(),
        ArtifactsEvaluator(),
        DependenciesEvaluator(),
        JsonMetricEvaluator(),
        OpenApiValidEvaluator(),
        ContractConformanceEvaluator(),
    )
}

__all__ = ["EVALUATORS", "Evaluator", "Finding", "GateContext", "Measurement", "Params"]
