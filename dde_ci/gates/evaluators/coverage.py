"""``coverage``: line and branch coverage from Cobertura XML or coverage.py JSON.

The format follows the file: ``.json`` is coverage.py's ``coverage json``
output (``totals``), anything else is Cobertura XML (``coverage xml``,
JaCoCo converters, ...), whose totals are the root element's attributes, so
only the first element is read.

Metrics: ``line_rate``, ``line_percent``, ``lines_valid``, ``lines_covered``,
and when branches were measured ``branch_rate``, ``branch_percent``,
``branches_valid``, ``branches_covered`` (otherwise those are absent and a
condition on them does not hold).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from dde_ci.errors import InputError
from dde_ci.gates.evaluators.base import (
    GateContext,
    Measurement,
    Metric,
    Params,
    report_file,
    xml_errors,
)
from dde_ci.yamlio import read_text

MAX_JSON_BYTES = 256 * 1024 * 1024


class CoverageParams(Params):
    type: Literal["coverage"]
    path: str = Field(min_length=1)
    format: Literal["auto", "cobertura", "coverage-json"] = "auto"


def _rates(
    lines_valid: int, lines_covered: int, branches_valid: int | None, branches_covered: int | None
) -> dict[str, Metric]:
    line_rate = lines_covered / lines_valid if lines_valid else 1.0
    out: dict[str, Metric] = {
        "line_rate": line_rate,
        "line_percent": line_rate * 100.0,
        "lines_valid": lines_valid,
        "lines_covered": lines_covered,
    }
    if branches_valid is not None and branches_covered is not None and branches_valid > 0:
        rate = branches_covered / branches_valid
        out.update(
            branch_rate=rate,
            branch_percent=rate * 100.0,
            branches_valid=branches_valid,
            branches_covered=branches_covered,
        )
    return out


def read_cobertura(path: Path, shown: str) -> dict[str, Metric]:
    from defusedxml.ElementTree import iterparse

    with xml_errors(shown, "Cobertura XML"), path.open("rb") as handle:
        for _event, elem in iterparse(handle, events=("start",)):  # only the root is read
            if elem.tag.rsplit("}", 1)[-1] != "coverage":
                raise InputError(f"{shown}: root element is <{elem.tag}>, not Cobertura <coverage>")
            attrs = elem.attrib
            break
        else:  # pragma: no cover - iterparse raises on an empty document
            raise InputError(f"{shown}: empty XML document")
    try:
        if "lines-valid" in attrs:
            lines_valid = int(attrs["lines-valid"])
            lines_covered = int(attrs["lines-covered"])
            branches_valid = int(attrs.get("branches-valid", "0"))
            branches_covered = int(attrs.get("branches-covered", "0"))
            return _rates(lines_valid, lines_covered, branches_valid, branches_covered)
        rate = float(attrs["line-rate"])
    except (KeyError, ValueError) as exc:
        raise InputError(f"{shown}: <coverage> lacks a usable {exc} attribute") from None
    out: dict[str, Metric] = {"line_rate": rate, "line_percent": rate * 100.0}
    if "branch-rate" in attrs and float(attrs["branch-rate"]) > 0:
        out.update(
            branch_rate=float(attrs["branch-rate"]),
            branch_percent=float(attrs["branch-rate"]) * 100.0,
        )
    return out


def read_coverage_json(path: Path, shown: str) -> dict[str, Metric]:
    try:
        data = json.loads(read_text(path, max_bytes=MAX_JSON_BYTES, what="coverage report"))
    except ValueError as exc:
        raise InputError(f"{shown}: not valid JSON: {exc}") from None
    totals = data.get("totals") if isinstance(data, dict) else None
    if not isinstance(totals, dict) or "num_statements" not in totals:
        raise InputError(f"{shown}: not coverage.py JSON (no 'totals.num_statements')")
    try:
        return _rates(
            int(totals["num_statements"]),
            int(totals["covered_lines"]),
            int(totals["num_branches"]) if "num_branches" in totals else None,
            int(totals["covered_branches"]) if "covered_branches" in totals else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{shown}: coverage.py totals lack a usable {exc}") from None


class CoverageEvaluator:
    name: ClassVar[str] = "coverage"
    params: ClassVar[type[Params]] = CoverageParams
    metrics: ClassVar[frozenset[str] | None] = frozenset(
        {
            "line_rate",
            "line_percent",
            "lines_valid",
            "lines_covered",
            "branch_rate",
            "branch_percent",
            "branches_valid",
            "branches_covered",
        }
    )
    default_conditions: ClassVar[tuple[str, ...]] = ("line_rate >= 0.8",)
    phases: ClassVar[frozenset[str]] = frozenset({"post"})

    def evaluate(self, params: CoverageParams, context: GateContext) -> Measurement:
        file = report_file(context, params.path, "coverage report")
        if isinstance(file, Measurement):
            return file
        shown = context.shown(file)
        kind = params.format
        if kind == "auto":
            kind = "coverage-json" if file.suffix.lower() == ".json" else "cobertura"
        try:
            if kind == "coverage-json":
                metrics = read_coverage_json(file, shown)
            else:
                metrics = read_cobertura(file, shown)
        except InputError as exc:
            return Measurement(error=str(exc))
        return Measurement(metrics=metrics, details={"report": shown, "format": kind})
