"""The import contracts of pyproject.toml ([tool.importlinter]) catch a forbidden import.

``make lint`` runs ``lint-imports`` on the package as it is; this test runs it on a
copy with imports that break each contract, so a contract that no longer checks
anything fails here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

BAD_IMPORTS = {
    # the domain must not reach up into an engine, nor print with rich
    "graph.py": "import dde_ci.runner.state\nimport rich\n",
    # the runner and github/ are independent engines
    "runner/webhook.py": "import dde_ci.github.api\n",
    # only github/ talks to PyGithub
    "cli/graph.py": "import github\n",
}


def test_lint_imports_names_every_forbidden_import(tmp_path: Path) -> None:
    shutil.copytree(
        ROOT / "dde_ci", tmp_path / "dde_ci", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    for module, lines in BAD_IMPORTS.items():
        path = tmp_path / "dde_ci" / module
        path.write_text(path.read_text("utf-8") + lines, encoding="utf-8")

    done = subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )

    out = " ".join(done.stdout.split())  # it wraps long lines
    assert done.returncode == 1, out
    assert "Contracts: 0 kept, 3 broken." in out
    assert "dde_ci.graph -> dde_ci.runner.state" in out
    assert "dde_ci.runner.webhook -> dde_ci.github.api" in out
    assert "dde_ci.graph -> rich" in out
    assert "dde_ci.cli.graph -> github" in out
