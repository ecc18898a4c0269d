"""``python -m dde_ci``: the same entry point as the ``dde-ci`` console script."""

from dde_ci.cli.entry import run

run()
