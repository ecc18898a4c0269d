"""How often does dde-ci's built-in OpenAPI differ reach oasdiff's findings?

The corpus is ``tests/data/contracts/oasdiff/cases.json``: spec pairs taken
from oasdiff's own checker tests at one release (``release`` in the file),
each with the (rule id, level) pairs that test asserts, the ids it asserts
absent, and whether the test ran all checks or one.  It was built by
``benchmarks/oasdiff_corpus_extract.py`` from the oasdiff repository, plus
``ported.json``: tests that edit their spec in Go, with the edit written in
Python by ``benchmarks/oasdiff_corpus_port.py``.  This script needs no network
and no oasdiff binary.

Figures, per rule family and in total:

* ``cases``   -- spec pairs in the family;
* ``verdict`` -- breaking-verdict agreement on the cases whose oasdiff verdict
  is settled (the test expects an ERR, or it ran every check);
* ``recall``  -- share of the expected (id, level) pairs dde-ci reports;
* ``missed breaking`` -- cases where oasdiff says breaking and dde-ci not,
  listed by name (with the documented reason when dde-ci differs on purpose).

    .venv/bin/python benchmarks/oasdiff_agreement.py [-v] [--compose merge|oasdiff] [--catalogue]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "contracts" / "oasdiff"

FAMILIES = (
    ("deprecation/sunset/stability", ("deprecat", "sunset", "reactivated", "stability")),
    ("extensible-enum", ("x-extensible-enum", "extensible_enum")),
    ("discriminator", ("discriminator",)),
    ("composition", ("all-of", "any-of", "one-of", "all_of", "any_of", "one_of")),
    (
        "schema keywords",
        (
            "contains",
            "-if-",
            "-then-",
            "-else-",
            "_if_",
            "dependent",
            "unevaluated",
            "content-",
            "content_",
            "prefix-items",
            "prefix_items",
            "property-names",
            "property_names",
            "pattern-propert",
            "pattern_propert",
            "exclusive",
            "const",
            "list-of-types",
        ),
    ),
    ("security", ("security",)),
    ("headers", ("header",)),
    ("parameters", ("parameter",)),
    ("request body", ("request-body", "request_body", "requestbody")),
    ("request properties", ("request-property", "request_property")),
    ("response", ("response",)),
    ("paths/operations", ("",)),
)


ALL_OF_MERGED = (
    "deliberate: dde-ci merges allOf members before comparing and reports what the new "
    "member adds; --compose oasdiff reports request-*-all-of-added as oasdiff does"
)
SAME_CONTENT = (
    "dde-ci compares schemas after resolving $ref: an anyOf member replaced by another "
    "component with the same content accepts the same payloads, so nothing changed"
)
ENUM_DROPPED = (
    "deliberate: an enum dropped entirely from a request property accepts every value it "
    "accepted; oasdiff reports each value removed (ERR), dde-ci nothing"
)
DELIBERATE = {
    "TestTransitionClaims_RealChangeAlongsideTransitionStillReported": ENUM_DROPPED,
    "TestRequestBodyAnyOfMultiMediaTypeDetails": SAME_CONTENT,
    "TestBreaking_RequestPropertyAllOfAdded": ALL_OF_MERGED,
    "TestRequestPropertyAllOfAdded": ALL_OF_MERGED,
    "TestRequestPropertyAllOfAdded_WithSources_Inline": ALL_OF_MERGED,
    "TestRequestPropertyAllOfAdded_WithSources_Ref": ALL_OF_MERGED,
}
"""Cases where oasdiff says breaking and dde-ci (default options) not, with the reason."""


def family_of(text: str) -> str:
    low = text.lower()
    for name, needles in FAMILIES:
        if any(n in low for n in needles):
            return name
    return "paths/operations"


def case_family(case: dict[str, Any]) -> str:
    for rule, _level in case["expected"]:
        return family_of(rule)
    for rule in case["absent"]:
        return family_of(rule)
    return family_of(case["source"])


@dataclass
class Tally:
    cases: int = 0
    settled: int = 0
    agree: int = 0
    pairs: int = 0
    found: int = 0
    missed_breaking: list[str] = field(default_factory=list)
    false_ids: list[str] = field(default_factory=list)


def load_corpus() -> dict[str, Any]:
    """The extracted cases and the ported ones (``benchmarks/oasdiff_corpus_port.py``)."""
    data: dict[str, Any] = json.loads((CORPUS / "cases.json").read_text(encoding="utf-8"))
    data["cases"] += json.loads((CORPUS / "ported.json").read_text(encoding="utf-8"))
    return data


def run_case(case: dict[str, Any], *, oasdiff_compatible: bool) -> set[tuple[str, str]]:
    from dde_ci.contracts.diff import DiffOptions, diff_files

    days = case.get("deprecation_days") or {}
    options = DiffOptions(
        compose="oasdiff" if oasdiff_compatible else "merge",
        stability_level=case.get("stability_level", "beta"),
        **{f"deprecation_days_{k}": v for k, v in days.items()},
    )
    result = diff_files(
        CORPUS / case["base"],
        CORPUS / case["revision"],
        contract_type="openapi",
        root=CORPUS,
        options=options,
    )
    return {(c.id, c.level) for c in result.changes}


def measure(oasdiff_compatible: bool) -> tuple[dict[str, Tally], list[str]]:
    from dde_ci.errors import DdeError

    corpus = load_corpus()
    tallies: dict[str, Tally] = defaultdict(Tally)
    errors: list[str] = []
    for case in corpus["cases"]:
        tally = tallies[case_family(case)]
        tally.cases += 1
        expected = {(i, lv) for i, lv in case["expected"]}
        try:
            got = run_case(case, oasdiff_compatible=oasdiff_compatible)
        except DdeError as exc:
            errors.append(f"{case['name']}: {exc}")
            got = set()
        if case.get("any_of") and expected & got:  # the test accepts any one of them
            expected &= got
        oas_breaking = any(lv == "error" for _, lv in expected)
        ours_breaking = any(lv == "error" for _, lv in got)
        if oas_breaking or case["all_checks"]:
            tally.settled += 1
            tally.agree += oas_breaking == ours_breaking
        if oas_breaking and not ours_breaking:
            tally.missed_breaking.append(case["name"])
        tally.pairs += len(expected)
        tally.found += len(expected & got)
        ids = {i for i, _ in got}
        tally.false_ids += [f"{case['name']}:{i}" for i in case["absent"] if i in ids]
    return dict(tallies), errors


def _pct(n: int, d: int) -> str:
    return f"{100.0 * n / d:5.1f}%" if d else "   - "


def report(tallies: dict[str, Tally], verbose: bool) -> Tally:
    total = Tally()
    print(f"{'family':30s} {'cases':>5s} {'verdict':>14s} {'recall':>14s}  missed-breaking")
    for name, _ in FAMILIES:
        t = tallies.get(name)
        if t is None:
            continue
        print(
            f"{name:30s} {t.cases:5d} {_pct(t.agree, t.settled):>6s} ({t.agree:3d}/{t.settled:3d})"
            f" {_pct(t.found, t.pairs):>6s} ({t.found:3d}/{t.pairs:3d})  {len(t.missed_breaking)}"
        )
        total.cases += t.cases
        total.settled += t.settled
        total.agree += t.agree
        total.pairs += t.pairs
        total.found += t.found
        total.missed_breaking += t.missed_breaking
        total.false_ids += t.false_ids
    print(
        f"{'total':30s} {total.cases:5d} {_pct(total.agree, total.settled):>6s} "
        f"({total.agree:3d}/{total.settled:3d}) {_pct(total.found, total.pairs):>6s} "
        f"({total.found:3d}/{total.pairs:3d})  {len(total.missed_breaking)}"
    )
    if total.missed_breaking:
        print("\noasdiff says breaking, dde-ci not:")
        for name in total.missed_breaking:
            print(f"  {name}  ({DELIBERATE.get(name, 'UNEXPLAINED')})")
    if verbose and total.false_ids:
        print("\nids a test asserts absent that dde-ci reports:")
        for item in total.false_ids:
            print(f"  {item}")
    return total


def catalogue() -> None:
    """Print the rule catalogue as a markdown table (id, level, family, covered by)."""
    sys.path.insert(0, str(ROOT))
    from tests.contracts.diff.rule_pairs import rule_pairs

    corpus = load_corpus()
    rules: dict[str, str] = corpus["rules"]
    cases: dict[str, int] = defaultdict(int)
    for case in corpus["cases"]:
        for rule, _level in case["expected"]:
            cases[rule] += 1
    own = {pair.rule for pair in rule_pairs(rules)}
    merged = {"all-of-added", "all-of-removed"}
    print("| id | level | family | covered by |")
    print("|---|---|---|---|")
    order = {name: index for index, (name, _) in enumerate(FAMILIES)}
    for rule in sorted(rules, key=lambda r: (order[family_of(r)], r)):
        covered = f"{cases[rule]} oasdiff pair(s)" if cases[rule] else ""
        if rule in own:
            covered = f"{covered} + own pair" if covered else "own pair"
        note = " ¹" if any(rule.endswith(m) or f"{m}-" in rule for m in merged) else ""
        print(f"| `{rule}` | {rules[rule]} | {family_of(rule)} | {covered or 'none'}{note} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument(
        "--compose",
        choices=("merge", "oasdiff"),
        default="merge",
        help="how allOf is compared (as `contract diff --compose`; default: merge)",
    )
    parser.add_argument(
        "--catalogue", action="store_true", help="print the rule catalogue (markdown) and exit"
    )
    args = parser.parse_args(argv)
    if args.catalogue:
        catalogue()
        return 0
    corpus = load_corpus()
    ported = sum(1 for case in corpus["cases"] if "edit written in Python" in case["source"])
    print(
        f"oasdiff {corpus['release']}: {len(corpus['cases'])} spec pairs from its checker tests"
        f" ({ported} of them ported: the Go edit written in Python)"
    )
    tallies, errors = measure(args.compose == "oasdiff")
    report(tallies, args.verbose)
    if errors:
        print(f"\n{len(errors)} cases raised an input error:")
        for line in errors[:40]:
            print(f"  {line}")
    if args.verbose:
        missing: dict[str, int] = defaultdict(int)
        for case in corpus["cases"]:
            got = run_case(case, oasdiff_compatible=args.compose == "oasdiff")
            for rule, level in case["expected"]:
                if (rule, level) not in got:
                    missing[f"{rule} [{level}]"] += 1
        print("\nexpected pairs not found, by rule:")
        for key, n in sorted(missing.items(), key=lambda kv: -kv[1]):
            print(f"  {n:3d}  {key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
