"""Deprecation, sunset and stability rules (oasdiff's lifecycle checks).

An operation, a parameter or a schema property can be marked ``deprecated:
true`` with an ``x-sunset`` date (``YYYY-MM-DD`` or RFC 3339), and an operation
or a property can carry ``x-stability-level`` (``draft`` < ``alpha`` <
``beta`` < ``stable``; none means stable).  The rules, with oasdiff's ids:

* deprecating: ``*-deprecated`` (info) or ``*-deprecated-with-sunset`` (info);
  with a deprecation period configured for the stability level
  (``--deprecation-days-beta``/``--deprecation-days-stable``, 0 by default) a
  missing sunset is ``*-sunset-missing`` (error), a sunset closer than the
  period ``*-sunset-date-too-small`` (error), an unparsable one ``*-parse``
  (error); un-deprecating is ``*-reactivated`` (info);
* removing: without deprecation is the family's ``*-removed-without-...``
  rule, with deprecation ``*-removed-with-deprecation`` (info), before its
  sunset ``*-removed-before-sunset`` (error); after the sunset nothing;
* changing the sunset of a deprecated item: deleting it is ``sunset-deleted``
  (error), moving it earlier than the period allows
  ``*-sunset-date-changed-too-small`` (error);
* stability: ``api-invalid-stability-level`` (error) for a value outside the
  four, ``api-stability-decreased`` (error) / ``-increased`` (info); changes to
  ``draft`` and ``alpha`` operations are not reported otherwise.

Every function returns ``(rule id, level, message)`` findings; the differ
places them.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from dde_ci.contracts.diff.options import DiffOptions

Finding = tuple[str, str, str]
STABILITY_LEVELS = ("draft", "alpha", "beta", "stable")
UNSTABLE = frozenset({"draft", "alpha"})


def included(level: str, threshold: str) -> bool:
    """True when an item of stability ``level`` (``""``: stable) is reported at ``threshold``."""
    return STABILITY_LEVELS.index(level or "stable") >= STABILITY_LEVELS.index(threshold)


@dataclass(frozen=True, slots=True)
class LifecycleIds:
    """The rule ids of one family (endpoint, parameter, request/response property)."""

    deprecated: str
    with_sunset: str
    sunset_missing: str
    parse: str
    too_small: str
    reactivated: str
    sunset_deleted: str = ""
    changed_too_small: str = ""


ENDPOINT = LifecycleIds(
    deprecated="endpoint-deprecated",
    with_sunset="endpoint-deprecated-with-sunset",
    sunset_missing="api-deprecated-sunset-missing",
    parse="api-deprecated-sunset-parse",
    too_small="api-sunset-date-too-small",
    reactivated="endpoint-reactivated",
    sunset_deleted="sunset-deleted",
    changed_too_small="api-sunset-date-changed-too-small",
)
PARAMETER = LifecycleIds(
    deprecated="request-parameter-deprecated",
    with_sunset="request-parameter-deprecated",
    sunset_missing="request-parameter-deprecated-sunset-missing",
    parse="request-parameter-sunset-parse",
    too_small="request-parameter-sunset-date-too-small",
    reactivated="request-parameter-reactivated",
    sunset_deleted="request-parameter-sunset-deleted",
    changed_too_small="request-parameter-sunset-date-changed-too-small",
)


def property_ids(ctx: str) -> LifecycleIds:
    """The lifecycle ids of request (``ctx="request"``) or response properties."""
    return LifecycleIds(
        deprecated=f"{ctx}-property-deprecated",
        with_sunset=f"{ctx}-property-deprecated-with-sunset",
        sunset_missing=f"{ctx}-property-deprecated-sunset-missing",
        parse=f"{ctx}-property-deprecated-sunset-invalid",
        too_small=f"{ctx}-property-sunset-date-too-small",
        reactivated=f"{ctx}-property-reactivated",
    )


def stability(item: dict[str, Any]) -> tuple[str, str | None]:
    """``(level, None)`` for a valid or absent ``x-stability-level`` (``""``), else an error."""
    raw = item.get("x-stability-level")
    if raw is None:
        return "", None
    if not isinstance(raw, str):
        return "", "x-stability-level isn't a string"
    if raw not in STABILITY_LEVELS:
        return "", f"value is not one of draft, alpha, beta or stable: {raw!r}"
    return raw, None


def sunset_date(raw: Any) -> _dt.date:
    """The date of an ``x-sunset`` value; :class:`ValueError` when it is not one."""
    if isinstance(raw, _dt.datetime):
        return raw.date()
    if isinstance(raw, _dt.date):
        return raw
    if not isinstance(raw, str):
        raise ValueError("sunset value isn't a string")
    try:
        return _dt.date.fromisoformat(raw)
    except ValueError:
        pass
    try:
        return _dt.datetime.fromisoformat(raw.replace("Z", "+00:00")).date()
    except ValueError:
        raise ValueError(f"sunset date doesn't conform with RFC3339: {raw}") from None


def deprecation_days(options: DiffOptions, level: str) -> int:
    """The least days between deprecation and sunset for a stability level."""
    if level in UNSTABLE:
        return 0
    if level == "beta":
        return options.deprecation_days_beta
    return options.deprecation_days_stable


def deprecation(
    ids: LifecycleIds,
    base: dict[str, Any],
    rev: dict[str, Any],
    level: str,
    options: DiffOptions,
    label: str,
) -> Finding | None:
    """The finding for ``deprecated`` changing from ``base`` to ``rev`` (None if unchanged)."""
    bdep, rdep = base.get("deprecated") is True, rev.get("deprecated") is True
    if bdep == rdep:
        return None
    if not rdep:
        return ids.reactivated, "info", f"{label} reactivated"
    days = deprecation_days(options, level)
    if "x-sunset" not in rev:
        if days > 0:
            return ids.sunset_missing, "error", f"{label} deprecated without a sunset date"
        return ids.deprecated, "info", f"{label} deprecated"
    try:
        date = sunset_date(rev["x-sunset"])
    except ValueError as exc:
        return ids.parse, "error", f"{label}: failed to parse the sunset date: {exc}"
    if (date - options.today).days < days:
        return (
            ids.too_small,
            "error",
            f"{label} deprecated with a sunset date {date} less than {days} days from now",
        )
    return ids.with_sunset, "info", f"{label} deprecated (sunset: {date})"


def sunset_changed(
    ids: LifecycleIds,
    base: dict[str, Any],
    rev: dict[str, Any],
    level: str,
    options: DiffOptions,
    label: str,
) -> Finding | None:
    """The finding for the ``x-sunset`` of a still-deprecated item changing."""
    if rev.get("deprecated") is not True or base.get("x-sunset") == rev.get("x-sunset"):
        return None
    if "x-sunset" in base and "x-sunset" not in rev:
        return ids.sunset_deleted, "error", f"{label}: the sunset date was deleted"
    if "x-sunset" not in base:
        return None
    parse = ids.parse if ids is not ENDPOINT else "api-path-sunset-parse"
    try:
        date = sunset_date(rev["x-sunset"])
        base_date = sunset_date(base["x-sunset"])
    except ValueError as exc:
        return parse, "error", f"{label}: failed to parse the sunset date: {exc}"
    days = deprecation_days(options, level)
    if base_date > date and (date - options.today).days < days:
        return (
            ids.changed_too_small,
            "error",
            f"{label}: the sunset date changed from {base_date} to {date},"
            f" less than {days} days from now",
        )
    return None


def removal(
    removed_without: tuple[str, str],
    removed_with: str,
    before_sunset: str,
    parse: str,
    item: dict[str, Any],
    options: DiffOptions,
    label: str,
) -> Finding | None:
    """The finding for removing ``item`` (None: it was deprecated and its sunset has passed)."""
    if item.get("deprecated") is not True:
        rule, level = removed_without
        return rule, level, f"{label} removed without deprecation"
    if "x-sunset" not in item:
        return removed_with, "info", f"{label} removed with deprecation"
    try:
        date = sunset_date(item["x-sunset"])
    except ValueError as exc:
        return parse, "error", f"{label}: failed to parse the sunset date: {exc}"
    if options.today < date:
        return before_sunset, "error", f"{label} removed before the sunset date {date}"
    return None


def stability_change(
    base: dict[str, Any],
    rev: dict[str, Any],
    names: tuple[str, str],
    label: str,
    threshold: str = "draft",
) -> Finding | None:
    """``*-stability-decreased`` (error) or ``*-stability-increased`` (info), or None.

    ``names`` are the two ids; a base below ``threshold`` is not reported.
    """
    decreased, increased = names
    bl, berr = stability(base)
    rl, rerr = stability(rev)
    if berr or rerr or not included(bl, threshold):
        return None
    bi, ri = STABILITY_LEVELS.index(bl or "stable"), STABILITY_LEVELS.index(rl or "stable")
    if bi == ri:
        return None
    shown = f"from '{bl or 'stable'}' to '{rl or 'stable'}'"
    if ri < bi:
        return decreased, "error", f"{label} stability level decreased {shown}"
    return increased, "info", f"{label} stability level increased {shown}"
