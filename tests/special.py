"""Paths that are not regular files, for checking that a reader refuses them at once."""

from __future__ import annotations

import os
from pathlib import Path


def fifo_and_endless(fifo: Path, endless: Path) -> list[Path]:
    """Make ``fifo`` a FIFO (opening it to read waits for a writer) and ``endless`` a
    symlink to ``/dev/zero`` (reading it never ends); return both."""
    os.mkfifo(fifo)
    endless.symlink_to("/dev/zero")
    return [fifo, endless]
