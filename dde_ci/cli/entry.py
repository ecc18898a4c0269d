"""The ``dde-ci`` console script: hooks take a fast path, everything else the click CLI.

Git hooks run on every commit, so ``dde-ci hook ...`` must not pay for click,
pydantic or rich: this module imports only ``sys`` before it knows which path
to take.  Everything else goes to :func:`dde_ci.cli.main.main`.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing itself costs a hook 10-15 ms
if TYPE_CHECKING:
    from typing import NoReturn


def main() -> int:
    """Run ``dde-ci`` with ``sys.argv`` and return the exit code."""
    args = sys.argv[1:]
    if args[:1] == ["hook"]:
        from dde_ci.cli.hook_fast import run_hook

        code = run_hook(args[1:])
        if code is not None:
            return code
    from dde_ci.cli.main import main as full_cli

    return full_cli(args)


def run() -> NoReturn:
    """Entry point of the ``dde-ci`` console script and of ``python -m dde_ci``."""
    exit_now(main())


def exit_now(code: int) -> NoReturn:
    """End the process with ``code`` without freeing every object one by one.

    After an audit of 10,000 nodes the interpreter's own shutdown (a last garbage
    collection, then every module and object torn down) takes about 0.1 s, for
    nothing: the process is ending.  What matters of it is kept: the ``atexit``
    handlers run and the standard streams are flushed.  When a thread other than
    a daemon one still runs, the ordinary exit waits for it, as it always did.
    """
    import atexit
    import contextlib
    import os
    import threading

    if any(
        t.is_alive() and not t.daemon
        for t in threading.enumerate()
        if t is not threading.main_thread()
    ):
        sys.exit(code)
    atexit._run_exitfuncs()  # what the interpreter itself runs first at exit
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe: nothing more can be said
            stream.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover - python -m dde_ci.cli.entry
    run()
