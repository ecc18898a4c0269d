"""Load contract documents and resolve their ``$ref`` s, only inside the repository.

A contract (OpenAPI, JSON Schema) is a YAML or JSON file that may point at
other parts of itself (``#/components/schemas/Order``) or at other files
(``common.yaml#/Money``, ``../events/order.json``).  This module follows such
references with three rules that off-the-shelf validators do not keep:

* **never the network** -- a reference with a scheme (``https://...``,
  ``file:...``, ``urn:...``) is an :class:`~dde_ci.errors.InputError` at the
  place of the ``$ref``;
* **never outside the project** -- a relative file reference must resolve (after
  symlinks) inside ``root``;
* **never a RecursionError** -- a reference cycle (``Node.children.items ->
  Node``) is kept unexpanded as ``{"$ref": "..."}`` at the point where it
  closes, nesting deeper than :data:`MAX_DEPTH` and documents that would
  expand to more than :data:`MAX_EXPANDED` values are errors.

API::

    doc = read_document(path, root)          # ContractDocument: data + locate()
    data = load_document(path, root)         # read and resolve in one step
    data = resolve_refs(doc.data, path, root)  # resolve an already loaded value
    data = resolve_internal_refs(data)       # in-memory data: only '#/...' references
    doc = parse_document(text, "x.yaml")     # from text (e.g. ``git show``)

Resolved values *share* sub-trees (one object per referenced target); treat
them as read-only.  ``$ref`` siblings (``description`` next to ``$ref``, allowed
by OpenAPI 3.1 and JSON Schema 2020-12) are laid over the target.  YAML goes
through :mod:`dde_ci.yamlio` (safe, positions, duplicate keys refused); plain
YAML floats in schema keywords (``minimum: 0.5``) and literal values (``enum``,
``const``, ``default``, ``example``, ``examples``) become numbers, as a JSON
Schema validator expects.  JSON is parsed with :mod:`json`, refusing duplicate
keys and ``NaN``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from dde_ci.errors import InputError, Location
from dde_ci.yamlio import MAX_BYTES, PathKey

MAX_DEPTH = 200
"""Deepest nesting of containers allowed in a resolved document."""

MAX_EXPANDED = 5_000_000
"""Most values a resolved document may hold when every shared sub-tree is counted."""

MAX_JSON_POSITIONS_BYTES = 1_000_000
"""JSON files up to this size get line:col positions; larger ones are located by JSON Pointer."""

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_NUMERIC_KEYWORDS = frozenset(
    {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
)
_LITERAL_KEYWORDS = frozenset({"enum", "const", "default", "example", "examples"})


@dataclass
class ContractDocument:
    """One loaded file: its data and, for YAML, where each value came from."""

    path: Path
    display: str
    data: Any
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    text: str = ""
    _positions_tried: bool = False

    def locate(self, key: PathKey) -> Location:
        """Location of the value at ``key`` (a JSON-pointer-like tuple) or its parent."""
        if not self.positions and not self._positions_tried:
            self._positions_tried = True
            self.positions = _json_positions(self.text, self.display)
        probe = tuple(key)
        while probe:
            pos = self.positions.get(probe)
            if pos is not None:
                return Location(self.display, pos[0], pos[1])
            probe = probe[:-1]
        pos = self.positions.get(())
        if pos is not None:
            return Location(self.display, pos[0], pos[1])
        return Location(self.display)


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+')


def _json_positions(text: str, display: str) -> dict[PathKey, tuple[int, int]]:
    """Positions for a JSON text, computed lazily (only when a message needs one).

    One pass of a regular-expression tokenizer: much faster than a YAML parse,
    and valid for any text :func:`json.loads` accepted.
    """
    if not text or len(text) > MAX_JSON_POSITIONS_BYTES or "\n" not in text.strip():
        return {}  # too big to scan cheaply, or one line: a JSON Pointer says more
    import bisect

    offsets: dict[PathKey, int] = {}
    # frame: [is_object, path, key_or_index, expecting_value]
    stack: list[list[Any]] = []
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        frame = stack[-1] if stack else None
        if first == ":" and frame is not None:
            frame[3] = True
            continue
        if first == ",":
            continue
        if first in "}]":
            if stack:
                stack.pop()
            continue
        if frame is not None and frame[0] and not frame[3]:
            frame[2] = json.loads(token) if "\\" in token else token[1:-1]  # a key
            continue
        if frame is None:
            path: PathKey = ()
        elif frame[0]:
            path = (*frame[1], frame[2])
            frame[3] = False
        else:
            path = (*frame[1], frame[2])
            frame[2] += 1
        offsets[path] = match.start()
        if first == "{":
            stack.append([True, path, None, False])
        elif first == "[":
            stack.append([False, path, 0, True])
    starts = [0]
    starts.extend(m.end() for m in re.finditer("\n", text))
    positions: dict[PathKey, tuple[int, int]] = {}
    for path, offset in offsets.items():
        line = bisect.bisect_right(starts, offset)
        positions[path] = (line, offset - starts[line - 1] + 1)
    return positions


def is_json_text(text: str, display: str = "") -> bool:
    """True when ``display`` ends in ``.json`` or the text starts like a JSON object."""
    if display.lower().endswith(".json"):
        return True
    return text.lstrip()[:1] in ("{", "[") and not display.lower().endswith((".yaml", ".yml"))


def parse_document(text: str, display: str, *, path: Path | None = None) -> ContractDocument:
    """Parse YAML or JSON text (chosen by ``display``'s extension, else by content)."""
    target = path if path is not None else Path(display)
    if is_json_text(text, display):
        return ContractDocument(target, display, _parse_json(text, display), text=text)
    from dde_ci.yamlio import load_yaml_text

    loaded = load_yaml_text(text, display, what="contract", track=True)
    data = _coerce_floats(loaded.data, loaded.positions, text)
    return ContractDocument(target, display, data, loaded.positions, text, True)


def read_document(
    path: Path, root: Path | None = None, *, display: str | None = None
) -> ContractDocument:
    """Read one contract file (bounded, UTF-8) into a :class:`ContractDocument`."""
    from dde_ci.yamlio import read_text

    shown = display or _display(path, root)
    text = read_text(path, max_bytes=MAX_BYTES, what="contract")
    return parse_document(text, shown, path=path)


def load_document(path: Path, root: Path) -> Any:
    """Read ``path`` and resolve its ``$ref`` s inside ``root``; return plain data."""
    doc = read_document(path, root)
    return Resolver(root).resolve_document(doc)


def resolve_refs(data: Any, base_path: Path, root: Path) -> Any:
    """Resolve the ``$ref`` s of ``data``, which was loaded from ``base_path``."""
    doc = ContractDocument(base_path, _display(base_path, root), data, _positions_tried=True)
    return Resolver(root).resolve_document(doc)


def resolve_internal_refs(data: Any, display: str = "<document>") -> Any:
    """Resolve only ``#/...`` references of in-memory data.

    A reference to another file cannot be followed without the file's place, so
    it is kept as it is (as :class:`Resolver` keeps the reference that closes a
    cycle); load documents with :func:`load_document` to follow file references.
    """
    here = Path.cwd()
    doc = ContractDocument(here / display, display, data, _positions_tried=True)
    return Resolver(here, files=False).resolve_document(doc)


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)


