"""Security scheme component rules: OAuth flows of a ``components.securitySchemes`` entry.

oasdiff reports these at info (a client configured with the old URL or scopes
keeps working until the server rejects it, which the document cannot tell):
``api-security-component-oauth-url-changed`` (authorizationUrl),
``api-security-component-oauth-token-url-changed`` (tokenUrl),
``api-security-component-oauth-scope-added``/``-removed``/``-changed``
(a scope's description).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dde_ci.contracts.diff.base import (
    DifferBase,
    _l,
    _Site,
)

Finding = tuple[str, str, str]
PREFIX = "api-security-component-oauth"


def _flows(scheme: Any) -> dict[str, dict[str, Any]]:
    flows = scheme.get("flows") if isinstance(scheme, dict) else None
    if not isinstance(flows, dict):
        return {}
    return {k: v for k, v in flows.items() if isinstance(v, dict)}


def oauth_changes(name: str, base: Any, rev: Any) -> Iterator[Finding]:
    """Findings for the OAuth flows of security scheme ``name``."""
    bflows, rflows = _flows(base), _flows(rev)
    for flow in sorted(bflows.keys() & rflows.keys()):
        bf, rf = bflows[flow], rflows[flow]
        where = f"the '{flow}' flow of the security scheme '{name}'"
        if bf.get("authorizationUrl") != rf.get("authorizationUrl"):
            yield (
                f"{PREFIX}-url-changed",
                "info",
                f"the authorization URL of {where} changed from "
                f"'{bf.get('authorizationUrl')}' to '{rf.get('authorizationUrl')}'",
            )
        if bf.get("tokenUrl") != rf.get("tokenUrl"):
            yield (
                f"{PREFIX}-token-url-changed",
                "info",
                f"the token URL of {where} changed from '{bf.get('tokenUrl')}'"
                f" to '{rf.get('tokenUrl')}'",
            )
        bs: dict[str, Any] = bf["scopes"] if isinstance(bf.get("scopes"), dict) else {}
        rs: dict[str, Any] = rf["scopes"] if isinstance(rf.get("scopes"), dict) else {}
        for scope in sorted(rs.keys() - bs.keys()):
            yield f"{PREFIX}-scope-added", "info", f"the scope '{scope}' was added to {where}"
        for scope in sorted(bs.keys() - rs.keys()):
            yield f"{PREFIX}-scope-removed", "info", f"the scope '{scope}' was removed from {where}"
        for scope in sorted(bs.keys() & rs.keys()):
            if bs[scope] != rs[scope]:
                yield (
                    f"{PREFIX}-scope-changed",
                    "info",
                    f"the description of the scope '{scope}' of {where} changed",
                )


class SecurityRules(DifferBase):
    """Security requirements of an operation and of the whole API (all info, as in oasdiff)."""

    def _security(self, base: Any, rev: Any, site: _Site, *, glob: bool = False) -> None:
        def reqs(value: Any) -> dict[frozenset[str], dict[str, list[Any]]]:
            out: dict[frozenset[str], dict[str, list[Any]]] = {}
            for req in _l(value):
                if isinstance(req, dict):
                    out[frozenset(req)] = {k: _l(v) for k, v in req.items()}
            return out

        b, r = reqs(base), reqs(rev)
        prefix = "api-global-security" if glob else "api-security"
        where = "the API" if glob else "the endpoint"
        for key in b.keys() - r.keys():
            name = " AND ".join(sorted(key)) or "{}"
            self.add(
                f"{prefix}-removed",
                "info",
                f"the security scheme '{name}' was removed from {where}",
                site,
                side="base",
            )
        for key in r.keys() - b.keys():
            name = " AND ".join(sorted(key)) or "{}"
            self.add(
                f"{prefix}-added",
                "info",
                f"the security scheme '{name}' was added to {where}",
                site,
            )
        for key in b.keys() & r.keys():
            for scheme in sorted(key):
                bscopes, rscopes = b[key][scheme], r[key][scheme]
                for scope in bscopes:
                    if scope not in rscopes:
                        self.add(
                            f"{prefix}-scope-removed",
                            "info",
                            f"the security scope '{scope}' was removed from the security scheme"
                            f" '{scheme}'",
                            site,
                        )
                for scope in rscopes:
                    if scope not in bscopes:
                        self.add(
                            f"{prefix}-scope-added",
                            "info",
                            f"the security scope '{scope}' was added to the security scheme"
                            f" '{scheme}'",
                            site,
                        )

    # -- parameters ------------------------------------------------------------
