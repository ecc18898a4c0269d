"""Safe, bounded YAML loading that remembers where every value came from.

PyYAML's safe loader is safe from code execution but not from the rest:
it keeps the last of two duplicate keys, resolves YAML 1.1 look-alikes (``on``
becomes ``True``, ``3.10`` becomes ``3.1``, ``0755`` becomes 493), recurses
near depth 500 in its pure-Python composer, and hands back alias graphs that
explode when walked.  This module reads the event stream of libyaml's C parser
(iterative, so deep nesting is counted, never recursed) and builds plain Python
values itself:

* plain scalars resolve only to ``null``/``~``, ``true``/``false`` and decimal
  integers without leading zeros; everything else stays a string (pydantic
  turns ``"0.5"`` into a float where a float is wanted, and ``"3.10"`` stays
  ``"3.10"`` where a string is wanted);
* duplicate keys, non-string keys, unknown tags, several documents, an empty
  document, non-UTF-8 bytes and files over the size limit are errors;
* aliases are allowed but the total number of values built, aliases expanded,
  is bounded, as is the nesting depth.

Every error is a :class:`dde_ci.errors.InputError` with ``path:line:col``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dde_ci.errors import InputError, Location
from dde_ci.files import FileTooLarge, NotARegularFile, read_regular

MAX_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64
MAX_VALUES = 2_000_000

PathKey = tuple[str | int, ...]

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_STR_TAGS = frozenset({"tag:yaml.org,2002:str", "!"})
_KNOWN_TAGS = frozenset(
    {
        "tag:yaml.org,2002:str",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:map",
        "tag:yaml.org,2002:seq",
        "!",
    }
)


@dataclass
class YamlDocument:
    """A loaded document: its data and the position of every key and value.

    Positions are only needed to report a problem, so by default they are
    found on first use, by parsing ``text`` again (loading stays fast).
    """

    path: str
    data: Any
    _positions: dict[PathKey, tuple[int, int]] | None = None
    text: str | None = None
    what: str = "file"

    @property
    def positions(self) -> dict[PathKey, tuple[int, int]]:
        if self._positions is None:
            self._positions = (
                load_yaml_text(self.text, self.path, what=self.what, track=True)._positions or {}
                if self.text is not None
                else {}
            )
        return self._positions

    def locate(self, key: PathKey) -> Location:
        """Location of the value at ``key``, or of its closest known parent."""
        probe = tuple(key)
        while probe:
            pos = self.positions.get(probe)
            if pos is not None:
                return Location(self.path, pos[0], pos[1])
            probe = probe[:-1]
        pos = self.positions.get(())
        if pos is not None:
            return Location(self.path, pos[0], pos[1])
        return Location(self.path, 1, 1)

    def locate_key(self, key: PathKey) -> Location:
        """Location of the mapping key that introduces ``key`` (falls back to the value)."""
        pos = self.positions.get(("\0key", *key))
        if pos is not None:
            return Location(self.path, pos[0], pos[1])
        return self.locate(key)


_CONSTANTS: dict[str, Any] = {
    **dict.fromkeys(_NULLS),
    **dict.fromkeys(_TRUE, True),
    **dict.fromkeys(_FALSE, False),
}
_NUMBER_START = frozenset("+-0123456789")


def _resolve_plain(text: str) -> Any:
    if text in _CONSTANTS:
        return _CONSTANTS[text]
    if text[0] not in _NUMBER_START:  # most plain scalars: words, ids, paths
        return text
    body = text[1:] if text[0] in "+-" else text
    if body.isdigit() and body.isascii() and (body == "0" or not body.startswith("0")):
        return int(text)
    return text


def _decode(raw: bytes, path: str) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise InputError(
            f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8",
            Location(path, line, col),
        ) from None


def read_text(path: Path, *, max_bytes: int = MAX_BYTES, what: str = "file") -> str:
    """Read a text file as UTF-8 with a size bound, raising :class:`InputError`.

    Only a regular file is read (a FIFO would block, ``/dev/zero`` never end: a
    path in a repository or a report can be either), and never more than
    ``max_bytes``, even if it grows while read.
    """
    shown = str(path)
    try:
        raw = read_regular(path, max_bytes)
    except FileNotFoundError:
        raise InputError(f"{what} not found", Location(shown)) from None
    except IsADirectoryError:
        raise InputError(f"{what} is a directory, expected a file", Location(shown)) from None
    except NotARegularFile:
        raise InputError(
            f"{what} is not a regular file (a FIFO or a device?)", Location(shown)
        ) from None
    except FileTooLarge as exc:
        if exc.grew:
            message = f"{what} grew over the limit of {max_bytes:,} bytes while read"
        else:
            message = f"{what} is {exc.size:,} bytes, over the limit of {max_bytes:,} bytes"
        raise InputError(message, Location(shown)) from None
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror}", Location(shown)) from None
    return _decode(raw, shown)


def load_yaml_file(
    path: Path,
    *,
    max_bytes: int = MAX_BYTES,
    display: str | None = None,
    what: str = "file",
    track: bool = False,
) -> YamlDocument:
    """Load one YAML document from ``path`` (see the module docstring for the rules)."""
    text = read_text(path, max_bytes=max_bytes, what=what)
    return load_yaml_text(text, display or str(path), what=what, track=track)


def load_yaml_text(
    text: str, path: str = "<string>", *, what: str = "file", track: bool = False
) -> YamlDocument:
    """Load one YAML document from ``text``; ``path`` is used in messages.

    ``track=True`` records every position while loading (for callers that use
    them all); otherwise they are found on first use of ``positions``.
    """
    import yaml

    loader_cls: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        raise InputError(f"{what} contains a NUL character", Location(path, line, 1))
    try:
        loader = loader_cls(text)
        try:
            # the parser's events straight from get_event (None after the stream's end),
            # not through yaml.parse's generator: a large manifest has 150,000 events
            doc = _build(iter(loader.get_event, None), path, what, track)
        finally:
            loader.dispose()
    except _NeedPositions:
        return load_yaml_text(text, path, what=what, track=True)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{exc.problem} ({exc.context})"
        loc = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path)
        raise InputError(f"invalid YAML: {problem}", loc) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", Location(path)) from None
    doc.text = text
    doc.what = what
    return doc


class _NeedPositions(Exception):
    """Raised by an untracked build that needs positions for its message: build again."""


class _Frame:
    __slots__ = ("container", "key", "key_pos", "path", "pos")

    def __init__(self, container: Any, path: PathKey, mark: Any) -> None:
        self.container = container
        self.path = path
        self.pos = mark  # the parser's mark where the container starts
        self.key: Any = _NO_KEY
        self.key_pos = mark


_NO_KEY: Any = object()


def _size(value: Any) -> int:
    """Number of values in ``value`` counted iteratively (for alias bounds)."""
    count = 0
    stack = [value]
    while stack:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def _pos(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def _build(events: Any, path: str, what: str, track: bool) -> YamlDocument:
    """Build the document's values from the parser's events (iteratively, bounded).

    The hot loop of loading a large manifest (150,000 events for 10,000 nodes):
    events are told apart by their class, and a value's position is taken from
    its mark only when it is recorded (``track``) or named in an error.
    """
    import yaml

    scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
    mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    document_start = yaml.DocumentStartEvent
    positions: dict[PathKey, tuple[int, int]] = {}
    anchors: dict[str, tuple[Any, int]] = {}
    pending: dict[int, str] = {}
    top = _Frame([], (), None)  # holds the document's value
    stack: list[_Frame] = [top]
    documents = 0
    values = 0

    def where(mark: Any) -> Location:
        return Location(path, mark.line + 1, mark.column + 1)

    def place(value: Any, mark: Any, size: int = 1) -> None:
        """Put a finished value into the current container (recording where, if tracking)."""
        nonlocal values
        values += size
        if values > MAX_VALUES:
            raise InputError(
                f"{what} expands to more than {MAX_VALUES:,} values (aliases?); refusing it",
                where(mark),
            )
        frame = stack[-1]
        container = frame.container
        if type(container) is list:
            if track:
                positions[(*frame.path, len(container)) if frame is not top else ()] = _pos(mark)
            container.append(value)
            return
        key = frame.key
        if key is _NO_KEY:
            if type(value) is not str:
                if isinstance(value, (dict, list)) or value is None:
                    kind = "null" if value is None else type(value).__name__
                    raise InputError(f"mapping keys must be strings, not {kind}", where(mark))
                value = str(value) if not isinstance(value, bool) else str(value).lower()
            if value in container:
                if not track:
                    raise _NeedPositions  # the message names where the key was first defined
                first = positions.get(("\0key", *frame.path, value), _pos(mark))
                raise InputError(
                    f"duplicate key {value!r} (first defined at line {first[0]})", where(mark)
                )
            frame.key = value
            frame.key_pos = mark
            return
        container[key] = value
        if track:
            at = (*frame.path, key)
            positions[at] = _pos(mark)
            positions[("\0key", *at)] = _pos(frame.key_pos)
        frame.key = _NO_KEY

    for event in events:
        cls = event.__class__
        if cls is scalar_event:
            tag = event.tag
            if tag is None:
                value: Any = (
                    _resolve_plain(event.value)
                    if event.implicit[0] and not event.style
                    else event.value
                )
            elif tag in _STR_TAGS:
                value = event.value
            elif tag in _KNOWN_TAGS:
                value = _explicit(tag, event.value, where(event.start_mark))
            else:
                raise InputError(f"unsupported YAML tag {tag!r}", where(event.start_mark))
            if event.anchor:
                anchors[event.anchor] = (value, 1)
            place(value, event.start_mark)
        elif cls in ends:
            frame = stack.pop()
            name = pending.pop(id(frame.container), None)
            if name is not None:
                anchors[name] = (frame.container, _size(frame.container))
            place(frame.container, frame.pos)
        elif cls is mapping_start or cls is sequence_start:
            mark = event.start_mark
            tag = event.tag
            if tag is not None and tag not in _KNOWN_TAGS:
                raise InputError(f"unsupported YAML tag {tag!r}", where(mark))
            if len(stack) > MAX_DEPTH:
                raise InputError(
                    f"{what} is nested more than {MAX_DEPTH} levels deep; refusing it",
                    where(mark),
                )
            container: Any = {} if cls is mapping_start else []
            frame = stack[-1]
            if frame.key is _NO_KEY and type(frame.container) is dict:
                raise InputError("mapping keys must be strings, not collections", where(mark))
            parent_path: PathKey = ()
            if track and frame is not top:
                parent_path = (
                    (*frame.path, len(frame.container))
                    if type(frame.container) is list
                    else (*frame.path, frame.key)
                )
            stack.append(_Frame(container, parent_path, mark))
            if event.anchor:
                anchors[event.anchor] = (container, 0)
                pending[id(container)] = event.anchor
        elif cls is alias_event:
            mark = event.start_mark
            if event.anchor not in anchors:
                raise InputError(f"unknown alias *{event.anchor}", where(mark))
            val, size = anchors[event.anchor]
            if size == 0:
                raise InputError(
                    f"alias *{event.anchor} refers to a value that contains it (a cycle)",
                    where(mark),
                )
            place(val, mark, size)  # shared, not copied: the value count bounds every walk
        elif cls is document_start:
            documents += 1
            if documents > 1:
                raise InputError(
                    f"{what} holds more than one YAML document ('---'); keep one",
                    where(event.start_mark),
                )
    if not top.container or top.container[0] is None:
        raise InputError(f"{what} is empty; expected a YAML mapping", Location(path, 1, 1))
    return YamlDocument(path=path, data=top.container[0], _positions=positions if track else None)


def _explicit(tag: str, text: str, loc: Location) -> Any:
    short = tag.rsplit(":", 1)[-1]
    if short == "null":
        return None
    if short == "bool":
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    if short == "int":
        try:
            return int(text, 0)
        except ValueError:
            pass
    if short == "float":
        return text
    raise InputError(f"value {text!r} does not fit its tag !!{short}", loc)


def dump_yaml(data: Mapping[str, Any] | list[Any]) -> str:
    """Dump data as block YAML, keys in the given order (used for generated files)."""
    import yaml

    dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return str(yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=1000))
