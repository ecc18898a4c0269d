"""Rendering: audit.json valid against its schema, Markdown with two Mermaid pictures, text."""

from __future__ import annotations

import itertools
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dde_ci.audit.check import audit_iteration
from dde_ci.audit.model import AuditReport, NodeRecord, Override
from dde_ci.audit.report import (
    MERMAID_MAX_CHARS,
    gantt_rows,
    to_json,
    to_markdown,
    to_text,
    write_report,
)
from dde_ci.graph import build_graph, graph_from_edges
from dde_ci.manifest.loader import load_manifest
from dde_ci.schemas import schema
from tests.audit.builder import Project, gate

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path).clean()


def audited(project: Project, override: Override | None = None) -> AuditReport:
    manifest = load_manifest(project.manifest)
    return audit_iteration(manifest, project.iteration, now=NOW, override=override)


def broken(project: Project) -> AuditReport:
    project.gate_results("DB.Schema", gate("tests-pass", "DB.Schema", "failed", actual=2))
    project.gate_results(
        "BE.Orders", gate("coverage", "BE.Orders", "warning", severity="warning", actual=0.71)
    )
    project.write_log([e for e in project.events if e["node_id"] != "DEPLOY.Staging"])
    shutil.rmtree(project.node_dir("DEPLOY.Staging"))
    return audited(project)


def test_audit_json_is_valid_against_its_schema(project: Project) -> None:
    validator = jsonschema.Draft202012Validator(schema("audit"))
    for report in (audited(project), broken(project)):
        data = json.loads(to_json(report))
        validator.validate(data)
    assert data["result"] == "FAIL"
    assert data["completeness"]["missing"] == ["DEPLOY.Staging"]
    assert data["recommendations"][0].startswith("fix what gate tests-pass reports")


def test_markdown_has_summary_sections_and_both_pictures(project: Project) -> None:
    report = broken(project)
    text = to_markdown(report, build_graph(load_manifest(project.manifest)))
    assert text.startswith("## dde-ci audit: Iter-T-001 — ❌ FAIL\n")
    assert "| Score | 75% (3/4 nodes completed) |" in text
    for heading in (
        "### Completeness",
        "### Integrity",
        "### Violations (2)",
        "### Warnings (1)",
        "### Recommendations",
        "### Timeline as built",
        "### Nodes by outcome",
    ):
        assert heading in text
    assert "- Missing: `DEPLOY.Staging`" in text
    assert "| blocking | `gate_failed` | DB.Schema |" in text
    assert "| BE.Orders | `coverage` | warning (warning) | coverage warning |" in text
    assert "```mermaid\ngantt\n  title Iter-T-001 as built" in text
    assert "  API.Orders :0, 800\n" in text
    assert "```mermaid\nflowchart LR\n" in text
    assert 'n3["DEPLOY.Staging<br/>NOT_RUN"]' in text
    assert "  class n3 missing\n" in text
    assert "  class n0,n1,n2 completed\n" in text


def test_table_cells_escape_pipes_and_newlines(project: Project) -> None:
    project.gate_results(
        "DB.Schema",
        {**gate("tests-pass", "DB.Schema", "failed"), "message": "a | b\nc"},
    )
    text = to_markdown(audited(project))
    assert "(a \\| b c)" in text


@pytest.mark.parametrize(
    ("size", "note"),
    [
        (2000, "_Left out: the diagram would be "),
        (3000, "_Left out: 3,000 nodes are more than a Mermaid diagram can hold"),
    ],
)
def test_a_picture_over_mermaid_limit_is_left_out_with_a_note(
    project: Project, size: int, note: str
) -> None:
    report = audited(project)
    ids = [f"N{i:05d}" for i in range(size)]
    big = graph_from_edges(ids, list(itertools.pairwise(ids)))
    report.nodes = [NodeRecord(node_id=i, type="implementation") for i in ids]
    text = to_markdown(report, big)
    assert note in text
    assert f"{MERMAID_MAX_CHARS:,}" in text
    assert "flowchart" not in text
    assert "_No node ran, so there is nothing to draw._" in text


