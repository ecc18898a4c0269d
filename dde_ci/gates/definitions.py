"""Gate files: the YAML in which QA defines gates, modelled with pydantic v2.

A gate file (``gates.yaml``, listed under ``gate_files`` in the manifest)::

    version: "1"
    gates:
      - name: tests-pass
        description: Every backend test passes.
        phase: post                 # pre | post
        severity: blocking          # blocking | warning | info
        order: 10                   # lower runs first (default 100)
        evaluator: {type: junit, path: "reports/backend/junit.xml"}
        conditions: [failed == 0, errors == 0, total > 0]
        bypass: {allowed: true, require_expiry: true}
        applies_to: {node_types: [test], capabilities: ["QA:*"], nodes: ["TEST.*"]}

Files are read through :mod:`dde_ci.yamlio`, so every error reads
``path:line:col: message``; all problems of a file are reported together.
Loaded files are cached by ``(path, mtime_ns, size)``: a changed file is read
again on next use (hot reload), an unchanged one is not.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from dde_ci.errors import (
    Diagnostic,
    InputError,
    Location,
    ValidationError,
    did_you_mean,
    not_one_of,
    pydantic_choices,
)
from dde_ci.gates.conditions import AllOf, AnyOf, Comparison, Condition, ConditionNode
from dde_ci.gates.evaluators import EVALUATORS, Params
from dde_ci.manifest.models import NAME_PATTERN, NodeType
from dde_ci.yamlio import PathKey, YamlDocument, load_yaml_file

if TYPE_CHECKING:
    from dde_ci.manifest.models import Manifest

    EvaluatorParams = Params
else:
    EvaluatorParams = Annotated[
        Union[tuple(e.params for e in EVALUATORS.values())],  # noqa: UP007
        Field(discriminator="type"),
    ]

Phase = Literal["pre", "post"]
Severity = Literal["blocking", "warning", "info"]
PHASES: tuple[str, ...] = ("pre", "post")
SEVERITIES: tuple[str, ...] = ("blocking", "warning", "info")
DEFAULT_ORDER = 100


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _policy(value: Any) -> Any:
    return {"allowed": value} if isinstance(value, bool) else value


class BypassPolicy(_Strict):
    """Whether an accepted ADR may bypass this gate, and on what terms."""

    allowed: bool = True
    require_expiry: bool = False
    max_days: int | None = Field(default=None, ge=1, le=3650)


class AppliesTo(_Strict):
    """Attach the gate to nodes by rule; every criterion given must match (each is a list
    of alternatives; ``nodes``, ``capabilities`` and ``consumes`` (contract names) are
    shell-style patterns)."""

    node_types: list[NodeType] = Field(default_factory=list)
    capabilities: list[str] = Field(default_factory=list)
    nodes: list[str] = Field(default_factory=list)
    consumes: list[str] = Field(default_factory=list)


class GateDefinition(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    description: str | None = None
    phase: Phase = "post"
    severity: Severity = "blocking"
    enabled: bool = True
    order: int = Field(default=DEFAULT_ORDER, ge=-1_000_000, le=1_000_000)
    evaluator: EvaluatorParams
    conditions: list[Condition] | None = Field(default=None, min_length=1)
    bypass: Annotated[BypassPolicy, BeforeValidator(_policy)] = Field(default_factory=BypassPolicy)
    applies_to: AppliesTo | None = None

    @property
    def evaluator_type(self) -> str:
        """The evaluator's registered name."""
        return str(getattr(self.evaluator, "type", ""))


class GateFile(_Strict):
    version: Literal["1"] = "1"
    gates: list[GateDefinition] = Field(min_length=1)


@dataclass(frozen=True)
class Gate:
    """A gate as loaded: its definition, its conditions (defaults filled in) and its place."""

    definition: GateDefinition
    conditions: list[ConditionNode]
    location: Location
    file_index: int
    index: int

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def phase(self) -> str:
        return self.definition.phase

    @property
    def severity(self) -> str:
        return self.definition.severity

    @property
    def evaluator_name(self) -> str:
        return self.definition.evaluator_type

    @property
    def sort_key(self) -> tuple[int, int, int]:
        return (self.definition.order, self.file_index, self.index)


