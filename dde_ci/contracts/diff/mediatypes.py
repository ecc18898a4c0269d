"""Media type names: which a renamed media type is the same content as (oasdiff's pairing).

A media type removed from a request body or response and one added are the
same content, renamed, when one *contains* the other: the same type and
subtype (``application/json`` and ``application/json; charset=utf-8``), or a
structured-syntax suffix naming the other's subtype (``application/json`` and
``application/problem+json``).  For a response, oasdiff reports the rename:
``response-media-type-name-changed`` (info) when only the parameters differ,
``-specialized`` (info) when the new name is contained in the old one,
``-generalized`` (error) when it is wider.
"""

from __future__ import annotations

from email.message import Message
from typing import NamedTuple


class MediaTypeName(NamedTuple):
    type: str
    subtype: str
    suffix: str
    parameters: dict[str, str]


def parse_media_type(name: str) -> MediaTypeName | None:
    """The parts of a media type name, or None when it is not one."""
    message = Message()
    message["content-type"] = name
    bare = name.split(";", 1)[0].strip().lower()
    if bare.count("/") != 1:
        return None
    kind, sub = (part.strip() for part in bare.split("/"))
    if sub.count("+") > 1 or not kind or not sub:
        return None
    subtype, _, suffix = sub.partition("+")
    found = message.get_params() or []
    params = {k.lower(): str(v) for k, v in found[1:]} if ";" in name else {}
    return MediaTypeName(kind, subtype, suffix, params)


def contained(old: str, new: str) -> bool:
    """True when every payload of media type ``new`` is also one of ``old``."""
    a, b = parse_media_type(old), parse_media_type(new)
    if a is None or b is None or a.type != b.type:
        return False
    if not a.suffix and b.suffix and b.suffix == a.subtype:
        return True
    return a.subtype == b.subtype and a.suffix == b.suffix


def renamed_pairs(removed: list[str], added: list[str]) -> list[tuple[str, str]]:
    """Removed and added media types that are the same content renamed, paired."""
    pairs: list[tuple[str, str]] = []
    free = list(added)
    for old in removed:
        match = next((new for new in free if contained(old, new) or contained(new, old)), None)
        if match is not None:
            pairs.append((old, match))
            free.remove(match)
    return pairs


def rename_rule(old: str, new: str) -> tuple[str, str]:
    """``(rule id, level)`` of a response media type renamed from ``old`` to ``new``."""
    a, b = parse_media_type(old), parse_media_type(new)
    if a is not None and b is not None and a.parameters != b.parameters:
        return "response-media-type-name-changed", "info"
    if contained(old, new):
        return "response-media-type-name-specialized", "info"
    return "response-media-type-name-generalized", "error"
