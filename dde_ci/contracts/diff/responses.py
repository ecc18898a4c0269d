"""Responses and response headers: status codes added and removed, headers added,
removed, made optional, retyped or made nullable.
"""

from __future__ import annotations

from typing import Any

from dde_ci.contracts.diff.base import (
    DifferBase,
    _d,
    _Site,
    _tf,
    _widened,
    nullable,
    schema_types,
)


class ResponseRules(DifferBase):
    """The responses rules of :class:`~dde_ci.contracts.diff.openapi.OpenApiDiffer`."""

    def _responses(self, base: dict[str, Any], rev: dict[str, Any], site: _Site) -> None:
        rsite = site.down("responses")
        for status in base:
            if status in rev:
                continue
            success = str(status).startswith("2")
            kind = "success" if success else "non-success"
            self.add(
                f"response-{kind}-status-removed",
                "error" if success else "info",
                f"removed the {kind} response with the status '{status}'",
                rsite.down(status),
                side="base",
            )
        for status in rev:
            if status in base:
                continue
            kind = "success" if str(status).startswith("2") else "non-success"
            self.add(
                f"response-{kind}-status-added",
                "info",
                f"added the {kind} response with the status '{status}'",
                rsite.down(status),
            )
        for status in base:
            if status not in rev or base[status] == rev[status]:
                continue
            ssite = rsite.down(status)
            ssite.status = str(status)
            self._response(_d(base[status]), _d(rev[status]), ssite)

    def _response(self, base: dict[str, Any], rev: dict[str, Any], site: _Site) -> None:
        status = site.status
        bh, rh = _d(base.get("headers")), _d(rev.get("headers"))
        rh_lower = {k.lower(): k for k in rh}
        for name, header in bh.items():
            rname = rh_lower.get(name.lower())
            hsite = site.down("headers", name)
            if rname is None:
                if _d(header).get("required") is True:
                    self.add(
                        "required-response-header-removed",
                        "error",
                        f"the mandatory response header '{name}' removed for the status '{status}'",
                        hsite,
                        side="base",
                    )
                else:
                    self.add(
                        "optional-response-header-removed",
                        "warning",
                        f"the optional response header '{name}' removed for the status '{status}'",
                        hsite,
                        side="base",
                    )
            elif _d(header).get("required") is True and _d(rh[rname]).get("required") is not True:
                self.add(
                    "response-header-became-optional",
                    "error",
                    f"the response header '{name}' became optional for the status '{status}'",
                    site.down("headers", rname),
                )
            if rname is not None:
                self._response_header(name, _d(header), _d(rh[rname]), site.down("headers", rname))
        bh_lower = {k.lower() for k in bh}
        for name in rh:
            if name.lower() not in bh_lower:
                self.add(
                    "response-header-added",
                    "info",
                    f"the response header '{name}' was added for the status '{status}'",
                    site.down("headers", name),
                )
        where = f"the response with the status '{status}'"
        self._content(base, rev, "response", site, "response-media-type", ("for", "for", where))

    def _response_header(
        self, name: str, base: dict[str, Any], rev: dict[str, Any], site: _Site
    ) -> None:
        """Type and nullability of a response header (text on the wire: not strongly typed)."""
        bs, rs = _d(base.get("schema")), _d(rev.get("schema"))
        where = f"the response header '{name}' for the status '{site.status}'"
        bt, rt = schema_types(bs), schema_types(rs)
        bf, rf = bs.get("format"), rs.get("format")
        ssite = site.down("schema")
        if (bt and rt and bt != rt) or (bt == rt and bf != rf):
            text = f"{where}: type/format changed from {_tf(bt, bf)} to {_tf(rt, rf)}"
            if _widened(rt, rf, bt, bf):
                self.add("response-header-type-specialized", "info", text, ssite)
            elif "string" in (bt | rt):
                self.add("response-header-type-compatible", "info", text, ssite)
            elif _widened(bt, bf, rt, rf):
                self.add("response-header-type-generalized", "error", text, ssite)
            else:
                self.add("response-header-type-changed", "error", text, ssite)
        if nullable(rs) and not nullable(bs):
            self.add("response-header-became-nullable", "error", f"{where} became nullable", ssite)
        elif nullable(bs) and not nullable(rs):
            text = f"{where} became not nullable"
            self.add("response-header-became-not-nullable", "info", text, ssite)
