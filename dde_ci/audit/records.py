"""Reading the records other steps left on disk, without ever raising on a bad one.

The audit must give a verdict on a broken iteration, so every reader here
returns what it found and, instead of raising, a short reason when the file is
missing, unreadable, too large or not the JSON it should be.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path
from typing import Any

from dde_ci.files import FileTooLarge, NotARegularFile, open_regular, read_bounded, read_regular

MAX_RECORD_BYTES = 64 * 1024 * 1024
SMALL_FILE = 1024 * 1024

MISSING = "missing"


@dataclass(frozen=True, slots=True)
class Record:
    """A JSON file: its data, or why there is none (``problem`` is ``"missing"`` when absent)."""

    path: str
    data: Any = None
    problem: str | None = None

    @property
    def missing(self) -> bool:
        return self.problem == MISSING

    @property
    def ok(self) -> bool:
        return self.problem is None


def read_record(path: str | Path, *, expect: type = dict) -> Record:
    """Read a JSON record; never raises for a missing, unreadable or invalid file.

    Paths may be plain strings: the audit reads tens of thousands of small files
    and builds their paths with ``os.path`` in its hot loop.
    """
    shown = os.fspath(path)
    # a descriptor and os.read rather than open(): no buffered file object per small file
    try:
        raw = read_regular(shown, MAX_RECORD_BYTES)
    except FileNotFoundError:
        return Record(shown, problem=MISSING)
    except IsADirectoryError:
        return Record(shown, problem="is a directory, expected a JSON file")
    except NotARegularFile:  # a FIFO would block, /dev/zero never end
        return Record(shown, problem="is not a regular file, expected a JSON file")
    except FileTooLarge as exc:
        if exc.grew:
            return Record(shown, problem=f"grew over {MAX_RECORD_BYTES:,} bytes while read")
        return Record(shown, problem=f"is over {MAX_RECORD_BYTES:,} bytes")
    except OSError as exc:
        return Record(shown, problem=f"cannot be read: {exc.strerror}")
    try:
        data = _DECODER.decode(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        return Record(shown, problem=f"is not valid JSON: {exc}")
    if not isinstance(data, expect):
        return Record(shown, problem=f"holds a JSON {type(data).__name__}, expected an object")
    return Record(shown, data=data)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def sha256_file(path: str | Path) -> str | None:
    """Hex SHA-256 of a regular file's bytes; None when missing, unreadable or not a file.

    Checked on the open descriptor, so a stored "artifact" that is a FIFO or a
    device (``/dev/zero`` behind a symlink) is refused instead of read forever.
    """
    hashed = sha256_and_stat(path)
    return None if hashed is None else hashed[0]


def sha256_and_stat(path: str | Path) -> tuple[str, os.stat_result] | None:
    """:func:`sha256_file`, and the file's status as it was hashed (one stat fewer later)."""
    try:
        fd, info = open_regular(path)
    except OSError:
        return None
    try:
        if info.st_size <= SMALL_FILE:  # no file object, no 256 KiB buffer per call
            raw = read_bounded(fd, info.st_size, SMALL_FILE)
            if raw is not None:
                return hashlib.sha256(raw).hexdigest(), info
            os.lseek(fd, 0, os.SEEK_SET)  # it grew while read: hash it as a large file
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest(), info
    except OSError:
        return None
    finally:
        os.close(fd)


_GLOB_CHARS = frozenset("*?[")


@lru_cache(maxsize=4096)
def _segments(pattern: str) -> tuple[str, ...]:
    return tuple(p for p in pattern.removeprefix("./").split("/") if p and p != ".")


def _match_segments(pats: tuple[str, ...], names: list[str], i: int, j: int) -> bool:
    while i < len(pats):
        pat = pats[i]
        if pat == "**":
            if i == len(pats) - 1:
                return True  # '**' last: everything below
            return any(_match_segments(pats, names, i + 1, k) for k in range(j, len(names) + 1))
        if j >= len(names):
            return False
        name = names[j]
        if _GLOB_CHARS.isdisjoint(pat):
            if pat != name:
                return False
        elif not fnmatchcase(name, pat):
            return False
        i += 1
        j += 1
    return True  # the pattern named a folder of the file (or the file itself)


def matches(pattern: str, name: str) -> bool:
    """True when glob ``pattern`` covers artifact path ``name``, as the stamping step reads it.

    ``*``, ``?`` and ``[...]`` stay inside one folder, ``**`` spans folders, and a
    pattern that matches a folder takes every file below it (``build/backend``
    and ``build/backend/**`` both cover ``build/backend/app.py``).
    """
    if pattern == name:  # the usual declaration: the file's own path
        return True
    # the next most usual, "out/backend/*.whl": a plain folder, a glob for the file name
    folder, _, last = pattern.rpartition("/")
    if (
        folder
        and name.startswith(folder)
        and name[len(folder) : len(folder) + 1] == "/"
        and "/" not in name[len(folder) + 1 :]
        and _plain_folder(folder)
        and fnmatchcase(name[len(folder) + 1 :], last)
    ):
        return True
    return _match_segments(_segments(pattern), name.removeprefix("./").split("/"), 0, 0)


def _plain_folder(folder: str) -> bool:
    """No glob character and no segment that :func:`_segments` would drop ('' or '.')."""
    padded = f"/{folder}/"
    return _GLOB_CHARS.isdisjoint(folder) and "//" not in padded and "/./" not in padded