def _parse_json(text: str, display: str) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(items)
        if len(out) != len(items):
            seen: set[str] = set()
            for key, _value in items:
                if key in seen:
                    raise InputError(f"duplicate key {key!r} in JSON object", Location(display))
                seen.add(key)
        return out

    def constant(name: str) -> Any:
        raise InputError(f"{name} is not valid JSON; use a number", Location(display))

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg}", Location(display, exc.lineno, exc.colno)
        ) from None
    except RecursionError:
        raise InputError(
            "JSON document is nested too deeply; refusing it", Location(display)
        ) from None


def _coerce_floats(data: Any, positions: dict[PathKey, tuple[int, int]], text: str) -> Any:
    """Turn plain (unquoted) YAML floats in numeric/literal positions into ``float``."""
    line_starts: list[int] | None = None

    def plain(key: PathKey) -> bool:
        nonlocal line_starts
        pos = positions.get(key)
        if pos is None:
            return False
        if line_starts is None:
            line_starts = [0]
            line_starts.extend(m.end() for m in re.finditer("\n", text))
        line, col = pos
        if line - 1 >= len(line_starts):
            return False
        index = line_starts[line - 1] + col - 1
        return index < len(text) and text[index] not in "'\"!|>"

    stack: list[tuple[Any, PathKey, bool]] = [(data, (), False)]
    while stack:
        node, path, literal = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            inner = literal or (isinstance(key, str) and key in _LITERAL_KEYWORDS)
            if isinstance(value, str):
                numeric = inner or (isinstance(key, str) and key in _NUMERIC_KEYWORDS)
                if numeric and _FLOAT.match(value) and plain((*path, key)):
                    node[key] = float(value)
            elif isinstance(value, (dict, list)):
                stack.append((value, (*path, key), inner))
    return data


