"""``artifacts``: the node's declared outputs exist and are not empty.

``paths`` defaults to the node's ``artifacts`` (globs allowed).  A glob that
matches nothing counts as one missing artifact.  Metrics: ``declared``,
``present``, ``missing``, ``empty``.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from dde_ci.errors import InputError
from dde_ci.gates.evaluators.base import Finding, GateContext, Measurement, Params


class ArtifactsParams(Params):
    type: Literal["artifacts"]
    paths: list[str] | None = Field(default=None, min_length=1)


class ArtifactsEvaluator:
    name: ClassVar[str] = "artifacts"
    params: ClassVar[type[Params]] = ArtifactsParams
    metrics: ClassVar[frozenset[str] | None] = frozenset(
        {"declared", "present", "missing", "empty"}
    )
    default_conditions: ClassVar[tuple[str, ...]] = ("missing == 0", "empty == 0")
    phases: ClassVar[frozenset[str]] = frozenset({"pre", "post"})

    def evaluate(self, params: ArtifactsParams, context: GateContext) -> Measurement:
        patterns = params.paths if params.paths is not None else context.node.artifacts
        missing: list[str] = []
        empty: list[str] = []
        present: list[str] = []
        for pattern in patterns:
            try:
                files = context.paths(pattern, what="artifact")
            except InputError as exc:
                return Measurement(error=exc.message)
            found = [f for f in files if f.is_file()]
            if not found:
                missing.append(context.expand(pattern))
                continue
            for file in found:
                (empty if file.stat().st_size == 0 else present).append(context.shown(file))
        findings = [Finding(f"declared artifact {m} is missing", m) for m in missing]
        findings += [Finding(f"artifact {e} is empty", e) for e in empty]
        return Measurement(
            metrics={
                "declared": len(patterns),
                "present": len(present),
                "missing": len(missing),
                "empty": len(empty),
            },
            details={"present": present, "missing": missing, "empty": empty},
            findings=findings,
        )
