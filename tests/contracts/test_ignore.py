"""Ignore files: oasdiff's matching rule, and a reason (accepted ADR or expiry) for every line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dde_ci.contracts.diff.changes import Change, DiffResult
from dde_ci.contracts.diff.report import render_text
from dde_ci.contracts.ignore import Ignore, apply_ignores, load_ignore_files, read_ignores
from dde_ci.errors import InputError, ValidationError

TODAY = date(2026, 12, 7)
REMOVED = Change(
    "api-path-removed-without-deprecation",
    "error",
    "api path removed without deprecation",
    "/orders/{id}",
    "GET",
    "api.yaml:12:5",
)
WARNED = Change(
    "response-property-enum-value-added", "warning", "added the new enum value 'x'", "/a", "POST"
)
COMPONENT = Change("api-schema-removed", "error", "removed the schema 'Legacy'", None, None)

ACCEPTED = """\
---
status: accepted
date: 2026-12-01
---
# Retire GET /orders/{id} in favour of /v2/orders/{id}
"""


def _adr(root: Path, name: str = "0007-retire-orders.md", text: str = ACCEPTED) -> str:
    path = root / "docs" / "adr" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return f"docs/adr/{name}"


def _ignores(root: Path, text: str, level: str = "error") -> list[Ignore]:
    path = root / "ignore.txt"
    path.write_text(text)
    return read_ignores(path, level, root, today=TODAY, shown="ignore.txt")


def _problems(root: Path, text: str) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        _ignores(root, text)
    return str(caught.value).splitlines()


def test_an_ignore_with_an_accepted_adr_takes_the_change_out(tmp_path: Path) -> None:
    adr = _adr(tmp_path)
    ignores = _ignores(
        tmp_path,
        "# accepted breaking changes\n\n"
        f"GET /orders/{{id}} api path removed without deprecation  adr: {adr}\n",
    )
    (ignore,) = ignores
    assert ignore.line == 3 and ignore.adr == adr
    assert ignore.adr_title == "Retire GET /orders/{id} in favour of /v2/orders/{id}"
    found = apply_ignores(DiffResult("openapi", [REMOVED, WARNED]), ignores)
    assert found.result.changes == [WARNED]
    assert [(i.change, i.ignore) for i in found.ignored] == [(REMOVED, ignore)]
    assert not found.result.breaking and found.result.kind == "additive"
    assert found.unused == []


def test_every_ignored_change_still_counts_as_a_change(tmp_path: Path) -> None:
    ignores = _ignores(
        tmp_path, "get /orders/{id} api path removed without deprecation expires: 2026-12-31"
    )
    found = apply_ignores(DiffResult("openapi", [REMOVED]), ignores)
    assert found.result.changes == [] and found.result.kind == "additive"


def test_oasdiff_matching_rule(tmp_path: Path) -> None:
    reason = "expires: 2027-01-31"
    assert _ignores(
        tmp_path, f"{reason} - 12.01 In GET /ORDERS/{{ID}} we API PATH REMOVED without deprecation"
    )[0].matches(REMOVED)
    # the path is the first word starting with '/': a longer or shorter path does not match
    assert not _ignores(
        tmp_path, f"GET /orders/{{id}}/items api path removed without deprecation {reason}"
    )[0].matches(REMOVED)
    assert not _ignores(tmp_path, f"GET /orders api path removed without deprecation {reason}")[
        0
    ].matches(REMOVED)
    # the method and the text must both be there
    assert not _ignores(
        tmp_path, f"POST /orders/{{id}} api path removed without deprecation {reason}"
    )[0].matches(REMOVED)
    assert not _ignores(tmp_path, f"GET /orders/{{id}} api path removed {reason}")[0].matches(
        REMOVED
    )
    # a change without an operation: 'components' (or its path) and its text
    assert _ignores(tmp_path, f"in components removed the schema 'Legacy' {reason}")[0].matches(
        COMPONENT
    )
    assert not _ignores(tmp_path, f"removed the schema 'Legacy' {reason}")[0].matches(COMPONENT)


def test_an_ignore_applies_to_its_level_only(tmp_path: Path) -> None:
    line = "POST /a added the new enum value 'x' expires: 2027-01-01"
    assert not _ignores(tmp_path, line, "error")[0].matches(WARNED)
    assert _ignores(tmp_path, line, "warning")[0].matches(WARNED)


def test_a_line_of_the_text_output_matches_its_change(tmp_path: Path) -> None:
    line = render_text(DiffResult("openapi", [REMOVED])).splitlines()[0]
    assert line == (
        "api.yaml:12:5: error: [api-path-removed-without-deprecation] GET /orders/{id}: "
        "api path removed without deprecation"
    )
    assert _ignores(tmp_path, f"{line}  expires: 2027-01-01")[0].matches(REMOVED)


def test_every_line_needs_a_reason_and_every_problem_is_reported(tmp_path: Path) -> None:
    _adr(tmp_path, "0001-draft.md", ACCEPTED.replace("accepted", "proposed"))
    assert _problems(
        tmp_path,
        "GET /a removed the path\n"
        "GET /b removed the path expires: 2026-12-06\n"
        "GET /c removed the path expires: 2026-12-07\n"
        "GET /d removed the path expires: tomorrow\n"
        "GET /e removed the path adr: docs/adr/0001-draft.md\n"
        "GET /f removed the path adr: docs/adr/0404-missing.md\n"
        "GET /g removed the path adr: ../outside.md\n",
    ) == [
        "ignore.txt:1:1: ignore without a reason: add 'adr: docs/adr/NNNN-title.md' (an accepted "
        "ADR) or 'expires: YYYY-MM-DD' to the line",
        "ignore.txt:2:34: ignore expired on 2026-12-06: fix the change, or extend the date with "
        "a reason",
        "ignore.txt:4:34: expires: 'tomorrow' is not a date (YYYY-MM-DD)",
        "ignore.txt:5:30: ADR docs/adr/0001-draft.md is 'proposed', not 'accepted'",
        "ignore.txt:6:30: ADR docs/adr/0404-missing.md does not exist",
        "ignore.txt:7:30: ADR '../outside.md' must be a relative path inside the project",
    ]


def test_files_per_level_are_read_together(tmp_path: Path) -> None:
    (tmp_path / "err.txt").write_text("GET /a removed expires: 2027-01-01\n")
    (tmp_path / "warn.txt").write_text("GET /b changed\n")
    with pytest.raises(ValidationError) as caught:
        load_ignore_files(
            {"error": tmp_path / "err.txt", "warning": tmp_path / "warn.txt"},
            tmp_path,
            today=TODAY,
        )
    assert str(caught.value).startswith("warn.txt:1:1: ignore without a reason")
    (tmp_path / "warn.txt").write_text("GET /b changed adr: " + _adr(tmp_path) + "\n")
    loaded = load_ignore_files(
        {"error": tmp_path / "err.txt", "warning": tmp_path / "warn.txt", "info": None},
        tmp_path,
        today=TODAY,
    )
    assert [(i.file, i.level) for i in loaded] == [("err.txt", "error"), ("warn.txt", "warning")]


def test_unused_ignores_are_listed(tmp_path: Path) -> None:
    ignores = _ignores(tmp_path, "GET /gone removed expires: 2027-01-01")
    found = apply_ignores(DiffResult("openapi", [REMOVED]), ignores)
    assert found.result.changes == [REMOVED] and found.unused == ignores


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40))
def test_matching_never_raises_and_needs_the_message(noise: str) -> None:
    ignore = Ignore("f", 1, "error", noise + " expires: 2027-01-01", expires=date(2027, 1, 1))
    if ignore.matches(REMOVED):
        assert REMOVED.message in ignore.text.lower()


def test_only_errors_and_warnings_can_be_ignored(tmp_path: Path) -> None:
    (tmp_path / "info.txt").write_text("GET /a added expires: 2027-01-01\n")
    with pytest.raises(InputError, match="ignore level 'info' is not one of error, warning"):
        load_ignore_files({"info": tmp_path / "info.txt"}, tmp_path, today=TODAY)
