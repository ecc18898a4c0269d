"""``contract diff --compose`` and ``--deprecation-days-beta/-stable`` (oasdiff's options)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dde_ci.cli.main import main

CORPUS = Path(__file__).resolve().parents[2] / "data" / "contracts" / "oasdiff"


def ids(args: list[str], capsys: pytest.CaptureFixture[str]) -> set[tuple[str, str]]:
    code = main(["contract", "diff", *args, "--root", str(CORPUS), "--format", "json"])
    assert code == 0
    return {(c["id"], c["level"]) for c in json.loads(capsys.readouterr().out)["changes"]}


def test_compose_oasdiff_reports_all_of_members(capsys: pytest.CaptureFixture[str]) -> None:
    folder = CORPUS / "specs" / "data" / "checker"
    pair = [
        str(folder / "request_property_all_of_added_base.yaml"),
        str(folder / "request_property_all_of_added_revision.yaml"),
    ]
    merged = ids(pair, capsys)
    assert ("request-body-all-of-added", "error") not in merged
    oasdiff = ids([*pair, "--compose", "oasdiff"], capsys)
    assert ("request-property-all-of-added", "error") in oasdiff
    assert ("request-body-all-of-added", "error") in oasdiff


def test_deprecation_days_stable_requires_a_sunset(capsys: pytest.CaptureFixture[str]) -> None:
    folder = CORPUS / "specs" / "data" / "deprecation"
    pair = [str(folder / "base.yaml"), str(folder / "deprecated-no-sunset.yaml")]
    assert ids(pair, capsys) == {("endpoint-deprecated", "info")}
    found = ids([*pair, "--deprecation-days-stable", "100"], capsys)
    assert ("api-deprecated-sunset-missing", "error") in found
    assert ("endpoint-deprecated", "info") not in found
    strict = ["--deprecation-days-stable", "100", "--fail-on", "breaking"]
    code = main(["contract", "diff", *pair, "--root", str(CORPUS), *strict])
    assert code == 1


def test_stability_level_reports_changes_to_draft_operations(
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = CORPUS / "specs" / "data" / "stability"
    pair = [str(folder / "revision-endpoint-draft.yaml"), str(folder / "base-endpoint-stable.yaml")]
    assert ("api-stability-increased", "info") not in ids(pair, capsys)
    assert ("api-stability-increased", "info") in ids([*pair, "--stability-level", "draft"], capsys)


def test_negative_deprecation_days_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    folder = CORPUS / "specs" / "data" / "deprecation"
    pair = [str(folder / "base.yaml"), str(folder / "base.yaml")]
    assert main(["contract", "diff", *pair, "--deprecation-days-beta", "-1"]) == 2
    assert "deprecation-days-beta" in capsys.readouterr().err
