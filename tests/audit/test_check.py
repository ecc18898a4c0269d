"""Each fault the audit must find, on iterations built file by file; a clean one passes."""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dde_ci.audit.check import audit_iteration, log_audit
from dde_ci.audit.model import AuditReport, Violation
from dde_ci.log import read_log
from dde_ci.manifest.loader import load_manifest
from tests.audit.builder import DIGEST, OLD_DIGEST, ORDER, Project, gate, write_json

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path).clean()


def audit(project: Project) -> AuditReport:
    manifest = load_manifest(project.manifest)
    report = audit_iteration(manifest, project.iteration, now=NOW)
    for v in report.violations:  # every violation says what to do
        assert v.recommendation and v.message and v.severity in ("blocking", "warning")
    return report


def only(report: AuditReport, kind: str) -> Violation:
    found = [v for v in report.violations if v.type == kind]
    assert len(found) == 1, [v.to_dict() for v in report.violations]
    return found[0]


def types(report: AuditReport) -> list[str]:
    return [v.type for v in report.violations]


def test_a_clean_iteration_passes(project: Project) -> None:
    report = audit(project)
    assert report.violations == []
    assert (report.result, report.score, report.deployable) == ("PASS", 1.0, True)
    data = report.to_dict()
    assert data["completeness"]["planned"] == data["completeness"]["completed"] == 4
    assert data["integrity"]["gates"] == {"passed": 1, "failed": 0, "warning": 0, "bypassed": 0}
    assert data["integrity"]["artifacts"] == {
        "declared": 3,
        "stamped": 3,
        "missing": 0,
        "tampered": 0,
    }
    assert data["integrity"]["contracts"] == {
        "produced": 1,
        "locked": 1,
        "consumers": 1,
        "verified": 1,
    }
    assert data["run_ids"] == ["run-1"]
    be = next(n for n in data["nodes"] if n["node_id"] == "BE.Orders")
    assert be["started_at"] == "2026-11-27T12:00:03.100000Z"
    assert be["duration_s"] == pytest.approx(0.8)


def test_a_missing_node_is_found_and_lowers_the_score(project: Project) -> None:
    project.write_log([e for e in project.events if e["node_id"] != "DEPLOY.Staging"])
    shutil.rmtree(project.node_dir("DEPLOY.Staging"))
    report = audit(project)
    v = only(report, "node_not_run")
    assert v.node_id == "DEPLOY.Staging" and v.severity == "blocking"
    assert v.recommendation.startswith("re-run node DEPLOY.Staging")
    assert report.score == 0.75
    assert report.result == "FAIL"
    assert report.to_dict()["completeness"]["missing"] == ["DEPLOY.Staging"]


def test_a_failed_node_is_found_with_its_message(project: Project) -> None:
    events = [
        e
        for e in project.events
        if not (e["node_id"] == "DEPLOY.Staging" and e["event_type"] == "node.completed")
    ]
    events.append(project.event("node.failed", 5, "DEPLOY.Staging", attempt=1))
    project.write_log(events)
    result = project.node_dir("DEPLOY.Staging") / "result.json"
    data = json.loads(result.read_text())
    data.update(status="FAILED", exit_code=3, message="exit code 3")
    write_json(result, data)
    report = audit(project)
    v = only(report, "node_failed")
    assert v.message == "node DEPLOY.Staging failed: exit code 3"
    assert v.details["exit_code"] == 3
    assert report.to_dict()["completeness"]["failed"] == ["DEPLOY.Staging"]


def test_a_result_that_contradicts_the_log_is_found(project: Project) -> None:
    result = project.node_dir("DB.Schema") / "result.json"
    data = json.loads(result.read_text())
    data["status"] = "FAILED"
    write_json(result, data)
    v = only(audit(project), "record_mismatch")
    assert v.message.startswith("node DB.Schema is COMPLETED in the log but FAILED in ")


