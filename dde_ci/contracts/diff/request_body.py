"""Request bodies and media types: a body added, removed or made required, media
types added, removed and renamed, and a media type's schema appearing or
disappearing; each schema is then compared by :mod:`.schemas`.
"""

from __future__ import annotations

from typing import Any

from dde_ci.contracts.diff.base import (
    DifferBase,
    _d,
    _Site,
)
from dde_ci.contracts.diff.mediatypes import rename_rule, renamed_pairs


class RequestBodyRules(DifferBase):
    """The request body rules of :class:`~dde_ci.contracts.diff.openapi.OpenApiDiffer`."""

    def _request_body(self, base: dict[str, Any], rev: dict[str, Any], site: _Site) -> None:
        bsite = site.down("requestBody")
        if not base and not rev:
            return
        if not base:
            if rev.get("required") is True:
                self.add(
                    "request-body-added-required", "error", "added required request body", bsite
                )
            else:
                self.add(
                    "request-body-added-optional", "info", "added optional request body", bsite
                )
            return
        if not rev:
            self.add(
                "request-body-removed", "error", "removed the request body", bsite, side="base"
            )
            return
        breq, rreq = base.get("required") is True, rev.get("required") is True
        if rreq and not breq:
            self.add("request-body-became-required", "error", "request body became required", bsite)
        elif breq and not rreq:
            self.add("request-body-became-optional", "info", "request body became optional", bsite)
        where = ("from", "to", "the request body")
        self._content(base, rev, "request", bsite, "request-body-media-type", where)

    def _content(
        self,
        base: dict[str, Any],
        rev: dict[str, Any],
        ctx: str,
        site: _Site,
        rule: str,
        where: tuple[str, str, str],
    ) -> None:
        """The media types of a request body or a response, each schema compared in ``ctx``.

        ``where`` words the messages: (preposition when removed, when added, the place).
        """
        removed_from, added_to, place = where
        bc, rc = _d(base.get("content")), _d(rev.get("content"))
        removed, added = sorted(bc.keys() - rc.keys()), sorted(rc.keys() - bc.keys())
        renamed = renamed_pairs(removed, added)
        for old, new in renamed:
            removed.remove(old)
            added.remove(new)
            if ctx == "response":
                rename, level = rename_rule(old, new)
                text = f"the media type '{old}' was renamed to '{new}' {added_to} {place}"
                self.add(rename, level, text, site.down("content", new))
        for media in removed:
            self.add(
                f"{rule}-removed",
                "error",
                f"removed the media type '{media}' {removed_from} {place}",
                site.down("content", media),
                side="base",
            )
        for media in added:
            self.add(
                f"{rule}-added",
                "info",
                f"added the media type '{media}' {added_to} {place}",
                site.down("content", media),
            )
        for bmedia, media in [(m, m) for m in sorted(bc.keys() & rc.keys())] + renamed:
            bs, rs = _d(bc[bmedia]).get("schema"), _d(rc[media]).get("schema")
            msite = site.down("content", media, "schema")
            if isinstance(bs, dict) != isinstance(rs, dict):
                appeared = isinstance(rs, dict)
                verb = "added" if appeared else "removed"
                if ctx == "request":
                    level = "error" if appeared else "info"
                else:
                    level = "info" if appeared else "warning"
                self.add(
                    f"{ctx}-body-media-type-schema-{verb}",
                    level,
                    f"{verb} the schema of the media type '{media}' {added_to} {place}",
                    msite,
                    side="revision" if appeared else "base",
                )
            if isinstance(bs, dict) and isinstance(rs, dict):
                self.loose = "json" not in media.lower()
                self._schema(bs, rs, ctx, site.down("content", media, "schema"), (), 0)
