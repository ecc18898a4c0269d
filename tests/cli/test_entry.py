"""The console script exits with the command's code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _run(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )


def test_python_m_dde_ci_exits_with_the_command_code(tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "dde_ci", "--help"], capture_output=True, text=True, timeout=60
    )
    assert ok.returncode == 0
    assert "Usage:" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "dde_ci", "validate", "-m", str(tmp_path / "missing.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2
    assert "missing.yaml" in bad.stderr