def test_a_missing_result_file_is_a_violation(project: Project) -> None:
    (project.node_dir("DEPLOY.Staging") / "result.json").unlink()
    v = only(audit(project), "result_missing")
    assert v.node_id == "DEPLOY.Staging"


def test_a_failed_blocking_gate_is_found(project: Project) -> None:
    project.gate_results("DB.Schema", gate("tests-pass", "DB.Schema", "failed", actual=3))
    report = audit(project)
    v = only(report, "gate_failed")
    assert v.node_id == "DB.Schema"
    assert v.message == (
        "blocking gate tests-pass failed on node DB.Schema: actual 3, expected "
        "'failed == 0' (tests-pass failed)"
    )
    assert "add an accepted ADR for gate tests-pass on node DB.Schema" in v.recommendation
    assert report.result == "FAIL"
    assert report.score == 1.0  # every node completed, yet a blocking violation fails it


def test_warning_gates_are_listed_and_do_not_block(project: Project) -> None:
    project.gate_results(
        "DB.Schema",
        gate("tests-pass", "DB.Schema", "passed"),
        gate("coverage", "DB.Schema", "warning", severity="warning"),
        gate("lint", "DB.Schema", "failed", severity="info"),
    )
    report = audit(project)
    assert report.result == "PASS"
    assert [(w.gate_name, w.status) for w in report.warnings] == [
        ("coverage", "warning"),
        ("lint", "failed"),
    ]


def test_a_bypass_without_adr_is_found(project: Project) -> None:
    project.gate_results("DB.Schema", gate("tests-pass", "DB.Schema", "bypassed", adr=None))
    v = only(audit(project), "bypass_without_adr")
    assert v.message == (
        "gate tests-pass on node DB.Schema was bypassed, but the gate result names no ADR"
    )
    assert v.recommendation.startswith("add an accepted ADR for gate tests-pass on node DB.Schema")


def test_a_bypass_under_an_accepted_adr_passes(project: Project) -> None:
    project.adr(
        "0001-skip-tests.md",
        """
        status: accepted
        date: 2026-11-27
        bypass:
          - {gate: tests-pass, node: DB.Schema, expires: 2026-12-31}
        """,
    )
    adr = "docs/adr/0001-skip-tests.md"
    project.gate_results("DB.Schema", gate("tests-pass", "DB.Schema", "bypassed", adr=adr))
    report = audit(project)
    assert report.result == "PASS", types(report)
    assert report.counts.gates_bypassed == 1


@pytest.mark.parametrize(
    ("front", "reason"),
    [
        (
            "status: proposed\nbypass: [{gate: tests-pass, node: DB.Schema}]",
            "status is 'proposed', not 'accepted'",
        ),
        (
            "status: accepted\nbypass: [{gate: tests-pass, node: DB.Schema, expires: 2026-11-01}]",
            "expired on 2026-11-01",
        ),
        (
            "status: accepted\nbypass: [{gate: tests-pass, node: BE.Orders}]",
            "does not list gate 'tests-pass' for node DB.Schema",
        ),
        ("status: accepted", "does not list gate 'tests-pass' for node DB.Schema"),
    ],
)
def test_a_bypass_under_an_adr_that_does_not_cover_it_is_found(
    project: Project, front: str, reason: str
) -> None:
    project.adr("0002-bad.md", front)
    adr = "docs/adr/0002-bad.md"
    project.gate_results("DB.Schema", gate("tests-pass", "DB.Schema", "bypassed", adr=adr))
    v = only(audit(project), "bypass_adr_invalid")
    assert reason in v.message


def test_a_bypass_naming_a_missing_adr_is_found(project: Project) -> None:
    adr = "docs/adr/none.md"
    project.gate_results("DB.Schema", gate("tests-pass", "DB.Schema", "bypassed", adr=adr))
    v = only(audit(project), "bypass_adr_invalid")
    assert "ADR not found" in v.message


