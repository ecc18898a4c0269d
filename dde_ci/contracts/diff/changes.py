"""What a contract diff finds: :class:`Change` and :class:`DiffResult`.

Levels follow oasdiff: ``error`` is a definite breaking change (oasdiff's
ERR), ``warning`` a potential one that cannot be confirmed from the document
(WARN), ``info`` a change that breaks nothing (INFO).  A result is breaking
exactly when one change is at level ``error``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LEVELS = ("error", "warning", "info")
"""The three levels, most severe first."""

KINDS = ("breaking", "additive", "documentation", "none")
"""Semantic-versioning classes of a diff: major, minor, patch, nothing to release."""


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two contract versions, classified by a rule.

    ``id`` is the rule (an oasdiff check id for OpenAPI wherever oasdiff has
    the same rule), ``path`` the API path (OpenAPI) or the place in the schema
    (JSON Schema, GraphQL), ``operation`` the HTTP method (OpenAPI only) and
    ``location`` where to look: ``file:line:col`` when the file is known, else a
    JSON Pointer prefixed with ``base#`` or ``revision#``.
    """

    id: str
    level: str
    message: str
    path: str | None = None
    operation: str | None = None
    location: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "level": self.level,
            "message": self.message,
            "path": self.path,
            "operation": self.operation,
            "location": self.location,
        }


@dataclass(slots=True)
class DiffResult:
    """Every change found between a base and a revision of one contract."""

    contract_type: str
    changes: list[Change] = field(default_factory=list)
    documentation_changed: bool = False
    """True when the documents differ in descriptions, summaries or examples."""
    unclassified_changed: bool = False
    """True when the documents differ in a way no rule describes (counted as additive)."""

    @property
    def breaking(self) -> bool:
        """True exactly when at least one change is at level ``error``."""
        return any(change.level == "error" for change in self.changes)

    @property
    def kind(self) -> str:
        """``breaking`` (major), ``additive`` (minor), ``documentation`` (patch) or ``none``."""
        if self.breaking:
            return "breaking"
        if self.changes or self.unclassified_changed:
            return "additive"
        if self.documentation_changed:
            return "documentation"
        return "none"

    def count(self, level: str) -> int:
        return sum(1 for change in self.changes if change.level == level)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``{"breaking": bool, "changes": [...]}``."""
        return {"breaking": self.breaking, "changes": [c.to_dict() for c in self.changes]}


def sort_changes(changes: list[Change]) -> list[Change]:
    """Most severe first, then by path, operation and id (a stable, readable order)."""
    rank = {level: index for index, level in enumerate(LEVELS)}
    return sorted(
        changes,
        key=lambda c: (rank.get(c.level, 9), c.path or "", c.operation or "", c.id, c.message),
    )
