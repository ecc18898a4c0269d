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
  of a mapping, :class:`Block` writes a multi-line string as a literal ``|``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

INDENT = "  "

_PLAIN_BLOCK = re.compile(r"^[A-Za-z_./$][A-Za-z0-9_./ $,{}()!&|='*<>+@\[\]-]*$")
_PLAIN_FLOW = re.compile(r"^[A-Za-z_./][A-Za-z0-9_./ -]*$")
_RESERVED = re.compile(
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|null|Null|NULL|~|\.inf|\.Inf|\.INF|\.nan|\.NaN|\.NAN|<<)$"
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
class Block:
    """A multi-line string written as a literal block scalar (``|``)."""

    text: str


def yaml_document(data: Mapping[str, Any], header: Sequence[str] = ()) -> str:
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


def quoted(value: str) -> str:
    """A YAML double-quoted scalar that reads back exactly as ``value``."""
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif (
            code < 0x20
            or 0x7F <= code < 0xA0
            or 0xD800 <= code < 0xE000
            or code in (0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF)
        ):
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _block_ok(text: str) -> bool:
    """True when ``text`` can be a literal block scalar without changing meaning."""
    if not text.endswith("\n") or text.endswith("\n\n") or text.startswith((" ", "\n")):
        return False
    return all(_is_printable(ch) or ch == "\n" for ch in text) and "\r" not in text


def _is_printable(ch: str) -> bool:
    code = ord(ch)
    if ch == "\t" or 0x20 <= code < 0x7F:
        return True
    return code >= 0xA0 and not (
        0xD800 <= code < 0xE000 or code in (0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF)
    )


def _inline(value: Any, flow: bool = False) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return scalar(value, flow)
    raise TypeError(f"cannot write {type(value).__name__} inline")  # pragma: no cover


def _is_compound(value: Any) -> bool:
    if isinstance(value, Flow | Block | Commented):
        return False
    return isinstance(value, Mapping | list) and len(value) > 0


def _value_text(value: Any, indent: int) -> str:
    """Text after ``key:`` for a value written on the key's line."""
    if isinstance(value, Commented):
        return f"{_value_text(value.value, indent)}  # {value.comment}"
    if isinstance(value, Flow):
        return "[" + ", ".join(_inline(v, flow=True) for v in value) + "]"
    if isinstance(value, Block):
        if _block_ok(value.text):
            pad = INDENT * (indent + 1)
            body = "\n".join(f"{pad}{line}" if line else "" for line in value.text[:-1].split("\n"))
            return "|\n" + body
        return quoted(value.text)
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _inline(value)


def _mapping(data: Mapping[str, Any], indent: int, lines: list[str]) -> None:
    pad = INDENT * indent
    spaced = isinstance(data, Spaced)
    for i, (key, value) in enumerate(data.items()):
        if spaced and i:
            lines.append("")
        head = f"{pad}{scalar(str(key))}:"
        if _is_compound(value):
            lines.append(head)
            if isinstance(value, Mapping):
                _mapping(value, indent + 1, lines)
            else:
                _sequence(value, indent + 1, lines)
        else:
            lines.append(f"{head} {_value_text(value, indent)}")


def _sequence(items: Sequence[Any], indent: int, lines: list[str]) -> None:
    pad = INDENT * indent
    for item in items:
        if isinstance(item, Mapping) and item:
            sub: list[str] = []
            _mapping(item, indent + 1, sub)
            first = sub[0][len(INDENT * (indent + 1)) :]
            lines.append(f"{pad}- {first}")
            lines.extend(sub[1:])
        elif _is_compound(item):
            lines.append(f"{pad}-")
            _sequence(item, indent + 1, lines)
        else:
            lines.append(f"{pad}- {_value_text(item, indent)}")