def test_gates_named_in_the_manifest_must_have_results(project: Project) -> None:
    (project.node_dir("DB.Schema") / "gates.json").unlink()
    assert only(audit(project), "gate_record_missing").node_id == "DB.Schema"
    project.gate_results("DB.Schema", gate("other", "DB.Schema", "passed"))
    assert only(audit(project), "gate_not_evaluated").details["gate_name"] == "tests-pass"


def test_a_corrupt_gate_file_is_reported_not_raised(project: Project) -> None:
    (project.node_dir("DB.Schema") / "gates.json").write_text("{not json")
    v = only(audit(project), "gate_record_invalid")
    assert "is not valid JSON" in v.message


def test_a_fifo_or_a_device_in_place_of_a_record_is_a_verdict_not_a_hang(
    project: Project,
) -> None:
    from tests.special import fifo_and_endless

    gates = project.node_dir("DB.Schema") / "gates.json"
    result_file = project.node_dir("API.Orders") / "result.json"
    gates.unlink()
    result_file.unlink()
    fifo_and_endless(gates, result_file)
    report = audit(project)
    assert "is not a regular file" in only(report, "gate_record_invalid").message
    result = only(report, "result_invalid")
    assert result.node_id == "API.Orders" and "is not a regular file" in result.message
    assert report.result == "FAIL"


def test_a_tampered_artifact_is_found(project: Project) -> None:
    stored = project.store("BE.Orders") / "build/backend/app.py"
    stored.write_bytes(b"def app(): return 'pwned'\n")
    report = audit(project)
    v = only(report, "artifact_tampered")
    assert v.node_id == "BE.Orders"
    assert v.details["artifact"] == "build/backend/app.py"
    assert v.details["actual"] != v.details["stamped"]
    assert report.counts.artifacts_tampered == 1
    assert report.result == "FAIL"


def test_a_changed_working_copy_is_only_a_warning(project: Project) -> None:
    (project.root / "build/db/shop.sql").write_text("DROP TABLE orders;\n")
    report = audit(project)
    v = only(report, "artifact_modified")
    assert v.severity == "warning"
    assert report.result == "PASS"


def test_a_stored_artifact_that_is_gone_is_found(project: Project) -> None:
    (project.store("DB.Schema") / "build/db/shop.sql").unlink()
    assert only(audit(project), "artifact_missing").node_id == "DB.Schema"


def test_a_declared_artifact_without_stamp_is_found(project: Project) -> None:
    (project.store("BE.Orders") / "stamp.intoto.json").unlink()
    v = only(audit(project), "artifact_not_stamped")
    assert v.node_id == "BE.Orders"
    assert v.details["artifact"] == "build/backend/**"
    assert "dde-ci stamp BE.Orders PATH" in v.recommendation


def test_a_stamp_that_is_not_a_statement_is_found(project: Project) -> None:
    stamp = project.store("DB.Schema") / "stamp.intoto.json"
    data = json.loads(stamp.read_text())
    data["predicate"]["node_id"] = "BE.Orders"
    write_json(stamp, data)
    report = audit(project)
    assert "was made for node_id 'BE.Orders'" in only(report, "stamp_invalid").message
    assert only(report, "artifact_not_stamped").node_id == "DB.Schema"


def test_a_stamp_subject_escaping_the_store_is_refused(project: Project) -> None:
    stamp = project.store("DB.Schema") / "stamp.intoto.json"
    data = json.loads(stamp.read_text())
    data["subject"].append({"name": "../../../../etc/passwd", "digest": {"sha256": "0" * 64}})
    write_json(stamp, data)
    assert "not a relative path inside" in only(audit(project), "stamp_invalid").message


