"""TEST.Events: every recorded event validates against the order-created contract."""

import sys

sys.path.insert(0, "scripts")
from run_pytest import main  # noqa: E402

sys.exit(main("events", "reports/events"))
