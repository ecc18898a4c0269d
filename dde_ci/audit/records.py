"""Reading the records other steps left on disk, without ever raising on a bad one.

The audit must give a verdict on a broken iteration, so every reader here
returns what it found and, instead of raising, a short reason when the file is
missing, unreadable, too large or not the JSON it should be.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

MAX_RECORD_BYTES = 64 * 1024 * 1024

MISSING = "missing"


@dataclass(frozen=True, slots=True)
class Record:
    """A JSON file: its data, or why there is none (``problem`` is ``"missing"`` when absent)."""

    path: Path
    data: Any = None
    problem: str | None = None

    @property
    def missing(self) -> bool:
        return self.problem == MISSING

    @property
    def ok(self) -> bool:
        return self.problem is None


def read_record(path: Path, *, expect: type = dict) -> Record:
    """Read a JSON record; never raises for a missing, unreadable or invalid file."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_RECORD_BYTES + 1)
    except FileNotFoundError:
        return Record(path, problem=MISSING)
    except IsADirectoryError:
        return Record(path, problem="is a directory, expected a JSON file")
    except OSError as exc:
        return Record(path, problem=f"cannot be read: {exc.strerror}")
    if len(raw) > MAX_RECORD_BYTES:
        return Record(path, problem=f"is over {MAX_RECORD_BYTES:,} bytes")
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        return Record(path, problem=f"is not valid JSON: {exc}")
    if not isinstance(data, expect):
        return Record(path, problem=f"holds a JSON {type(data).__name__}, expected an object")
    return Record(path, data=data)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def sha256_file(path: Path) -> str | None:
    """Hex SHA-256 of a file's bytes, or None when it cannot be read."""
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


@lru_cache(maxsize=1024)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """A regex for an artifact glob: ``*`` and ``?`` stay in one folder, ``**`` crosses folders."""
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"\Z")


def matches(pattern: str, name: str) -> bool:
    """True when the artifact path ``name`` (relative, ``/``-separated) matches ``pattern``."""
    return glob_regex(pattern.removeprefix("./")).match(name.removeprefix("./")) is not None
