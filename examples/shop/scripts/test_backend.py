"""TEST.Backend: unit tests of the orders service with JUnit XML and Cobertura coverage."""

import sys

sys.path.insert(0, "scripts")
from run_pytest import main  # noqa: E402

sys.exit(main("backend", "reports/backend", coverage_source="build/backend/shop"))
