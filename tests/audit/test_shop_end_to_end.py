"""examples/shop run end to end by the local runner, then audited: PASS; then tampered: FAIL."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_MANIFEST, run_cli

# runtime output of the example (see .gitignore): never copied into the test's folder
RUNTIME = {".dde", "reports", "build", "contracts", "contracts.lock", "__pycache__", ".coverage"}


def _copy_example(target: Path) -> Path:
    source = EXAMPLE_MANIFEST.parent

    def ignore(folder: str, names: list[str]) -> set[str]:
        skip = {n for n in names if n == "__pycache__" or n.startswith(".coverage")}
        return skip | (RUNTIME & set(names) if Path(folder) == source else set())

    shutil.copytree(source, target, ignore=ignore)
    return target / "dde.yaml"


@pytest.mark.slow
def test_the_shop_runs_end_to_end_and_audits_to_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = _copy_example(tmp_path / "shop")
    venv_bin = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [
            str(venv_bin / "dde-ci"),
            "run",
            "-m",
            str(manifest),
            "--iteration",
            "E2E-1",
            "--no-progress",
        ],
        cwd=manifest.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr

    assert run_cli("audit", "-m", str(manifest), "--iteration", "E2E-1", "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["result"], data["score"]) == ("PASS", 1.0), data["violations"]
    assert data["completeness"]["completed"] == 13
    assert data["integrity"]["contracts"]["locked"] == 2
    assert data["integrity"]["artifacts"]["tampered"] == 0
    assert data["integrity"]["gates"]["passed"] > 0

    # the same records, one stored artifact changed: the audit must say no
    store = manifest.parent / ".dde" / "artifacts" / "E2E-1" / "DB.Schema"
    stored = next(p for p in store.rglob("*") if p.is_file() and not p.name.endswith(".json"))
    stored.write_bytes(stored.read_bytes() + b"-- tampered\n")
    assert run_cli("audit", "-m", str(manifest), "--iteration", "E2E-1", "--format", "json") == 1
    data = json.loads(capsys.readouterr().out)
    assert [v["type"] for v in data["violations"]] == ["artifact_tampered"]
