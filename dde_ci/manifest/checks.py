"""Rules that span the whole manifest, all collected in one pass.

Each finding is a :class:`Diagnostic` whose location is the key or value the
person has to change.  The loader raises them together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from dde_ci.errors import Diagnostic, Location, did_you_mean
from dde_ci.graph import find_cycle, manifest_edges
from dde_ci.layout import is_relative_inside
from dde_ci.manifest.models import Capability, Manifest, NodeType, Worker
from dde_ci.routing import Unroutable, rank_workers, route_runner
from dde_ci.yamlio import PathKey

Locate = Callable[[PathKey], Location]


class NodeReferences(NamedTuple):
    """What a node names of other nodes and contracts (from a model or raw YAML)."""

    position: int
    id: str
    depends_on: Sequence[str]
    produces: Sequence[str]
    consumes: Sequence[str]


def check_references(
    nodes: Sequence[NodeReferences], contract_names: Sequence[str], locate: Locate
) -> list[Diagnostic]:
    """Duplicate ids and names, and references to nodes or contracts that do not exist.

    Also run on a manifest whose shape is wrong (on what could be read of it), so
    that a bad ``type`` does not hide a misspelt ``depends_on``.
    """
    out: list[Diagnostic] = []
    ids = [n.id for n in nodes]
    first: dict[str, int] = {}
    for number, node in enumerate(nodes):
        if node.id in first:
            out.append(
                Diagnostic(
                    f"duplicate node id {node.id!r} (first used by node {first[node.id] + 1})",
                    locate(("nodes", node.position, "id")),
                )
            )
        else:
            first[node.id] = number
    seen: set[str] = set()
    for i, name in enumerate(contract_names):
        if name in seen:
            out.append(
                Diagnostic(f"duplicate contract name {name!r}", locate(("contracts", i, "name")))
            )
        seen.add(name)
    for node in nodes:
        base: PathKey = ("nodes", node.position)
        for j, dep in enumerate(node.depends_on):
            if dep == node.id:
                out.append(
                    Diagnostic(
                        f"node {node.id!r} depends on itself", locate((*base, "depends_on", j))
                    )
                )
            elif dep not in first:
                out.append(
                    Diagnostic(
                        f"node {node.id!r} depends on unknown node {dep!r}{did_you_mean(dep, ids)}",
                        locate((*base, "depends_on", j)),
                    )
                )
        for field, names in (("produces", node.produces), ("consumes", node.consumes)):
            for j, name in enumerate(names):
                if name not in seen:
                    out.append(
                        Diagnostic(
                            f"node {node.id!r} {field} unknown contract {name!r}"
                            f"{did_you_mean(name, contract_names)}",
                            locate((*base, field, j)),
                        )
                    )
    return out


def capability_hint(needed: Sequence[Capability], workers: Sequence[Worker]) -> str:
    """`` (did you mean 'Frontend:JavaScript'?)`` for the first needed capability that no
    worker offers by that name but one offers by a close one; else ``""``."""
    offered = sorted({c.name for w in workers for c in w.capabilities})
    for capability in needed:
        if capability.name not in offered:
            hint = did_you_mean(capability.name, offered)
            if hint and len(needed) > 1:
                return f" (for {capability.name!r}: did you mean {hint[len(' (did you mean ') :]}"
            if hint:
                return hint
    return ""


def check_manifest(manifest: Manifest, locate: Locate) -> list[Diagnostic]:
    """Every cross-reference problem in ``manifest`` (errors and warnings)."""
    out: list[Diagnostic] = []

    def error(message: str, key: PathKey) -> None:
        out.append(Diagnostic(message, locate(key)))

    def warn(message: str, key: PathKey) -> None:
        out.append(Diagnostic(message, locate(key), "warning"))

    ids = [n.id for n in manifest.nodes]
    first_index = {n.id: i for i, n in reversed(list(enumerate(manifest.nodes)))}
    contract_names = [c.name for c in manifest.contracts]
    seen_contracts = set(contract_names)
    out.extend(
        check_references(
            [
                NodeReferences(i, n.id, n.depends_on, n.produces, n.consumes)
                for i, n in enumerate(manifest.nodes)
            ],
            contract_names,
            locate,
        )
    )
    for i, contract in enumerate(manifest.contracts):
        if not is_relative_inside(contract.path):
            error(
                f"contract path {contract.path!r} must be a relative path inside the project",
                ("contracts", i, "path"),
            )

    producers: dict[str, str] = {}
    for i, node in enumerate(manifest.nodes):
        base: PathKey = ("nodes", i)
        for j, name in enumerate(node.produces):
            if node.type is not NodeType.INTERFACE:
                error(
                    f"node {node.id!r} is of type {node.type.value!r}; only interface nodes "
                    f"produce contracts (move {name!r} to an interface node)",
                    (*base, "produces", j),
                )
            elif name in producers and producers[name] != node.id:
                error(
                    f"contract {name!r} is produced by both {producers[name]!r} and {node.id!r}",
                    (*base, "produces", j),
                )
            else:
                producers[name] = node.id
        if node.type is NodeType.INTERFACE and not node.produces:
            error(
                f"interface node {node.id!r} produces no contract; add 'produces' or change "
                "its type",
                (*base, "type"),
            )
        for j, name in enumerate(node.consumes):
            if name in node.produces:
                error(f"node {node.id!r} consumes the contract it produces", (*base, "consumes", j))
        for field in ("serves", "examples"):
            for j, item in enumerate(getattr(node, field)):
                if item.contract not in node.consumes and item.contract not in node.produces:
                    error(
                        f"node {node.id!r} lists {field} for contract {item.contract!r} "
                        "that it neither consumes nor produces",
                        (*base, field, j, "contract"),
                    )
                if not is_relative_inside(item.path):
                    error(
                        f"path {item.path!r} must be relative and inside the project",
                        (*base, field, j, "path"),
                    )
        for j, pattern in enumerate(node.artifacts):
            if not is_relative_inside(pattern):
                error(
                    f"artifact pattern {pattern!r} must be relative and inside the project",
                    (*base, "artifacts", j),
                )
        if node.working_directory is not None and not is_relative_inside(node.working_directory):
            error(
                f"working_directory {node.working_directory!r} must be relative and inside "
                "the project",
                (*base, "working_directory"),
            )
        for key in node.env:
            if not key.replace("_", "a").isalnum() or key[:1].isdigit():
                error(f"environment variable name {key!r} is not valid", (*base, "env", key))
            elif key.upper().startswith(("DDE_", "GITHUB_")):
                error(
                    f"environment variable {key!r} is reserved (DDE_* and GITHUB_* are set by "
                    "dde-ci and GitHub)",
                    (*base, "env", key),
                )
        if node.retry.max_delay < node.retry.initial_delay:
            warn(
                f"retry.max_delay ({node.retry.max_delay:g}s) is below initial_delay "
                f"({node.retry.initial_delay:g}s); every wait will be max_delay",
                (*base, "retry", "max_delay"),
            )

    for name in seen_contracts:
        if name not in producers and any(name in n.consumes for n in manifest.nodes):
            index = contract_names.index(name)
            warn(
                f"contract {name!r} is consumed but produced by no node; consumers use its "
                "locked version from the registry",
                ("contracts", index, "name"),
            )

    if len(first_index) == len(ids):
        cycle = find_cycle(manifest_edges(manifest))
        if cycle is not None:
            start = cycle[1] if len(cycle) > 1 else cycle[0]
            error(
                f"dependency cycle (each depends on the next): {' -> '.join(cycle)}",
                ("nodes", first_index[start], "id"),
            )

    agent_ids = [a.id for a in manifest.agents]
    if len(set(agent_ids)) != len(agent_ids):
        dup = next(a for a in agent_ids if agent_ids.count(a) > 1)
        error(f"duplicate agent id {dup!r}", ("agents",))
    runner_names = [r.name for r in manifest.runners]
    if len(set(runner_names)) != len(runner_names):
        dup = next(r for r in runner_names if runner_names.count(r) > 1)
        error(f"duplicate runner name {dup!r}", ("runners",))
    default_agent = manifest.settings.default_agent
    if default_agent is not None and default_agent not in agent_ids:
        error(
            f"settings.default_agent {default_agent!r} is not an agent"
            f"{did_you_mean(default_agent, agent_ids)}",
            ("settings", "default_agent"),
        )

    for i, node in enumerate(manifest.nodes):
        base = ("nodes", i, "capabilities") if node.capabilities else ("nodes", i)
        if manifest.runners or manifest.settings.default_runs_on:
            try:
                route = route_runner(manifest, node)
            except Unroutable as exc:
                error(f"{exc}{capability_hint(node.capabilities, manifest.runners)}", base)
            else:
                if route.warning:
                    warn(route.warning + capability_hint(node.capabilities, manifest.runners), base)
        if manifest.agents and not rank_workers(node.capabilities, manifest.agents):
            needs = ", ".join(c.name for c in node.capabilities)
            needs += capability_hint(node.capabilities, manifest.agents)
            if default_agent is None:
                error(
                    f"no agent offers {needs} for node {node.id!r}; add the capability to an "
                    "agent or set 'settings.default_agent'",
                    base,
                )
            else:
                warn(
                    f"no agent offers {needs}; node {node.id!r} falls back to the default "
                    f"agent {default_agent!r}",
                    base,
                )

    from dde_ci.gates.attach import check_gate_references  # loads gate files only if listed

    out.extend(check_gate_references(manifest, locate))
    return out
