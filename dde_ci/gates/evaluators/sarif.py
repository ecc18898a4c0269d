"""``sarif``: static-analysis findings from SARIF 2.1.0 files (bandit, semgrep, CodeQL, ...).

Each result's level is its ``level``, else its rule's
``defaultConfiguration.level``, else ``warning`` (SARIF 2.1.0 §3.27.10).
Results whose ``ruleId`` is in ``allow_rules`` or that carry a suppression are
not counted.  Metrics: ``error``, ``warning``, ``note``, ``none``, ``total``,
``suppressed``, ``allowed``, ``files``.

A file that does not match the official SARIF 2.1.0 JSON Schema (shipped in
``dde_ci/resources/sarif``) is an input error, and the gate does not pass.  The
file is streamed (ijson): one result is held at a time, each checked against the
schema's ``result``, each run (without its results) against ``run``, and the log
(without its runs) against the whole schema.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, ClassVar, Literal

from pydantic import Field

from dde_ci.errors import InputError
from dde_ci.gates.evaluators.base import Finding, GateContext, Measurement, Params, missing

MAX_BYTES = 256 * 1024 * 1024
MAX_FINDINGS = 100
LEVELS = ("error", "warning", "note", "none")
SCHEMA = "sarif-schema-2.1.0.json"  # OASIS SARIF 2.1.0 (errata 01), in dde_ci/resources/sarif


class SarifParams(Params):
    type: Literal["sarif"]
    path: str = Field(min_length=1)
    allow_rules: list[str] = Field(default_factory=list)


COMPILE_AFTER = 2000  # results checked by jsonschema before the compiled check pays off


@functools.cache
def _schema() -> dict[str, Any]:
    text = resources.files("dde_ci.resources").joinpath("sarif", SCHEMA).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _definition(kind: str | None) -> dict[str, Any]:
    """The official schema (None) or a schema for one of its definitions."""
    schema = _schema()
    if kind is None:
        return schema
    return {
        "$schema": schema["$schema"],
        "$ref": f"#/definitions/{kind}",
        "definitions": schema["definitions"],
    }


@functools.cache
def _validator(kind: str | None) -> Any:
    from jsonschema import Draft4Validator

    return Draft4Validator(_definition(kind))


@functools.cache
def _compiled(kind: str) -> Callable[[Any], Any]:
    """fastjsonschema's compiled check of ``kind`` (half a second to build, then some 30x
    faster than jsonschema): for logs with many results.  Formats are not asserted, as
    jsonschema does not by default, so both give the same verdict."""
    import fastjsonschema

    anything = {name: _any_string for name in ("uri", "uri-reference", "date-time")}
    return fastjsonschema.compile(_definition(kind), use_default=False, formats=anything)


def _any_string(_value: str) -> bool:
    return True


def _check(kind: str | None, value: Any, where: str, shown: str, seen: int = 0) -> None:
    """``value`` matches the SARIF 2.1.0 schema's ``kind`` (the log itself when None), or
    :class:`InputError` ``FILE: not a SARIF 2.1.0 log: runs[0].results[3].message: ...``.

    ``seen`` is how many values of this kind were checked before: past
    :data:`COMPILE_AFTER`, the compiled check is used, and jsonschema only says why.
    """
    if kind is not None and seen >= COMPILE_AFTER:
        import fastjsonschema

        try:
            _compiled(kind)(value)
            return
        except fastjsonschema.JsonSchemaValueException:
            pass  # jsonschema below says where and why
    error = _first_error(_validator(kind), value)
    if error is not None:
        steps = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path]
        at = f"{where}{''.join(steps)}".lstrip(".") or "the log"
        said = error.message if len(error.message) <= 200 else error.message[:200] + "..."
        raise InputError(f"{shown}: not a SARIF 2.1.0 log: {at}: {said}")


def _first_error(validator: Any, value: Any) -> Any:
    from jsonschema.exceptions import best_match

    return best_match(validator.iter_errors(value))


def _build(event: str, value: Any, events: Iterator[tuple[str, Any]]) -> Any:
    """The whole JSON value that starts with ``event``, read from ``events``."""
    import ijson

    builder = ijson.ObjectBuilder()
    builder.event(event, value)
    depth = 1 if event in ("start_map", "start_array") else 0
    while depth:
        event, value = next(events)
        builder.event(event, value)
        if event in ("start_map", "start_array"):
            depth += 1
        elif event in ("end_map", "end_array"):
            depth -= 1
    return builder.value


@dataclass
class _Run:
    """One run's results, counted as they stream past (a result's default level comes from
    the run's rules, which may follow its results: those wait here, counted per rule)."""

    allow: set[str]
    counts: dict[str, int]
    findings: list[Finding]
    by_rule: dict[str, int] = field(default_factory=dict)  # results without a level
    # the first findings: (text, level or None for the rule's default, rule, file, line)
    first: list[tuple[str, str | None, str, str | None, int]] = field(default_factory=list)

    def add(self, result: dict[str, Any]) -> None:
        rule = result.get("ruleId") or (result.get("rule") or {}).get("id") or ""
        if rule in self.allow:
            self.counts["allowed"] += 1
            return
        if result.get("suppressions"):
            self.counts["suppressed"] += 1
            return
        level = result.get("level")
        if level is None:
            self.by_rule[rule] = self.by_rule.get(rule, 0) + 1
        else:
            self.counts[level] += 1
            self.counts["total"] += 1
        if len(self.first) < MAX_FINDINGS and level != "none":
            text = result["message"].get("text") or result["message"].get("id") or ""
            file, line = _location(result)
            self.first.append((f"{rule}: {text}".strip(": "), level, rule, file, line))

    def end(self, run: dict[str, Any]) -> None:
        defaults = _rule_levels(run)
        for rule, n in self.by_rule.items():
            self.counts[defaults.get(rule, "warning")] += n
            self.counts["total"] += n
        for text, level, rule, file, line in self.first:
            shown = level or defaults.get(rule, "warning")
            if shown != "none" and len(self.findings) < MAX_FINDINGS:
                self.findings.append(Finding(text, file, line, shown))


