"""Publishing a locked version beyond the local registry (a GitHub release).

``publish_release`` makes version X of a contract the release tagged
``contract/{domain}/{name}/v{X}`` carrying the spec and ``contract.json``, and
records where it went in ``contract.json`` (``published``), so consumers'
contexts carry the URL.  The GitHub work is :mod:`dde_ci.github.releases`'s;
it is imported only when used.

``release_publisher(...)`` returns a callable the node step uses in step 5:
pass it as the node step's ``contract_publisher`` and every version an
interface node locks is published as it is locked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dde_ci.contracts.registry import CONTRACT_FILE, LockedContract, record_published

Publisher = Callable[[LockedContract], LockedContract]


def publish_release(
    contract: LockedContract,
    repo: str,
    *,
    token: str | None,
    base_url: str | None = None,
    target: str | None = None,
) -> LockedContract:
    """Publish ``contract`` as a GitHub release (idempotent); return it with ``published`` set."""
    from dde_ci.github.releases import contract_tag, publish_contract
    from dde_ci.log import now_rfc3339

    tag = contract_tag(contract.domain, contract.name, contract.version)
    url = publish_contract(
        repo,
        tag,
        contract.name,
        {contract.spec: contract.spec_path, CONTRACT_FILE: contract.metadata_path},
        contract.digest,
        token=token,
        base_url=base_url,
        target_commitish=target or contract.owner.commit,
    )
    published: dict[str, Any] = {
        "url": url,
        "tag": tag,
        "repository": repo,
        "published_at": now_rfc3339(),
    }
    return record_published(contract, published)


def release_publisher(repo: str, *, token: str | None, base_url: str | None = None) -> Publisher:
    """A publisher for the node step's ``contract_publisher``."""

    def publish(contract: LockedContract) -> LockedContract:
        return publish_release(contract, repo, token=token, base_url=base_url)

    return publish
