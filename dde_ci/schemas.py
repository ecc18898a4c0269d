"""The JSON Schemas dde-ci publishes, one registry for the CLI, the docs and the tests.

Schemas made from pydantic models are generated; the committed copies in
``schemas/`` must equal :func:`schema_text` (a test fails when they drift).
Hand-written schemas live in ``dde_ci/resources/schemas/`` and are copied
to ``schemas/`` the same way.

Every ``pattern`` anchored at the end ends in ``(?!\\n)$``: a full match in both
regex dialects that read these files.  ECMA-262 (editors, check-jsonschema) ends
``$`` at the end of the text, but Python's ``re`` (the ``jsonschema`` library)
also before a final newline, so ``"2.0.0\\n"`` would pass a bare ``$``; ``\\Z``
is Python's only (ECMA reads it as a plain ``Z``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from typing import Any

from dde_ci.errors import InputError, did_you_mean

SCHEMA_BASE = "https://dde-ci.dev/schemas/"


FULL_MATCH_END = "(?!\\n)$"


def full_match_patterns(value: Any) -> Any:
    """``value`` (a schema) with every end-anchored ``pattern`` ending in
    :data:`FULL_MATCH_END` (pydantic writes its models' patterns with a bare ``$``)."""
    if isinstance(value, dict):
        out = {k: full_match_patterns(v) for k, v in value.items()}
        pattern = out.get("pattern")
        if (
            isinstance(pattern, str)
            and pattern.endswith("$")
            and not pattern.endswith(("\\$", FULL_MATCH_END))
        ):
            out["pattern"] = pattern[:-1] + FULL_MATCH_END
        return out
    if isinstance(value, list):
        return [full_match_patterns(v) for v in value]
    return value


def _manifest() -> dict[str, Any]:
    from dde_ci.manifest.models import Manifest

    schema = Manifest.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}manifest.schema.json",
        "title": "dde-ci manifest",
        **{k: full_match_patterns(v) for k, v in schema.items() if k != "title"},
    }


def _gates() -> dict[str, Any]:
    from dde_ci.gates.definitions import gates_schema

    return full_match_patterns(gates_schema())  # type: ignore[no-any-return]


def _resource(name: str) -> Callable[[], dict[str, Any]]:
    def load() -> dict[str, Any]:
        text = resources.files("dde_ci.resources").joinpath("schemas", name).read_text("utf-8")
        data: dict[str, Any] = json.loads(text)
        return data

    return load


# name -> loader; the file in schemas/ is f"{name}.schema.json".
SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "manifest": _manifest,
    "gates": _gates,
    "contract": _resource("contract.schema.json"),
    "contracts-lock": _resource("contracts-lock.schema.json"),
    "context": _resource("context.schema.json"),
    "audit": _resource("audit.schema.json"),
    "execution-log": _resource("execution-log.schema.json"),
    "stamp": _resource("stamp.schema.json"),
}


def schema(name: str) -> dict[str, Any]:
    loader = SCHEMAS.get(name)
    if loader is None:
        raise InputError(
            f"no schema named {name!r}{did_you_mean(name, SCHEMAS)}; "
            f"choose from {', '.join(SCHEMAS)}"
        )
    return loader()


def schema_text(name: str) -> str:
    return json.dumps(schema(name), indent=2, ensure_ascii=False) + "\n"


def write_all(folder: str = "schemas") -> list[str]:
    """Write every schema to ``folder`` as ``{name}.schema.json``; return the paths."""
    from pathlib import Path

    out = []
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    for name in SCHEMAS:
        path = target / f"{name}.schema.json"
        path.write_text(schema_text(name), encoding="utf-8")
        out.append(str(path))
    return out
