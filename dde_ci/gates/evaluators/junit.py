"""``junit``: JUnit XML test reports, streamed (a 100,000-case file in well under 2 s).

``path`` is a file or a glob (every match is counted).  The XML is read with
defusedxml's ``iterparse`` (no DTDs, no entity expansion) and each
``<testcase>`` is dropped from the tree once counted, so memory stays flat.

Metrics: ``total``, ``passed``, ``failed``, ``errors``, ``skipped``,
``pass_rate`` (passed / (total - skipped); 1 when nothing ran), ``files``.
Failing cases become findings with the file and line found in the testcase
attributes (pytest ``xunit1``) or at the end of the failure text
(``tests/test_x.py:12: AssertionError``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, Literal

from pydantic import Field

from dde_ci.errors import InputError
from dde_ci.gates.evaluators.base import Finding, GateContext, Measurement, Params, missing

MAX_FINDINGS = 50
_WHERE = re.compile(r"^([^\s:][^:\n]*\.[A-Za-z0-9]+):(\d+):", re.MULTILINE)


class JUnitParams(Params):
    type: Literal["junit"]
    path: str = Field(min_length=1)


class JUnitCounts:
    """Counts of one or more JUnit files."""

    __slots__ = ("errors", "failed", "failures", "files", "skipped", "total")

    def __init__(self) -> None:
        self.total = 0
        self.failed = 0
        self.errors = 0
        self.skipped = 0
        self.files = 0
        self.failures: list[Finding] = []

    @property
    def passed(self) -> int:
        return self.total - self.failed - self.errors - self.skipped

    @property
    def pass_rate(self) -> float:
        ran = self.total - self.skipped
        return 1.0 if ran <= 0 else self.passed / ran


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if tag[:1] == "{" else tag


def _where(case: Any, text: str) -> tuple[str | None, int]:
    file = case.get("file")
    line = case.get("line")
    if file and line and str(line).isdigit():
        return str(file), int(line)
    hits = _WHERE.findall(text)
    if hits:
        hit_file, hit_line = hits[-1]
        return str(file or hit_file), int(hit_line)
    return (str(file) if file else None), 0


def count_junit(source: Path | BinaryIO, counts: JUnitCounts, shown: str) -> None:
    """Stream one JUnit XML file into ``counts`` (raises InputError when it is not XML)."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, iterparse

    stack: list[Any] = []
    counts.files += 1
    try:
        for event, elem in iterparse(source, events=("start", "end")):
            if event == "start":
                stack.append(elem)
                continue
            stack.pop()
            if _local(elem.tag) != "testcase":
                continue
            counts.total += 1
            outcome = None
            detail = None
            for child in elem:
                kind = _local(child.tag)
                if kind in ("failure", "error", "skipped"):
                    outcome, detail = kind, child
                    if kind != "skipped":
                        break
            if outcome == "failure":
                counts.failed += 1
            elif outcome == "error":
                counts.errors += 1
            elif outcome == "skipped":
                counts.skipped += 1
            if outcome in ("failure", "error") and len(counts.failures) < MAX_FINDINGS:
                text = (detail.text or "") if detail is not None else ""
                message = (detail.get("message") or "") if detail is not None else ""
                file, line = _where(elem, text)
                name = ".".join(p for p in (elem.get("classname"), elem.get("name")) if p)
                first = message or next(iter(text.strip().splitlines()[-1:]), "")
                counts.failures.append(
                    Finding(f"{outcome}: {name}: {first}"[:500].rstrip(": "), file, line)
                )
            elem.clear()
            if stack:
                stack[-1].remove(elem)
    except ParseError as exc:
        line, col = getattr(exc, "position", (0, 0))
        raise InputError(f"{shown}:{line}:{col + 1}: not valid JUnit XML: {exc}") from None
    except DefusedXmlException as exc:
        raise InputError(f"{shown}: refused unsafe XML ({exc})") from None


class JUnitEvaluator:
    name: ClassVar[str] = "junit"
    params: ClassVar[type[Params]] = JUnitParams
    metrics: ClassVar[frozenset[str] | None] = frozenset(
        {"total", "passed", "failed", "errors", "skipped", "pass_rate", "files"}
    )
    default_conditions: ClassVar[tuple[str, ...]] = ("failed == 0", "errors == 0", "total > 0")
    phases: ClassVar[frozenset[str]] = frozenset({"post"})

    def evaluate(self, params: JUnitParams, context: GateContext) -> Measurement:
        try:
            files = [f for f in context.paths(params.path, what="JUnit report") if f.is_file()]
        except InputError as exc:
            return Measurement(error=exc.message)
        if not files:
            return missing(context, params.path, "JUnit report")
        counts = JUnitCounts()
        try:
            for file in files:
                with file.open("rb") as handle:
                    count_junit(handle, counts, context.shown(file))
        except InputError as exc:
            return Measurement(error=exc.message)
        return Measurement(
            metrics={
                "total": counts.total,
                "passed": counts.passed,
                "failed": counts.failed,
                "errors": counts.errors,
                "skipped": counts.skipped,
                "pass_rate": counts.pass_rate,
                "files": counts.files,
            },
            details={
                "reports": [context.shown(f) for f in files],
                "failing_cases": [f.to_json() for f in counts.failures],
            },
            findings=counts.failures,
        )
