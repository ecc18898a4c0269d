"""Locking: digest, versions, immutability, events, the registry lock across processes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dde_ci.contracts.lock import bump, lock_contract
from dde_ci.contracts.registry import (
    find_domain,
    latest,
    read_locked,
    read_lockfile,
    registry_lock,
    versions,
)
from dde_ci.errors import InputError, NotFound, StateError, ValidationError
from dde_ci.layout import Layout
from dde_ci.log import ExecutionLog, read_log
from dde_ci.manifest.loader import load_manifest
from dde_ci.manifest.models import Manifest
from tests.conftest import REPO_ROOT
from tests.contracts.contract_project import make_project, openapi, write_openapi


def _project(tmp_path: Path) -> tuple[Manifest, Layout]:
    manifest = load_manifest(make_project(tmp_path))
    return manifest, Layout(manifest.root)


def test_first_lock_writes_registry_lockfile_and_event(tmp_path: Path) -> None:
    manifest, layout = _project(tmp_path)
    log = ExecutionLog(layout.execution_log("Iter-1"), "Iter-1", "run-1")
    outcome = lock_contract(
        manifest, "orders-api", layout, iteration_id="Iter-1", commit="abc123", log=log
    )
    assert outcome.created and outcome.kind == "initial"
    folder = tmp_path / ".dde/contracts/orders/orders-api/1.0.0"
    data = json.loads((folder / "contract.json").read_text())
    assert data["version"] == "1.0.0" and data["status"] == "LOCKED"
    assert data["owner"] == {"node_id": "API.Orders", "iteration_id": "Iter-1", "commit": "abc123"}
    assert data["consumers"] == ["BE.Orders", "FE.Checkout"]
    assert data["supersedes"] is None and data["published"] is None
    assert data["spec"] == "orders-api.yaml"
    assert (folder / "orders-api.yaml").read_bytes() == (
        tmp_path / "contracts/orders-api.yaml"
    ).read_bytes()
    lock = json.loads((tmp_path / "contracts.lock").read_text())
    assert lock == {
        "lockfile_version": 1,
        "contracts": {
            "orders-api": {
                "domain": "orders",
                "type": "openapi",
                "version": "1.0.0",
                "digest": data["digest"],
                "locked_at": data["locked_at"],
            }
        },
    }
    events = read_log(layout.execution_log("Iter-1")).events
    assert [e["event_type"] for e in events] == ["contract.locked"]
    assert events[0]["details"]["version"] == "1.0.0"
    assert events[0]["details"]["digest"] == data["digest"]
    assert read_locked(folder).to_json() == data


def test_locking_identical_content_again_is_a_no_op(tmp_path: Path) -> None:
    manifest, layout = _project(tmp_path)
    first = lock_contract(manifest, "orders-api", layout)
    before = (first.contract.folder / "contract.json").read_bytes()
    # reformatting (key order, JSON instead of YAML style) keeps the canonical digest
    write_openapi(tmp_path, dict(reversed(list(openapi().items()))))
    again = lock_contract(manifest, "orders-api", layout)
    assert not again.created and again.kind == "unchanged"
    assert again.contract.version == "1.0.0"
    assert (first.contract.folder / "contract.json").read_bytes() == before
    assert [c.version for c in versions(layout, "orders", "orders-api")] == ["1.0.0"]


def test_a_locked_version_is_never_rewritten(tmp_path: Path) -> None:
    manifest, layout = _project(tmp_path)
    lock_contract(manifest, "orders-api", layout)
    # somebody removed 1.0.0 from contracts.lock's view but the folder is there: a new
    # version must not land on the existing folder
    (tmp_path / ".dde/contracts/orders/orders-api/2.0.0").mkdir()
    (tmp_path / ".dde/contracts/orders/orders-api/2.0.0/contract.json").write_text("{}")
    spec = openapi()
    del spec["paths"]["/orders/{orderId}"]
    write_openapi(tmp_path, spec)
    with pytest.raises(InputError, match=r"contract\.json does not match the contract schema"):
        lock_contract(manifest, "orders-api", layout)


def test_refused_when_the_target_version_folder_exists(tmp_path: Path) -> None:
    manifest, layout = _project(tmp_path)
    from dde_ci.contracts.lock import _publish_folder

    outcome = lock_contract(manifest, "orders-api", layout)
    with pytest.raises(StateError, match=r"orders-api 1.0.0 is already locked with other content"):
        _publish_folder(outcome.contract, b"other")


def test_unknown_contract_and_invalid_spec(tmp_path: Path) -> None:
    manifest, layout = _project(tmp_path)
    with pytest.raises(NotFound, match=r"no contract named 'order-api'.*did you mean 'orders-api'"):
        lock_contract(manifest, "order-api", layout)
    (tmp_path / "contracts/catalog.graphql").unlink()
    with pytest.raises(
        NotFound,
        match=r"^contracts/catalog.graphql: contract 'catalog-graph' has no file yet; "
        r"its interface node 'GQL.Catalog' writes it$",
    ):
        lock_contract(manifest, "catalog-graph", layout)
    spec = openapi()
    spec["paths"]["/orders"]["post"]["responses"] = "nope"
    write_openapi(tmp_path, spec)
    with pytest.raises(ValidationError):
        lock_contract(manifest, "orders-api", layout)
    assert latest(layout, "orders", "orders-api") is None
    assert not (tmp_path / "contracts.lock").exists()


def test_each_type_locks(tmp_path: Path) -> None:
    manifest, layout = _project(tmp_path)
    for name in ("orders-api", "order-created", "catalog-graph"):
        assert lock_contract(manifest, name, layout).contract.version == "1.0.0"
    assert sorted(read_lockfile(layout)["contracts"]) == [
        "catalog-graph",
        "order-created",
        "orders-api",
    ]
    assert find_domain(layout, "catalog-graph") == "catalog"


def test_bump() -> None:
    assert bump("1.4.2", "breaking") == "2.0.0"
    assert bump("1.4.2", "additive") == "1.5.0"
    assert bump("1.4.2", "documentation") == "1.4.3"
    assert bump("1.4.2", "none") == "1.4.3"


def test_registry_lock_restored_from_lockfile_when_registry_is_gone(tmp_path: Path) -> None:
    manifest, layout = _project(tmp_path)
    lock_contract(manifest, "orders-api", layout)
    import shutil

    shutil.rmtree(tmp_path / ".dde")
    again = lock_contract(manifest, "orders-api", layout)
    assert again.created and again.contract.version == "1.0.0"


_LOCKER = """
import sys, time
from pathlib import Path
from dde_ci.contracts.lock import lock_contract
from dde_ci.layout import Layout
from dde_ci.manifest.loader import load_manifest

