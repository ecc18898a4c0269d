"""Files written whole (a reader sees the old content or the new, never half of it), and
files read safely (only regular files, never past a limit)."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import stat
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

STAGED_SUFFIX = ".staged"
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


def write_json_atomic(
    path: Path, data: Any, *, durable: bool = False, stage: FileStage | None = None
) -> None:
    """Write ``data`` as indented JSON (UTF-8, no NaN) to ``path``: a temporary file in the
    same folder, then a rename.  ``durable`` also flushes it to disk first (fsync), for
    records that must survive a crash (the contract registry)."""
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    write_text_atomic(path, text, durable=durable, stage=stage)


def write_text_atomic(
    path: Path, text: str, *, durable: bool = False, stage: FileStage | None = None
) -> None:
    """Write ``text`` (UTF-8) to ``path`` whole: a temporary file in the same folder (created
    with the folder if missing), then a rename; ``durable`` fsyncs it first.

    The temporary file is the one ``stage`` made for ``path`` beforehand, when it did
    (see :class:`FileStage`); otherwise a new one.
    """
    staged = stage.take(path) if stage is not None else None
    fd = _open_staged(staged) if staged is not None else None
    if fd is None:
        fd, tmp = _create_temporary(path)
    else:
        tmp = str(staged)
    try:
        # os.write, not a text file object: no buffer, no isatty or seek on the descriptor
        # (the runner writes two of these per node, from threads that share one GIL)
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


def _open_staged(staged: Path) -> int | None:
    """The staged file opened to be filled, or None when it is gone (or not a plain file).

    Not opened with ``O_TRUNC``: it was made empty, and on ext4 a file truncated to
    nothing and then written is flushed to disk when it is closed (``auto_da_alloc``):
    70-90 us per close here, against 2 us.  One written into meanwhile is emptied.
    """
    try:
        fd = os.open(staged, os.O_WRONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            return None
        if info.st_size:
            os.ftruncate(fd, 0)
    except OSError:
        os.close(fd)
        return None
    return fd


def staged_path(path: Path) -> Path:
    """Where :class:`FileStage` keeps the empty file that becomes ``path``."""
    return path.with_name(f".{path.name}{STAGED_SUFFIX}")


class FileStage:
    """Files made ahead of need, so that writing one later creates nothing.

    Creating a name is most of the cost of writing a small file on some file
    systems: ext4 in the virtual machines this project is built on takes 0.4 to
    0.7 ms per new file or folder, mostly waiting, against 0.08 ms to fill an
    existing empty file and rename it.  The local runner stages a node's folder
    and files from another thread while the node's dependencies still run, so
    the node's own start and end create nothing:

    * :meth:`stage_atomic`: an empty ``.NAME.staged`` beside ``path``, which
      :func:`write_text_atomic` fills and renames over ``path``;
    * :meth:`stage_append`: ``path`` itself, empty, for a log opened to append.

    Staging is only ever a head start: a write that finds nothing staged
    creates its file as it always does.  :meth:`discard` removes what was
    staged and not used (the empty files, then the folders made for them).
    Safe to use from several threads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._atomic: dict[Path, Path] = {}  # target -> its staged file
        self._taken: set[Path] = set()  # targets written (staged or not) since staged
        self._appends: list[Path] = []
        self._folders: list[Path] = []
        self._ready: set[Path] = set()  # folders known to be there (one stat, not three)

    def stage_atomic(self, path: Path) -> None:
        """Make the empty file a later :func:`write_text_atomic` of ``path`` fills."""
        with self._lock:
            if path in self._atomic or path in self._taken:
                return
        self._folder(path.parent)
        staged = staged_path(path)
        try:
            # the mode the temporary file it stands for would have (0o666 less the umask)
            fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o666)
        except OSError:
            return  # nothing staged: the write creates its own file
        os.close(fd)
        with self._lock:
            if path in self._taken:  # written meanwhile, without it
                staged.unlink(missing_ok=True)
            else:
                self._atomic[path] = staged

    def stage_append(self, path: Path) -> None:
        """Create ``path`` empty (when missing) for a writer that opens it to append."""
        self._folder(path.parent)
        try:
            # the mode open(path, "ab") gives the file it creates
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
        except OSError:
            return  # there already (or not creatable: the writer will say why)
        os.close(fd)
        with self._lock:
            self._appends.append(path)

    def take(self, path: Path) -> Path | None:
        """The staged file for ``path`` (now the caller's), or None."""
        with self._lock:
            self._taken.add(path)
            return self._atomic.pop(path, None)

    def discard(self) -> None:
        """Remove what was staged and not used: staged files, appended-to files that are
        still empty, and the folders made for them when they are empty."""
        with self._lock:
            staged = list(self._atomic.values())
            appends, folders = self._appends, self._folders
            self._atomic, self._appends, self._folders = {}, [], []
            self._ready.clear()
        _remove_unused(staged, appends, reversed(folders))

    @staticmethod
    def clear_leftovers(atomic: list[Path], appends: list[Path]) -> None:
        """Remove what an earlier process staged for these targets and never used (it was
        killed before :meth:`discard`): the staged files, appended-to files still empty,
        and their folders when that leaves them empty."""
        folders = {p.parent for p in (*atomic, *appends)}
        _remove_unused([staged_path(p) for p in atomic], appends, folders)

    def _folder(self, folder: Path) -> None:
        """Make ``folder`` (and its parents); remember the ones made here."""
        if folder in self._ready:
            return
        missing: list[Path] = []
        probe = folder
        while not probe.is_dir():
            missing.append(probe)
            if probe.parent == probe:
                break
            probe = probe.parent
        for made in reversed(missing):
            try:
                made.mkdir()
            except FileExistsError:
                continue
            except OSError:
                return
            with self._lock:
                self._folders.append(made)
        self._ready.add(folder)


def _remove_unused(
    staged: Iterable[Path], appends: Iterable[Path], folders: Iterable[Path]
) -> None:
    """Remove staged files, appended-to files that are still empty, then empty folders."""
    for path in staged:
        path.unlink(missing_ok=True)
    for path in appends:
        with contextlib.suppress(OSError):
            if path.stat().st_size == 0:
                path.unlink()
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()  # only when empty
