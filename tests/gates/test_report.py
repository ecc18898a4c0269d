"""Reports: Markdown table, SARIF 2.1.0 levels, suppressions and locations, annotations."""

from __future__ import annotations

from typing import Any

from dde_ci.gates.evaluators.base import Finding
from dde_ci.gates.report import annotation_items, render_markdown, render_sarif
from dde_ci.gates.results import GateResult


def result(name: str, status: str, severity: str = "blocking", **extra: Any) -> GateResult:
    return GateResult(
        gate_name=name,
        node_id="N",
        phase="post",
        status=status,
        actual_value=0.5,
        expected_value=0.8,
        threshold_condition="line_rate >= 0.8",
        severity=severity,
        timestamp="2026-11-27T00:00:00.000000Z",
        duration_ms=1.0,
        message=f"gate {name!r} {status}",
        source="gates.yaml:12:5",
        **extra,
    )


RESULTS = [
    result("ok", "passed"),
    result("tests", "failed", findings=[Finding("failure: t.test_x", "tests/test_x.py", 9)]),
    result("cov", "bypassed", adr="docs/adr/0001-cov.md"),
    result("note", "warning", severity="info"),
    result("pipe|name", "warning", severity="warning"),
]


def test_sarif_levels_kinds_and_suppressions() -> None:
    log = render_sarif(RESULTS, "1.0")
    run = log["runs"][0]
    assert log["version"] == "2.1.0"
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [
        "ok",
        "tests",
        "cov",
        "note",
        "pipe|name",
    ]
    got = [(r["ruleId"], r["level"], r.get("kind")) for r in run["results"]]
    assert got == [
        ("ok", "none", "pass"),
        ("tests", "error", None),
        ("cov", "note", None),
        ("note", "note", None),
        ("pipe|name", "warning", None),
    ]
    tests = run["results"][1]
    assert tests["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "tests/test_x.py"},
        "region": {"startLine": 9},
    }
    assert run["results"][2]["suppressions"] == [
        {"kind": "external", "status": "accepted", "justification": "ADR docs/adr/0001-cov.md"}
    ]
    assert run["results"][3]["locations"][0]["physicalLocation"]["region"] == {"startLine": 12}


def test_markdown_escapes_and_counts() -> None:
    text = render_markdown("N", "post", RESULTS)
    assert "| `pipe\\|name` | post | warning | ⚠️ warning |" in text
    assert "⏭️ bypassed ([ADR](docs/adr/0001-cov.md))" in text
    assert text.endswith("1 passed, 1 failed, 2 warning, 1 bypassed.\n")
    assert render_markdown("N", None, []) == "### Gates of `N`\n\nNo gates attached.\n"


def test_annotations_point_at_findings_or_the_gate() -> None:
    items = annotation_items(RESULTS)
    assert [(level, str(loc)) for level, _, loc in items] == [
        ("error", "tests/test_x.py:9:1"),
        ("notice", "gates.yaml:12:1"),
        ("warning", "gates.yaml:12:1"),
        ("warning", "gates.yaml:12:1"),
    ]
