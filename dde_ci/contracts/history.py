"""A contract's history: every locked version in order, with the diff between neighbours.

``contract_history(layout, name)`` reads the local registry; each entry has
version, locked_at, owner, status (LOCKED / SUPERSEDED), digest, supersedes,
breaking, and the changes from the version before (computed again from the
stored specs with the contract differ, so the full list is shown, not only
the breaking changes recorded at lock time).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dde_ci.contracts.registry import LockedContract, find_domain, versions

if TYPE_CHECKING:
    from dde_ci.layout import Layout


@dataclass
class HistoryEntry:
    contract: LockedContract
    kind: str  # initial | breaking | additive | documentation | none
    changes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def breaking(self) -> bool:
        return self.kind == "breaking"

    def to_json(self) -> dict[str, Any]:
        c = self.contract
        return {
            "version": c.version,
            "locked_at": c.locked_at,
            "owner": c.owner.to_json(),
            "status": c.status,
            "digest": c.digest,
            "supersedes": c.supersedes,
            "breaking": self.breaking,
            "kind": self.kind,
            "published": c.published,
            "changes": list(self.changes),
        }


def contract_history(layout: Layout, name: str, domain: str | None = None) -> list[HistoryEntry]:
    """All locked versions of ``name``, oldest first (NotFound when it was never locked)."""
    from dde_ci.contracts.lock import compare

    found = versions(layout, domain or find_domain(layout, name), name)
    by_version = {c.version: c for c in found}
    out = []
    for contract in found:
        base = by_version.get(contract.supersedes or "")
        if base is None:
            out.append(HistoryEntry(contract, "initial"))
            continue
        comparison = compare(contract.type, base.spec_path, contract.spec_path, layout.root)
        out.append(HistoryEntry(contract, comparison.kind, comparison.changes))
    return out


def history_json(name: str, entries: list[HistoryEntry]) -> dict[str, Any]:
    first = entries[0].contract if entries else None
    return {
        "contract": name,
        "domain": first.domain if first else None,
        "type": first.type if first else None,
        "versions": [e.to_json() for e in entries],
    }


def _cell(text: object) -> str:
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def history_markdown(name: str, entries: list[HistoryEntry]) -> str:
    """A Markdown table of the versions, then the changes of each version."""
    lines = [
        f"## Contract `{name}`",
        "",
        "| Version | Locked at | Owner | Status | Digest | Supersedes | Breaking |",
        "|---|---|---|---|---|---|---|",
    ]
    for entry in reversed(entries):
        c = entry.contract
        owner = " / ".join(x for x in (c.owner.node_id, c.owner.iteration_id) if x) or "-"
        if c.owner.commit:
            owner += f" @ {c.owner.commit[:12]}"
        lines.append(
            f"| {c.version} | {c.locked_at} | {_cell(owner)} | {c.status} | "
            f"`{c.digest[:19]}…` | {c.supersedes or '-'} | "
            f"{'**yes**' if entry.breaking else 'no'} |"
        )
    for entry in reversed(entries):
        c = entry.contract
        if entry.kind == "initial":
            continue
        lines += ["", f"### {c.version} ({entry.kind}, since {c.supersedes})", ""]
        if not entry.changes:
            lines.append("No rule-level changes (documentation or formatting only).")
        for change in entry.changes:
            where = " ".join(str(x) for x in (change.get("operation"), change.get("path")) if x)
            prefix = f"`{where}`: " if where else ""
            lines.append(
                f"- **{change.get('level', '')}** {prefix}{_cell(change.get('message'))} "
                f"(`{change.get('id', '')}`)"
            )
    return "\n".join(lines) + "\n"
