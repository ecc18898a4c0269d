"""Built-in OpenAPI 3.0/3.1 differ with the rule ids and levels of oasdiff's checker.

Input: two documents whose ``$ref`` s are already resolved
(:mod:`dde_ci.contracts.refs`); a reference cycle left unexpanded is compared
by its reference string.  What it does:

* endpoints are matched by path *template*, so ``/orders/{id}`` and
  ``/orders/{orderId}`` are the same path, and path parameters by position;
* schemas are compared in **request** context (what a client sends: narrowing
  breaks) or **response** context (what a client receives: widening breaks);
  ``allOf`` members are merged before comparing unless
  ``DiffOptions(compose="oasdiff")`` asks to compare them one by one;
* every finding carries the id and level of the rule of oasdiff's checker (the
  release named in ``docs/contracts.md``) that describes it.

One rule family per module: :mod:`.paths` (paths, operations, webhooks,
components), :mod:`.security`, :mod:`.parameters` (with ``x-extensible-enum``),
:mod:`.request_body`, :mod:`.responses` (with headers), :mod:`.schemas`
(properties, types, bounds, enums, patterns), :mod:`.keywords` (JSON Schema
2020-12), :mod:`.composition`, :mod:`.discriminator`, :mod:`.lifecycle`
(deprecation, sunset, stability), :mod:`.mediatypes` and :mod:`.versioning`.
"""

from __future__ import annotations

from typing import Any

from dde_ci.contracts.diff.base import _d, _Site, merge_all_of, path_template, pointer
from dde_ci.contracts.diff.changes import Change
from dde_ci.contracts.diff.options import DiffOptions
from dde_ci.contracts.diff.parameters import ParameterRules
from dde_ci.contracts.diff.paths import PathRules
from dde_ci.contracts.diff.request_body import RequestBodyRules
from dde_ci.contracts.diff.responses import ResponseRules
from dde_ci.contracts.diff.schemas import SchemaRules
from dde_ci.contracts.diff.security import SecurityRules
from dde_ci.contracts.diff.versioning import versioning_violation

__all__ = ["OpenApiDiffer", "diff_openapi", "merge_all_of", "path_template", "pointer"]


class OpenApiDiffer(
    PathRules, SecurityRules, ParameterRules, RequestBodyRules, ResponseRules, SchemaRules
):
    """Compare two resolved OpenAPI documents; :meth:`run` returns the changes.

    One mixin per rule family; :class:`~dde_ci.contracts.diff.base.DifferBase`
    holds the state they share.
    """

    def run(self, base: dict[str, Any], revision: dict[str, Any]) -> list[Change]:
        self._paths(_d(base.get("paths")), _d(revision.get("paths")))
        top = _Site(None, None, (), ())
        self._security(
            base.get("security"), revision.get("security"), top.down("security"), glob=True
        )
        self._components(_d(base.get("components")), _d(revision.get("components")))
        self._webhooks(_d(base.get("webhooks")), _d(revision.get("webhooks")))
        breaking = any(change.level == "error" for change in self.changes)
        versioning = versioning_violation(
            _d(base.get("info")).get("version"), _d(revision.get("info")).get("version"), breaking
        )
        if versioning:
            self.add(*versioning, _Site(None, None, ("info", "version"), ("info", "version")))
        return self.changes


def diff_openapi(base: Any, revision: Any, options: DiffOptions | None = None) -> list[Change]:
    """Changes from ``base`` to ``revision`` (both resolved OpenAPI documents)."""
    return OpenApiDiffer(options or DiffOptions()).run(_d(base), _d(revision))
