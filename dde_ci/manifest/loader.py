"""Load a manifest from disk: safe YAML, shape, then whole-manifest rules.

Every problem is collected and raised together as one
:class:`dde_ci.errors.ValidationError` whose diagnostics read
``path:line:col: message``.  Warnings are kept on the manifest
(:func:`manifest_warnings`) for the CLI to show.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dde_ci.errors import (
    Diagnostic,
    InputError,
    ValidationError,
    did_you_mean,
    not_one_of,
    pydantic_choices,
)
from dde_ci.perf import collector_paused
from dde_ci.yamlio import PathKey, YamlDocument, load_yaml_file, load_yaml_text

if TYPE_CHECKING:
    from dde_ci.manifest.models import Manifest

DEFAULT_MANIFEST = "dde.yaml"

_FRIENDLY_PATTERNS = {
    "id": "use a letter, then letters, digits, '.', '_' or '-' (at most 100 characters)",
    "name": "use letters, digits, '.', '_' or '-', starting with a letter or digit",
    "domain": "use letters, digits, '.', '_' or '-', starting with a letter or digit",
    "workflow": "use letters, digits, '.', '_' or '-', starting with a letter or digit",
}


def load_manifest(path: Path | str = DEFAULT_MANIFEST) -> Manifest:
    """Load and check the manifest at ``path``; return a :class:`Manifest`."""
    file = Path(path)
    with collector_paused():  # a large manifest is many small acyclic containers
        doc = load_yaml_file(file, what="manifest")
        return manifest_from_document(doc, file)


def load_manifest_text(text: str, path: Path | str = DEFAULT_MANIFEST) -> Manifest:
    """Like :func:`load_manifest` for text already in memory (``path`` names it)."""
    with collector_paused():
        doc = load_yaml_text(text, str(path), what="manifest")
        return manifest_from_document(doc, Path(path))


def manifest_warnings(manifest: Manifest) -> list[Diagnostic]:
    return list(getattr(manifest, "_dde_warnings", []))


def manifest_from_document(doc: YamlDocument, file: Path) -> Manifest:
    import pydantic

    from dde_ci.manifest.checks import check_manifest
    from dde_ci.manifest.models import Manifest

    if not isinstance(doc.data, dict):
        kind = "a list" if isinstance(doc.data, list) else f"a {type(doc.data).__name__}"
        raise InputError(f"manifest must be a YAML mapping, not {kind}", doc.locate(()))
    try:
        manifest = Manifest.model_validate(doc.data)
    except pydantic.ValidationError as exc:
        found = _pydantic_diagnostics(exc, doc) + _raw_reference_diagnostics(doc)
        unique = {(d.location, d.message): d for d in found}  # first of each kept
        raise ValidationError(sorted(unique.values(), key=_order)) from None
    manifest._path = file.absolute()
    found = check_manifest(manifest, doc.locate)
    errors = [d for d in found if d.severity == "error"]
    if errors:
        raise ValidationError(sorted(found, key=_order))
    object.__setattr__(manifest, "_dde_warnings", [d for d in found if d.severity == "warning"])
    return manifest


def _raw_reference_diagnostics(doc: YamlDocument) -> list[Diagnostic]:
    """References between nodes and contracts, checked on the raw YAML of a manifest whose
    shape is wrong: every node with a string ``id``, every contract with a string ``name``."""
    from dde_ci.manifest.checks import NodeReferences, check_references

    def strings(value: Any) -> list[str]:
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

    data = doc.data if isinstance(doc.data, dict) else {}
    raw_nodes = _list(data.get("nodes"))
    raw_contracts = _list(data.get("contracts"))
    nodes = [
        NodeReferences(
            i,
            n["id"],
            strings(n.get("depends_on")),
            strings(n.get("produces")),
            strings(n.get("consumes")),
        )
        for i, n in enumerate(raw_nodes)
        if isinstance(n, dict) and isinstance(n.get("id"), str)
    ]
    names = [
        c["name"] for c in raw_contracts if isinstance(c, dict) and isinstance(c.get("name"), str)
    ]
    if len(names) != len(raw_contracts):  # a contract unreadable: no contract is checked
        names, nodes = [], [n._replace(produces=[], consumes=[]) for n in nodes]
    return check_references(nodes, names, doc.locate)


def _order(d: Diagnostic) -> tuple[int, int, str]:
    loc = d.location
    return (loc.line, loc.col, d.message) if loc else (0, 0, d.message)


def describe(key: PathKey, data: Any) -> str:
    """``nodes[3] (BE-ORDERS).retry.max_attempts`` for a location path."""
    out = ""
    cursor: Any = data
    for part in key:
        if isinstance(part, int):
            out += f"[{part}]"
            try:
                cursor = cursor[part]
            except (IndexError, KeyError, TypeError):
                cursor = None
            if isinstance(cursor, dict) and isinstance(cursor.get("id"), str):
                out += f" ({cursor['id']})"
        else:
            out += f".{part}" if out else str(part)
            cursor = cursor.get(part) if isinstance(cursor, dict) else None
    return out or "manifest"


def _model_at(key: PathKey) -> Any:
    """The pydantic model class that describes the mapping at ``key`` (or None)."""
    from pydantic import BaseModel

    from dde_ci.manifest.models import Manifest

    current: Any = Manifest
    for part in key:
        current = _unwrap(current)
        if isinstance(part, int):
            args = typing.get_args(current)
            current = args[0] if args else None
        elif isinstance(current, type) and issubclass(current, BaseModel):
            info = current.model_fields.get(part)
            current = info.annotation if info else None
        else:
            current = typing.get_args(current)[1] if typing.get_args(current) else None
        if current is None:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in typing.get_args(tp) if a is not type(None)]
        return non_none[0] if non_none else tp
    if origin is typing.Annotated:
        return typing.get_args(tp)[0]
    return tp


def _pydantic_diagnostics(exc: Any, doc: YamlDocument) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    seen: set[tuple[PathKey, str]] = set()
    for err in exc.errors(include_url=False):
        key: PathKey = tuple(p for p in err["loc"] if isinstance(p, (str, int)))
        # pydantic adds the name of a union member or a validator to ``loc``; keep real keys.
        key = _real_key(key, doc.data)
        kind = err["type"]
        where = describe(key[:-1], doc.data) if key else "manifest"
        if kind == "extra_forbidden":
            name = str(key[-1])
            model = _model_at(key[:-1])
            fields = list(model.model_fields) if model else []
            message = f"unknown key {name!r} in {where}{did_you_mean(name, fields)}"
            location = doc.locate_key(key)
        elif kind == "missing":
            message = f"{where} is missing the required key {key[-1]!r}"
            location = doc.locate(key[:-1])
        elif kind == "string_pattern_mismatch" and key and key[-1] in _FRIENDLY_PATTERNS:
            value = err.get("input")
            hint = _FRIENDLY_PATTERNS[str(key[-1])]
            message = f"{describe(key, doc.data)}: {value!r} is not valid; {hint}"
            location = doc.locate(key)
        elif (allowed := pydantic_choices(err)) is not None:
            message = f"{describe(key, doc.data)}: {not_one_of(err['input'], allowed)}"
            location = doc.locate(key)
        elif _is_scalar(err.get("input")) and not str(err["msg"]).startswith("Value error, "):
            msg = str(err["msg"])
            if msg.startswith("Input should be "):
                msg = "it should be " + msg[len("Input should be ") :]
            else:
                msg = msg[:1].lower() + msg[1:]
            message = f"{describe(key, doc.data)}: {err['input']!r} is not valid; {msg}"
            location = doc.locate(key)
        else:
            msg = str(err["msg"])
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            message = f"{describe(key, doc.data)}: {msg[:1].lower()}{msg[1:]}"
            location = doc.locate(key)
        marker = (key, message)
        if marker not in seen:
            seen.add(marker)
            out.append(Diagnostic(message, location))
    out.sort(key=_order)
    return out


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) or value is None


def _real_key(key: PathKey, data: Any) -> PathKey:
    """Drop loc parts that are not in the data (pydantic's union/validator tags)."""
    out: list[str | int] = []
    cursor = data
    for i, part in enumerate(key):
        if isinstance(cursor, dict) and isinstance(part, str):
            if part in cursor:
                out.append(part)
                cursor = cursor[part]
                continue
            # the last part may be a missing or extra key; keep it if it ends the path
            if i == len(key) - 1 or all(isinstance(p, str) for p in key[i:]):
                out.append(part)
                if i < len(key) - 1:
                    cursor = None
                continue
            continue
        if isinstance(cursor, list) and isinstance(part, int):
            out.append(part)
            cursor = cursor[part] if 0 <= part < len(cursor) else None
            continue
        if cursor is None:
            out.append(part)
            continue
        # a tag such as 'str' or 'function-before[...]' on a scalar: skip it
    return tuple(out)