def _rule_levels(run: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for rule in run["tool"]["driver"].get("rules") or []:
        level = (rule.get("defaultConfiguration") or {}).get("level")
        if isinstance(rule.get("id"), str) and level in LEVELS:
            out[rule["id"]] = level
    return out


def _location(result: dict[str, Any]) -> tuple[str | None, int]:
    for loc in result.get("locations") or []:
        phys = loc.get("physicalLocation") or {}
        uri = (phys.get("artifactLocation") or {}).get("uri")
        line = (phys.get("region") or {}).get("startLine") or 0
        if uri:
            return str(uri).removeprefix("file://"), int(line)
    return None, 0


def count_sarif(handle: Any, shown: str, allow: set[str], counts: dict[str, int]) -> list[Finding]:
    """Count the results of the SARIF log read (streamed) from the binary file ``handle``.

    Every result, every run (without its results) and the log (without its runs) must
    match the official SARIF 2.1.0 JSON Schema, or :class:`InputError` says where not.
    Only one result is held at a time, so memory does not grow with the file.
    """
    import ijson

    # basic_parse: no prefixes (those grow with the depth: quadratic on a deep document)
    events: Iterator[tuple[str, Any]] = ijson.basic_parse(handle, use_float=True)
    findings: list[Finding] = []
    try:
        event, value = next(events)
        if event != "start_map":
            raise InputError(f"{shown}: not a SARIF log (not a JSON object)")
        log: dict[str, Any] = {}
        for event, key in events:
            if event == "end_map":
                break
            event, value = next(events)
            if key != "runs" or event != "start_array":
                log[key] = _build(event, value, events)
                continue
            log[key] = []
            for index, (event, value) in enumerate(events):
                if event == "end_array":
                    break
                where = f"runs[{index}]"
                if event != "start_map":
                    _check("run", _build(event, value, events), where, shown)
                _stream_run(events, where, shown, _Run(allow, counts, findings))
        _check(None, log, "", shown)
        if next(events, None) is not None:  # pragma: no cover - ijson refuses trailing data
            raise InputError(f"{shown}: not valid JSON: data after the SARIF log")
    except ijson.JSONError as exc:
        raise InputError(f"{shown}: not valid JSON: {exc}") from None
    except RecursionError:
        raise InputError(f"{shown}: not a SARIF log: nested too deeply") from None
    return findings


def _stream_run(events: Iterator[tuple[str, Any]], where: str, shown: str, counter: _Run) -> None:
    """Read one run (its ``start_map`` read already), counting its results into ``counter``."""
    run: dict[str, Any] = {}
    for event, key in events:
        if event == "end_map":
            break
        event, value = next(events)
        if key != "results" or event != "start_array":
            run[key] = _build(event, value, events)
            continue
        for index, (event, value) in enumerate(events):
            if event == "end_array":
                break
            result = _build(event, value, events)
            _check("result", result, f"{where}.results[{index}]", shown, index)
            counter.add(result)
    _check("run", run, where, shown)
    counter.end(run)


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
                with _open_report(file, shown) as handle:
                    findings += count_sarif(handle, shown, allow, counts)
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


def _open_report(path: Any, shown: str) -> Any:
    """``path`` opened to read: a regular file of at most :data:`MAX_BYTES`."""
    from dde_ci.files import NotARegularFile, open_regular

    try:
        fd, stat = open_regular(path)
    except NotARegularFile:
        raise InputError(f"{shown}: not a regular file") from None
    except OSError as exc:
        raise InputError(f"{shown}: cannot be read: {exc.strerror}") from None
    handle = open(fd, "rb")  # noqa: SIM115 - closed by the caller's with
    if stat.st_size > MAX_BYTES:
        handle.close()
        raise InputError(f"{shown}: {stat.st_size} bytes; a SARIF file is read up to {MAX_BYTES}")
    return handle
