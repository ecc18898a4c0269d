"""oasdiff's own checker tests, replayed (tests/data/contracts/oasdiff, see its NOTICE).

Each case is a spec pair from one oasdiff checker test at the release named in
``cases.json`` with the (rule id, level) pairs that test asserts and the ids it
asserts absent.  With ``compose="oasdiff"`` dde-ci must report every expected
pair and none of the absent ids; with the default ``compose="merge"`` it may
differ only on the documented ``allOf`` cases.  Every id dde-ci reports on any
pair, in either direction, is one of oasdiff's rules at oasdiff's level.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from dde_ci.contracts.diff import DiffOptions, diff_contracts, diff_files
from dde_ci.errors import InputError

CORPUS = Path(__file__).resolve().parents[2] / "data" / "contracts" / "oasdiff"
DATA: dict[str, Any] = json.loads((CORPUS / "cases.json").read_text(encoding="utf-8"))
PORTED: list[dict[str, Any]] = json.loads((CORPUS / "ported.json").read_text(encoding="utf-8"))
CASES = {case["name"]: case for case in DATA["cases"] + PORTED}
RULES: dict[str, str] = DATA["rules"]

DOCUMENTED_DIFFERENCES = {
    # a scalar query parameter that became an exploded form array accepts the
    # same query strings; dde-ci compares the schemas and calls it a type change
    "TestRequestQueryParamMultiTypeToFormExplodeArraySafe",
    # an anyOf member replaced by another component with the same content: dde-ci
    # compares resolved schemas, so no payload changes and nothing is reported
    "TestRequestBodyAnyOfMultiMediaTypeDetails",
    # an enum dropped entirely from a request property accepts every value it did;
    # oasdiff reports each value removed, dde-ci nothing
    "TestTransitionClaims_RealChangeAlongsideTransitionStillReported",
}
MERGE_DIFFERS = {
    # dde-ci's default merges allOf first, so a new allOf member is compared by
    # what it adds (its properties), not reported as request-*-all-of-added
    "TestBreaking_RequestPropertyAllOfAdded",
    "TestBreaking_RequestPropertyAllOfRemoved",
    "TestRequestPropertyAllOfAdded",
    "TestRequestPropertyAllOfAdded_WithSources_Inline",
    "TestRequestPropertyAllOfAdded_WithSources_Ref",
    "TestRequestPropertyAllOfRemoved",
    "TestRequestPropertyAllOfAdded_AnnotationOnly_EmitsInfo",
    "TestRequestPropertyAllOfAdded_AnnotationOnly_AtProperty_EmitsInfo",
    "TestResponsePropertyAllOfAdded",
    "TestResponsePropertyAllOfAdded_WithSources_Inline",
    "TestResponsePropertyAllOfAdded_WithSources_Ref",
    "TestResponsePropertyAllOfRemoved",
    "TestResponsePropertyAllOfAdded_AnnotationOnly_EmitsInfoWithDistinctId",
}


@cache
def run(name: str, compose: str, reverse: bool = False) -> frozenset[tuple[str, str]]:
    case = CASES[name]
    days = case.get("deprecation_days") or {}
    options = DiffOptions(
        compose=compose,
        deprecation_days_beta=days.get("beta", 0),
        deprecation_days_stable=days.get("stable", 0),
        stability_level=case.get("stability_level", "beta"),
    )
    base, revision = CORPUS / case["base"], CORPUS / case["revision"]
    if reverse:
        base, revision = revision, base
    result = diff_files(base, revision, contract_type="openapi", root=CORPUS, options=options)
    return frozenset((c.id, c.level) for c in result.changes)


def test_corpus_names_its_release_and_is_large() -> None:
    assert DATA["release"].startswith("v1.")
    assert len(CASES) >= 300
    assert len(RULES) >= 500


@pytest.mark.parametrize("name", sorted(CASES))
def test_oasdiff_case(name: str) -> None:
    if name in DOCUMENTED_DIFFERENCES:
        pytest.xfail("a documented difference (docs/contracts.md)")
    case = CASES[name]
    got = run(name, "oasdiff")
    expected = {(rule, level) for rule, level in case["expected"]}
    if case.get("any_of"):  # the oasdiff test accepts any one of the ids
        assert expected & got, f"none of {sorted(expected)}"
        return
    assert expected <= got, f"missing {sorted(expected - got)}"
    assert not {rule for rule, _ in got} & set(case["absent"])
    if not expected and case["all_checks"] and case["min_level"] == "warning":
        # the test ran every check and asserts that nothing is reported at WARN or above
        assert {(rule, level) for rule, level in got if level != "info"} == set()


@pytest.mark.parametrize("name", sorted(DOCUMENTED_DIFFERENCES))
def test_documented_differences_still_differ(name: str) -> None:
    case = CASES[name]
    assert not {(rule, level) for rule, level in case["expected"]} <= run(name, "oasdiff")


def test_merge_mode_differs_only_on_the_documented_all_of_cases() -> None:
    differing = {
        name
        for name, case in CASES.items()
        if name not in DOCUMENTED_DIFFERENCES
        and not case.get("any_of")
        and not {(rule, level) for rule, level in case["expected"]} <= run(name, "merge")
    }
    assert differing <= MERGE_DIFFERS
    assert len(differing) >= 8


@pytest.mark.parametrize("compose", ["merge", "oasdiff"])
@pytest.mark.parametrize("reverse", [False, True])
def test_every_reported_id_is_an_oasdiff_rule_at_its_level(compose: str, reverse: bool) -> None:
    wrong = {
        (rule, level, RULES.get(rule))
        for name in CASES
        for rule, level in run(name, compose, reverse)
        if RULES.get(rule) != level
    }
    assert wrong == set()


def test_unknown_compose_mode_is_an_input_error() -> None:
    doc = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}
    with pytest.raises(InputError, match="compose mode"):
        diff_contracts("openapi", doc, doc, options=DiffOptions(compose="flatten"))


SPECS = sorted({case[side] for case in CASES.values() for side in ("base", "revision")})


@pytest.mark.parametrize("spec", SPECS)
def test_a_spec_diffed_with_itself_has_no_change(spec: str) -> None:
    for compose in ("merge", "oasdiff"):
        path = CORPUS / spec
        options = DiffOptions(compose=compose, deprecation_days_stable=30)
        result = diff_files(path, path, contract_type="openapi", root=CORPUS, options=options)
        assert result.changes == []
