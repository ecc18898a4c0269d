"""``junit``: JUnit XML test reports, streamed (a 100,000-case file in well under 2 s).

``path`` is a file or a glob (every match is counted).  The XML is streamed
through defusedxml's parser (no entity expansion, no external references) into
a target that counts, so no tree is built and memory stays flat.

Metrics: ``total``, ``passed``, ``failed``, ``errors``, ``skipped``,
``pass_rate`` (passed / (total - skipped); 1 when nothing ran), ``files``.
Failing cases become findings with the file and line found in the testcase
attributes (pytest ``xunit1``) or at the end of the failure text
(``tests/test_x.py:12: AssertionError``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import BinaryIO, ClassVar, Literal

from pydantic import Field

from dde_ci.errors import InputError
from dde_ci.gates.evaluators.base import (
    Finding,
    GateContext,
    Measurement,
    Params,
    missing,
    xml_errors,
)

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


MAX_TEXT = 64 * 1024
CHUNK = 1 << 16


def _where(attrs: dict[str, str], text: str) -> tuple[str | None, int]:
    file = attrs.get("file")
    line = attrs.get("line")
    if file and line and line.isdigit():
        return file, int(line)
    hits = _WHERE.findall(text)
    if hits:
        hit_file, hit_line = hits[-1]
        return file or hit_file, int(hit_line)
    return file or None, 0


class _JUnitTarget:
    """Parser target that counts test cases as the XML streams by; it builds no tree."""

    def __init__(self, counts: JUnitCounts) -> None:
        self.counts = counts
        self.case: dict[str, str] | None = None
        self.outcome: str | None = None
        self.message = ""
        self.text: list[str] = []
        self.text_size = 0
        self.collecting = False

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        kind = _local(tag)
        if kind == "testcase":
            self.case = attrib
            self.outcome = None
            self.message = ""
            self.text = []
            self.text_size = 0
        elif (
            self.case is not None
            and kind in ("failure", "error", "skipped")
            and self.outcome in (None, "skipped")
        ):
            self.outcome = kind
            if kind != "skipped":
                self.message = attrib.get("message") or ""
                self.collecting = True

    def data(self, text: str) -> None:
        if self.collecting and self.text_size < MAX_TEXT:
            self.text.append(text)
            self.text_size += len(text)

    def end(self, tag: str) -> None:
        kind = _local(tag)
        if kind in ("failure", "error"):
            self.collecting = False
        elif kind == "testcase" and self.case is not None:
            self._finish(self.case)
            self.case = None

    def _finish(self, case: dict[str, str]) -> None:
        counts = self.counts
        counts.total += 1
        outcome = self.outcome
        if outcome is None:
            return
        if outcome == "skipped":
            counts.skipped += 1
            return
        if outcome == "failure":
            counts.failed += 1
        else:
            counts.errors += 1
        if len(counts.failures) < MAX_FINDINGS:
            text = "".join(self.text)
            file, line = _where(case, text)
            name = ".".join(p for p in (case.get("classname"), case.get("name")) if p)
            first = self.message or next(iter(text.strip().splitlines()[-1:]), "")
            counts.failures.append(
                Finding(f"{outcome}: {name}: {first}"[:500].rstrip(": "), file, line)
            )

    def close(self) -> None:
        return None


def count_junit(source: Path | BinaryIO, counts: JUnitCounts, shown: str) -> None:
    """Stream one JUnit XML file into ``counts`` (raises InputError when it is not XML).

    defusedxml's parser (no DTD entities, no external references) feeds a
    target that only counts, in 64 KiB chunks: no element tree is built, so
    memory does not grow with the file.
    """
    from defusedxml.ElementTree import DefusedXMLParser

    counts.files += 1
    parser = DefusedXMLParser(target=_JUnitTarget(counts))
    handle: BinaryIO = source.open("rb") if isinstance(source, Path) else source
    try:
        with xml_errors(shown, "JUnit XML"):
            while chunk := handle.read(CHUNK):
                parser.feed(chunk)
            parser.close()
    finally:
        if isinstance(source, Path):
            handle.close()


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
