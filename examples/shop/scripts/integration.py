"""INT.EndToEnd: start the real service on 127.0.0.1 and drive the order flow over HTTP."""

import sys

sys.path.insert(0, "scripts")
from run_pytest import main  # noqa: E402

sys.exit(main("integration", "reports/integration"))
