"""The audit lists the contracts' active ignores; an expired or unjustified one blocks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from dde_ci.audit.check import audit_iteration
from dde_ci.audit.model import AuditReport
from dde_ci.audit.report import to_json, to_markdown
from dde_ci.manifest.loader import load_manifest
from dde_ci.schemas import schema
from tests.audit.builder import Project

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
IGNORE = "contracts/orders-api.err-ignore"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = Project(tmp_path).clean()
    text = project.manifest.read_text().replace(
        "path: contracts/orders-api.yaml}",
        f"path: contracts/orders-api.yaml, err_ignore: {IGNORE}}}",
    )
    project.manifest.write_text(text)
    project.adr("0003-retire-orders.md", "status: accepted\ndate: 2026-11-20", "Retire v1 orders")
    return project


def audited(project: Project) -> AuditReport:
    return audit_iteration(load_manifest(project.manifest), project.iteration, now=NOW)


def test_active_ignores_are_listed_in_audit_json_and_md(project: Project) -> None:
    (project.root / IGNORE).write_text(
        "# accepted\n"
        "GET /orders/{id} api path removed without deprecation "
        "adr: docs/adr/0003-retire-orders.md\n"
        "components removed the schema 'Legacy' expires: 2026-11-28\n"
    )
    report = audited(project)
    assert report.violations == [] and report.result == "PASS"
    data = json.loads(to_json(report))
    jsonschema.Draft202012Validator(schema("audit")).validate(data)
    ignores = data["integrity"]["contracts"]["ignores"]
    assert [
        (i["contract"], i["file"], i["line"], i["adr_title"], i["expires"]) for i in ignores
    ] == [
        ("orders-api", IGNORE, 2, "Retire v1 orders", None),
        ("orders-api", IGNORE, 3, None, "2026-11-28"),
    ]
    text = to_markdown(report)
    assert "### Accepted contract changes (2)" in text
    assert (
        f"| orders-api | error | `{IGNORE}:2` GET /orders/{{id}} api path removed without "
        "deprecation adr: docs/adr/0003-retire-orders.md | ADR docs/adr/0003-retire-orders.md "
        "(Retire v1 orders) |"
    ) in text


def test_an_expired_ignore_blocks_the_iteration(project: Project) -> None:
    (project.root / IGNORE).write_text("GET /orders removed the path expires: 2026-11-27\n")
    report = audited(project)
    (violation,) = report.violations
    assert (violation.type, violation.severity, violation.node_id) == (
        "contract_ignore_invalid",
        "blocking",
        "API.Orders",
    )
    assert violation.message == (
        f"contract orders-api: {IGNORE}:1:39: ignore expired on 2026-11-27: fix the change, or "
        "extend the date with a reason"
    )
    assert report.result == "FAIL" and "ignores" not in report.to_dict()["integrity"]["contracts"]