@dataclass
class GateSet:
    """Every gate of a manifest's gate files, by name."""

    gates: dict[str, Gate] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    def get(self, name: str) -> Gate | None:
        return self.gates.get(name)

    @property
    def names(self) -> list[str]:
        return list(self.gates)


# --- loading ---------------------------------------------------------------------------------

_CACHE: dict[Path, tuple[tuple[int, int], list[Gate]]] = {}
_LOCK = threading.Lock()


def _file_key(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def load_gate_file(path: Path, *, display: str | None = None, file_index: int = 0) -> list[Gate]:
    """Load and check one gate file (cached until its mtime or size changes)."""
    resolved = path.resolve()
    key = _file_key(resolved)
    with _LOCK:
        hit = _CACHE.get(resolved)
    if key is not None and hit is not None and hit[0] == key:
        gates = hit[1]
    else:
        doc = load_yaml_file(path, display=display, what="gate file")
        gates = gates_from_document(doc)
        if key is not None:
            with _LOCK:
                _CACHE[resolved] = (key, gates)
    if file_index:
        gates = [Gate(g.definition, g.conditions, g.location, file_index, g.index) for g in gates]
    return gates


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()


def gates_from_document(doc: YamlDocument) -> list[Gate]:
    """Validate a loaded gate file; raise :class:`ValidationError` with every problem."""
    import pydantic

    if not isinstance(doc.data, dict):
        raise InputError("gate file must be a YAML mapping with a 'gates' list", doc.locate(()))
    found: list[Diagnostic] = _evaluator_types(doc)
    try:
        parsed = GateFile.model_validate(doc.data)
    except pydantic.ValidationError as exc:
        found += _diagnostics(exc, doc, skip_evaluator_tags=bool(found))
        raise ValidationError(_sorted(found)) from None
    if found:
        raise ValidationError(_sorted(found))
    gates: list[Gate] = []
    seen: dict[str, int] = {}
    for i, definition in enumerate(parsed.gates):
        base: PathKey = ("gates", i)
        if definition.name in seen:
            found.append(
                Diagnostic(
                    f"duplicate gate name {definition.name!r} (first defined at line "
                    f"{doc.locate(('gates', seen[definition.name], 'name')).line})",
                    doc.locate((*base, "name")),
                )
            )
            continue
        seen[definition.name] = i
        evaluator = EVALUATORS[definition.evaluator_type]
        if definition.phase not in evaluator.phases:
            allowed = " or ".join(sorted(evaluator.phases))
            found.append(
                Diagnostic(
                    f"gate {definition.name!r}: evaluator {evaluator.name!r} works in phase "
                    f"{allowed}, not {definition.phase!r}",
                    doc.locate((*base, "phase")),
                )
            )
        conditions = _conditions(definition, doc, base, found)
        gates.append(Gate(definition, conditions, doc.locate_key(base), 0, i))
    if found:
        raise ValidationError(_sorted(found))
    return gates


def _conditions(
    definition: GateDefinition, doc: YamlDocument, base: PathKey, found: list[Diagnostic]
) -> list[ConditionNode]:
    evaluator = EVALUATORS[definition.evaluator_type]
    if definition.conditions is not None:
        conditions: list[ConditionNode] = list(definition.conditions)
    elif evaluator.default_conditions:
        from pydantic import TypeAdapter

        adapter: TypeAdapter[list[ConditionNode]] = TypeAdapter(list[Condition])
        conditions = adapter.validate_python(list(evaluator.default_conditions))
    else:
        found.append(
            Diagnostic(
                f"gate {definition.name!r}: evaluator {evaluator.name!r} has no default "
                "conditions; add 'conditions', e.g. ['value >= 1']",
                doc.locate((*base, "evaluator")),
            )
        )
        return []
    known = _known_metrics(definition)
    if known is None or definition.conditions is None:
        return conditions
    for comparison, key in _walk(conditions, (*base, "conditions")):
        if comparison.metric not in known:
            found.append(
                Diagnostic(
                    f"gate {definition.name!r}: evaluator {evaluator.name!r} reports no metric "
                    f"{comparison.metric!r}{did_you_mean(comparison.metric, sorted(known))}; "
                    f"it reports {', '.join(sorted(known))}",
                    doc.locate(key),
                )
            )
    return conditions


def _known_metrics(definition: GateDefinition) -> frozenset[str] | None:
    evaluator = EVALUATORS[definition.evaluator_type]
    metric = getattr(definition.evaluator, "metric", None)
    if evaluator.name == "json-metric" and isinstance(metric, str):
        return frozenset({metric})
    return evaluator.metrics


def _walk(conditions: list[ConditionNode], base: PathKey) -> list[tuple[Comparison, PathKey]]:
    out: list[tuple[Comparison, PathKey]] = []
    stack: list[tuple[ConditionNode, PathKey]] = [
        (c, (*base, j)) for j, c in reversed(list(enumerate(conditions)))
    ]
    while stack:
        item, key = stack.pop()
        if isinstance(item, Comparison):
            out.append((item, key))
        elif isinstance(item, AllOf):
            stack.extend((c, (*key, "all", k)) for k, c in reversed(list(enumerate(item.all))))
        elif isinstance(item, AnyOf):
            stack.extend((c, (*key, "any", k)) for k, c in reversed(list(enumerate(item.any))))
    return out


def _evaluator_types(doc: YamlDocument) -> list[Diagnostic]:
    """Friendly errors for a missing or unknown ``evaluator.type`` (pydantic's are terse)."""
    out: list[Diagnostic] = []
    gates = doc.data.get("gates")
    if not isinstance(gates, list):
        return out
    for i, gate in enumerate(gates):
        evaluator = gate.get("evaluator") if isinstance(gate, dict) else None
        if not isinstance(evaluator, dict):
            continue
        kind = evaluator.get("type")
        key: PathKey = ("gates", i, "evaluator")
        if kind is None:
            out.append(
                Diagnostic(
                    f"gates[{i}].evaluator is missing 'type'; one of {', '.join(EVALUATORS)}",
                    doc.locate(key),
                )
            )
        elif not isinstance(kind, str) or kind not in EVALUATORS:
            out.append(
                Diagnostic(
                    f"unknown evaluator {kind!r}{did_you_mean(str(kind), EVALUATORS)}; "
                    f"choose from {', '.join(EVALUATORS)}",
                    doc.locate((*key, "type")),
                )
            )
    return out


def _model_for(key: PathKey, data: Any) -> type[BaseModel] | None:
    """The model describing the mapping at ``key`` (for 'did you mean' on unknown keys)."""
    if key == ():
        return GateFile
    if len(key) == 2 and key[0] == "gates":
        return GateDefinition
    if len(key) == 3 and key[0] == "gates" and isinstance(key[1], int):
        gates = data.get("gates") if isinstance(data, dict) else None
        gate = gates[key[1]] if isinstance(gates, list) and key[1] < len(gates) else None
        if key[2] == "evaluator" and isinstance(gate, dict):
            kind = (gate.get("evaluator") or {}).get("type")
            evaluator = EVALUATORS.get(kind) if isinstance(kind, str) else None
            return evaluator.params if evaluator else None
        models: dict[str, type[BaseModel]] = {"bypass": BypassPolicy, "applies_to": AppliesTo}
        return models.get(str(key[2]))
    if len(key) >= 4 and key[2] == "conditions":
        return Comparison
    return None


def _real_key(loc: tuple[Any, ...], data: Any) -> PathKey:
    """Drop the union tags pydantic puts in ``loc``; keep the keys that are in the data."""
    out: list[str | int] = []
    cursor = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if (isinstance(cursor, dict) and isinstance(part, str) and part in cursor) or (
            isinstance(cursor, list) and isinstance(part, int) and 0 <= part < len(cursor)
        ):
            out.append(part)
            cursor = cursor[part]  # type: ignore[index]
        elif last and isinstance(cursor, dict) and isinstance(part, str):
            out.append(part)
    return tuple(out)


def _describe(key: PathKey) -> str:
    out = ""
    for part in key:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "gate file"


def _diagnostics(exc: Any, doc: YamlDocument, *, skip_evaluator_tags: bool) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    seen: set[str] = set()
    for err in exc.errors(include_url=False):
        kind = err["type"]
        if kind in ("union_tag_invalid", "union_tag_not_found"):
            continue  # reported by _evaluator_types with a 'did you mean'
        key = _real_key(tuple(err["loc"]), doc.data)
        if kind == "extra_forbidden" and key:
            name = str(key[-1])
            model = _model_for(key[:-1], doc.data)
            hint = did_you_mean(name, list(model.model_fields) if model else [])
            message = f"unknown key {name!r} in {_describe(key[:-1])}{hint}"
            location = doc.locate_key(key)
        elif kind == "string_pattern_mismatch" and key and key[-1] == "name":
            message = (
                f"{_describe(key)}: {err.get('input')!r} is not a valid name; use letters, "
                "digits, '.', '_' or '-', starting with a letter or digit"
            )
            location = doc.locate(key)
        elif (allowed := pydantic_choices(err)) is not None:
            message = f"{_describe(key)}: {not_one_of(err['input'], allowed)}"
            location = doc.locate(key)
        elif kind == "missing" and key:
            message = f"{_describe(key[:-1])} is missing the required key {key[-1]!r}"
            location = doc.locate(key[:-1])
        else:
            msg = str(err["msg"]).removeprefix("Value error, ")
            message = f"{_describe(key)}: {msg[:1].lower()}{msg[1:]}"
            location = doc.locate(key)
        text = f"{location}: {message}"
        if text not in seen:
            seen.add(text)
            out.append(Diagnostic(message, location))
    return out


def _sorted(found: list[Diagnostic]) -> list[Diagnostic]:
    return sorted(found, key=lambda d: (d.location.line, d.location.col) if d.location else (0, 0))


def gate_file_paths(manifest: Manifest) -> list[tuple[str, Path]]:
    """``(as written, absolute path)`` for each of the manifest's ``gate_files``."""
    from dde_ci.layout import inside

    out = []
    for i, rel in enumerate(manifest.gate_files):
        where = Location(str(manifest.path))
        path = inside(manifest.root, rel, what=f"gate_files[{i}]", location=where)
        out.append((rel, path))
    return out


def load_gates(manifest: Manifest) -> GateSet:
    """Every gate of the manifest's gate files; names must be unique across files."""
    result = GateSet()
    found: list[Diagnostic] = []
    for file_index, (rel, path) in enumerate(gate_file_paths(manifest)):
        shown = _display(path)
        if not path.is_file():
            found.append(
                Diagnostic(
                    f"gate file {rel!r} listed in gate_files not found",
                    Location(str(manifest.path)),
                )
            )
            continue
        try:
            gates = load_gate_file(path, display=shown, file_index=file_index)
        except InputError as exc:
            found.extend(exc.diagnostics)
            continue
        result.files.append(path)
        for gate in gates:
            first = result.gates.get(gate.name)
            if first is not None:
                found.append(
                    Diagnostic(
                        f"gate {gate.name!r} is defined twice (first at {first.location})",
                        gate.location,
                    )
                )
                continue
            result.gates[gate.name] = gate
    if found:
        raise ValidationError(found)
    return result


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def gates_schema() -> dict[str, Any]:
    """The JSON Schema of a gate file, generated from :class:`GateFile`."""
    schema = GateFile.model_json_schema(mode="validation")
    # ``bypass: false`` is short for ``bypass: {allowed: false}``
    gate = schema["$defs"]["GateDefinition"]["properties"]
    gate["bypass"] = {
        "anyOf": [{"type": "boolean"}, {"$ref": "#/$defs/BypassPolicy"}],
        "description": "Bypass policy, or true / false for {allowed: true / false}.",
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://dde-ci.dev/schemas/gates.schema.json",
        "title": "dde-ci gate file",
        **{k: v for k, v in schema.items() if k != "title"},
    }
