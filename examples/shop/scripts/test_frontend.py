"""TEST.Frontend: the generated client covers every operation of the contract."""

import sys

sys.path.insert(0, "scripts")
from run_pytest import main  # noqa: E402

sys.exit(main("frontend", "reports/frontend"))
