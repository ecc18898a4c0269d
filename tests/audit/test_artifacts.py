"""Evidence cannot vanish: ``stamp verify`` and the audit check the artifact store against
the execution log's ``artifact.stamped`` events both ways, and never follow a link."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import run_cli

STORE = Path(".dde/artifacts/It-1/A")


def _built(tmp_path: Path) -> Path:
    """A real ``dde-ci run`` of a node whose artifact glob matches two files."""
    tmp_path.mkdir(parents=True)
    (tmp_path / "dde.yaml").write_text(
        'version: "1"\nworkflow: w\niteration: It-1\nnodes:\n'
        "  - id: A\n    type: implementation\n    artifacts: ['out/*.txt']\n"
        "    run: mkdir -p out && echo a > out/a.txt && echo b > out/b.txt\n"
    )
    assert run_cli("run", "-m", str(tmp_path / "dde.yaml"), "--no-progress") == 0
    return tmp_path


def _delete_a_stamp(root: Path) -> None:
    (root / STORE / "out%2Fb.txt.intoto.json").unlink()


def _delete_a_stamp_and_its_copy(root: Path) -> None:
    _delete_a_stamp(root)
    (root / STORE / "out/b.txt").unlink()


def _delete_a_node_folder(root: Path) -> None:
    shutil.rmtree(root / STORE)


def _add_a_file(root: Path) -> None:
    (root / STORE / "out/c.txt").write_text("planted\n")


def _add_a_stamped_file(root: Path) -> None:
    """A copy and a stamp that look right, but the log never recorded them."""
    stamp = json.loads((root / STORE / "out%2Fb.txt.intoto.json").read_text())
    stamp["subject"][0]["name"] = "out/c.txt"
    (root / STORE / "out%2Fc.txt.intoto.json").write_text(json.dumps(stamp))
    shutil.copy(root / STORE / "out/b.txt", root / STORE / "out/c.txt")


def _replace_stamp_and_copy(root: Path) -> None:
    """Both changed consistently: only the log still holds the original digest."""
    import hashlib

    path = root / STORE / "out%2Fb.txt.intoto.json"
    stamp = json.loads(path.read_text())
    (root / STORE / "out/b.txt").write_text("evil\n")
    stamp["subject"][0]["digest"]["sha256"] = hashlib.sha256(b"evil\n").hexdigest()
    path.write_text(json.dumps(stamp))


def _link_outside(root: Path) -> None:
    secret = root.parent / f"{root.name}-outside.txt"
    secret.write_text("b\n")  # the same bytes: following the link would say all is well
    (root / STORE / "out/b.txt").unlink()
    (root / STORE / "out/b.txt").symlink_to(secret)


def _link_to_a_device(root: Path) -> None:
    (root / STORE / "out/b.txt").unlink()
    (root / STORE / "out/b.txt").symlink_to("/dev/zero")


TAMPERING: dict[str, tuple[Callable[[Path], None], str]] = {
    "stamp deleted": (_delete_a_stamp, "the execution log says 'out/b.txt' was stamped"),
    "stamp and copy deleted": (_delete_a_stamp_and_its_copy, "but its stamp is gone"),
    "node folder deleted": (_delete_a_node_folder, "but its stamp is gone"),
    "file added": (_add_a_file, "'out/c.txt' is not named by any stamp"),
    "stamped file added": (_add_a_stamped_file, "'out/c.txt' is not in the execution log"),
    "stamp and copy replaced": (_replace_stamp_and_copy, "the execution log recorded"),
    "link outside": (_link_outside, "is a symbolic link"),
    "link to a device": (_link_to_a_device, "is a symbolic link"),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_stamp_verify_and_the_audit_report_tampering(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    case: str,
) -> None:
    root = _built(tmp_path / "p")
    monkeypatch.chdir(root)
    assert run_cli("stamp", "verify") == 0
    assert run_cli("audit") == 0
    capsys.readouterr()
    tamper, said = TAMPERING[case]
    tamper(root)
    assert run_cli("stamp", "verify") == 1
    err = capsys.readouterr().err
    assert said in err, err
    assert run_cli("audit", "--format", "json") == 1
    report = json.loads((root / "reports/It-1/audit.json").read_text())
    assert report["result"] == "FAIL" and report["deployable"] is False
    assert any(v["severity"] == "blocking" for v in report["violations"])
    capsys.readouterr()


def test_a_link_in_the_store_is_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _built(tmp_path / "p")
    monkeypatch.chdir(root)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # reading it would block the check for ever
    (root / STORE / "out/b.txt").unlink()
    (root / STORE / "out/b.txt").symlink_to(fifo)
    assert run_cli("stamp", "verify") == 1
    assert run_cli("audit") == 1