manifest = load_manifest(sys.argv[1])
import dde_ci.contracts.types.openapi, openapi_spec_validator  # loaded before the start line
Path(sys.argv[3]).write_text("ready")
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
outcome = lock_contract(manifest, "orders-api", Layout(manifest.root))
sys.stdout.write(f"{outcome.created} {outcome.contract.version}\\n")
"""


@pytest.mark.slow
def test_processes_locking_at_once_produce_exactly_one_version(tmp_path: Path) -> None:
    manifest_path = make_project(tmp_path)
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _LOCKER, str(manifest_path), str(go), str(tmp_path / f"r{i}")],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all((tmp_path / f"r{i}").exists() for i in range(4)):
        time.sleep(0.01)  # every process loaded and waiting at the start line
    go.write_text("go")
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], results
    lines = sorted(out.strip() for out, _ in results)
    assert lines == ["False 1.0.0", "False 1.0.0", "False 1.0.0", "True 1.0.0"]
    folder = tmp_path / ".dde/contracts/orders/orders-api"
    assert sorted(p.name for p in folder.iterdir()) == ["1.0.0"]
    assert list(json.loads((tmp_path / "contracts.lock").read_text())["contracts"]) == [
        "orders-api"
    ]


_HOLDER = """
import sys, time
from pathlib import Path
from dde_ci.contracts.registry import registry_lock
from dde_ci.layout import Layout

with registry_lock(Layout(Path(sys.argv[1]))):
    Path(sys.argv[2]).write_text("held")
    time.sleep(1.0)
