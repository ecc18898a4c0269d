"""Contract types: one module per type, each a :class:`ContractType` registered in one dict.

A type knows how to load a spec file, validate it (returning every finding as a
:class:`~dde_ci.errors.Diagnostic` with its place) and turn it into canonical
bytes, whose SHA-256 is the contract's digest.  Adding a type is one module and
one line in :data:`CONTRACT_TYPES`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from dde_ci.errors import Diagnostic, InputError, ValidationError, did_you_mean

if TYPE_CHECKING:
    from dde_ci.contracts.refs import ContractDocument


@dataclass
class LoadedContract:
    """A spec file read from disk.

    ``data`` is the parsed document as written (for GraphQL the parsed SDL AST);
    ``resolved`` is filled by ``validate`` with ``$ref`` s followed inside the project.
    """

    type: str
    path: Path
    display: str
    text: str
    data: Any
    document: ContractDocument | None = None
    resolved: Any = None
    self_contained: bool = True  # False when it refers to other files
    extra: dict[str, Any] = field(default_factory=dict)


class ContractType(Protocol):
    """What every contract type provides."""

    name: str

    def load(self, path: Path, root: Path) -> LoadedContract:
        """Read and parse ``path`` (inside ``root``); raise InputError when unreadable."""
        ...

    def prepare(self, loaded: LoadedContract, root: Path) -> list[Diagnostic]:
        """The cheap part of ``validate``: what the canonical form needs (e.g. ``$ref`` s
        resolved inside the project, remote and cyclic ones refused)."""
        ...

    def validate(self, loaded: LoadedContract, root: Path) -> list[Diagnostic]:
        """Every problem of the spec, with places; empty when valid (includes ``prepare``,
        which a type may skip when ``loaded`` was prepared already)."""
        ...

    def canonical(self, loaded: LoadedContract) -> bytes:
        """Canonical bytes of a validated spec (equal meaning -> equal bytes where feasible)."""
        ...


def _openapi() -> ContractType:
    from dde_ci.contracts.types.openapi import OpenApiType

    return OpenApiType()


def _jsonschema() -> ContractType:
    from dde_ci.contracts.types.jsonschema import JsonSchemaType

    return JsonSchemaType()


def _graphql() -> ContractType:
    from dde_ci.contracts.types.graphql import GraphQLType

    return GraphQLType()


# type name -> factory; modules are imported only when their type is used.
CONTRACT_TYPES: dict[str, Callable[[], ContractType]] = {
    "openapi": _openapi,
    "jsonschema": _jsonschema,
    "graphql": _graphql,
}


def contract_type(name: str) -> ContractType:
    factory = CONTRACT_TYPES.get(str(name))
    if factory is None:
        raise InputError(
            f"unknown contract type {name!r}{did_you_mean(str(name), CONTRACT_TYPES)}; "
            f"choose from {', '.join(CONTRACT_TYPES)}"
        )
    return factory()


def canonical_json(data: Any) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8, no NaN."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def digest_bytes(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class CheckedContract:
    """A loaded, valid spec with its canonical bytes and digest."""

    loaded: LoadedContract
    canonical: bytes
    digest: str


def check_contract(type_name: str, path: Path, root: Path) -> CheckedContract:
    """Load, validate and digest a spec; raise ValidationError listing every problem."""
    kind = contract_type(type_name)
    loaded = kind.load(path, root)
    problems = kind.validate(loaded, root)
    if any(d.severity == "error" for d in problems):
        raise ValidationError(problems)
    canonical = kind.canonical(loaded)
    return CheckedContract(loaded, canonical, digest_bytes(canonical))


def digest_contract(type_name: str, path: Path, root: Path) -> CheckedContract:
    """Load and digest a spec without the full validation (for "is it still the locked
    content?" questions: a digest equal to a locked one was validated when it was locked)."""
    kind = contract_type(type_name)
    loaded = kind.load(path, root)
    problems = kind.prepare(loaded, root)
    if any(d.severity == "error" for d in problems):
        raise ValidationError(problems)
    canonical = kind.canonical(loaded)
    return CheckedContract(loaded, canonical, digest_bytes(canonical))


def validate_checked(checked: CheckedContract, root: Path) -> None:
    """The full validation of a spec :func:`digest_contract` read (without reading it again);
    raise ValidationError listing every problem."""
    kind = contract_type(checked.loaded.type)
    problems = kind.validate(checked.loaded, root)
    if any(d.severity == "error" for d in problems):
        raise ValidationError(problems)
