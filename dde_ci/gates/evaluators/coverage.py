"""``coverage``: line and branch coverage from Cobertura XML or coverage.py JSON.

The format follows the file: ``.json`` is coverage.py's ``coverage json``
output (``totals``), anything else is Cobertura XML (``coverage xml``,
JaCoCo converters, ...), whose totals are the root element's attributes, so
only the first element is read.

Metrics: ``line_rate``, ``line_percent``, ``lines_valid``, ``lines_covered``,
and when branches were measured ``branch_rate``, ``branch_percent``,
``branches_valid``, ``branches_covered`` (otherwise those are absent and a
condition on them does not hold).

A report that does not hold what its format says (counts that are not whole
numbers, more lines covered than valid, a rate outside 0..1) is an input error,
and the gate does not pass.
"""

from __future__ import annotations

import json
import math
import re
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
    shown: str,
    lines_valid: int,
    lines_covered: int,
    branches_valid: int | None,
    branches_covered: int | None,
) -> dict[str, Metric]:
    _counted(shown, "lines", lines_valid, lines_covered)
    line_rate = lines_covered / lines_valid if lines_valid else 1.0
    out: dict[str, Metric] = {
        "line_rate": line_rate,
        "line_percent": line_rate * 100.0,
        "lines_valid": lines_valid,
        "lines_covered": lines_covered,
    }
    if branches_valid is not None and branches_covered is not None:
        _counted(shown, "branches", branches_valid, branches_covered)
        if branches_valid > 0:
            rate = branches_covered / branches_valid
            out.update(
                branch_rate=rate,
                branch_percent=rate * 100.0,
                branches_valid=branches_valid,
                branches_covered=branches_covered,
            )
    return out


def _counted(shown: str, what: str, valid: int, covered: int) -> None:
    """Counts a report can hold: whole numbers, ``0 <= covered <= valid``."""
    if not 0 <= covered <= valid:
        raise InputError(
            f"{shown}: {covered} {what} covered of {valid} valid; "
            f"a coverage report covers 0 to {valid}"
        )


def _count(shown: str, name: str, value: object) -> int:
    """A count from a report: a whole number (in XML, its digits), else an input error."""
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,18}", value):
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise InputError(f"{shown}: {name} is {value!r}, not a whole number of lines or branches")


def _rate(shown: str, name: str, text: str) -> float:
    """A rate from Cobertura XML: a number from 0 to 1, else an input error."""
    try:
        rate = float(text)
    except ValueError:
        rate = math.nan
    if not 0.0 <= rate <= 1.0:  # NaN too
        raise InputError(f"{shown}: {name}={text!r} is not a rate from 0 to 1")
    return rate


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
    if "lines-valid" in attrs:
        if "lines-covered" not in attrs:
            raise InputError(f"{shown}: <coverage> has lines-valid but no lines-covered")
        return _rates(
            shown,
            _count(shown, "lines-valid", attrs["lines-valid"]),
            _count(shown, "lines-covered", attrs["lines-covered"]),
            _count(shown, "branches-valid", attrs.get("branches-valid", "0")),
            _count(shown, "branches-covered", attrs.get("branches-covered", "0")),
        )
    if "line-rate" not in attrs:
        raise InputError(f"{shown}: <coverage> has neither lines-valid nor line-rate")
    rate = _rate(shown, "line-rate", attrs["line-rate"])
    out: dict[str, Metric] = {"line_rate": rate, "line_percent": rate * 100.0}
    branch = _rate(shown, "branch-rate", attrs["branch-rate"]) if "branch-rate" in attrs else 0.0
    if branch > 0:
        out.update(branch_rate=branch, branch_percent=branch * 100.0)
    return out


def read_coverage_json(path: Path, shown: str) -> dict[str, Metric]:
    try:
        data = json.loads(read_text(path, max_bytes=MAX_JSON_BYTES, what="coverage report"))
    except ValueError as exc:
        raise InputError(f"{shown}: not valid JSON: {exc}") from None
    except RecursionError:
        raise InputError(f"{shown}: not coverage.py JSON: nested too deeply") from None
    totals = data.get("totals") if isinstance(data, dict) else None
    if not isinstance(totals, dict) or "num_statements" not in totals:
        raise InputError(f"{shown}: not coverage.py JSON (no 'totals.num_statements')")
    if "covered_lines" not in totals:
        raise InputError(f"{shown}: coverage.py totals lack 'covered_lines'")
    has_branches = "num_branches" in totals and "covered_branches" in totals
    if any(isinstance(totals.get(k), str) for k in ("num_statements", "covered_lines")):
        raise InputError(f"{shown}: coverage.py totals hold numbers, not strings")
    return _rates(
        shown,
        _count(shown, "totals.num_statements", totals["num_statements"]),
        _count(shown, "totals.covered_lines", totals["covered_lines"]),
        _count(shown, "totals.num_branches", totals["num_branches"]) if has_branches else None,
        _count(shown, "totals.covered_branches", totals["covered_branches"])
        if has_branches
        else None,
    )


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