"""


@pytest.mark.slow
def test_lock_waits_for_another_process_holding_the_registry(tmp_path: Path) -> None:
    manifest, layout = _project(tmp_path)
    held = tmp_path / "held"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(tmp_path), str(held)], cwd=REPO_ROOT
    )
    try:
        deadline = time.monotonic() + 30
        while not held.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.monotonic()
        outcome = lock_contract(manifest, "orders-api", layout)
        waited = time.monotonic() - started
    finally:
        holder.wait(timeout=30)
    assert outcome.created
    assert waited > 0.5
    with registry_lock(layout, timeout=0.1):
        pass  # released again


def test_versions_follow_the_kind_of_change(tmp_path: Path) -> None:
    manifest, layout = _project(tmp_path)
    log = ExecutionLog(layout.execution_log("Iter-1"), "Iter-1", "run-1")
    lock_contract(manifest, "orders-api", layout, log=log)
    spec = openapi()
    spec["info"]["description"] = "Orders, documented."
    write_openapi(tmp_path, spec)
    doc = lock_contract(manifest, "orders-api", layout, log=log)
    assert (doc.kind, doc.contract.version, doc.contract.supersedes) == (
        "documentation",
        "1.0.1",
        "1.0.0",
    )
    spec["paths"]["/orders"]["get"] = {
        "operationId": "listOrders",
        "responses": {"200": {"description": "All orders"}},
    }
    write_openapi(tmp_path, spec)
    added = lock_contract(manifest, "orders-api", layout, log=log)
    assert (added.kind, added.contract.version) == ("additive", "1.1.0")
    assert not added.affected
    del spec["paths"]["/orders/{orderId}"]
    write_openapi(tmp_path, spec)
    broken = lock_contract(manifest, "orders-api", layout, log=log)
    assert (broken.kind, broken.contract.version) == ("breaking", "2.0.0")
    assert [c["id"] for c in broken.contract.breaking_changes] == [
        "api-path-removed-without-deprecation"
    ]
    assert broken.contract.breaking_changes[0]["location"].startswith(
        ".dde/contracts/orders/orders-api/1.1.0/orders-api.yaml:"
    )
    assert broken.affected == [
        {
            "node_id": "BE.Orders",
            "name": "BE.Orders",
            "type": "implementation",
            "capabilities": ["Backend:Python"],
            "owners": ["backend-dev"],
        },
        {
            "node_id": "FE.Checkout",
            "name": "FE.Checkout",
            "type": "implementation",
            "capabilities": ["Frontend:JavaScript"],
            "owners": ["web-dev"],
        },
    ]
    statuses = [(c.version, c.status) for c in versions(layout, "orders", "orders-api")]
    assert statuses == [
        ("1.0.0", "SUPERSEDED"),
        ("1.0.1", "SUPERSEDED"),
        ("1.1.0", "SUPERSEDED"),
        ("2.0.0", "LOCKED"),
    ]
    assert read_lockfile(layout)["contracts"]["orders-api"]["version"] == "2.0.0"
    events = read_log(layout.execution_log("Iter-1")).events
    assert [e["event_type"] for e in events] == [
        "contract.locked",
        "contract.locked",
        "contract.locked",
        "contract.locked",
        "contract.breaking_change",
    ]
    breaking = events[-1]["details"]
    assert breaking["contract"] == "orders-api" and breaking["previous"] == "1.1.0"
    assert [c["node_id"] for c in breaking["consumers"]] == ["BE.Orders", "FE.Checkout"]


def test_node_step_locks_what_an_interface_node_produces(tmp_path: Path) -> None:
    from dde_ci.contracts.lock import lock_node_contracts
    from dde_ci.results import NodeRun

    manifest, layout = _project(tmp_path)
    log = ExecutionLog(layout.execution_log("Iter-1"), "Iter-1", "run-1")

    def step(node_id: str) -> NodeRun:
        return NodeRun(
            manifest, manifest.node(node_id), layout, "Iter-1", "run-1", log, commit="c0ffee"
        )

    assert lock_node_contracts(step("BE.Orders")).outcomes == []
    done = lock_node_contracts(step("API.Orders"))
    assert not done.blocked and done.outcomes[0].contract.owner.commit == "c0ffee"
    spec = openapi()
    del spec["paths"]["/orders/{orderId}"]
    write_openapi(tmp_path, spec)
    again = lock_node_contracts(step("API.Orders"))
    assert not again.blocked
    assert again.warnings == [
        "orders-api 2.0.0 breaks 1.0.0; affected consumers: BE.Orders, FE.Checkout"
    ]
    spec["openapi"] = "2.0"
    write_openapi(tmp_path, spec)
    failed = lock_node_contracts(step("API.Orders"))
    assert failed.blocked and failed.message.startswith("cannot lock contract 'orders-api': ")


def test_owner_commit_is_git_head(tmp_path: Path) -> None:
    from dde_ci.git import current_commit

    assert current_commit(tmp_path) is None
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    make_project(tmp_path)
    subprocess.run(["git", "-C", str(tmp_path), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "commit", "-q", "-m", "c"], check=True)
    head = subprocess.run(
        ["git", "-C", str(tmp_path), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert current_commit(tmp_path) == head
    from dde_ci.cli.main import main

    assert (
        main(
            ["contract", "lock", "orders-api", "-m", str(tmp_path / "dde.yaml"), "--iteration", "I"]
        )
        == 0
    )
    stored = json.loads(
        (tmp_path / ".dde/contracts/orders/orders-api/1.0.0/contract.json").read_text()
    )
    assert stored["owner"]["commit"] == head


def test_pinned_version_with_lost_registry_and_new_content_is_a_major(tmp_path: Path) -> None:
    manifest, layout = _project(tmp_path)
    lock_contract(manifest, "orders-api", layout)
    import shutil

    shutil.rmtree(tmp_path / ".dde")
    spec = openapi()
    spec["info"]["description"] = "changed while the registry was away"
    write_openapi(tmp_path, spec)
    outcome = lock_contract(manifest, "orders-api", layout)
    assert (outcome.kind, outcome.contract.version) == ("breaking", "2.0.0")
    assert outcome.contract.breaking_changes[0]["id"] == "previous-version-unavailable"


def test_a_hand_edited_lockfile_that_breaks_the_schema_is_refused(tmp_path: Path) -> None:
    manifest, layout = _project(tmp_path)
    lock_contract(manifest, "orders-api", layout)
    lock = json.loads((tmp_path / "contracts.lock").read_text())
    lock["contracts"]["orders-api"]["digest"] = "md5:abc"
    (tmp_path / "contracts.lock").write_text(json.dumps(lock))
    with pytest.raises(
        InputError,
        match=r"contracts\.lock does not match the contracts-lock schema at "
        r"/contracts/orders-api/digest",
    ):
        read_lockfile(layout)


def test_graphql_and_jsonschema_versions(tmp_path: Path) -> None:
    manifest, layout = _project(tmp_path)
    sdl = tmp_path / "contracts/catalog.graphql"
    assert lock_contract(manifest, "catalog-graph", layout).contract.version == "1.0.0"
    sdl.write_text(sdl.read_text().replace("  name: String!\n", "  name: String!\n  price: Int\n"))
    assert lock_contract(manifest, "catalog-graph", layout).contract.version == "1.1.0"
    sdl.write_text(sdl.read_text().replace("  name: String!\n", ""))
    broken = lock_contract(manifest, "catalog-graph", layout)
    assert (broken.kind, broken.contract.version) == ("breaking", "2.0.0")
    event = tmp_path / "contracts/order-created.json"
    assert lock_contract(manifest, "order-created", layout).contract.version == "1.0.0"
    schema = json.loads(event.read_text())
    schema["properties"]["currency"] = {"type": "string"}
    event.write_text(json.dumps(schema))
    assert lock_contract(manifest, "order-created", layout).contract.version == "1.1.0"
    schema["required"].append("currency")
    event.write_text(json.dumps(schema))
    required = lock_contract(manifest, "order-created", layout)
    assert (required.kind, required.contract.version) == ("breaking", "2.0.0")
    assert [a["node_id"] for a in required.affected] == ["BE.Orders"]


def test_sync_lockfile_merges_lock_files_that_overwrote_each_other(tmp_path: Path) -> None:
    """Two interface jobs each lock their own contract; the downloaded lock files collide."""
    from dde_ci.cli.main import main
    from dde_ci.contracts.registry import sync_lockfile

    manifest, layout = _project(tmp_path)
    lock_contract(manifest, "orders-api", layout)
    first_job_lock = layout.contracts_lock.read_text()
    lock_contract(manifest, "order-created", layout)
    layout.contracts_lock.write_text(first_job_lock)  # the last download wins
    assert set(read_lockfile(layout)["contracts"]) == {"orders-api"}

    domains = {c.name: c.domain for c in manifest.contracts}
    assert sync_lockfile(layout, domains) == ["order-created"]
    entries = read_lockfile(layout)["contracts"]
    assert set(entries) == {"orders-api", "order-created"}
    current = latest(layout, "orders", "order-created")
    assert current is not None
    assert entries["order-created"]["digest"] == current.digest
    assert sync_lockfile(layout, domains) == []  # idempotent
    assert main(["contract", "sync-lock", "-m", str(manifest.path)]) == 0


def test_sync_lockfile_never_moves_an_entry_backwards(tmp_path: Path) -> None:
    from dde_ci.contracts.registry import sync_lockfile

    manifest, layout = _project(tmp_path)
    lock_contract(manifest, "orders-api", layout)
    data = read_lockfile(layout)
    data["contracts"]["orders-api"]["version"] = "9.0.0"
    layout.contracts_lock.write_text(json.dumps(data))
    assert sync_lockfile(layout, {"orders-api": "orders"}) == []
    assert read_lockfile(layout)["contracts"]["orders-api"]["version"] == "9.0.0"


def test_a_new_digest_is_validated_once_and_an_invalid_spec_is_not_locked(tmp_path: Path) -> None:
    manifest, layout = _project(tmp_path)
    lock_contract(manifest, "orders-api", layout)
    spec = openapi()
    spec["paths"]["/orders/{orderId}"]["get"]["operationId"] = "createOrder"
    write_openapi(tmp_path, spec)
    with pytest.raises(ValidationError) as caught:
        lock_contract(manifest, "orders-api", layout)
    assert str(caught.value) == (
        "contracts/orders-api.yaml:32:20: operationId 'createOrder' of GET /orders/{orderId} is "
        "not unique (at /paths/~1orders~1{orderId}/get/operationId)"
    )
    folder = tmp_path / ".dde/contracts/orders/orders-api"
    assert sorted(p.name for p in folder.iterdir()) == ["1.0.0"]


def test_accepted_breaking_changes_make_a_minor_version(tmp_path: Path) -> None:
    from datetime import date

    from dde_ci.contracts.ignore import read_ignores

    manifest, layout = _project(tmp_path)
    lock_contract(manifest, "orders-api", layout)
    spec = openapi()
    del spec["paths"]["/orders/{orderId}"]
    write_openapi(tmp_path, spec)
    ignore = tmp_path / "accepted.txt"
    ignore.write_text(
        "GET /orders/{orderId} api path removed without deprecation expires: 2999-01-01"
    )
    ignores = read_ignores(ignore, "error", tmp_path, today=date(2026, 12, 7), shown="accepted.txt")
    log = ExecutionLog(layout.execution_log("Iter-1"), "Iter-1", "run-1")
    outcome = lock_contract(manifest, "orders-api", layout, ignores=ignores, log=log)
    assert (outcome.contract.version, outcome.kind, outcome.breaking) == (
        "1.1.0",
        "additive",
        False,
    )
    assert outcome.contract.breaking_changes == [] and outcome.affected == []
    (ignored,) = outcome.ignored
    assert ignored["id"] == "api-path-removed-without-deprecation"
    assert ignored["location"].startswith(".dde/contracts/orders/orders-api/1.0.0/")
    assert ignored["ignored_by"]["file"] == "accepted.txt"
    (event,) = read_log(layout.execution_log("Iter-1")).events
    assert event["event_type"] == "contract.locked" and event["details"]["ignored"] == [ignored]


def test_the_manifests_ignore_files_are_read_inside_the_project(tmp_path: Path) -> None:
    manifest_path = make_project(tmp_path)
    text = manifest_path.read_text()
    manifest_path.write_text(
        text.replace(
            "path: contracts/orders-api.yaml}",
            "path: contracts/orders-api.yaml, warn_ignore: ../outside.txt}",
        )
    )
    manifest = load_manifest(manifest_path)
    with pytest.raises(InputError) as caught:
        lock_contract(manifest, "orders-api", Layout(manifest.root))
    assert (
        str(caught.value)
        == "warn_ignore '../outside.txt' must be a relative path inside the project"
    )
