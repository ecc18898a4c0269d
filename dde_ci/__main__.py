"""``python -m dde_ci``: the same entry point as the ``dde-ci`` console script."""

import sys

from dde_ci.cli.entry import main

sys.exit(main())
