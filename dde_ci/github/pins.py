"""The one table of third-party actions dde-ci writes into workflows and actions.

Every ``uses:`` dde-ci emits is pinned to a full commit SHA with its release tag
in a comment (``actions/checkout@11bd...  # v4.2.2``): a tag can be moved, a
commit cannot, and OpenSSF Scorecard and zizmor both ask for this.  The SHAs
below are the commits GitHub's tags point at; change a pin here and nowhere
else (the composite actions under ``actions/`` and ``action.yml`` are checked
against this table by ``tests/github/test_actions.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SHA = re.compile(r"^[0-9a-f]{40}\Z")


@dataclass(frozen=True)
class Pin:
    """An action pinned to a commit: ``repository@sha  # tag``."""

    repository: str
    sha: str
    tag: str

    def __post_init__(self) -> None:
        if not _SHA.match(self.sha):  # pragma: no cover - guards edits of the table
            raise ValueError(f"{self.repository}: {self.sha!r} is not a full commit SHA")

    @property
    def uses(self) -> str:
        """The value of ``uses:`` (the tag goes in a comment next to it)."""
        return f"{self.repository}@{self.sha}"

    @property
    def line(self) -> str:
        """``uses:`` value and comment as written in a YAML file."""
        return f"{self.uses} # {self.tag}"


CHECKOUT = Pin("actions/checkout", "11bd71901bbe5b1630ceea73d27597364c9af683", "v4.2.2")
SETUP_PYTHON = Pin("actions/setup-python", "a26af69be951a213d495a4c3e4e4022e16d87065", "v5.6.0")
UPLOAD_ARTIFACT = Pin(
    "actions/upload-artifact", "ea165f8d65b6e75b540449e92b4886f43607fa02", "v4.6.2"
)
DOWNLOAD_ARTIFACT = Pin(
    "actions/download-artifact", "d3f86a106a0bac45b974a628896c90dbdf5c8093", "v4.3.0"
)
CACHE = Pin("actions/cache", "5a3ec84eff668545956fd18022155c47e93e2684", "v4.2.3")
SETUP_UV = Pin("astral-sh/setup-uv", "20cfd1bf945f4377ade1205e4dbc17946fc9a30d", "v10.0.1")

ALL_PINS = (CHECKOUT, SETUP_PYTHON, UPLOAD_ARTIFACT, DOWNLOAD_ARTIFACT, CACHE, SETUP_UV)
PINS: dict[str, Pin] = {pin.repository: pin for pin in ALL_PINS}
