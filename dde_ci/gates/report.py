"""Render gate results as JSON (the ``gates.json`` shape), Markdown or SARIF 2.1.0."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from dde_ci.errors import Location
from dde_ci.gates.conditions import format_value
from dde_ci.gates.results import GateResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
MAX_LOCATIONS = 10
_ICONS = {"passed": "✅", "failed": "❌", "warning": "⚠️", "bypassed": "⏭️"}
_LEVELS = {"failed": "error", "warning": "warning", "bypassed": "note", "passed": "none"}


def render_json(iteration_id: str, node_id: str, results: Sequence[GateResult]) -> dict[str, Any]:
    return {
        "iteration_id": iteration_id,
        "node_id": node_id,
        "results": [r.to_json() for r in results],
    }


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {_shown(v)}" for k, v in value.items())
    if isinstance(value, str):
        return value
    return format_value(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(node_id: str, phase: str | None, results: Sequence[GateResult]) -> str:
    """A Markdown table, one row per gate (for the GitHub step summary and PR comments)."""
    title = f"### Gates of `{node_id}`" + (f" ({phase})" if phase else "")
    if not results:
        return f"{title}\n\nNo gates attached.\n"
    lines = [
        title,
        "",
        "| Gate | Phase | Severity | Status | Actual | Condition | Message |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        adr = f" ([ADR]({r.adr}))" if r.adr else ""
        lines.append(
            f"| `{_cell(r.gate_name)}` | {r.phase} | {r.severity} | "
            f"{_ICONS.get(r.status, '')} {r.status}{adr} | {_cell(_shown(r.actual_value))} | "
            f"{_cell(r.threshold_condition)} | {_cell(r.message)} |"
        )
    counts = {s: sum(1 for r in results if r.status == s) for s in _ICONS}
    lines += ["", ", ".join(f"{n} {s}" for s, n in counts.items() if n) + "."]
    return "\n".join(lines) + "\n"


def _physical(file: str, line: int) -> dict[str, Any]:
    loc: dict[str, Any] = {"artifactLocation": {"uri": file}}
    if line > 0:
        loc["region"] = {"startLine": line}
    return {"physicalLocation": loc}


def _source(result: GateResult) -> dict[str, Any] | None:
    if not result.source:
        return None
    path, _, rest = result.source.partition(":")
    line = rest.split(":", 1)[0]
    return _physical(path, int(line) if line.isdigit() else 0)


def render_sarif(results: Sequence[GateResult], version: str = "0") -> dict[str, Any]:
    """A SARIF 2.1.0 log: one rule per gate, one result per gate evaluation.

    Failed gates are ``error``, warnings ``warning`` (``note`` for info gates),
    bypassed gates ``note`` with an external suppression naming the ADR, and
    passed gates ``kind: pass``.  Locations are the findings (failing tests,
    scanner results) or else the gate's definition.
    """
    rules: dict[str, dict[str, Any]] = {}
    out: list[dict[str, Any]] = []
    for r in results:
        if r.gate_name not in rules:
            default = {"blocking": "error", "warning": "warning", "info": "note"}[r.severity]
            rules[r.gate_name] = {
                "id": r.gate_name,
                "shortDescription": {"text": f"{r.phase} gate {r.gate_name}"},
                "fullDescription": {"text": r.threshold_condition or r.gate_name},
                "defaultConfiguration": {"level": default},
            }
        level = _LEVELS[r.status]
        if r.status == "warning" and r.severity == "info":
            level = "note"
        item: dict[str, Any] = {
            "ruleId": r.gate_name,
            "ruleIndex": list(rules).index(r.gate_name),
            "level": level,
            "message": {"text": r.message},
            "properties": {
                "node_id": r.node_id,
                "phase": r.phase,
                "status": r.status,
                "severity": r.severity,
                "actual_value": r.actual_value,
                "expected_value": r.expected_value,
            },
        }
        if r.status == "passed":
            item["kind"] = "pass"
        locations = [
            {**_physical(f.file, f.line), "message": {"text": f.message}}
            for f in r.findings
            if f.file
        ][:MAX_LOCATIONS]
        source = _source(r)
        if not locations and source is not None:
            locations = [source]
        if locations:
            item["locations"] = locations
        if r.status == "bypassed":
            item["suppressions"] = [
                {"kind": "external", "status": "accepted", "justification": f"ADR {r.adr}"}
            ]
        out.append(item)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "dde-ci",
                        "version": version,
                        "informationUri": "https://dde-ci.dev/docs/gates",
                        "rules": list(rules.values()),
                    }
                },
                "results": out,
            }
        ],
    }


def annotation_items(results: Sequence[GateResult]) -> list[tuple[str, str, Location | None]]:
    """``(level, message, location)`` for every gate that did not pass, findings first."""
    out: list[tuple[str, str, Location | None]] = []
    for r in results:
        if r.status == "passed":
            continue
        level = (
            "error" if r.status == "failed" else "warning" if r.status == "warning" else "notice"
        )
        pointed = [f for f in r.findings if f.file][:MAX_LOCATIONS]
        for f in pointed:
            out.append((level, f"{r.gate_name}: {f.message}", Location(f.file or "", f.line)))
        if not pointed:
            src = None
            if r.source:
                path, _, rest = r.source.partition(":")
                line = rest.split(":", 1)[0]
                src = Location(path, int(line) if line.isdigit() else 0)
            out.append((level, r.message, src))
    return out


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, allow_nan=False, ensure_ascii=False)
