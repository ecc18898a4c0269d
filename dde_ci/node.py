"""The node step: the one unit of execution, the same in a GitHub job and in the local runner.

``run_node_step`` runs these steps in this order, each one visible call:

1. build the context and write ``reports/{iteration}/{node}/context.json``;
2. evaluate pre-execution gates;
3. run the node's command with its timeout and retry policy;
4. evaluate post-execution gates;
5. for an interface node whose gates passed, lock and publish its contracts;
6. stamp the node's artifacts;
7. record every step as events in the execution log and write ``result.json``.

SKELETON (lead engineer): the runner issue owns this module and fills in steps
1, 3 and 7; the gates, contracts and stamping issues each insert one call at
their marked step.  Keep the sequence readable here; put the work in the
modules the calls go to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dde_ci.layout import Layout
    from dde_ci.log import ExecutionLog
    from dde_ci.manifest.models import Manifest, Node


@dataclass
class NodeStep:
    """Everything one node step needs; passed to every plug-in (gates, contracts, stamping)."""

    manifest: Manifest
    node: Node
    iteration_id: str
    run_id: str
    layout: Layout
    log: ExecutionLog
    agent_id: str | None = None
    correlation_id: str | None = None
    commit: str | None = None  # the Git commit SHA being built, when known
    context_path: Path | None = None  # set by step 1
    attempt: int = 0  # set by step 3
    extra: dict[str, Any] = field(default_factory=dict)
