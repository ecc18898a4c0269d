"""Attachment: named gates plus applies_to rules, disabled gates, deterministic order."""

from __future__ import annotations

from pathlib import Path

from dde_ci.gates.attach import attached_gates
from dde_ci.gates.definitions import load_gates
from tests.gates.project import write_project

GATES = """\
gates:
  - name: named-late
    order: 300
    evaluator: {type: artifacts}
  - name: for-tests
    evaluator: {type: artifacts}
    applies_to: {node_types: [test]}
  - name: for-qa-python-tests
    evaluator: {type: artifacts}
    applies_to: {node_types: [test], capabilities: ["qa:python*"]}
  - name: for-be-nodes
    order: 10
    evaluator: {type: artifacts}
    applies_to: {nodes: ["BE.*"]}
  - name: pre-first
    phase: pre
    evaluator: {type: dependencies}
    applies_to: {nodes: ["*"]}
  - name: off
    enabled: false
    evaluator: {type: artifacts}
    applies_to: {nodes: ["*"]}
  - name: empty-rule
    evaluator: {type: artifacts}
    applies_to: {}
"""

NODES = """\
- {id: BE.Orders, type: implementation, gates: [named-late, off], capabilities: ["Backend:Python"]}
- {id: TEST.Py, type: test, capabilities: ["QA:Python:Pytest"]}
- {id: TEST.Js, type: test, capabilities: ["QA:JavaScript"]}
"""


def test_named_and_ruled_gates_in_order(tmp_path: Path) -> None:
    manifest = write_project(tmp_path, GATES, NODES)
    gates = load_gates(manifest)

    def names(node: str, phase: str | None = None) -> list[str]:
        return [g.name for g in attached_gates(gates, manifest.node(node), phase)]

    assert names("BE.Orders") == ["for-be-nodes", "pre-first", "named-late"]
    assert names("BE.Orders", "post") == ["for-be-nodes", "named-late"]
    assert names("TEST.Py") == ["for-tests", "for-qa-python-tests", "pre-first"]
    assert names("TEST.Js", "post") == ["for-tests"]


def test_order_across_gate_files(tmp_path: Path) -> None:
    manifest = write_project(
        tmp_path,
        "gates:\n  - {name: b, evaluator: {type: artifacts}, applies_to: {nodes: ['*']}}\n",
        "- {id: A, type: implementation}\n",
        extra="",
    )
    (tmp_path / "first.yaml").write_text(
        "gates:\n"
        "  - {name: a, evaluator: {type: artifacts}, applies_to: {nodes: ['*']}}\n"
        "  - {name: c, order: 100, evaluator: {type: artifacts}, applies_to: {nodes: ['*']}}\n"
    )
    text = (
        (tmp_path / "dde.yaml")
        .read_text()
        .replace("gate_files: [gates.yaml]", "gate_files: [first.yaml, gates.yaml]")
    )
    (tmp_path / "dde.yaml").write_text(text)
    from dde_ci.manifest.loader import load_manifest

    manifest = load_manifest(tmp_path / "dde.yaml")
    gates = load_gates(manifest)
    assert [g.name for g in attached_gates(gates, manifest.node("A"))] == ["a", "c", "b"]


def test_applies_to_consumed_contracts(tmp_path: Path) -> None:
    manifest = write_project(
        tmp_path,
        "gates:\n"
        "  - {name: conform, evaluator: {type: contract-conformance},"
        " applies_to: {consumes: ['orders-*']}}\n",
        """\
        - {id: API, type: interface, produces: [orders-api]}
        - {id: EVT, type: interface, produces: [order-created]}
        - {id: BE, type: implementation, consumes: [orders-api]}
        - {id: EV, type: implementation, consumes: [order-created]}
        """,
        extra="contracts:\n"
        "  - {name: orders-api, domain: o, type: openapi, path: a.yaml}\n"
        "  - {name: order-created, domain: o, type: jsonschema, path: b.json}\n",
    )
    gates = load_gates(manifest)
    attached = {n.id: [g.name for g in attached_gates(gates, n)] for n in manifest.nodes}
    assert attached == {"API": [], "EVT": [], "BE": ["conform"], "EV": []}


def test_has_gates_per_phase(tmp_path: Path) -> None:
    from dde_ci.gates import has_gates

    manifest = write_project(
        tmp_path,
        """\
        gates:
          - name: post-for-tests
            evaluator: {type: artifacts}
            applies_to: {node_types: [test]}
          - name: pre-for-be
            phase: pre
            evaluator: {type: dependencies}
            applies_to: {nodes: ["BE.*"]}
        """,
        """\
        - {id: BE.Orders, type: implementation}
        - {id: TEST.Py, type: test}
        - {id: DOC.Readme, type: implementation}
        - {id: DOC.Named, type: implementation, gates: [post-for-tests]}
        """,
    )

    def phases(node: str) -> list[str]:
        return [p for p in ("pre", "post") if has_gates(manifest, manifest.node(node), p)]

    assert phases("BE.Orders") == ["pre"]
    assert phases("TEST.Py") == ["post"]
    assert phases("DOC.Readme") == []
    assert phases("DOC.Named") == ["pre", "post"]  # named gates: the evaluation decides


def test_has_gates_without_gate_files(tmp_path: Path) -> None:
    from dde_ci.gates import has_gates
    from dde_ci.manifest.loader import load_manifest

    (tmp_path / "dde.yaml").write_text(
        'version: "1"\nworkflow: w\niteration: Iter-1\nnodes:\n  - {id: A, type: implementation}\n'
    )
    manifest = load_manifest(tmp_path / "dde.yaml")
    assert not has_gates(manifest, manifest.node("A"), "pre")
    assert not has_gates(manifest, manifest.node("A"), "post")
