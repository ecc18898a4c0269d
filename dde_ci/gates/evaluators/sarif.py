"""``sarif``: static-analysis findings from SARIF 2.1.0 files (bandit, semgrep, CodeQL, ...).

Each result's level is its ``level``, else its rule's
``defaultConfiguration.level``, else ``warning`` (SARIF 2.1.0 §3.27.10).
Results whose ``ruleId`` is in ``allow_rules`` or that carry a suppression are
not counted.  Metrics: ``error``, ``warning``, ``note``, ``none``, ``total``,
``suppressed``, ``allowed``, ``files``.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

from pydantic import Field

from dde_ci.errors import InputError
from dde_ci.gates.evaluators.base import Finding, GateContext, Measurement, Params, missing
from dde_ci.yamlio import read_text

MAX_BYTES = 256 * 1024 * 1024
MAX_FINDINGS = 100
LEVELS = ("error", "warning", "note", "none")


class SarifParams(Params):
    type: Literal["sarif"]
    path: str = Field(min_length=1)
    allow_rules: list[str] = Field(default_factory=list)


def _rule_levels(run: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    driver = (run.get("tool") or {}).get("driver") or {}
    for rule in driver.get("rules") or []:
        if isinstance(rule, dict) and isinstance(rule.get("id"), str):
            level = (rule.get("defaultConfiguration") or {}).get("level")
            if level in LEVELS:
                out[rule["id"]] = level
    return out


def _location(result: dict[str, Any]) -> tuple[str | None, int]:
    for loc in result.get("locations") or []:
        phys = (loc or {}).get("physicalLocation") or {}
        uri = (phys.get("artifactLocation") or {}).get("uri")
        line = (phys.get("region") or {}).get("startLine") or 0
        if uri:
            return str(uri).removeprefix("file://"), int(line) if isinstance(line, int) else 0
    return None, 0


def count_sarif(data: Any, shown: str, allow: set[str], counts: dict[str, int]) -> list[Finding]:
    if not isinstance(data, dict) or not isinstance(data.get("runs"), list):
        raise InputError(f"{shown}: not a SARIF log (no 'runs' list)")
    version = data.get("version")
    if version != "2.1.0":
        raise InputError(f"{shown}: SARIF version {version!r}; expected '2.1.0'")
    findings: list[Finding] = []
    for run in data["runs"]:
        if not isinstance(run, dict):
            continue
        defaults = _rule_levels(run)
        for result in run.get("results") or []:
            if not isinstance(result, dict):
                continue
            rule = result.get("ruleId") or (result.get("rule") or {}).get("id") or ""
            if rule in allow:
                counts["allowed"] += 1
                continue
            if result.get("suppressions"):
                counts["suppressed"] += 1
                continue
            level = result.get("level") or defaults.get(rule, "warning")
            level = level if level in LEVELS else "warning"
            counts[level] += 1
            counts["total"] += 1
            if level != "none" and len(findings) < MAX_FINDINGS:
                text = (result.get("message") or {}).get("text") or ""
                file, line = _location(result)
                findings.append(Finding(f"{rule}: {text}".strip(": "), file, line, level))
    return findings


class SarifEvaluator:
    name: ClassVar[str] = "sarif"
    params: ClassVar[type[Params]] = SarifParams
    metrics: ClassVar[frozenset[str] | None] = frozenset(
        {*LEVELS, "total", "suppressed", "allowed", "files"}
    )
    default_conditions: ClassVar[tuple[str, ...]] = ("error == 0",)
    phases: ClassVar[frozenset[str]] = frozenset({"post"})

    def evaluate(self, params: SarifParams, context: GateContext) -> Measurement:
        try:
            files = [f for f in context.paths(params.path, what="SARIF file") if f.is_file()]
        except InputError as exc:
            return Measurement(error=exc.message)
        if not files:
            return missing(context, params.path, "SARIF file")
        counts = dict.fromkeys((*LEVELS, "total", "suppressed", "allowed"), 0)
        findings: list[Finding] = []
        allow = set(params.allow_rules)
        for file in files:
            shown = context.shown(file)
            try:
                data = json.loads(read_text(file, max_bytes=MAX_BYTES, what="SARIF file"))
                findings += count_sarif(data, shown, allow, counts)
            except ValueError as exc:
                return Measurement(error=f"{shown}: not valid JSON: {exc}")
            except InputError as exc:
                return Measurement(error=str(exc))
        metrics: dict[str, float | int | bool | None] = dict(counts)
        metrics["files"] = len(files)
        return Measurement(
            metrics=metrics,
            details={
                "reports": [context.shown(f) for f in files],
                "findings": [f.to_json() for f in findings if f.level == "error"][:MAX_FINDINGS],
            },
            findings=findings,
        )