def test_an_unlocked_contract_is_found(project: Project) -> None:
    (project.root / "contracts.lock").unlink()
    report = audit(project)
    v = only(report, "contract_not_locked")
    assert v.node_id == "API.Orders"
    assert v.message == "contract orders-api, produced by node API.Orders, is not in contracts.lock"
    assert v.recommendation.startswith("re-lock contract orders-api")
    assert only(report, "contract_not_verified").node_id == "BE.Orders"
    assert report.counts.contracts_locked == 0


def test_a_lock_entry_without_registry_entry_is_found(project: Project) -> None:
    shutil.rmtree(project.root / ".dde" / "contracts")
    v = only(audit(project), "contract_not_locked")
    assert "its registry entry" in v.message and "is missing" in v.message


def test_a_superseded_lock_is_found(project: Project) -> None:
    meta = project.root / ".dde/contracts/orders/orders-api/1.0.0/contract.json"
    data = json.loads(meta.read_text())
    data["status"] = "SUPERSEDED"
    write_json(meta, data)
    assert "status 'SUPERSEDED'" in only(audit(project), "contract_not_locked").message


def test_a_locked_spec_changed_in_the_registry_is_found(project: Project) -> None:
    spec = project.root / ".dde/contracts/orders/orders-api/1.0.0/orders-api.yaml"
    spec.write_text(spec.read_text().replace("paths: {}", "paths: {/orders: {}}"))
    v = only(audit(project), "contract_tampered")
    assert v.node_id == "API.Orders"
    assert "was changed in the registry after it was locked" in v.message
    assert v.recommendation.startswith("re-lock contract orders-api")


def test_a_consumer_built_against_an_old_digest_is_found(project: Project) -> None:
    for name in ("contracts.json", "context.json"):
        path = project.node_dir("BE.Orders") / name
        path.write_text(path.read_text().replace(DIGEST, OLD_DIGEST))
    v = only(audit(project), "contract_digest_mismatch")
    assert v.node_id == "BE.Orders"
    assert v.details["built_against"]["digest"] == OLD_DIGEST
    assert v.details["locked"] == {"version": "1.0.0", "digest": DIGEST}
    assert v.recommendation == "re-run node BE.Orders against contract orders-api 1.0.0"


def test_a_consumer_verified_against_an_old_digest_is_found(project: Project) -> None:
    path = project.node_dir("BE.Orders") / "contracts.json"
    path.write_text(path.read_text().replace(DIGEST, OLD_DIGEST))
    v = only(audit(project), "contract_digest_mismatch")
    assert v.details["source"] == "contracts.json"


def test_a_consumer_never_verified_or_failing_is_found(project: Project) -> None:
    path = project.node_dir("BE.Orders") / "contracts.json"
    path.unlink()
    assert (
        "dde-ci contract verify BE.Orders"
        in only(audit(project), "contract_not_verified").recommendation
    )
    write_json(
        path,
        {
            "results": [
                {
                    "contract": "orders-api",
                    "version": "1.0.0",
                    "digest": DIGEST,
                    "ok": False,
                    "findings": [{"pointer": "/paths/~1orders", "message": "missing"}],
                }
            ]
        },
    )
    v = only(audit(project), "contract_verification_failed")
    assert v.details["findings"] == [{"pointer": "/paths/~1orders", "message": "missing"}]


def _move_start(project: Project, node: str, at: float) -> None:
    for e in project.events:
        if e["node_id"] == node and e["event_type"] == "node.started":
            e["timestamp"] = project.event("x", at)["timestamp"]
    project.write_log()


def test_a_node_started_before_its_dependency_finished_is_found(project: Project) -> None:
    # DB.Schema completes at 2.9 s; BE.Orders is made to start at 2.5 s (hand-made log)
    _move_start(project, "BE.Orders", 2.5)
    report = audit(project)
    found = [v for v in report.violations if v.type == "order_violation"]
    assert [v.details["dependency"] for v in found] == ["DB.Schema"]
    assert found[0].node_id == "BE.Orders"
    assert found[0].message == (
        "node BE.Orders started at 2026-11-27T12:00:02.500000Z, before its dependency "
        "DB.Schema completed at 2026-11-27T12:00:02.900000Z"
    )
    assert report.result == "FAIL"


