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


# -- FileStage: files made ahead of need ----------------------------------------------------


def test_a_staged_file_becomes_the_target_and_nothing_is_left(tmp_path: Path) -> None:
    from dde_ci.files import FileStage, staged_path, write_text_atomic

    stage = FileStage()
    target = tmp_path / "it" / "node" / "context.json"
    stage.stage_atomic(target)
    staged = staged_path(target)
    assert staged.is_file() and staged.stat().st_size == 0
    inode = staged.stat().st_ino
    write_text_atomic(target, "{}\n", stage=stage)
    assert target.read_text() == "{}\n"
    assert target.stat().st_ino == inode  # the staged file itself, renamed
    assert sorted(p.name for p in target.parent.iterdir()) == ["context.json"]
    stage.discard()
    assert target.read_text() == "{}\n"  # what was used stays


def test_discard_removes_only_what_was_staged_and_not_used(tmp_path: Path) -> None:
    from dde_ci.files import FileStage, write_text_atomic

    stage = FileStage()
    used, unused = tmp_path / "a" / "result.json", tmp_path / "b" / "result.json"
    written_log, empty_log = tmp_path / "a" / "output.log", tmp_path / "b" / "output.log"
    for path in (used, unused):
        stage.stage_atomic(path)
    for path in (written_log, empty_log):
        stage.stage_append(path)
    write_text_atomic(used, "1\n", stage=stage)
    with written_log.open("ab") as handle:
        handle.write(b"ran\n")
    stage.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]  # b was made for nothing
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["output.log", "result.json"]


def test_discard_keeps_folders_that_were_there_before(tmp_path: Path) -> None:
    from dde_ci.files import FileStage

    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "output.log").write_text("kept\n")
    stage = FileStage()
    stage.stage_append(tmp_path / "mine" / "output.log")  # there already: left alone
    stage.stage_atomic(tmp_path / "mine" / "result.json")
    stage.discard()
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["output.log"]
    assert (tmp_path / "mine" / "output.log").read_text() == "kept\n"


def test_a_write_without_its_staged_file_creates_its_own(tmp_path: Path) -> None:
    from dde_ci.files import FileStage, staged_path, write_text_atomic

    stage = FileStage()
    target = tmp_path / "x.json"
    write_text_atomic(target, "first\n", stage=stage)  # nothing staged: a new file
    stage.stage_atomic(target)  # written already: not staged again
    assert not staged_path(target).exists()
    gone = tmp_path / "y.json"
    stage.stage_atomic(gone)
    staged_path(gone).unlink()  # removed by someone: the write does not need it
    write_text_atomic(gone, "second\n", stage=stage)
    assert gone.read_text() == "second\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.json", "y.json"]


def test_a_symlink_where_the_staged_file_goes_is_never_followed(tmp_path: Path) -> None:
    from dde_ci.files import FileStage, staged_path, write_text_atomic

    outside = tmp_path / "outside.txt"
    outside.write_text("untouched\n")
    target = tmp_path / "r" / "result.json"
    target.parent.mkdir()
    staged_path(target).symlink_to(outside)
    stage = FileStage()
    stage.stage_atomic(target)
    write_text_atomic(target, "ok\n", stage=stage)
    assert outside.read_text() == "untouched\n"
    assert target.read_text() == "ok\n" and not target.is_symlink()


def test_a_staged_file_written_into_meanwhile_is_emptied_first(tmp_path: Path) -> None:
    """The staged file is opened without O_TRUNC (see _open_staged): what somebody wrote
    into it is still never part of the result."""
    from dde_ci.files import FileStage, staged_path, write_text_atomic

    stage = FileStage()
    target = tmp_path / "result.json"
    stage.stage_atomic(target)
    staged_path(target).write_text("somebody else's longer text\n")
    write_text_atomic(target, "ok\n", stage=stage)
    assert target.read_text() == "ok\n"
    assert not staged_path(target).exists()


def test_a_fifo_where_the_staged_file_goes_is_not_written_into(tmp_path: Path) -> None:
    import os

    from dde_ci.files import FileStage, staged_path, write_text_atomic

    stage = FileStage()
    target = tmp_path / "result.json"
    stage.stage_atomic(target)
    staged_path(target).unlink()
    os.mkfifo(staged_path(target))  # no reader: opening it to write would wait forever
    write_text_atomic(target, "ok\n", stage=stage)
    assert target.read_text() == "ok\n"


def test_staged_or_not_a_file_gets_the_same_mode(tmp_path: Path) -> None:
    from dde_ci.files import FileStage, write_text_atomic

    stage = FileStage()
    plain, staged = tmp_path / "plain.json", tmp_path / "staged.json"
    stage.stage_atomic(staged)
    write_text_atomic(plain, "{}\n", stage=stage)
    write_text_atomic(staged, "{}\n", stage=stage)
    assert plain.stat().st_mode == staged.stat().st_mode
    log, opened = tmp_path / "a.log", tmp_path / "b.log"
    stage.stage_append(log)
    opened.open("ab").close()
    assert log.stat().st_mode == opened.stat().st_mode


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

    from dde_ci.files import FileStage, write_text_atomic

    old = os.umask(umask)
    try:
        write_text_atomic(tmp_path / "new" / "report.md", "x\n")
        stage = FileStage()
        stage.stage_atomic(tmp_path / "staged.json")
        write_json_atomic(tmp_path / "staged.json", {}, stage=stage)
    finally:
        os.umask(old)
    assert (tmp_path / "new" / "report.md").stat().st_mode & 0o777 == mode
    assert (tmp_path / "staged.json").stat().st_mode & 0o777 == mode
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == ["report.md"]
