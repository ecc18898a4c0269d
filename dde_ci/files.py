"""Files written whole (a reader sees the old content or the new, never half of it), and
files read safely (only regular files, never past a limit)."""

from __future__ import annotations

import errno
import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any

READ_CHUNK = 64 * 1024


class NotARegularFile(OSError):
    """What :func:`open_regular` raises for a FIFO, a device or a socket."""


def open_regular(path: str | Path) -> tuple[int, os.stat_result]:
    """Open ``path`` to read when it is a regular file; return the descriptor (the caller's
    to close) and the file's status.

    A path in a repository or in a report can name a FIFO (reading would wait for
    a writer) or ``/dev/zero`` behind a symlink (reading would never end): the open
    does not block (``O_NONBLOCK``, which regular files ignore), a folder raises
    :class:`IsADirectoryError` and anything else not regular :class:`NotARegularFile`.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(21, "Is a directory", os.fspath(path))
        raise NotARegularFile(0, "not a regular file", os.fspath(path))
    return fd, info


class FileTooLarge(OSError):
    """What :func:`read_regular` raises for a file over its limit: ``size`` bytes when
    opened, or (``grew``) under the limit then but over it while read."""

    def __init__(self, path: str | Path, size: int, limit: int, *, grew: bool) -> None:
        super().__init__(errno.EFBIG, f"over {limit:,} bytes", os.fspath(path))
        self.size = size
        self.grew = grew


def read_regular(path: str | Path, limit: int) -> bytes:
    """Every byte of the regular file at ``path``, never more than ``limit``: what
    :func:`open_regular` and :func:`read_bounded` do together, the descriptor closed.

    Raises :class:`FileNotFoundError`, :class:`IsADirectoryError`,
    :class:`NotARegularFile`, :class:`FileTooLarge` or another :class:`OSError`, for the
    caller to say in its own words.
    """
    fd, info = open_regular(path)
    try:
        # read(n) would allocate n bytes up front: check the size, then read it all
        if info.st_size > limit:
            raise FileTooLarge(path, info.st_size, limit, grew=False)
        raw = read_bounded(fd, info.st_size, limit)
    finally:
        os.close(fd)
    if raw is None:
        raise FileTooLarge(path, info.st_size, limit, grew=True)
    return raw


def read_bounded(fd: int, size: int, limit: int) -> bytes | None:
    """Every byte of the regular file ``fd`` (``size``: its size when opened), or None when
    it grows over ``limit`` bytes while read.

    A regular file returns fewer bytes than asked only at its end, so when it
    has not grown since ``size`` was taken, one read is all (no second read to
    see the end: one syscall fewer for each of the audit's ~40,000 files).
    """
    raw = os.read(fd, size + 1 if size > 0 else READ_CHUNK)
    if not raw or len(raw) <= size:
        return raw
    parts = [raw]
    total = len(raw)
    while chunk := os.read(fd, READ_CHUNK):
        total += len(chunk)
        if total > limit:
            return None
        parts.append(chunk)
    return raw if len(parts) == 1 else b"".join(parts)


def write_json_atomic(path: Path, data: Any, *, durable: bool = False) -> None:
    """Write ``data`` as indented JSON (UTF-8, no NaN) to ``path``: a temporary file in the
    same folder, then a rename.  ``durable`` also flushes it to disk first (fsync), for
    records that must survive a crash (the contract registry)."""
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    write_text_atomic(path, text, durable=durable)


def write_text_atomic(path: Path, text: str, *, durable: bool = False) -> None:
    """Write ``text`` (UTF-8) to ``path`` whole: a temporary file in the same folder (created
    with the folder if missing), then a rename; ``durable`` fsyncs it first."""
    fd, tmp = _create_temporary(path)
    try:
        try:
            data = memoryview(text.encode("utf-8"))
            while data:
                data = data[os.write(fd, data) :]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)  # noqa: PTH105 - a str already: no Path object per write
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _create_temporary(path: Path) -> tuple[int, str]:
    """A new empty file beside ``path`` (its folder made if missing), open to write.

    Created with mode ``0o666`` less the umask, as ``open(path, "w")`` would create
    ``path`` itself (``tempfile.mkstemp`` would give ``0o600``, and the rename would
    keep it: a report that a web server or a shared CI workspace cannot read).
    """
    folder = os.fspath(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    for attempt in range(100):
        tmp = os.path.join(folder, f".{path.name}.{secrets.token_hex(4)}.tmp")  # noqa: PTH118
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
        except FileNotFoundError:
            if attempt:
                raise
            path.parent.mkdir(parents=True, exist_ok=True)
    raise FileExistsError(errno.EEXIST, "no unused temporary name", folder)
