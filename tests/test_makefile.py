"""The Makefile: a fresh machine installs with uv and says what it is doing."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_a_fresh_install_uses_uv_and_says_each_step(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    done = subprocess.run(
        ["make", "--no-print-directory", "-n", "demo", f"VENV={venv}"],
        cwd=REPO_ROOT,
        env={k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")},
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stdout.splitlines()
    said = [line for line in lines if line.startswith('echo "== ')]
    assert [s.split()[2:4] for s in said] == [
        ["creating", str(venv)],
        ["installing", "uv"],
        ["installing", "dde-ci"],
    ]
    assert f"python3 -m venv --without-pip {venv}" in lines
    assert f"{venv}/bin/uv pip install --python {venv}/bin/python -e '.[test]' pip" in lines
    assert not any("--quiet -e" in line for line in lines)  # no silent pip install
    assert lines[-1] == "bash examples/shop/demo.sh"
