"""Publishing a locked version beyond the local registry (a release on a host such as GitHub).

``publish_release`` makes version X of a contract the release tagged
``contract/{domain}/{name}/v{X}`` carrying the spec and ``contract.json``, and
records where it went in ``contract.json`` (``published``), so consumers'
contexts carry the URL.  Where the release lives is the caller's choice: it
passes a :class:`ReleaseHost` (``dde_ci.github.releases.GitHubReleases`` is
the one dde-ci has), so this domain module never imports an engine.

``release_publisher(host)`` returns the :data:`Publisher` the node step uses in
step 5 (its ``contract_publisher``): every version an interface node locks is
published as it is locked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from dde_ci.contracts.registry import CONTRACT_FILE, LockedContract, record_published

Publisher = Callable[[LockedContract], LockedContract]


class ReleaseHost(Protocol):
    """Where locked versions are published as releases, one per tag."""

    @property
    def repository(self) -> str:
        """The repository the releases belong to (``owner/name``), recorded with each one."""
        ...

    def publish(
        self,
        tag: str,
        title: str,
        files: Mapping[str, Path],
        digest: str,
        *,
        target: str | None,
    ) -> str:
        """Publish (or find already published) release ``tag`` carrying ``files`` (asset
        name to local file) for ``digest``; return its URL.  Idempotent; raises
        :class:`~dde_ci.errors.CheckFailed` when ``tag`` holds another digest."""
        ...


def contract_tag(domain: str, name: str, version: str) -> str:
    """The release tag of a locked contract version."""
    return f"contract/{domain}/{name}/v{version}"


def publish_release(
    contract: LockedContract, host: ReleaseHost, *, target: str | None = None
) -> LockedContract:
    """Publish ``contract`` on ``host`` (idempotent); return it with ``published`` set.

    ``target``: the commit the release's tag points at (default: the one that
    locked the contract).
    """
    from dde_ci.log import now_rfc3339

    tag = contract_tag(contract.domain, contract.name, contract.version)
    url = host.publish(
        tag,
        contract.name,
        {contract.spec: contract.spec_path, CONTRACT_FILE: contract.metadata_path},
        contract.digest,
        target=target or contract.owner.commit,
    )
    published: dict[str, Any] = {
        "url": url,
        "tag": tag,
        "repository": host.repository,
        "published_at": now_rfc3339(),
    }
    return record_published(contract, published)


def release_publisher(host: ReleaseHost) -> Publisher:
    """The publisher the node step calls with each version it locks."""

    def publish(contract: LockedContract) -> LockedContract:
        return publish_release(contract, host)

    return publish