_Path = tuple[Any, str | int] | None
"""A key path as a linked list ``(parent, key)``: cheap to extend, flattened on error."""


def _flatten(path: _Path) -> PathKey:
    parts: list[str | int] = []
    while path is not None:
        path, key = path
        parts.append(key)
    return tuple(reversed(parts))


class Resolver:
    """Resolve ``$ref`` s across the files of one project (see the module docstring).

    One resolver caches every file it read and every target it expanded, so
    resolving several documents of one project shares the work.
    """

    def __init__(self, root: Path, *, max_depth: int = MAX_DEPTH, files: bool = True) -> None:
        self.root = root.resolve()
        self.max_depth = max_depth
        self.files = files
        self._documents: dict[Path, ContractDocument] = {}
        self._keys: dict[int, Path] = {}
        self._resolved: dict[tuple[Path, str], tuple[Any, int]] = {}
        self._active: set[tuple[Path, str]] = set()

    def resolve_document(self, doc: ContractDocument) -> Any:
        """Return ``doc.data`` with every reference replaced by its (resolved) target."""
        key = doc.path.resolve()
        doc = self._documents.setdefault(key, doc)
        self._keys[id(doc)] = key
        value, _size = self._walk(doc.data, doc, None, 0)
        return value

    # -- internals -------------------------------------------------------------

    def _key_of(self, doc: ContractDocument) -> Path:
        key = self._keys.get(id(doc))
        if key is None:
            key = self._keys[id(doc)] = doc.path.resolve()
        return key

    def _too_deep(self, doc: ContractDocument, path: _Path) -> InputError:
        return InputError(
            f"document nests more than {self.max_depth} levels deep (after resolving $ref);"
            " refusing it",
            doc.locate(_flatten(path)),
        )

    def _walk(self, node: Any, doc: ContractDocument, path: _Path, depth: int) -> tuple[Any, int]:
        """The resolved ``node`` and its size counted with every expansion."""
        if depth > self.max_depth:
            raise self._too_deep(doc, path)
        size = 1
        if type(node) is dict:
            ref = node.get("$ref")
            if type(ref) is str:
                return self._follow(ref, node, doc, path, depth)
            changed: dict[str, Any] | None = None
            for key, value in node.items():
                kind = type(value)
                if kind is dict or kind is list:
                    new, inner = self._walk(value, doc, (path, key), depth + 1)
                    size += inner
                    if new is not value:
                        if changed is None:
                            changed = dict(node)
                        changed[key] = new
                else:
                    size += 1
            if size > MAX_EXPANDED:
                raise self._expanded(doc)
            return (node if changed is None else changed), size
        if type(node) is list:
            out: list[Any] | None = None
            for index, value in enumerate(node):
                kind = type(value)
                if kind is dict or kind is list:
                    new, inner = self._walk(value, doc, (path, index), depth + 1)
                    size += inner
                    if new is not value:
                        if out is None:
                            out = list(node)
                        out[index] = new
                else:
                    size += 1
            if size > MAX_EXPANDED:
                raise self._expanded(doc)
            return (node if out is None else out), size
        return node, 1

    @staticmethod
    def _expanded(doc: ContractDocument) -> InputError:
        return InputError(
            f"document expands to more than {MAX_EXPANDED:,} values after resolving $ref;"
            " refusing it",
            Location(doc.display),
        )

    def _follow(
        self, ref: str, node: dict[str, Any], doc: ContractDocument, path: _Path, depth: int
    ) -> tuple[Any, int]:
        def where() -> Location:
            return doc.locate((*_flatten(path), "$ref"))

        target_doc, pointer = self._target(ref, doc, where)
        if target_doc is None:
            return node, len(node)
        key = (self._key_of(target_doc), pointer)
        if key in self._active:
            return node, len(node)  # a cycle: keep this reference unexpanded
        memo = self._resolved.get(key)
        if memo is None:
            raw, raw_path = _evaluate(pointer, target_doc, ref, where)
            self._active.add(key)
            linked: _Path = None
            for part in raw_path:
                linked = (linked, part)
            try:
                memo = self._walk(raw, target_doc, linked, depth + 1)
            finally:
                self._active.discard(key)
            self._resolved[key] = memo
        resolved, size = memo
        if len(node) == 1:
            return resolved, size
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        extra, extra_size = self._walk(siblings, doc, path, depth + 1)
        if isinstance(resolved, dict):
            return {**resolved, **extra}, size + extra_size
        return resolved, size

    def _target(
        self, ref: str, doc: ContractDocument, where: Callable[[], Location]
    ) -> tuple[ContractDocument | None, str]:
        if _SCHEME.match(ref):
            raise InputError(
                f"$ref {ref!r} points outside the repository; dde-ci never fetches remote"
                " references: copy the referenced document into the project and use a"
                " relative path",
                where(),
            )
        file_part, _, fragment = ref.partition("#")
        if not file_part:
            return doc, fragment
        if not self.files:
            return None, ref  # data without a file: the reference is kept as it is
        rel = unquote(file_part)
        if rel.startswith(("/", "\\", "~")) or "\0" in rel:
            raise InputError(f"$ref {ref!r} must be a relative path inside the project", where())
        target = (doc.path.parent / rel).resolve()
        if target != self.root and self.root not in target.parents:
            raise InputError(f"$ref {ref!r} resolves outside the project root {self.root}", where())
        loaded = self._documents.get(target)
        if loaded is None:
            if not target.is_file():
                raise InputError(f"$ref {ref!r}: file {rel!r} not found", where())
            loaded = read_document(target, self.root)
            self._documents[target] = loaded
        return loaded, fragment


def _evaluate(
    pointer: str, doc: ContractDocument, ref: str, where: Callable[[], Location]
) -> tuple[Any, PathKey]:
    """The raw value at JSON Pointer ``pointer`` (a URI fragment) in ``doc``."""
    if pointer in ("", "/"):
        return doc.data, ()
    if not pointer.startswith("/"):
        raise InputError(
            f"$ref {ref!r}: only JSON Pointer fragments ('#/a/b') are supported", where()
        )
    node = doc.data
    path: list[str | int] = []
    for raw in pointer[1:].split("/"):
        part = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
            path.append(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
            path.append(int(part))
        else:
            from dde_ci.errors import did_you_mean

            hint = did_you_mean(part, node) if isinstance(node, dict) else ""
            shown = "/".join(str(p) for p in path) or "(root)"
            raise InputError(
                f"$ref {ref!r}: {part!r} not found under {shown} in {doc.display}{hint}",
                where(),
            )
    return node, tuple(path)