def test_gantt_rows_are_relative_to_the_first_start(project: Project) -> None:
    rows = gantt_rows(audited(project))
    assert rows[0][:3] == ("API.Orders", "completed", 0.0)
    assert rows[0][3] == pytest.approx(0.8)
    assert [r[0] for r in rows] == ["API.Orders", "DB.Schema", "BE.Orders", "DEPLOY.Staging"]


def test_text_report_lists_violations_and_what_to_do(project: Project) -> None:
    text = to_text(broken(project))
    assert text.startswith("audit Iter-T-001: FAIL, score 75% (3/4 nodes completed)\n")
    assert "  blocking node_not_run: node DEPLOY.Staging never ran" in text
    assert "           -> re-run node DEPLOY.Staging" in text
    assert "  warning  gate coverage on BE.Orders (warning): coverage warning" in text


def test_override_is_shown_when_applied(project: Project) -> None:
    override = Override("docs/adr/0007.md", "Ship anyway", ["Alice", "Bo"], "2026-11-27", None)
    project.write_log([e for e in project.events if e["node_id"] != "DEPLOY.Staging"])
    report = audited(project, override)
    assert (report.result, report.overridden, report.deployable) == ("FAIL", True, True)
    text = to_markdown(report)
    assert "— ⚠️ FAIL (overridden)" in text
    assert "**Overridden** by [Ship anyway](docs/adr/0007.md), approved by Alice, Bo." in text
    assert "override   docs/adr/0007.md approved by Alice, Bo" in to_text(report)


def test_override_is_not_applied_to_a_passing_audit(project: Project) -> None:
    override = Override("docs/adr/0007.md", "Ship anyway", ["Alice"], None, None)
    report = audited(project, override)
    assert (report.result, report.overridden) == ("PASS", False)
    assert "was not needed" in to_markdown(report)


def test_write_report_writes_both_files(project: Project, tmp_path: Path) -> None:
    paths = write_report(audited(project), tmp_path / "out")
    assert [p.name for p in paths] == ["audit.json", "audit.md"]
    assert json.loads(paths[0].read_text())["result"] == "PASS"
    assert "✅ PASS" in paths[1].read_text()


def test_the_status_counts_follow_a_new_node_list_and_are_not_shared_out(
    project: Project,
) -> None:
    report = audited(project)
    assert report.passed
    done = report.to_dict()
    done["completeness"]["missing"].append("changed by a caller")
    assert report.to_dict()["completeness"]["missing"] == []
    report.nodes = [*report.nodes, NodeRecord(node_id="LATE", type="implementation")]
    assert not report.passed
    assert report.ids_with("NOT_RUN") == ["LATE"]
    assert report.to_dict()["completeness"]["missing"] == ["LATE"]


_PLAIN_VALUES = st.one_of(
    st.text(alphabet='{}", :[]\\ab\n', max_size=8),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)


@given(
    items=st.lists(
        st.one_of(
            st.dictionaries(st.text(alphabet='{}", ab', max_size=4), _PLAIN_VALUES, max_size=3),
            st.integers(),
        ),
        max_size=6,
    )
)
def test_a_list_of_plain_objects_encoded_at_once_reads_as_one_object_a_line(
    items: list[Any],
) -> None:
    """The one-call encoding of audit.json's node lines gives the bytes, and the data, of
    encoding each object alone, whatever quotes and braces its strings hold."""
    from dde_ci.audit.report import _COMPACT, _readable

    expected = (
        "[\n" + ",\n".join("  " + _COMPACT.encode(x) for x in items) + "\n]" if items else "[]"
    )
    assert _readable(items, "") == expected
    assert json.loads(_readable(items, "")) == items
