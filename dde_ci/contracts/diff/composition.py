"""Composition rules: ``allOf``/``anyOf``/``oneOf`` subschemas added and removed.

Subschemas are matched as a multiset by content (references are resolved
before the diff, so two identical components count twice, as oasdiff counts
two ``$ref`` s).  When exactly one subschema left and one arrived, they are
the same alternative changed in place and are compared as schemas.

Levels (oasdiff's): in a request, a new ``allOf`` member adds constraints
(error) and a removed one relaxes them (warning); a removed ``anyOf``/``oneOf``
alternative rejects input (error), a new one is info.  In a response a new
``oneOf`` alternative is a shape clients may not handle (error); everything
else is info.  An ``allOf`` member with only annotations (``title``,
``description``, ``example`` ...) is ``*-all-of-added-annotation-only`` (info).
``request-body-wrapped-in-one-of``/``response-body-wrapped-in-one-of`` (error)
is a body schema replaced by a ``oneOf`` that lists it among others.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

Finding = tuple[str, str, str]
SHORT = {"anyOf": "any-of", "oneOf": "one-of", "allOf": "all-of"}
ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "example",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "default",
        "externalDocs",
        "$comment",
    }
)


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def annotation_only(schema: Any) -> bool:
    """True for a subschema that only annotates (no validation keyword)."""
    return isinstance(schema, dict) and all(k in ANNOTATIONS or k.startswith("x-") for k in schema)


def _level(keyword: str, ctx: str, added: bool) -> str:
    if ctx == "request":
        if keyword == "allOf":
            return "error" if added else "warning"
        return "info" if added else "error"
    return "error" if keyword == "oneOf" and added else "info"


def _shape(schema: Any) -> str:
    """What identifies a subschema changed in place: its title, else type and property names."""
    if not isinstance(schema, dict):
        return _canon(schema)
    if isinstance(schema.get("title"), str):
        return "title:" + str(schema["title"])
    props = schema.get("properties")
    names = sorted(props) if isinstance(props, dict) else []
    return _canon([schema.get("type"), names, schema.get("$ref")])


def members_changed(
    base: list[Any], rev: list[Any]
) -> tuple[list[Any], list[Any], list[tuple[Any, Any]]]:
    """``(removed, added, in_place)``: ``in_place`` pairs (base, revision) to compare.

    Identical subschemas match first (as a multiset); a removed and an added one
    with the same shape (:func:`_shape`) are the same alternative changed in
    place, and so are the rest, in order, when as many left as arrived.
    """
    left = Counter(_canon(m) for m in rev)
    removed: list[Any] = []
    for member in base:
        key = _canon(member)
        if left[key]:
            left[key] -= 1
        else:
            removed.append(member)
    right = Counter(_canon(m) for m in base)
    added: list[Any] = []
    for member in rev:
        key = _canon(member)
        if right[key]:
            right[key] -= 1
        else:
            added.append(member)
    pairs: list[tuple[Any, Any]] = []
    for old in list(removed):
        match = next(
            (new for new in added if isinstance(old, dict) and _shape(new) == _shape(old)), None
        )
        if match is not None:
            pairs.append((old, match))
            removed.remove(old)
            added.remove(match)
    if len(removed) == len(added):  # the same alternatives, each changed: pair them in order
        pairs += list(zip(removed, added, strict=True))
        return [], [], pairs
    return removed, added, pairs


def composition_changes(
    keyword: str, removed: list[Any], added: list[Any], ctx: str, scope: str, label: str
) -> Iterator[Finding]:
    """Findings for subschemas removed from and added to ``keyword`` of one schema."""
    prefix = f"{ctx}-{scope}-{SHORT[keyword]}"
    for verb, items in (("removed", removed), ("added", added)):
        if not items:
            continue
        plain = items
        if keyword == "allOf":
            notes = [m for m in items if annotation_only(m)]
            plain = [m for m in items if not annotation_only(m)]
            if notes:
                yield (
                    f"{prefix}-{verb}-annotation-only",
                    "info",
                    f"{verb} {len(notes)} annotation-only schema(s) "
                    f"{'to' if verb == 'added' else 'from'} the allOf list of {label}",
                )
        if plain:
            yield (
                f"{prefix}-{verb}",
                _level(keyword, ctx, verb == "added"),
                f"{verb} {len(plain)} schema(s) {'to' if verb == 'added' else 'from'} "
                f"the {keyword} list of {label}",
            )


def wrapped_in_one_of(base: dict[str, Any], rev: dict[str, Any]) -> bool:
    """True when an object's properties moved into the alternatives of a new ``oneOf``."""
    members = rev.get("oneOf")
    props = base.get("properties")
    if not isinstance(members, list) or "oneOf" in base or "properties" in rev:
        return False
    if not isinstance(props, dict) or not props:
        return False
    moved: set[str] = set()
    for member in members:
        if isinstance(member, dict) and isinstance(member.get("properties"), dict):
            moved.update(member["properties"])
    return set(props) <= moved


def nullable_wrapped(schema: dict[str, Any]) -> dict[str, Any] | None:
    """The schema inside ``oneOf``/``anyOf: [{type: "null"}, schema]`` (and nothing else)."""
    for keyword in ("oneOf", "anyOf"):
        members = schema.get(keyword)
        if not isinstance(members, list) or len(members) != 2 or len(schema) != 1:
            continue
        nulls = [m for m in members if isinstance(m, dict) and m.get("type") == "null"]
        rest = [m for m in members if not (isinstance(m, dict) and m.get("type") == "null")]
        if len(nulls) == 1 and len(rest) == 1 and isinstance(rest[0], dict):
            return rest[0]
    return None
