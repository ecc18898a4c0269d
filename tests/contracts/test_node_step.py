"""Step 5 inside the real node step: an interface node's command writes its contract,
the step locks it; a spec the command breaks fails the node."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dde_ci.contracts.publish import release_publisher
from dde_ci.github.releases import GitHubReleases
from dde_ci.layout import Layout
from dde_ci.log import ExecutionLog, read_log
from dde_ci.manifest.loader import load_manifest
from dde_ci.node import NodeStep, run_node_step
from tests.contracts.contract_project import EVENT
from tests.github.payloads import REPO, REPO_API, UPLOADS, asset, mocked_github, release

MANIFEST = """\
version: "1"
workflow: step-five
iteration: Iter-1
contracts:
  - {name: order-created, domain: orders, type: jsonschema, path: contracts/event.json}
nodes:
  - id: EVT.OrderCreated
    type: interface
    produces: [order-created]
    run: python3 write_event.py
  - id: BE.Events
    type: implementation
    consumes: [order-created]
    depends_on: [EVT.OrderCreated]
    run: "true"
"""

WRITER = """\
import json, pathlib, sys
schema = json.loads(pathlib.Path("schema.src.json").read_text())
pathlib.Path("contracts").mkdir(exist_ok=True)
pathlib.Path("contracts/event.json").write_text(json.dumps(schema))
"""


def _step(root: Path, node_id: str) -> NodeStep:
    manifest = load_manifest(root / "dde.yaml")
    layout = Layout(manifest.root)
    log = ExecutionLog(layout.execution_log("Iter-1"), "Iter-1", "run-1")
    return NodeStep(manifest, manifest.node(node_id), "Iter-1", "run-1", layout, log)


def test_interface_node_locks_its_contract_and_consumers_see_it(tmp_path: Path) -> None:
    (tmp_path / "dde.yaml").write_text(MANIFEST)
    (tmp_path / "write_event.py").write_text(WRITER)
    (tmp_path / "schema.src.json").write_text(json.dumps(EVENT))
    outcome = run_node_step(_step(tmp_path, "EVT.OrderCreated"))
    assert outcome.status == "COMPLETED", outcome.message
    locked = json.loads(
        (tmp_path / ".dde/contracts/orders/order-created/1.0.0/contract.json").read_text()
    )
    assert locked["owner"]["node_id"] == "EVT.OrderCreated"
    assert locked["owner"]["iteration_id"] == "Iter-1"
    events = [e["event_type"] for e in read_log(tmp_path / "reports/Iter-1/execution.log").events]
    assert "contract.locked" in events
    assert events.index("contract.locked") < events.index("node.completed")
    consumer = run_node_step(_step(tmp_path, "BE.Events"))
    assert consumer.status == "COMPLETED", consumer.message
    context = json.loads((tmp_path / "reports/Iter-1/BE.Events/context.json").read_text())
    assert [(c["name"], c["version"], c["digest"]) for c in context["locked_contracts"]] == [
        ("order-created", "1.0.0", locked["digest"])
    ]


def test_an_invalid_contract_fails_the_interface_node(tmp_path: Path) -> None:
    (tmp_path / "dde.yaml").write_text(MANIFEST)
    (tmp_path / "write_event.py").write_text(WRITER)
    (tmp_path / "schema.src.json").write_text(json.dumps({"type": "objekt"}))
    outcome = run_node_step(_step(tmp_path, "EVT.OrderCreated"))
    assert outcome.status == "FAILED"
    assert outcome.message.startswith("cannot lock contract 'order-created': contracts/event.json:")
    assert not (tmp_path / ".dde/contracts/orders/order-created").exists()


def test_step_five_publishes_through_the_publisher_and_consumers_get_the_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "dde.yaml").write_text(MANIFEST)
    (tmp_path / "write_event.py").write_text(WRITER)
    (tmp_path / "schema.src.json").write_text(json.dumps(EVENT))
    tag = "contract/orders/order-created/v1.0.0"
    html = f"https://github.com/{REPO}/releases/tag/{tag}"
    with mocked_github(monkeypatch) as gh:
        gh.get(
            f"{REPO_API}/releases/tags/contract%2Forders%2Forder-created%2Fv1.0.0",
            status=404,
            json={"message": "Not Found"},
        )
        gh.get(f"{REPO_API}/releases", json=[])
        digest: dict[str, str] = {}

        def created(request: Any) -> tuple[int, dict[str, str], str]:
            body = json.loads(request.body)
            digest["body"] = body["body"]
            return 201, {}, json.dumps(release(7, tag, body=body["body"]))

        gh.add_callback("POST", f"{REPO_API}/releases", callback=created)
        gh.get(f"{REPO_API}/releases/7/assets", json=[])
        uploads = f"{UPLOADS}/repos/{REPO}/releases/7/assets"
        gh.post(uploads, status=201, json=asset(11, "contract.json"))
        gh.post(uploads, status=201, json=asset(12, "event.json"))
        gh.add_callback(
            "PATCH",
            f"{REPO_API}/releases/7",
            callback=lambda r: (
                200,
                {},
                json.dumps(release(7, tag, body=digest["body"], draft=False)),
            ),
        )
        step = _step(tmp_path, "EVT.OrderCreated")
        step.contract_publisher = release_publisher(GitHubReleases(REPO, token="t"))
        outcome = run_node_step(step)
    assert outcome.status == "COMPLETED", outcome.message
    stored = json.loads(
        (tmp_path / ".dde/contracts/orders/order-created/1.0.0/contract.json").read_text()
    )
    assert stored["published"]["url"] == html and stored["published"]["tag"] == tag
    run_node_step(_step(tmp_path, "BE.Events"))
    context = json.loads((tmp_path / "reports/Iter-1/BE.Events/context.json").read_text())
    assert context["locked_contracts"][0]["location"]["published"] == html
