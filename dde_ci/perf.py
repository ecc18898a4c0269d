"""The one process-wide setting dde-ci changes, where a large input makes speed matter.

Each use is named, with what ``benchmarks/audit_scale.py`` measures it buys, in
docs/design.md ("Process-wide settings"); a new use needs such a figure too.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector, then restore it as it was.

    Reading a large manifest, execution log or audit builds a few hundred
    thousand small containers that hold no cycles and live until the reader is
    done; the collector would walk them again and again for nothing (a third of
    the time of loading a manifest of 10,000 nodes, 15% of auditing them).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