def test_a_consumer_started_before_its_interface_is_found(project: Project) -> None:
    _move_start(project, "BE.Orders", 1.5)  # before API.Orders (1.9) and DB.Schema (2.9)
    found = [v for v in audit(project).violations if v.type == "order_violation"]
    assert [v.details["dependency"] for v in found] == ["API.Orders", "DB.Schema"]
    assert "before its interface API.Orders (contract orders-api) completed" in found[0].message


def test_a_node_started_although_its_dependency_never_completed(project: Project) -> None:
    project.write_log(
        [
            e
            for e in project.events
            if not (e["node_id"] == "BE.Orders" and e["event_type"] == "node.completed")
        ]
    )
    report = audit(project)
    order = only(report, "order_violation")
    assert order.node_id == "DEPLOY.Staging"
    assert order.message.endswith("before its dependency BE.Orders never completed")
    assert only(report, "node_running").node_id == "BE.Orders"
    assert only(report, "record_mismatch").node_id == "BE.Orders"


def test_a_torn_log_line_is_found(project: Project) -> None:
    with project.log.open("ab") as handle:
        handle.write(b'{"event_type":"node.started","timest')
    report = audit(project)
    v = only(report, "log_torn_line")
    assert v.message.endswith("torn last line (no newline): the writer stopped mid-line")
    assert v.details["line"] == len(project.events) + 1
    assert report.result == "FAIL"


def test_an_invalid_log_line_is_found(project: Project) -> None:
    lines = project.log.read_bytes().splitlines(keepends=True)
    lines.insert(3, b"{not json}\n")
    lines.insert(5, b'{"event_type": "node.started"}\n')
    project.log.write_bytes(b"".join(lines))
    report = audit(project)
    found = [v for v in report.violations if v.type == "log_invalid_line"]
    assert [v.details["line"] for v in found] == [4, 6]
    assert "invalid JSON" in found[0].message
    assert "event is missing timestamp" in found[1].message


def test_a_gap_in_attempts_is_found(project: Project) -> None:
    for e in project.events:
        if e["node_id"] == "DB.Schema" and e["event_type"] in ("node.started", "node.completed"):
            e["attempt"] = 3
    project.events.insert(2, project.event("node.started", 1.05, "DB.Schema", attempt=1))
    project.write_log()
    v = only(audit(project), "log_attempt_gap")
    assert v.details == {"missing_attempts": [2], "attempts": [1, 3]}


def test_an_outcome_for_an_attempt_that_never_started_is_found(project: Project) -> None:
    for e in project.events:
        if e["node_id"] == "DB.Schema" and e["event_type"] == "node.completed":
            e["attempt"] = 2
    project.write_log()
    v = only(audit(project), "log_attempt_gap")
    assert v.details["finished_without_start"] == [2]


def test_an_unplanned_node_is_found(project: Project) -> None:
    project.events.append(project.event("node.started", 6, "HOTFIX.Prod", attempt=1))
    project.events.append(project.event("node.completed", 7, "HOTFIX.Prod", attempt=1))
    project.write_log()
    write_json(project.node_dir("ROGUE") / "result.json", {"status": "COMPLETED"})
    report = audit(project)
    found = [v for v in report.violations if v.type == "unplanned_node"]
    assert [v.node_id for v in found] == ["HOTFIX.Prod", "ROGUE"]
    assert report.to_dict()["completeness"]["unplanned"] == ["HOTFIX.Prod", "ROGUE"]
    assert report.score == 1.0 and report.result == "FAIL"


