"""What a node step works on and what it leaves: the node run, its outcome and its files.

* :class:`NodeRun` -- which node of which iteration is run, by whom: what the
  domain steps (gates, contract locking, stamping) record their files and
  events under.  The node step (:mod:`dde_ci.node`) hands one to each.
* :class:`NodeOutcome` -- the step's result, written as
  ``reports/{iteration}/{node}/result.json`` (:func:`write_result`) and read
  back by later nodes (:func:`read_result`).
* The outputs a command leaves in ``$DDE_OUTPUT`` (:func:`read_outputs`) and the
  files its ``artifacts`` globs match (:func:`find_artifacts`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from dde_ci.files import read_regular, write_json_atomic

if TYPE_CHECKING:
    from dde_ci.layout import Layout
    from dde_ci.log import ExecutionLog
    from dde_ci.manifest.models import Manifest, Node

COMPLETED = "COMPLETED"
FAILED = "FAILED"
CANCELLED = "CANCELLED"

MAX_OUTPUT_BYTES = 1024 * 1024  # the most of $DDE_OUTPUT that is read
MAX_RESULT_BYTES = 64 * 1024 * 1024  # a result.json this large is not one a node step wrote


@dataclass(frozen=True)
class NodeRun:
    """One node being run: where its files go and what its events carry."""

    manifest: Manifest
    node: Node
    layout: Layout
    iteration_id: str
    run_id: str
    log: ExecutionLog
    agent_id: str | None = None
    correlation_id: str | None = None
    commit: str | None = None  # the Git commit SHA being built, when known
    context_path: Path | None = None
    attempt: int = 0


class StepCheck(Protocol):
    """What a domain step returns: blocked or not, and why (``warnings`` optional)."""

    @property
    def blocked(self) -> bool: ...

    @property
    def message(self) -> str: ...


@dataclass(frozen=True)
class NodeOutcome:
    """The node step's result; written as ``reports/{it}/{node}/result.json``."""

    node_id: str
    iteration_id: str
    run_id: str
    status: str = COMPLETED  # COMPLETED | FAILED | CANCELLED
    attempts: int = 0
    exit_code: int | None = None
    started_at: str | None = None
    finished_at: str | None = None
    message: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    artifacts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == COMPLETED

    def failed(self, message: str, status: str = FAILED) -> NodeOutcome:
        return replace(self, status=status, message=message)

    def after(self, check: StepCheck | None) -> NodeOutcome:
        """Fold a domain step's result in: blocked fails the node; warnings are kept."""
        if check is None:
            return self
        warnings = [str(w) for w in getattr(check, "warnings", None) or ()]
        out = replace(self, warnings=[*self.warnings, *warnings]) if warnings else self
        if check.blocked and out.ok:
            return out.failed(check.message or "blocked")
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "node_id": self.node_id,
            "iteration_id": self.iteration_id,
            "run_id": self.run_id,
            "status": self.status,
            "attempts": self.attempts,
            "exit_code": self.exit_code,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "message": self.message,
            "outputs": dict(self.outputs),
            "artifacts": list(self.artifacts),
            "warnings": list(self.warnings),
        }


def write_result(layout: Layout, outcome: NodeOutcome, *, secrets: Sequence[str] = ()) -> Path:
    """Write ``result.json`` (atomically, ``secrets`` redacted) and return its path."""
    from dde_ci.secrets import redact_value

    path = layout.result_file(outcome.iteration_id, outcome.node_id)
    write_json_atomic(path, redact_value(outcome.to_json(), secrets))
    return path


def read_result(layout: Layout, iteration_id: str, node_id: str) -> dict[str, Any] | None:
    """The ``result.json`` a node step left, or None when there is none (or it is unreadable)."""
    try:
        data = json.loads(read_regular(layout.result_file(iteration_id, node_id), MAX_RESULT_BYTES))
    except (OSError, ValueError):  # a FIFO or a device there is no result either
        return None
    return data if isinstance(data, dict) else None


def read_outputs(path: Path) -> dict[str, str]:
    """Outputs written as ``key=value`` lines (or ``key<<EOF`` ... ``EOF``) like GITHUB_OUTPUT."""
    if not path.is_file():  # none written (a FIFO or a device put there is not read either)
        return {}
    with path.open("rb") as handle:
        text = handle.read(MAX_OUTPUT_BYTES).decode("utf-8", "replace")
    return parse_outputs(text.splitlines())


def parse_outputs(lines: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    it = iter(lines)
    for line in it:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, _, marker = line.partition("<<")
            body: list[str] = []
            for more in it:
                if more == marker:
                    break
                body.append(more)
            out[key.strip()] = "\n".join(body)
        elif "=" in line:
            key, _, value = line.partition("=")
            if key.strip():
                out[key.strip()] = value
    return out


def find_artifacts(root: Path, patterns: Iterable[str]) -> list[str]:
    """Files matching the node's ``artifacts`` globs, relative to ``root``, sorted."""
    from dde_ci.layout import is_relative_inside

    patterns = list(patterns)
    if not patterns:
        return []
    base = root.resolve()
    found: set[str] = set()
    for pattern in patterns:
        if not is_relative_inside(pattern):
            continue
        for path in base.glob(pattern):
            if path.is_file():
                resolved = path.resolve()
                if base in resolved.parents:
                    found.add(path.relative_to(base).as_posix())
    return sorted(found)


def output_tail(path: Path, lines: int = 20, max_bytes: int = 64 * 1024) -> list[str]:
    """The last ``lines`` lines a command wrote to ``output.log`` (read from its end; the
    node step's own ``== <time> attempt N`` lines left out)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - max_bytes))
            data = handle.read()
    except OSError:
        return []
    text = data.decode("utf-8", "replace").rstrip("\n")
    written = [line for line in text.splitlines() if not _ATTEMPT_LINE.fullmatch(line)]
    return written[-lines:]


_ATTEMPT_LINE = re.compile(r"== \S+ attempt \d+")
