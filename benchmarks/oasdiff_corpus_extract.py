"""Build ``tests/data/contracts/oasdiff/`` from a checkout of oasdiff's checker tests.

Run once per oasdiff release (it needs a local copy of the repository; the
committed corpus does not)::

    git -C OASDIFF archive v1.28.0 checker data | tar -x -C /tmp/oas
    .venv/bin/python benchmarks/oasdiff_corpus_extract.py /tmp/oas v1.28.0

For every ``func TestXxx`` in ``checker/*_test.go`` that loads exactly two
spec files (``open(...)``, ``l(t, N)``, ``d(t, cfg, N, M)``, a ``dataFileFn``
handle), diffs them without changing them in Go code, and asserts rule ids,
it records one case: the two files, the ids the test expects (with their
level from ``checker/rules.go``; ``any_of`` when the test accepts any one of
them), the ids it asserts absent, whether all checks ran or a single one, and
the deprecation-days options it set.  Tests
that build or edit a spec in Go (``s2.Spec.Paths...``), use table-driven
subtests or several diffs are listed as skipped with the reason.
The spec files are copied with oasdiff's Apache-2.0 license notice.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "contracts" / "oasdiff"

_FUNC = re.compile(r"^func (Test\w+)\(t \*testing\.T\) \{\n(.*?)^\}", re.S | re.M)
_ID_CONST = re.compile(r"^\s*(\w+Id)\s*=\s*\"([a-z0-9-]+)\"", re.M)
_RULE = re.compile(r"newBackwardCompatibilityRule\((\w+Id),\s*(ERR|WARN|INFO)")
_FILE_FN = re.compile(r"(\w+)\s*=\s*dataFileFn\(\"([\w-]+)\"\)")
_LOAD = re.compile(
    r"(?P<var>\w+)(?:,\s*err)?\s*:?=\s*(?:"
    r"open\((?P<open>\"[^\"]*\"|\w+\(\"[^\"]*\"\))[^\n]*"
    r"|l\(t,\s*(?P<num>\d+)\)"
    r"|loadFrom\(t,\s*\"(?P<prefix>[^\"]+)\",\s*(?P<lnum>\d+)\))"
)
_D = re.compile(r"\bd\(t,\s*[^,]*(?:\([^)]*\))?,\s*(\d+),\s*(\d+)\)")
_DIFF = re.compile(r"diff\.Get\w*\([^,]+(?:\([^)]*\))?,\s*(\w+),\s*(\w+)\)")
_STABILITY = re.compile(
    r"stabilityChanges\(t, \"([^\"]+)\", \"([^\"]+)\", checker\.StabilityLevel(\w+)\)"
)
_NULLABLE = re.compile(r"nullableWrapChanges\(t, \"\.\./([^\"]+)\", \"\.\./([^\"]+)\"\)")
_LEVEL_NAMES = {"ERR": "error", "WARN": "warning", "INFO": "info"}


def _resolve_open(arg: str, file_fns: dict[str, str]) -> str | None:
    arg = arg.strip()
    m = re.fullmatch(r"\"\.\./([^\"]+)\"", arg)
    if m:
        return m.group(1)
    m = re.fullmatch(r"(\w+)\(\"([^\"]+)\"\)", arg)
    if m and m.group(1) in file_fns:
        return f"data/{file_fns[m.group(1)]}/{m.group(2)}"
    return None


def _ids_in(text: str, consts: dict[str, str], levels: dict[str, str]) -> list[str]:
    """Rule ids named in ``text`` (comment and message ids are not rules)."""
    found = [consts[n] for n in re.findall(r"checker\.(\w+Id)\b", text) if n in consts]
    found += [s for s in re.findall(r"\"([a-z0-9]+(?:-[a-z0-9]+){2,})\"", text)]
    return [i for i in found if i in levels]


def extract(src: Path, release: str) -> dict[str, Any]:
    checker = src / "checker"
    consts: dict[str, str] = {}
    for go in sorted(checker.glob("*.go")):
        if not go.name.endswith("_test.go"):
            consts.update(_ID_CONST.findall(go.read_text(encoding="utf-8")))
    rules_text = (checker / "rules.go").read_text(encoding="utf-8")
    levels = {consts[n]: _LEVEL_NAMES[lv] for n, lv in _RULE.findall(rules_text) if n in consts}
    helpers = (checker / "helpers_test.go").read_text(encoding="utf-8")
    file_fns = dict(_FILE_FN.findall(helpers))
    cases: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    for go in sorted(checker.glob("*_test.go")):
        text = go.read_text(encoding="utf-8")
        for name, body in _FUNC.findall(text):
            case_or_reason = _case(name, body, consts, levels, file_fns)
            if isinstance(case_or_reason, str):
                skipped[f"{go.name}:{name}"] = case_or_reason
            else:
                case_or_reason["source"] = f"checker/{go.name}:{name}"
                cases.append(case_or_reason)
    return {
        "release": release,
        "rules": levels,
        "cases": cases,
        "skipped": skipped,
    }


def _case(
    name: str,
    body: str,
    consts: dict[str, str],
    levels: dict[str, str],
    file_fns: dict[str, str],
) -> dict[str, Any] | str:
    if "t.Run(" in body or re.search(r"for _, (tc|tt|test|testCase|c) := range", body):
        return "table-driven or sub-tests"
    if re.search(r"\.Spec\b|\.Value\(|openapi3\.New|civil\.|time\.Now", body):
        return "builds or edits a spec in Go code"
    if re.search(r"\b(?!open\b|require\w*\b)\w+\(t, (s1|s2)\b", body):
        return "a helper edits a spec in Go code"
    helpers = _STABILITY.findall(body) + _NULLABLE.findall(body)
    if len(helpers) > 1:
        return "several diffs"
    files: dict[str, str] = {}
    base = revision = None
    stability = "beta"
    dm = _D.findall(body)
    if len(dm) > 1:
        return "several diffs"
    if helpers:
        helper = helpers[0]
        if len(helper) == 3:  # stabilityChanges(t, base, revision, level)
            base, revision = f"data/stability/{helper[0]}", f"data/stability/{helper[1]}"
            stability = helper[2].lower()
        else:
            base, revision = helper
    elif dm:
        base, revision = f"data/openapi-test{dm[0][0]}.yaml", f"data/openapi-test{dm[0][1]}.yaml"
    else:
        for m in _LOAD.finditer(body):
            if m.group("open") is not None:
                path = _resolve_open(m.group("open"), file_fns)
            elif m.group("num"):
                path = f"data/openapi-test{m.group('num')}.yaml"
            else:
                path = f"{m.group('prefix').removeprefix('../')}{m.group('lnum')}.yaml"
            if path is None:
                return f"unresolved load {m.group(0)!r}"
            files[m.group("var")] = path
        diffs = _DIFF.findall(body)
        if len(diffs) != 1:
            return f"{len(diffs)} diff calls"
        a, b = diffs[0]
        if a not in files or b not in files:
            return "diff of unnamed specs"
        base, revision = files[a], files[b]
    if base == revision:
        return "the same file on both sides, edited in Go code"
    if "WithExclude" in body or "WithIncludePathParams" in body or "WithFlatten" in body:
        return "diff options"
    if "CompareChanges" in body or "WithSeverityLevels" in body or "Ignore" in body:
        return "level overrides or ignores"
    single = "singleCheckConfig" in body
    if not single and "allChecksConfig" not in body and not dm and not helpers:
        return "no recognised check config"
    absent: set[str] = set()
    expected: set[str] = set()
    for line in body.splitlines():
        ids = _ids_in(line, consts, levels)
        if not ids:
            continue
        if re.search(r"NoChange|NotEqual|NotContains|require\.False|Nil\(t, find", line):
            absent.update(ids)
        else:
            expected.update(ids)
    empty = bool(re.search(r"require\.(Empty\(t, \w+\)|Len\(t, \w+, 0\))", body))
    if not expected and not empty and not absent:
        return "asserts no rule id"
    if expected and empty:
        return "asserts both changes and no changes"
    days = re.search(r"WithDeprecation\((\d+),\s*(\d+)\)", body)
    until = re.search(r"UntilLevel\([^;]*checker\.(INFO|WARN|ERR)\)", body)
    min_level = _LEVEL_NAMES[until.group(1)] if until else "warning"
    if helpers:
        min_level = "info"  # both helpers report down to INFO
    return {
        "name": name,
        "base": base,
        "revision": revision,
        "expected": sorted([i, levels.get(i, "info")] for i in expected),
        "absent": sorted(absent - expected),
        "all_checks": not single,
        "stability_level": stability,
        "any_of": bool(re.search(r"slices\.Contains\(\[\]string\{", body)),
        "min_level": min_level,
        "deprecation_days": (
            {"beta": int(days.group(1)), "stable": int(days.group(2))} if days else None
        ),
    }


def main(argv: list[str]) -> int:
    src, release = Path(argv[1]), argv[2]
    corpus = extract(src, release)
    OUT.mkdir(parents=True, exist_ok=True)
    specs = OUT / "specs"
    if specs.exists():
        shutil.rmtree(specs)
    for case in corpus["cases"]:
        for side in ("base", "revision"):
            target = specs / case[side]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / case[side], target)
            case[side] = f"specs/{case[side]}"
    (OUT / "cases.json").write_text(json.dumps(corpus, indent=1) + "\n", encoding="utf-8")
    print(f"{len(corpus['cases'])} cases, {len(corpus['skipped'])} tests skipped")
    reasons: dict[str, int] = {}
    for why in corpus["skipped"].values():
        reasons[why] = reasons.get(why, 0) + 1
    for why, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
        print(f"  {n:4d}  {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
