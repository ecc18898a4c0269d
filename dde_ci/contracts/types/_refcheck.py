"""Shared ``$ref`` safety for JSON-based types: no network, no escape, no endless cycle.

:mod:`dde_ci.contracts.refs` follows references inside the project and keeps a
recursive schema (``Node.children.items -> Node``) as it is.  What no validator
survives is a schema that includes *itself* without nesting, through ``$ref``
chains or ``allOf``/``anyOf``/``oneOf``/``not``/``if``/``then``/``else``
(``A: {$ref: B}``, ``B: {$ref: A}``; ``A: {allOf: [{$ref: A}]}``): checking
it never ends.  :func:`find_ref_cycle` finds such a cycle without recursion.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from dde_ci.errors import Diagnostic, InputError, Location
from dde_ci.yamlio import PathKey

_IN_PLACE = ("allOf", "anyOf", "oneOf")
_IN_PLACE_ONE = ("not", "if", "then", "else")


def has_file_refs(data: Any) -> bool:
    """True when some ``$ref`` points at another file."""
    return any(not ref.startswith("#") for ref in ref_strings(data))


def ref_strings(data: Any) -> Iterator[str]:
    """Every ``$ref`` string in ``data`` (:func:`iter_refs` without the places, faster)."""
    stack: list[Any] = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                yield ref
            stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))


def iter_refs(data: Any) -> Iterator[tuple[str, PathKey]]:
    """Every ``$ref`` string in ``data`` with the path of the object holding it."""
    stack: list[tuple[Any, PathKey]] = [(data, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                yield ref, path
            stack.extend((v, (*path, k)) for k, v in node.items() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(node) if isinstance(v, (dict, list)))


def _unnested_refs(value: Any) -> Iterator[tuple[str, PathKey]]:
    """``$ref`` s that apply to the same instance as ``value`` (no nesting in between)."""
    stack: list[tuple[Any, PathKey]] = [(value, ())]
    while stack:
        node, path = stack.pop()
        if not isinstance(node, dict):
            continue
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref, path
        for key in _IN_PLACE:
            items = node.get(key)
            if isinstance(items, list):
                stack.extend((item, (*path, key, i)) for i, item in enumerate(items))
        for key in _IN_PLACE_ONE:
            if isinstance(node.get(key), dict):
                stack.append((node[key], (*path, key)))


def _pointer_path(pointer: str) -> PathKey | None:
    if pointer in ("", "/"):
        return ()
    if not pointer.startswith("/"):
        return None
    return tuple(unquote(p).replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/"))


def _evaluate(data: Any, path: PathKey) -> Any:
    node = data
    for part in path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and str(part).isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def find_ref_cycle(data: Any, display: str, locate: Any = None) -> Diagnostic | None:
    """A diagnostic naming the first self-including ``$ref`` cycle in ``data`` (same file)."""
    edges: dict[str, list[tuple[str, PathKey]]] = {}

    def targets(pointer: str) -> list[tuple[str, PathKey]]:
        if pointer not in edges:
            path = _pointer_path(pointer)
            value = _evaluate(data, path) if path is not None else None
            found = []
            for ref, where in _unnested_refs(value):
                if ref.startswith("#"):
                    found.append((ref[1:], (*(path or ()), *where)))
            edges[pointer] = found
        return edges[pointer]

    starts = sorted({ref[1:] for ref in ref_strings(data) if ref.startswith("#")})
    done: set[str] = set()
    for start in starts:
        if start in done:
            continue
        # iterative DFS with an explicit path
        on_path: dict[str, int] = {start: 0}
        chain: list[tuple[str, PathKey]] = [(start, ())]
        iters = [iter(targets(start))]
        while iters:
            step = next(iters[-1], None)
            if step is None:
                iters.pop()
                node, _ = chain.pop()
                on_path.pop(node, None)
                done.add(node)
                continue
            target, where = step
            if target in on_path:
                cycle = [p for p, _ in chain[on_path[target] :]] + [target]
                shown = " -> ".join(f"#{p}" for p in cycle)
                loc = locate((*where, "$ref")) if locate else Location(display)
                return Diagnostic(
                    f"cyclic $ref: {shown} includes itself without nesting, so it can never "
                    "be checked; give the cycle a property or array item in between",
                    loc,
                )
            if target in done:
                continue
            on_path[target] = len(chain)
            chain.append((target, where))
            iters.append(iter(targets(target)))
    return None


def check_refs(document: Any, root: Path) -> tuple[Any, list[Diagnostic]]:
    """Resolve ``document`` 's references inside ``root``; return (resolved, problems)."""
    from dde_ci.contracts.refs import Resolver

    cycle = find_ref_cycle(document.data, document.display, document.locate)
    if cycle is not None:
        return None, [cycle]
    try:
        resolved = Resolver(root).resolve_document(document)
    except InputError as exc:
        return None, exc.diagnostics
    return resolved, []


def error_location(document: Any, path: PathKey) -> Location:
    return document.locate(path) if document is not None else Location("")  # pragma: no cover
