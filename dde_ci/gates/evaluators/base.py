"""What every evaluator shares: its parameters, what it measured, and the Protocol.

An evaluator reads one standard format (JUnit XML, Cobertura, SARIF, ...) and
returns a :class:`Measurement`: named numbers (the metrics that conditions
compare), details for the report, and findings that point at files and lines
(shown as GitHub annotations).  It never decides pass or fail; the gate's
conditions do.  When it cannot measure (a report is missing or unreadable) it
sets ``error`` and the gate does not pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

from dde_ci.errors import InputError
from dde_ci.layout import inside

if TYPE_CHECKING:
    from dde_ci.layout import Layout
    from dde_ci.log import ExecutionLog
    from dde_ci.manifest.models import Manifest, Node

Metric = float | int | bool | None


class Params(BaseModel):
    """Base of every evaluator's parameters (``type`` is the evaluator's name)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Finding:
    """Something to point at: a failing test, a SARIF result, a missing file."""

    message: str
    file: str | None = None
    line: int = 0
    level: str = "error"  # error | warning | note

    def to_json(self) -> dict[str, Any]:
        return {"message": self.message, "file": self.file, "line": self.line, "level": self.level}


@dataclass
class Measurement:
    """What an evaluator found."""

    metrics: dict[str, Metric] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True)
class GateContext:
    """Where a gate is evaluated: the manifest, the node, the iteration and the phase."""

    manifest: Manifest
    node: Node
    layout: Layout
    iteration_id: str
    phase: str
    context_path: Path | None = None
    log: ExecutionLog | None = None  # for evaluators that record their own events

    @property
    def root(self) -> Path:
        return self.manifest.root

    def expand(self, text: str) -> str:
        """Replace ``{node}`` and ``{iteration}`` in a path or command."""
        return text.replace("{node}", self.node.id).replace("{iteration}", self.iteration_id)

    def path(self, rel: str, what: str = "path") -> Path:
        """``rel`` (after :meth:`expand`) under the manifest folder, never outside it."""
        return inside(self.root, self.expand(rel), what=what)

    def paths(self, pattern: str, what: str = "path") -> list[Path]:
        """Files matching a relative glob (or one relative path) under the manifest folder."""
        rel = self.expand(pattern)
        if not any(ch in rel for ch in "*?["):
            return [inside(self.root, rel, what=what)]
        inside(self.root, rel.split("*", 1)[0].rsplit("/", 1)[0] or ".", what=what)
        if rel.endswith("**"):  # 'dir/**' means every file under dir (Path.glob: dirs only)
            rel += "/*"
        base = self.root.resolve()
        found = []
        for match in sorted(self.root.glob(rel)):
            resolved = match.resolve()
            if resolved.is_file() and (base in resolved.parents):
                found.append(match)
        return found

    def shown(self, path: Path) -> str:
        """``path`` relative to the manifest folder, for messages."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


class Evaluator(Protocol):
    """A gate evaluator: registered by name in :data:`dde_ci.gates.evaluators.EVALUATORS`."""

    name: ClassVar[str]
    params: ClassVar[type[Params]]
    #: metric names it reports (None: any name, e.g. JSON from a command)
    metrics: ClassVar[frozenset[str] | None]
    #: conditions used when a gate gives none
    default_conditions: ClassVar[tuple[str, ...]]
    #: phases it makes sense in
    phases: ClassVar[frozenset[str]]

    def evaluate(self, params: Any, context: GateContext) -> Measurement: ...


def missing(context: GateContext, pattern: str, what: str) -> Measurement:
    """The measurement for a report that does not exist (the gate cannot pass)."""
    rel = context.expand(pattern)
    return Measurement(
        error=f"{what} {rel!r} not found under {context.root}; did node "
        f"{context.node.id!r} write it?",
        findings=[Finding(f"{what} {rel} not found", None)],
    )


def report_file(context: GateContext, rel: str, what: str) -> Path | Measurement:
    """The file ``rel`` names under the manifest folder, or the measurement that says why
    there is none to read (a path leaving the project, or no such file)."""
    try:
        file = context.path(rel, what=what)
    except InputError as exc:
        return Measurement(error=exc.message)
    if not file.is_file():
        return missing(context, rel, what)
    return file


@contextmanager
def xml_errors(shown: str, what: str) -> Iterator[None]:
    """Turn what defusedxml raises while reading ``shown`` into :class:`InputError`:
    ``shown:line:col: not valid <what>: ...``, or a refusal of unsafe XML."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError

    try:
        yield
    except ParseError as exc:
        line, col = getattr(exc, "position", (0, 0))
        raise InputError(f"{shown}:{line}:{col + 1}: not valid {what}: {exc}") from None
    except DefusedXmlException as exc:
        raise InputError(f"{shown}: refused unsafe XML ({exc})") from None


def unreadable(exc: InputError) -> Measurement:
    return Measurement(error=str(exc))
