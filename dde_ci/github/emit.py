"""A small, deterministic YAML writer for workflows and actions: block style, comments kept.

PyYAML cannot write comments, and a generated workflow needs them: the tag next
to every pinned SHA, the reason next to every permission.  The documents dde-ci
writes are plain trees of dicts, lists and scalars, so a writer of ~150 lines
does the job and makes every quoting decision explicit:

* a string is written plain only when it is unambiguous in YAML 1.1 and 1.2
  (no ``: `` or `` #``, no leading indicator, not ``on``/``yes``/``null``/a
  number look-alike); otherwise it is double-quoted with every character that
  is not plainly printable escaped, so nothing from a manifest can start a new
  key, a comment or a document;
* :class:`Commented` puts a comment after a scalar, :class:`Flow` writes a list
  of scalars as ``[a, b]``, :class:`Spaced` puts a blank line between the items
  of a mapping, :class:`Block` writes a multi-line string as a literal ``|``;
* :class:`Anchored` names a mapping or list (``&name``) that an :class:`Alias`
  (``*name``) repeats later in the document: GitHub reads YAML anchors and
  aliases (not merge keys), and a workflow of many identical step lists stays
  small that way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

INDENT = "  "

_PLAIN_BLOCK = re.compile(r"^[A-Za-z_./$][A-Za-z0-9_./ $,{}()!&|='*<>+@\[\]-]*\Z")
_PLAIN_FLOW = re.compile(r"^[A-Za-z_./][A-Za-z0-9_./ -]*\Z")
_RESERVED = re.compile(
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|null|Null|NULL|~|\.inf|\.Inf|\.INF|\.nan|\.NaN|\.NAN|<<)\Z"
)
_NUMBER_LIKE = re.compile(r"^\.[0-9_]")


@dataclass(frozen=True)
class Commented:
    """A scalar followed by ``# comment`` on the same line."""

    value: Any
    comment: str


class Flow(list[Any]):
    """A list of scalars written on one line: ``[a, b]``."""


class Spaced(dict[str, Any]):
    """A mapping whose items are separated by blank lines (e.g. the jobs)."""


@dataclass(frozen=True)
class Anchored:
    """A mapping or list written with an anchor, ``key: &name``, for :class:`Alias` to repeat."""

    value: Any
    name: str


@dataclass(frozen=True)
class Alias:
    """``*name``: the value of the :class:`Anchored` of that name, written earlier."""

    name: str


_ANCHOR_NAME = re.compile(r"^[a-z][a-z0-9-]*\Z")


@dataclass(frozen=True)
class Block:
    """A multi-line string written as a literal block scalar (``|``)."""

    text: str


def yaml_document(data: dict[str, Any], header: Sequence[str] = ()) -> str:
    """The YAML text of ``data`` preceded by ``header`` lines as comments."""
    lines = [f"# {line}".rstrip() for line in header]
    _mapping(data, 0, lines)
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=65536)
def scalar(value: str, flow: bool = False) -> str:
    """``value`` as a YAML scalar: plain when that is unambiguous, else double-quoted."""
    pattern = _PLAIN_FLOW if flow else _PLAIN_BLOCK
    if (
        pattern.fullmatch(value)
        and not value.endswith(" ")
        and "  " not in value
        and not _RESERVED.fullmatch(value)
        and not _NUMBER_LIKE.match(value)
    ):
        return value
    return quoted(value)


_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\ufeff\ufffe\uffff]')
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t"}
# Anything a literal block cannot hold as is: YAML's non-printable characters, the
# line and paragraph separators, a BOM, and \r (a line break YAML would normalise).
_NOT_BLOCK_SAFE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\ufeff\ufffe\uffff]"
)


def _escape(match: re.Match[str]) -> str:
    ch = match.group(0)
    return _ESCAPES.get(ch) or f"\\u{ord(ch):04x}"


def quoted(value: str) -> str:
    """A YAML double-quoted scalar that reads back exactly as ``value``."""
    return '"' + _NEEDS_ESCAPE.sub(_escape, value) + '"'


def _block_ok(text: str) -> bool:
    """True when ``text`` can be a literal block scalar without changing meaning."""
    if not text.endswith("\n") or text.endswith("\n\n") or text.startswith((" ", "\n")):
        return False
    return _NOT_BLOCK_SAFE.search(text) is None


def _inline(value: Any, flow: bool = False) -> str:
    kind = type(value)
    if kind is str:
        return scalar(value, flow)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if value is None:
        return "null"
    raise TypeError(f"cannot write {kind.__name__} inline")  # pragma: no cover


def _value_text(value: Any, indent: int) -> str:
    """Text after ``key:`` (or ``-``) for a value written on the same line."""
    kind = type(value)
    if kind is str:
        return scalar(value)
    if kind is Commented:
        return f"{_value_text(value.value, indent)}  # {value.comment}"
    if kind is Flow:
        return "[" + ", ".join([_inline(v, flow=True) for v in value]) + "]"
    if kind is Block:
        text = value.text
        if _block_ok(text):
            pad = INDENT * (indent + 1)
            return "|\n" + "\n".join(
                [f"{pad}{line}" if line else "" for line in text[:-1].split("\n")]
            )
        return quoted(text)
    if kind is Alias:
        return f"*{_anchor_name(value.name)}"
    if kind is dict or kind is Spaced:
        return "{}"
    if kind is list:
        return "[]"
    return _inline(value)


def _mapping(data: dict[str, Any], indent: int, lines: list[str]) -> None:
    pad = INDENT * indent
    spaced = type(data) is Spaced
    for i, (key, value) in enumerate(data.items()):
        if spaced and i:
            lines.append("")
        head = f"{pad}{scalar(key)}:"
        kind = type(value)
        if kind is Anchored:
            head = f"{head} &{_anchor_name(value.name)}"
            value = value.value
            kind = type(value)
            if not ((kind is dict or kind is list) and value):  # pragma: no cover
                raise TypeError("only a non-empty mapping or list can be anchored")
        if (kind is dict or kind is Spaced) and value:
            lines.append(head)
            _mapping(value, indent + 1, lines)
        elif kind is list and value:
            lines.append(head)
            _sequence(value, indent + 1, lines)
        else:
            lines.append(f"{head} {_value_text(value, indent)}")


def _sequence(items: list[Any], indent: int, lines: list[str]) -> None:
    pad = INDENT * indent
    inner = len(INDENT * (indent + 1))
    for item in items:
        kind = type(item)
        if kind is dict and item:
            start = len(lines)
            _mapping(item, indent + 1, lines)
            lines[start] = f"{pad}- {lines[start][inner:]}"
        elif kind is list and item:
            lines.append(f"{pad}-")
            _sequence(item, indent + 1, lines)
        else:
            lines.append(f"{pad}- {_value_text(item, indent)}")


def _anchor_name(name: str) -> str:
    if not _ANCHOR_NAME.fullmatch(name):  # pragma: no cover - names are the generator's own
        raise ValueError(f"not an anchor name: {name!r}")
    return name
