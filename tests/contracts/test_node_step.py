"""Step 5 inside the real node step: an interface node's command writes its contract,
the step locks it; a spec the command breaks fails the node."""

from __future__ import annotations

import json
from pathlib import Path

from dde_ci.layout import Layout
from dde_ci.log import ExecutionLog, read_log
from dde_ci.manifest.loader import load_manifest
from dde_ci.node import NodeStep, run_node_step
from tests.contracts.contract_project import EVENT

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
