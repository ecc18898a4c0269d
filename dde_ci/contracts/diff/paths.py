"""Paths, operations, webhooks and components: endpoints added and removed (with
their deprecation and sunset), operation ids, tags, stability and lifecycle of
an operation, webhooks, schemas removed from ``components``.
"""

from __future__ import annotations

from typing import Any

from dde_ci.contracts.diff import lifecycle
from dde_ci.contracts.diff.base import (
    METHODS,
    DifferBase,
    _d,
    _l,
    _Site,
    path_template,
)
from dde_ci.contracts.diff.security import oauth_changes


class PathRules(DifferBase):
    """The paths rules of :class:`~dde_ci.contracts.diff.openapi.OpenApiDiffer`."""

    def _webhooks(self, base: dict[str, Any], rev: dict[str, Any]) -> None:
        """OpenAPI 3.1 ``webhooks``: removing one breaks its subscribers (error)."""
        for name in sorted(base.keys() - rev.keys()):
            site = _Site(None, None, ("webhooks", name), ())
            self.add("webhook-removed", "error", f"removed the webhook '{name}'", site, side="base")
        for name in sorted(rev.keys() - base.keys()):
            site = _Site(None, None, (), ("webhooks", name))
            self.add("webhook-added", "info", f"added the webhook '{name}'", site)
        for name in sorted(base.keys() & rev.keys()):
            bitem, ritem = _d(base[name]), _d(rev[name])
            if bitem != ritem:  # a webhook's operations get the operation rules
                self._path_item(name, bitem, name, ritem, root="webhooks")

    def _components(self, base: dict[str, Any], rev: dict[str, Any]) -> None:
        site = _Site(None, None, ("components",), ("components",))
        bs, rs = _d(base.get("securitySchemes")), _d(rev.get("securitySchemes"))
        for name in bs.keys() - rs.keys():
            self.add(
                "api-security-component-removed",
                "info",
                f"the component security scheme '{name}' was removed",
                site.down("securitySchemes", name),
                side="base",
            )
        for name in rs.keys() - bs.keys():
            self.add(
                "api-security-component-added",
                "info",
                f"the component security scheme '{name}' was added",
                site.down("securitySchemes", name),
            )
        for name in bs.keys() & rs.keys():
            bt, rt = _d(bs[name]).get("type"), _d(rs[name]).get("type")
            if bt != rt:
                self.add(
                    "api-security-component-type-changed",
                    "info",
                    f"the component security scheme '{name}' type changed from {bt} to {rt}",
                    site.down("securitySchemes", name, "type"),
                )
            for found in oauth_changes(name, bs[name], rs[name]):
                self.add(*found, site.down("securitySchemes", name, "flows"))
        bsch, rsch = _d(base.get("schemas")), _d(rev.get("schemas"))
        for name in sorted(bsch.keys() - rsch.keys()):
            self.add(
                "api-schema-removed",
                "info",
                f"removed the schema '{name}'",
                site.down("schemas", name),
                side="base",
            )

    def _paths(self, base: dict[str, Any], rev: dict[str, Any]) -> None:
        rev_by_template: dict[str, str] = {}
        for path in rev:
            rev_by_template.setdefault(path_template(path), path)
        matched: set[str] = set()
        for bpath, bitem in base.items():
            rpath = rev_by_template.get(path_template(bpath))
            if rpath is None:
                self._path_removed(bpath, _d(bitem))
                continue
            matched.add(rpath)
            self._path_item(bpath, _d(bitem), rpath, _d(rev[rpath]))
        for rpath, ritem in rev.items():
            if rpath in matched:
                continue
            for method in METHODS:
                if method in _d(ritem):
                    site = _Site(rpath, method, (), ("paths", rpath, method))
                    self.add("endpoint-added", "info", "endpoint added", site)

    def _path_removed(self, bpath: str, bitem: dict[str, Any]) -> None:
        for method in METHODS:
            op = bitem.get(method)
            if not isinstance(op, dict):
                continue
            site = _Site(bpath, method, ("paths", bpath, method), ())
            self._operation_removed(op, site, "api-path-removed", "api path")

    def _operation_removed(self, op: dict[str, Any], site: _Site, rule: str, label: str) -> None:
        """Operation ``op`` is gone (with its path: ``api-path-removed``; alone:
        ``api-removed``): as oasdiff, by its stability level, deprecation and sunset."""
        level, error = lifecycle.stability(op)
        if error:
            self.add("api-invalid-stability-level", "error", error, site, side="base")
            return
        if not lifecycle.included(level, self.options.stability_level):
            return
        found = lifecycle.removal(
            (f"{rule}-without-deprecation", "error"),
            f"{rule}-with-deprecation",
            f"{rule}-before-sunset",
            "api-path-sunset-parse",
            op,
            self.options,
            label,
        )
        if found:
            self.add(*found, site, side="base")

    def _path_item(
        self,
        bpath: str,
        bitem: dict[str, Any],
        rpath: str,
        ritem: dict[str, Any],
        *,
        root: str = "paths",
    ) -> None:
        for method in METHODS:
            bop, rop = bitem.get(method), ritem.get(method)
            site = _Site(rpath, method, (root, bpath, method), (root, rpath, method))
            if isinstance(bop, dict) and not isinstance(rop, dict):
                site.path = bpath
                self._operation_removed(bop, site, "api-removed", "api")
            elif isinstance(rop, dict) and not isinstance(bop, dict):
                self.add("endpoint-added", "info", "endpoint added", site)
            elif isinstance(bop, dict) and isinstance(rop, dict):
                if bop == rop and bitem.get("parameters") == ritem.get("parameters"):
                    continue
                self._operation(bpath, bitem, bop, rpath, ritem, rop, site)

    def _operation(
        self,
        bpath: str,
        bitem: dict[str, Any],
        bop: dict[str, Any],
        rpath: str,
        ritem: dict[str, Any],
        rop: dict[str, Any],
        site: _Site,
    ) -> None:
        if not self._operation_lifecycle(bop, rop, site):
            return
        bid, rid = bop.get("operationId"), rop.get("operationId")
        if bid is not None and bid != rid:
            self.add(
                "api-operation-id-removed",
                "info",
                f"api operation id '{bid}' removed and replaced with '{rid}'",
                site,
            )
        elif bid is None and rid is not None:
            self.add("api-operation-id-added", "info", f"api operation id '{rid}' was added", site)
        btags, rtags = [t for t in _l(bop.get("tags"))], [t for t in _l(rop.get("tags"))]
        for tag in btags:
            if tag not in rtags:
                self.add("api-tag-removed", "info", f"api tag '{tag}' removed", site)
        for tag in rtags:
            if tag not in btags:
                self.add("api-tag-added", "info", f"api tag '{tag}' added", site)
        if "security" in bop or "security" in rop:
            self._security(bop.get("security"), rop.get("security"), site.down("security"))
        self._parameters(bpath, bitem, bop, rpath, ritem, rop, site)
        self._request_body(_d(bop.get("requestBody")), _d(rop.get("requestBody")), site)
        self._responses(_d(bop.get("responses")), _d(rop.get("responses")), site)

    def _operation_lifecycle(self, bop: dict[str, Any], rop: dict[str, Any], site: _Site) -> bool:
        """Stability, deprecation and sunset of an operation; False: compare nothing else."""
        for op, side in ((bop, "base"), (rop, "revision")):
            _level, error = lifecycle.stability(op)
            if error:
                self.add("api-invalid-stability-level", "error", error, site, side=side)
        names = ("api-stability-decreased", "api-stability-increased")
        threshold = self.options.stability_level
        changed = lifecycle.stability_change(bop, rop, names, "the endpoint's", threshold)
        if changed:
            self.add(*changed, site)
        level, error = lifecycle.stability(rop)
        self.op_stability = level
        if error or not lifecycle.included(level, threshold):
            return False
        for check in (lifecycle.deprecation, lifecycle.sunset_changed):
            found = check(lifecycle.ENDPOINT, bop, rop, level, self.options, "endpoint")
            if found:
                self.add(*found, site.down("deprecated"))
        return True
