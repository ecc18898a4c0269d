"""What this dde-ci build is: its version, its home and the commit it was built from.

cargo-dist's pattern: the package knows where it lives and which commit it is,
so ``dde-ci generate`` can pin the dde-ci actions to the very build that wrote
the workflow (``uses: OWNER/dde-ci/actions/node@<commit>``).

* the **version** and the **commit** come from Git at build time: hatch-vcs
  (setuptools-scm) writes ``dde_ci/_build.py`` with the version and the full
  commit SHA (``pyproject.toml``, ``[tool.hatch.version]``).  A build without
  Git metadata (a source archive) has the fallback version and no commit.  An
  editable install runs its checkout's code, so its commit is that checkout's
  ``HEAD`` at run time;
* the **home** is the ``Source`` entry of ``[project.urls]`` in the installed
  package's metadata.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DISTRIBUTION = "dde-ci"
_GITHUB_HOME = re.compile(r"^https://github\.com/([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+?)(?:\.git)?/?\Z")
_NODE = re.compile(r"^g?([0-9a-f]{40})\Z")
_RELEASE = re.compile(r"^\d+\.\d+\.\d+\Z")


@dataclass(frozen=True)
class Build:
    """One build of dde-ci."""

    version: str
    home: str | None  # e.g. "https://github.com/dde-ci/dde-ci"
    commit: str | None  # the full 40-hex commit SHA, None when the build had no Git metadata
    modified: bool = False  # built from a work tree with uncommitted changes

    @property
    def repository(self) -> str | None:
        """``OWNER/REPO`` of the home on GitHub (None when the home is not a GitHub repository)."""
        match = _GITHUB_HOME.match(self.home or "")
        return match.group(1) if match else None

    @property
    def release_tag(self) -> str | None:
        """``vX.Y.Z`` when this build is a release (a tagged commit), else None."""
        return f"v{self.version}" if _RELEASE.match(self.version) else None

    def describe(self) -> str:
        """``dde-ci --version``: version, home and commit."""
        commit = self.commit or "unknown (built without Git metadata)"
        if self.commit and self.modified:
            commit += " (with uncommitted changes)"
        return f"dde-ci {self.version}\nhome: {self.home or 'unknown'}\ncommit: {commit}"


def _commit(node: object) -> str | None:
    match = _NODE.match(node) if isinstance(node, str) else None
    return match.group(1) if match else None


@cache
def this_build() -> Build:
    """The build this code belongs to (read once per process)."""
    from importlib import import_module, metadata

    from dde_ci import __version__

    try:
        written = import_module("dde_ci._build")
    except ImportError:  # a build without Git metadata writes no version file
        commit, modified = None, False
    else:
        commit = _commit(getattr(written, "node", None))
        modified = bool(getattr(written, "dirty", False))
    home = None
    try:
        distribution = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # pragma: no cover - a source tree not installed
        urls: list[str] = []
    else:
        urls = distribution.metadata.get_all("Project-URL") or []
        work_tree = _editable_folder(distribution.read_text("direct_url.json"))
        if work_tree is not None:  # the code is that checkout's: its commit is HEAD now
            from dde_ci.git import current_commit

            commit, modified = current_commit(work_tree), False
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "source":
            home = url.strip()
    return Build(version=__version__, home=home, commit=commit, modified=modified)


def _editable_folder(direct_url: str | None) -> Path | None:
    """The source folder of an editable install (PEP 610 ``direct_url.json``), else None."""
    import json
    from urllib.parse import unquote, urlparse

    try:
        data = json.loads(direct_url or "null")
    except ValueError:
        return None
    if not isinstance(data, dict) or not (data.get("dir_info") or {}).get("editable"):
        return None
    url = urlparse(str(data.get("url", "")))
    return Path(unquote(url.path)) if url.scheme == "file" else None
