"""``dde_ci.files``: JSON written whole, or not at all."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from dde_ci.files import write_json_atomic


@pytest.mark.parametrize("durable", [False, True])
def test_writes_indented_utf8_json_and_replaces(tmp_path: Path, durable: bool) -> None:
    target = tmp_path / "a" / "b.json"
    write_json_atomic(target, {"name": "Bestellung ü"}, durable=durable)
    assert target.read_text("utf-8") == '{\n  "name": "Bestellung ü"\n}\n'
    write_json_atomic(target, [1, 2], durable=durable)
    assert json.loads(target.read_text("utf-8")) == [1, 2]
    assert [p.name for p in target.parent.iterdir()] == ["b.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "c.json"
    write_json_atomic(target, {"v": 1})
    with pytest.raises(ValueError):
        write_json_atomic(target, {"v": math.nan})
    blocked = tmp_path / "d.json"
    blocked.mkdir()  # the rename onto a folder fails after the temporary file exists
    with pytest.raises(OSError):
        write_json_atomic(blocked, {"v": 2})
    assert json.loads(target.read_text()) == {"v": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json", "d.json"]


def test_open_regular_refuses_what_is_not_a_regular_file_without_waiting(
    tmp_path: Path,
) -> None:
    import os

    from dde_ci.files import NotARegularFile, open_regular, read_bounded
    from tests.special import fifo_and_endless

    for path in fifo_and_endless(tmp_path / "fifo", tmp_path / "zero"):
        with pytest.raises(NotARegularFile):
            open_regular(path)
    with pytest.raises(IsADirectoryError):
        open_regular(tmp_path)
    with pytest.raises(FileNotFoundError):
        open_regular(tmp_path / "none")
    plain = tmp_path / "plain.txt"
    plain.write_bytes(b"0123456789")
    fd, info = open_regular(plain)
    try:
        assert info.st_size == 10
        assert read_bounded(fd, 4, 8) is None  # "grew" past its limit while read
    finally:
        os.close(fd)
    fd, info = open_regular(plain)
    try:
        assert read_bounded(fd, info.st_size, 10) == b"0123456789"
    finally:
        os.close(fd)


def test_read_regular_reads_within_its_limit_or_says_by_how_much(tmp_path: Path) -> None:
    from dde_ci.files import FileTooLarge, NotARegularFile, read_regular
    from tests.special import fifo_and_endless

    plain = tmp_path / "plain.txt"
    plain.write_bytes(b"0123456789")
    assert read_regular(plain, 10) == b"0123456789"
    with pytest.raises(FileTooLarge) as over:
        read_regular(plain, 9)
    assert over.value.size == 10 and not over.value.grew
    for path in fifo_and_endless(tmp_path / "fifo", tmp_path / "zero"):
        with pytest.raises(NotARegularFile):
            read_regular(path, 10)
    with pytest.raises(IsADirectoryError):
        read_regular(tmp_path, 10)


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_written_files_keep_the_users_umask(tmp_path: Path, umask: int, mode: int) -> None:
    """0666 less the umask, as open() gives: a shared workspace or a web server can read
    the reports (tempfile.mkstemp would have made every one 0600)."""
    import os

    from dde_ci.files import write_text_atomic

    old = os.umask(umask)
    try:
        write_text_atomic(tmp_path / "new" / "report.md", "x\n")
        write_json_atomic(tmp_path / "staged.json", {})
    finally:
        os.umask(old)
    assert (tmp_path / "new" / "report.md").stat().st_mode & 0o777 == mode
    assert (tmp_path / "staged.json").stat().st_mode & 0o777 == mode
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == ["report.md"]
