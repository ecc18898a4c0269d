"""Capability routing: which runner (GitHub) or agent (local) serves a node.

Capabilities are case-insensitive hierarchical paths separated by ``:``.  An
offer satisfies a requirement when the requirement is a prefix of the offer
(``backend:python:fastapi`` serves ``backend:python``) and the offered
proficiency (default 3) reaches the required minimum (default 1).  A worker
serves a node when it satisfies every requirement; among those, the best is
the one whose matching offers are the most specific, then the most
proficient, then the one declared first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from dde_ci.manifest.models import Capability, Manifest, Node

DEFAULT_OFFER_PROFICIENCY = 3
DEFAULT_REQUIRED_PROFICIENCY = 1


class WorkerLike(Protocol):
    @property
    def worker_id(self) -> str: ...

    @property
    def capabilities(self) -> list[Capability]: ...


W = TypeVar("W", bound=WorkerLike)


def satisfies(offer: Capability, requirement: Capability) -> bool:
    """True when ``offer`` covers ``requirement`` (prefix path and enough proficiency)."""
    need = requirement.parts
    if offer.parts[: len(need)] != need:
        return False
    offered = offer.proficiency or DEFAULT_OFFER_PROFICIENCY
    return offered >= (requirement.proficiency or DEFAULT_REQUIRED_PROFICIENCY)


def match_score(worker: WorkerLike, requirements: Sequence[Capability]) -> tuple[int, int] | None:
    """(specificity, proficiency) of the worker's best offers for all requirements, or None."""
    specificity = 0
    proficiency = 0
    for req in requirements:
        best: tuple[int, int] | None = None
        for offer in worker.capabilities:
            if satisfies(offer, req):
                cand = (len(offer.parts), offer.proficiency or DEFAULT_OFFER_PROFICIENCY)
                if best is None or cand > best:
                    best = cand
        if best is None:
            return None
        specificity += best[0]
        proficiency += best[1]
    return (specificity, proficiency)


def rank_workers(
    requirements: Sequence[Capability], workers: Sequence[W]
) -> list[tuple[W, tuple[int, int]]]:
    """Workers that can serve ``requirements``, best first (ties: declaration order)."""
    scored = []
    for index, worker in enumerate(workers):
        score = match_score(worker, requirements)
        if score is not None:
            scored.append((score, -index, worker))
    scored.sort(key=lambda t: (t[0], t[1]), reverse=True)
    return [(w, s) for s, _, w in scored]


@dataclass(frozen=True)
class RunnerRoute:
    """Where a node's GitHub job runs."""

    node_id: str
    labels: list[str]
    runner: str | None  # the runner entry chosen, None when labels came from elsewhere
    warning: str | None = None


class Unroutable(Exception):
    """No runner serves the node and no default is configured (turned into a Diagnostic)."""


def route_runner(manifest: Manifest, node: Node) -> RunnerRoute:
    """Pick the runner labels for ``node``: explicit ``runs_on``, best match, or the default."""
    if node.runs_on:
        return RunnerRoute(node.id, list(node.runs_on), None)
    default = manifest.settings.default_runs_on
    ranked = rank_workers(node.capabilities, manifest.runners)
    if ranked:
        runner = ranked[0][0]
        return RunnerRoute(node.id, list(runner.labels), runner.name)
    if default:
        warning = None
        if node.capabilities:
            needs = ", ".join(c.name for c in node.capabilities)
            warning = (
                f"no runner offers {needs}; node {node.id!r} falls back to the default "
                f"runner labels {default}"
            )
        return RunnerRoute(node.id, list(default), None, warning)
    needs = ", ".join(c.name for c in node.capabilities) or "anything"
    if not manifest.runners:
        raise Unroutable(
            f"node {node.id!r} needs a runner but the manifest declares no 'runners' "
            "and no 'settings.default_runs_on'"
        )
    raise Unroutable(
        f"no runner offers {needs} for node {node.id!r}; add the capability to a runner "
        "or set 'settings.default_runs_on'"
    )
