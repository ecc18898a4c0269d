"""Build a finished iteration on disk, file by file, in the formats the steps agree on.

``Project.clean()`` writes what a clean run leaves behind: the execution log,
each node's result.json, gates.json, context.json and contracts.json, stamped
artifacts in the artifact store, the locked contract in the registry and
contracts.lock.  Tests then break one thing and check the audit finds it.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import textwrap
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dde_ci.log import encode_event, make_event

ITERATION = "Iter-T-001"
RUN_ID = "run-1"
T0 = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)

MANIFEST = """\
version: "1"
workflow: audit-demo
iteration: Iter-T-001
gate_files: [gates.yaml]
contracts:
  - {name: orders-api, domain: orders, type: openapi, path: contracts/orders-api.yaml}
nodes:
  - id: API.Orders
    type: interface
    produces: [orders-api]
    run: "true"
    artifacts: [contracts/orders-api.yaml]
  - id: DB.Schema
    type: implementation
    run: "true"
    gates: [tests-pass]
    artifacts: [build/db/*.sql]
  - id: BE.Orders
    type: implementation
    depends_on: [DB.Schema]
    consumes: [orders-api]
    run: "true"
    artifacts: [build/backend/**]
  - id: DEPLOY.Staging
    type: deployment
    depends_on: [BE.Orders]
    run: "true"
"""

GATES = """\
version: "1"
gates:
  - name: tests-pass
    phase: post
    severity: blocking
    evaluator: {type: command, run: "true"}
"""

SPEC = b'openapi: 3.1.0\ninfo: {title: Orders, version: "1.0"}\npaths: {}\n'
ORDER = ["API.Orders", "DB.Schema", "BE.Orders", "DEPLOY.Staging"]
ARTIFACTS = {
    "API.Orders": {"contracts/orders-api.yaml": SPEC},
    "DB.Schema": {"build/db/shop.sql": b"CREATE TABLE orders (id INTEGER PRIMARY KEY);\n"},
    "BE.Orders": {
        "build/backend/app.py": b"def app(): return 'orders'\n",
        "build/backend/static/index.html": b"<p>orders</p>\n",
    },
}


def _locked_digest() -> str:
    """The digest the contracts module gives SPEC (what a real lock would record)."""
    from dde_ci.contracts.types import digest_contract

    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "orders-api.yaml"
        spec.write_bytes(SPEC)
        return digest_contract("openapi", spec, Path(tmp)).digest


DIGEST = _locked_digest()
OLD_DIGEST = "sha256:" + "b" * 64


def ts(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


@dataclass
class Project:
    root: Path
    iteration: str = ITERATION
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def manifest(self) -> Path:
        return self.root / "dde.yaml"

    @property
    def reports(self) -> Path:
        return self.root / "reports" / self.iteration

    @property
    def log(self) -> Path:
        return self.reports / "execution.log"

    def node_dir(self, node: str) -> Path:
        return self.reports / node

    def store(self, node: str) -> Path:
        return self.root / ".dde" / "artifacts" / self.iteration / node

    def event(self, kind: str, at: float, node: str | None = None, **kw: Any) -> dict[str, Any]:
        return make_event(
            kind,
            iteration_id=self.iteration,
            run_id=RUN_ID,
            node_id=node,
            agent_id=kw.pop("agent_id", "local"),
            attempt=kw.pop("attempt", None),
            details=kw.pop("details", None),
            timestamp=ts(at),
        )

    def write_log(self, events: list[dict[str, Any]] | None = None) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.log.write_bytes(b"".join(encode_event(e) for e in (events or self.events)))

    def adr(self, name: str, front: str, title: str = "Decision") -> Path:
        path = self.root / "docs" / "adr" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\n{textwrap.dedent(front).strip()}\n---\n# {title}\n\nBody.\n")
        return path

    def gate_results(self, node: str, *results: dict[str, Any]) -> None:
        write_json(
            self.node_dir(node) / "gates.json",
            {"iteration_id": self.iteration, "node_id": node, "results": list(results)},
        )

    def clean(self) -> Project:
        self.root.mkdir(parents=True, exist_ok=True)
        self.manifest.write_text(MANIFEST, encoding="utf-8")
        (self.root / "gates.yaml").write_text(GATES, encoding="utf-8")
        self.events = [self.event("workflow.started", 0)]
        clock = 1.0
        for node in ORDER:
            self.events.append(self.event("node.ready", clock, node))
            self.events.append(self.event("node.started", clock + 0.1, node, attempt=1))
            self._files(node, clock)
            self.events.append(self.event("node.completed", clock + 0.9, node, attempt=1))
            clock += 1.0
        self.events.append(self.event("workflow.completed", clock))
        self.write_log()
        return self

    def _files(self, node: str, clock: float) -> None:
        folder = self.node_dir(node)
        consumes = ["orders-api"] if node == "BE.Orders" else []
        write_json(
            folder / "context.json",
            {
                "iteration_id": self.iteration,
                "node_id": node,
                "locked_contracts": [
                    {"name": c, "version": "1.0.0", "digest": DIGEST, "location": "x"}
                    for c in consumes
                ],
            },
        )
        artifacts = ARTIFACTS.get(node, {})
        subjects = []
        for name, data in artifacts.items():
            for base in (self.root, self.store(node)):
                (base / name).parent.mkdir(parents=True, exist_ok=True)
                (base / name).write_bytes(data)
            subjects.append({"name": name, "digest": {"sha256": sha(data)}})
        if subjects:
            write_json(
                self.store(node) / "stamp.intoto.json",
                {
                    "_type": "https://in-toto.io/Statement/v1",
                    "subject": subjects,
                    "predicateType": "https://dde-ci.dev/stamp/v1",
                    "predicate": {"iteration_id": self.iteration, "node_id": node},
                },
            )
            for name, data in artifacts.items():  # as stamping logs them
                details = {"artifact": name, "sha256": sha(data)}
                self.events.append(
                    self.event("artifact.stamped", clock + 0.8, node, details=details)
                )
        if node == "DB.Schema":
            self.gate_results(node, gate("tests-pass", node, "passed"))
            self.events.append(self.event("gate.passed", clock + 0.7, node))
        if node == "API.Orders":
            self.lock_contract(node)
            self.events.append(self.event("contract.locked", clock + 0.85, node))
        if consumes:
            write_json(
                folder / "contracts.json",
                {
                    "node_id": node,
                    "iteration_id": self.iteration,
                    "results": [
                        {
                            "contract": "orders-api",
                            "version": "1.0.0",
                            "digest": DIGEST,
                            "ok": True,
                            "findings": [],
                        }
                    ],
                },
            )
        write_json(
            folder / "result.json",
            {
                "node_id": node,
                "iteration_id": self.iteration,
                "run_id": RUN_ID,
                "status": "COMPLETED",
                "attempts": 1,
                "exit_code": 0,
                "started_at": ts(clock + 0.1),
                "finished_at": ts(clock + 0.9),
                "message": "",
                "outputs": {},
                "artifacts": list(artifacts),
                "warnings": [],
            },
        )

    def lock_contract(self, node: str, digest: str = DIGEST) -> None:
        folder = self.root / ".dde" / "contracts" / "orders" / "orders-api" / "1.0.0"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "orders-api.yaml").write_bytes(
            ARTIFACTS["API.Orders"]["contracts/orders-api.yaml"]
        )
        write_json(
            folder / "contract.json",
            {
                "name": "orders-api",
                "domain": "orders",
                "type": "openapi",
                "version": "1.0.0",
                "digest": digest,
                "locked_at": ts(1.5),
                "status": "LOCKED",
                "owner": {"node_id": node, "iteration_id": self.iteration, "commit": None},
                "supersedes": None,
                "breaking_changes": [],
                "consumers": ["BE.Orders"],
                "spec": "orders-api.yaml",
                "published": None,
            },
        )
        write_json(
            self.root / "contracts.lock",
            {
                "lockfile_version": 1,
                "contracts": {
                    "orders-api": {
                        "domain": "orders",
                        "type": "openapi",
                        "version": "1.0.0",
                        "digest": digest,
                        "locked_at": ts(1.5),
                    }
                },
            },
        )


def gate(
    name: str,
    node: str,
    status: str,
    severity: str = "blocking",
    adr: str | None = None,
    actual: Any = 1,
) -> dict[str, Any]:
    return {
        "gate_name": name,
        "node_id": node,
        "phase": "post",
        "status": status,
        "actual_value": actual,
        "expected_value": 1,
        "threshold_condition": "failed == 0",
        "severity": severity,
        "timestamp": ts(2.7),
        "duration_ms": 3,
        "message": f"{name} {status}",
        "details": {},
        "adr": adr,
    }
