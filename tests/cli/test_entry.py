"""The console script's exit: atexit handlers run, output is flushed, the code is kept."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _run(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )


def test_exit_now_runs_atexit_handlers_flushes_and_keeps_the_code(tmp_path: Path) -> None:
    marker = tmp_path / "atexit-ran"
    done = _run(
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(marker)!r}, 'w').close())\n"
        "sys.stdout.write('buffered, not flushed')\n"
        "sys.stderr.write('err too')\n"
        "from dde_ci.cli.entry import exit_now\n"
        "exit_now(3)\n",
        tmp_path,
    )
    assert done.returncode == 3
    assert done.stdout == "buffered, not flushed"
    assert done.stderr == "err too"
    assert marker.exists()


def test_exit_now_waits_for_a_thread_that_is_not_a_daemon(tmp_path: Path) -> None:
    done = _run(
        "import threading, time\n"
        "def work():\n"
        "    time.sleep(0.2)\n"
        "    print('thread finished', flush=True)\n"
        "threading.Thread(target=work).start()\n"
        "from dde_ci.cli.entry import exit_now\n"
        "exit_now(4)\n",
        tmp_path,
    )
    assert done.returncode == 4
    assert done.stdout == "thread finished\n"


def test_python_m_dde_ci_exits_with_the_command_code(tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "dde_ci", "--help"], capture_output=True, text=True, timeout=60
    )
    assert ok.returncode == 0
    assert "Usage:" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "dde_ci", "validate", str(tmp_path / "missing.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2
    assert "missing.yaml" in bad.stderr
