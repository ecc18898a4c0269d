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
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover - python -m dde_ci.cli.entry
    run()
