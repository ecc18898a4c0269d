"""Git, read-only: what the domain asks of the work tree it runs in."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def current_commit(root: Path) -> str | None:
    """The commit checked out at ``root`` (``git rev-parse HEAD``), or None outside Git
    (no ``git`` on PATH, not a work tree, no commit yet, or git did not answer in time)."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run(
            [git, "rev-parse", "--verify", "-q", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    sha = done.stdout.strip()
    return sha if done.returncode == 0 and sha else None


def current_user(root: Path) -> str | None:
    """Who runs this command: Git's ``user.name <user.email>`` at ``root``, else the login
    name, else None."""
    git = shutil.which("git")
    parts: list[str] = []
    if git is not None:
        for key in ("user.name", "user.email"):
            try:
                done = subprocess.run(
                    [git, "config", "--get", key],
                    cwd=root,
                    capture_output=True,
                    text=True,
                    timeout=30,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired):
                break
            parts.append(done.stdout.strip() if done.returncode == 0 else "")
    name, email = [*parts, "", ""][:2]
    if name or email:
        return f"{name} <{email}>" if name and email else name or email
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None
