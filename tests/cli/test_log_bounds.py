"""``dde-ci log query`` on hostile arguments: bad input (exit 2), never a crash (3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dde_ci.cli.main import main
from dde_ci.log import ExecutionLog


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "dde.yaml").write_text("workflow: x\n")
    ExecutionLog(tmp_path / "reports" / "It-1" / "execution.log", "It-1", "r1").emit("a.b")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_since_further_back_than_time_goes(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["log", "query", "--since", "99999999999d"]) == 2
    assert "'99999999999d' is further back than a time can go" in capsys.readouterr().err
    assert main(["log", "query", "--since", "1d"]) == 0


@pytest.mark.parametrize(
    ("log", "said"),
    [
        ("/dev/zero", "/dev/zero: the log is not a regular file"),
        (".", ".: the log is not a regular file"),
        ("/proc/self/mem", "/proc/self/mem: the log cannot be read: Input/output error"),
    ],
)
@pytest.mark.parametrize("command", ["query", "check"])
def test_a_log_that_is_not_a_readable_file(
    project: Path, capsys: pytest.CaptureFixture[str], log: str, said: str, command: str
) -> None:
    assert main(["log", command, "--log", log]) == 2
    assert said in capsys.readouterr().err
