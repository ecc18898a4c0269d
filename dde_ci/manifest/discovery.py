"""Where the manifest is: found the way Git finds ``.git``.

``dde.yaml`` in the current folder or the nearest parent, up to the
repository root.  Only ``os``: the Git hooks use this on every commit.
"""

# ruff: noqa: PTH100, PTH110, PTH113, PTH118, PTH120
# (os.path on purpose: importing pathlib costs more than a commit-msg hook may take)

from __future__ import annotations

import os

MANIFEST_NAME = "dde.yaml"


def find_repo_root(start: str) -> str | None:
    """The nearest folder at or above ``start`` holding ``.git`` (a folder or a file)."""
    current = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def find_manifest(start: str, explicit: str | None = None) -> str | None:
    """``explicit``, else ``dde.yaml`` in ``start`` or a parent up to the repository root.

    Outside a Git repository the search goes up to the file system's root.
    None when there is none.
    """
    if explicit:
        return explicit
    root = find_repo_root(start)
    current = os.path.abspath(start)
    while True:
        candidate = os.path.join(current, MANIFEST_NAME)
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(current)
        if current == root or parent == current:
            return None
        current = parent
