"""How a diff is run: :class:`DiffOptions`.

Defaults follow oasdiff's checker wherever dde-ci has no reason to differ:
``deprecation_days_beta``/``deprecation_days_stable`` are oasdiff's
``--deprecation-days-beta``/``--deprecation-days-stable`` (the least number of
days between deprecating an operation, parameter or property and its sunset;
0 by default, as in oasdiff).  ``compose`` is the one deliberate difference:
``merge`` (dde-ci's default) merges ``allOf`` subschemas into one schema before
comparing, so moving a property into or out of an ``allOf`` is no change;
``oasdiff`` compares ``allOf``/``anyOf``/``oneOf`` subschemas one by one and
reports ``request-property-all-of-added`` and its siblings as oasdiff does.
``stability_level`` is oasdiff's ``--stability-level``: changes to operations
(and properties) whose ``x-stability-level`` is below it are not reported
(``beta`` by default: ``draft`` and ``alpha`` ones are not).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

COMPOSE_MODES = ("merge", "oasdiff")
STABILITY_LEVELS = ("draft", "alpha", "beta", "stable")


@dataclass(frozen=True, slots=True)
class DiffOptions:
    """Options of :func:`dde_ci.contracts.diff.diff_contracts` (all have defaults)."""

    compose: str = "merge"
    deprecation_days_beta: int = 0
    deprecation_days_stable: int = 0
    stability_level: str = "beta"
    today: _dt.date = field(default_factory=lambda: _dt.datetime.now(_dt.UTC).date())
