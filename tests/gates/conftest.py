"""Real reports for gate tests, produced once per test session (shared by xdist workers)."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gates.project import run_sample_suite

VULNERABLE_CODE = """\
import subprocess


def run(cmd):
    return subprocess.call(cmd, shell=True)


def connect():
    password = "hunter2"
    return password


def check(x):
    assert x > 0
    return x
"""


def _shared(tmp_path_factory: pytest.TempPathFactory, name: str) -> tuple[Path, Path]:
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if base.name.startswith("popen-gw") else base
    return shared / name, shared / f"{name}.lock"


@pytest.fixture(scope="session")
def sample_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """junit.xml, coverage.xml and coverage.json of a real pytest run (one failing test)."""
    folder, lock = _shared(tmp_path_factory, "gates-sample-suite")
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        done = folder / ".done"
        if not done.exists():
            if folder.exists():
                shutil.rmtree(folder)
            run_sample_suite(folder)
            done.write_text("ok")
    return {
        "junit": folder / "junit.xml",
        "cobertura": folder / "coverage.xml",
        "coverage_json": folder / "coverage.json",
    }


@pytest.fixture(scope="session")
def bandit_sarif(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SARIF 2.1.0 file written by a real bandit scan of vulnerable code."""
    folder, lock = _shared(tmp_path_factory, "gates-bandit")
    out = folder / "findings.sarif"
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        if not out.exists():
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "app.py").write_text(VULNERABLE_CODE)
            bandit = Path(sys.executable).with_name("bandit")
            proc = subprocess.run(
                [str(bandit), "-q", "-f", "sarif", "-o", "partial.sarif", "app.py"],
                cwd=folder,
                capture_output=True,
                timeout=120,
                check=False,
            )
            assert proc.returncode in (0, 1), proc.stderr
            (folder / "partial.sarif").rename(out)
    return out