def test_events_of_another_iteration_are_a_warning(project: Project) -> None:
    other = project.event("node.started", 1, "DB.Schema", attempt=1)
    other["iteration_id"] = "Iter-OTHER"
    project.events.append(other)
    project.write_log()
    report = audit(project)
    assert only(report, "log_foreign_events").severity == "warning"
    assert report.result == "PASS"


def test_no_log_at_all_is_a_verdict_not_a_crash(project: Project) -> None:
    project.log.unlink()
    report = audit(project)
    assert types(report) == ["log_missing"]
    assert report.result == "FAIL"


def test_an_iteration_with_no_records_at_all(tmp_path: Path) -> None:
    project = Project(tmp_path).clean()
    shutil.rmtree(project.root / "reports")
    shutil.rmtree(project.root / ".dde")
    (project.root / "contracts.lock").unlink()
    report = audit(project)
    assert report.score == 0.0
    assert sorted(set(types(report))) == ["log_missing", "node_not_run"]
    assert len([t for t in types(report) if t == "node_not_run"]) == 4


def test_the_audit_logs_itself(project: Project) -> None:
    report = audit(project)
    log_audit(report, project.log, "gh-42")
    last = read_log(project.log).events[-1]
    assert last["event_type"] == "audit.completed"
    assert last["run_id"] == "gh-42"
    assert last["details"] == {
        "result": "PASS",
        "deployable": True,
        "score": 1.0,
        "violations": 0,
        "blocking": 0,
    }
    assert audit(project).result == "PASS"  # its own events do not disturb a re-audit


def test_the_audit_never_glues_its_event_to_a_torn_line(project: Project) -> None:
    with project.log.open("ab") as handle:
        handle.write(b'{"torn":')
    log_audit(audit(project), project.log)
    contents = read_log(project.log)
    assert contents.events[-1]["event_type"] == "audit.completed"
    assert len(contents.problems) == 1


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(dropped=st.sets(st.sampled_from(ORDER)))
def test_score_is_completed_over_planned(tmp_path: Path, dropped: set[str]) -> None:
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    project = Project(folder).clean()
    project.write_log([e for e in project.events if e["node_id"] not in dropped])
    for node in dropped:
        shutil.rmtree(project.node_dir(node))
    report = audit(project)
    assert report.score == (len(ORDER) - len(dropped)) / len(ORDER)
    assert sorted(report.ids_with("NOT_RUN")) == sorted(dropped)
    assert report.passed == (not dropped)


def test_a_skipped_node_says_why_and_what_to_wait_for(project: Project) -> None:
    events = [
        e
        for e in project.events
        if e["node_id"] != "DEPLOY.Staging"
        and not (e["node_id"] == "BE.Orders" and e["event_type"] == "node.completed")
    ]
    events.append(project.event("node.failed", 3.9, "BE.Orders", attempt=1))
    events.append(
        project.event(
            "node.skipped",
            3.95,
            "DEPLOY.Staging",
            details={"reason": "dependency BE.Orders failed", "because": "BE.Orders"},
        )
    )
    project.write_log(events)
    shutil.rmtree(project.node_dir("DEPLOY.Staging"))
    result = project.node_dir("BE.Orders") / "result.json"
    write_json(result, {**json.loads(result.read_text()), "status": "FAILED"})
    (project.node_dir("DB.Schema") / "gates.json").unlink()
    report = audit(project)
    v = only(report, "node_skipped")
    assert v.message == "node DEPLOY.Staging was skipped: dependency BE.Orders failed"
    assert v.recommendation == "re-run node DEPLOY.Staging once BE.Orders completes"
    assert only(report, "node_failed").node_id == "BE.Orders"
    # DB.Schema completed without its gate results: reported; nothing about skipped nodes' gates
    assert only(report, "gate_record_missing").node_id == "DB.Schema"
    assert report.score == 0.5


def test_the_audit_does_not_make_up_a_log(project: Project) -> None:
    project.log.unlink()
    log_audit(audit(project), project.log)
    assert not project.log.exists()
