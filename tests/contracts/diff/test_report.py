"""Renderers of a diff: the Markdown changelog and the GitHub annotation items."""

from __future__ import annotations

from datetime import date

from dde_ci.contracts.diff.changes import Change, DiffResult
from dde_ci.contracts.diff.report import annotation_items, render_markdown, split_location
from dde_ci.contracts.ignore import Ignore, IgnoredChange

CHANGES = [
    Change("a-rule", "error", "removed `x` | <b>*", "/orders", "GET", "api.yaml:3:5"),
    Change("b-rule", "error", "removed y", "/orders", "GET", "api.yaml:9:5"),
    Change("c-rule", "error", "removed z", "/items", "POST", None),
    Change("d-rule", "warning", "may break", "/orders", "GET", "revision#/paths"),
    Change("e-rule", "info", "added w", None, None, None),
]


def test_markdown_groups_by_level_then_operation() -> None:
    text = render_markdown(DiffResult("openapi", CHANGES), title="Orders API")
    assert text.splitlines() == [
        "### Orders API (openapi)",
        "",
        "**5 changes: 3 error, 1 warning, 1 info (breaking: a major version)**",
        "",
        "#### 🔴 Breaking changes (error): 3",
        "",
        "##### `GET /orders`",
        "",
        "- removed \\`x\\` \\| \\<b\\>\\* `a-rule` (`api.yaml:3:5`)",
        "- removed y `b-rule` (`api.yaml:9:5`)",
        "",
        "##### `POST /items`",
        "",
        "- removed z `c-rule`",
        "",
        "#### 🟠 Changes that may break (warning): 1",
        "",
        "##### `GET /orders`",
        "",
        "- may break `d-rule` (`revision#/paths`)",
        "",
        "#### 🔵 Other changes (info): 1",
        "",
        "##### `(document)`",
        "",
        "- added w `e-rule`",
    ]


def test_markdown_lists_ignored_changes_with_their_reason() -> None:
    ignore = Ignore(
        "ignore.txt",
        4,
        "error",
        "GET /x removed",
        adr="docs/adr/0001-a.md",
        expires=date(2027, 1, 1),
    )
    text = render_markdown(DiffResult("openapi", []), ignored=[IgnoredChange(CHANGES[1], ignore)])
    assert text.splitlines()[-3:] == [
        "#### Accepted by an ignore file: 1",
        "",
        "- removed y `b-rule` (`api.yaml:9:5`), error in `GET /orders`, ignored by "
        "`ignore.txt:4:1` (ADR docs/adr/0001-a.md, until 2027-01-01)",
    ]


def test_no_change_is_the_verdict_alone() -> None:
    assert render_markdown(DiffResult("graphql", [])) == (
        "### Contract diff (graphql)\n\n**0 changes: 0 error, 0 warning, 0 info (no changes)**\n"
    )


def test_annotation_items() -> None:
    assert annotation_items(DiffResult("openapi", CHANGES)) == [
        ("error", "a-rule", "in API GET /orders removed `x` | <b>*", "api.yaml", 3, 5),
        ("error", "b-rule", "in API GET /orders removed y", "api.yaml", 9, 5),
        ("error", "c-rule", "in API POST /items removed z", None, 0, 0),
        ("warning", "d-rule", "in API GET /orders may break", None, 0, 0),
        ("notice", "e-rule", "added w", None, 0, 0),
    ]


def test_split_location() -> None:
    assert split_location("a/b:c.yaml:12:7") == ("a/b:c.yaml", 12, 7)
    assert split_location("base#/paths/~1a") == (None, 0, 0)
    assert split_location("spec.yaml") == ("spec.yaml", 0, 0)
    assert split_location(None) == (None, 0, 0)
