"""Versioning policy (oasdiff's): a breaking change should bump the major version.

Run after every other rule, on ``info.version`` of both documents when both
are semantic versions and at least one change is at level error:
``api-version-not-bumped`` (the version is the same), ``api-version-decreased``
(it went down), ``api-major-version-not-bumped`` (it went up, but not the
major; for ``0.x`` the minor).  All three are info, as in oasdiff: they judge
the versioning, not the wire contract.
"""

from __future__ import annotations

import re

_SEMVER = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)


def _semver(version: object) -> tuple[int, int, int] | None:
    match = _SEMVER.match(version) if isinstance(version, str) else None
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3))


def versioning_violation(
    base_version: object, revision_version: object, breaking: bool
) -> tuple[str, str, str] | None:
    """``(rule id, level, message)`` when a breaking change is not versioned as one."""
    base, rev = _semver(base_version), _semver(revision_version)
    if not breaking or base is None or rev is None:
        return None
    if base_version == revision_version:
        return (
            "api-version-not-bumped",
            "info",
            f"the API has breaking changes but its version {revision_version} was not bumped",
        )
    if rev <= base:
        return (
            "api-version-decreased",
            "info",
            f"the API version decreased from {base_version} to {revision_version}",
        )
    major_bumped = rev[1] > base[1] if base[0] == rev[0] == 0 else rev[0] > base[0]
    if not major_bumped:
        return (
            "api-major-version-not-bumped",
            "info",
            f"the API has breaking changes but its version went from {base_version}"
            f" to {revision_version} without a major bump",
        )
    return None
