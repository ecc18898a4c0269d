"""Run one of the example's pytest suites and write JUnit XML (and coverage when asked)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# the suites need no plugin: not loading the ones installed beside dde-ci (xdist,
# hypothesis, ...) halves the start of each pytest
os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"


def main(suite: str, report_dir: str, coverage_source: str | None = None) -> int:
    reports = Path(report_dir)
    reports.mkdir(parents=True, exist_ok=True)
    junit = f"--junitxml={reports / 'junit.xml'}"
    base = ["-m", "pytest", f"tests/{suite}", "-q", "-p", "no:cacheprovider", junit,
            "-o", f"junit_suite_name={suite}"]
    if coverage_source is None:
        return subprocess.call([sys.executable, *base])
    data = f"--data-file={reports / '.coverage'}"
    code = subprocess.call([sys.executable, "-m", "coverage", "run", data, "--branch",
                            f"--source={coverage_source}", *base])
    subprocess.check_call([sys.executable, "-m", "coverage", "xml", data,
                           "-o", str(reports / "coverage.xml")])
    subprocess.check_call([sys.executable, "-m", "coverage", "report", data])
    return code
