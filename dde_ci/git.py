"""Git, read-only: what the domain asks of the work tree it runs in."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def _git(root: Path, *args: str) -> str | None:
    """``git ARGS`` at ``root``: its stripped output when it succeeded, else None (no
    ``git`` on PATH, not a work tree, a failing command, or git did not answer in time)."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run(
            [git, *args], cwd=root, capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def current_commit(root: Path) -> str | None:
    """The commit checked out at ``root`` (``git rev-parse HEAD``), or None outside Git
    (no ``git`` on PATH, not a work tree, no commit yet, or git did not answer in time)."""
    return _git(root, "rev-parse", "--verify", "-q", "HEAD") or None


def current_user(root: Path) -> str | None:
    """Who runs this command: Git's ``user.name <user.email>`` at ``root``, else the login
    name, else None."""
    name = _git(root, "config", "--get", "user.name") or ""
    email = _git(root, "config", "--get", "user.email") or ""
    if name or email:
        return f"{name} <{email}>" if name and email else name or email
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None
