"""Is there an online self-hosted runner for every label set the workflow uses?

A job whose ``runs-on`` labels no online runner carries waits in the queue until GitHub
gives up on it after 24 hours.  The label sets come from the manifest through capability
routing (:func:`dde_ci.routing.route_runner`), plus the labels of the setup and audit jobs.
A set without the ``self-hosted`` label runs on GitHub-hosted runners and is not checked.
A runner serves a set when it is online and carries every label (case-insensitive).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dde_ci.github.api import ClientOptions, check_repo, connect, github_errors

if TYPE_CHECKING:
    from dde_ci.manifest.models import Manifest

PERMISSION = "'Administration: read' (a fine-grained token or an admin's token)"
ORG_PERMISSION = "'Self-hosted runners: read' on the organization"
SELF_HOSTED = "self-hosted"
DEFAULT_HOSTED = ("ubuntu-latest",)


@dataclass(frozen=True)
class Runner:
    name: str
    status: str  # online | offline
    busy: bool
    labels: frozenset[str]  # lower-case
    scope: str  # "repository" | "organization"


@dataclass
class LabelSetCheck:
    labels: tuple[str, ...]
    nodes: list[str]
    self_hosted: bool
    online: list[str] = field(default_factory=list)
    offline: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.self_hosted or bool(self.online)

    def to_json(self) -> dict[str, Any]:
        return {
            "labels": list(self.labels),
            "nodes": self.nodes,
            "self_hosted": self.self_hosted,
            "ok": self.ok,
            "online_runners": self.online,
            "offline_runners": self.offline,
        }


def workflow_label_sets(manifest: Manifest) -> dict[tuple[str, ...], list[str]]:
    """Every ``runs-on`` label set of the generated workflow -> the jobs (node ids) using it."""
    from dde_ci.errors import InputError
    from dde_ci.routing import Unroutable, route_runner

    sets: dict[tuple[str, ...], list[str]] = {}
    for node in manifest.nodes:
        try:
            labels = route_runner(manifest, node).labels
        except Unroutable as exc:
            raise InputError(str(exc)) from None
        sets.setdefault(tuple(labels), []).append(node.id)
    control = manifest.github.runs_on or manifest.settings.default_runs_on or list(DEFAULT_HOSTED)
    sets.setdefault(tuple(control), []).extend(["setup", "audit"])
    return sets


def check_label_sets(
    label_sets: Mapping[tuple[str, ...], Sequence[str]], runners: Sequence[Runner]
) -> list[LabelSetCheck]:
    checks = []
    for labels, nodes in label_sets.items():
        wanted = {label.lower() for label in labels}
        check = LabelSetCheck(labels, list(nodes), SELF_HOSTED in wanted)
        if check.self_hosted:
            for runner in runners:
                if wanted <= runner.labels:
                    (check.online if runner.status == "online" else check.offline).append(
                        runner.name
                    )
        checks.append(check)
    return checks


def list_runners(
    repo: str,
    *,
    org: str | None = None,
    token: str | None,
    base_url: str | None = None,
    options: ClientOptions | None = None,
) -> list[Runner]:
    """The repository's self-hosted runners (and the organization's, with ``org``)."""
    check_repo(repo)
    client = connect(token, base_url, options)
    found: list[Runner] = []
    with github_errors(f"list the self-hosted runners of {repo}", PERMISSION):
        for raw in client.get_repo(repo).get_self_hosted_runners():
            found.append(_runner(raw, "repository"))
    if org:
        with github_errors(f"list the self-hosted runners of organization {org}", ORG_PERMISSION):
            for raw in client.get_organization(org).get_self_hosted_runners():
                found.append(_runner(raw, "organization"))
    return found


def _runner(raw: Any, scope: str) -> Runner:
    labels = frozenset(str(label.get("name", "")).lower() for label in raw.labels)
    return Runner(raw.name, raw.status, bool(raw.busy), labels, scope)
