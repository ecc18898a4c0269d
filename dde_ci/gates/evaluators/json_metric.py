"""``json-metric``: one value from a JSON file, addressed by a JSON Pointer (RFC 6901).

``metric`` names it for conditions (default ``value``).  Numbers and booleans
are compared as they are; a string holding a number is converted.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

from pydantic import Field

from dde_ci.errors import InputError
from dde_ci.gates.conditions import METRIC_PATTERN
from dde_ci.gates.evaluators.base import GateContext, Measurement, Metric, Params, report_file
from dde_ci.yamlio import read_text

MAX_BYTES = 64 * 1024 * 1024


class JsonMetricParams(Params):
    type: Literal["json-metric"]
    path: str = Field(min_length=1)
    pointer: str = Field(pattern=r"^(/[^/]*)*$", description="RFC 6901 JSON Pointer, e.g. /a/0/b")
    metric: str = Field(default="value", pattern=METRIC_PATTERN)


class PointerError(LookupError):
    pass


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The value at ``pointer`` in ``document`` (RFC 6901), or :class:`PointerError`."""
    if pointer == "":
        return document
    if not pointer.startswith("/"):
        raise PointerError(f"JSON Pointer {pointer!r} must start with '/'")
    current = document
    walked = ""
    for raw in pointer[1:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        walked += "/" + raw
        if isinstance(current, dict):
            if part not in current:
                raise PointerError(f"{walked!r} does not exist")
            current = current[part]
        elif isinstance(current, list):
            if not part.isdigit() or (part != "0" and part.startswith("0")):
                raise PointerError(f"{walked!r}: {part!r} is not an array index")
            index = int(part)
            if index >= len(current):
                raise PointerError(f"{walked!r}: index {index} is past the end ({len(current)})")
            current = current[index]
        else:
            raise PointerError(f"{walked!r}: cannot descend into a {type(current).__name__}")
    return current


def as_metric(value: Any) -> Metric:
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise ValueError(f"value {json.dumps(value)[:80]} is not a number or a boolean")


class JsonMetricEvaluator:
    name: ClassVar[str] = "json-metric"
    params: ClassVar[type[Params]] = JsonMetricParams
    metrics: ClassVar[frozenset[str] | None] = None
    default_conditions: ClassVar[tuple[str, ...]] = ()
    phases: ClassVar[frozenset[str]] = frozenset({"pre", "post"})

    def evaluate(self, params: JsonMetricParams, context: GateContext) -> Measurement:
        file = report_file(context, params.path, "JSON file")
        if isinstance(file, Measurement):
            return file
        shown = context.shown(file)
        try:
            document = json.loads(read_text(file, max_bytes=MAX_BYTES, what="JSON file"))
            value = as_metric(resolve_pointer(document, params.pointer))
        except InputError as exc:
            return Measurement(error=str(exc))
        except PointerError as exc:
            return Measurement(error=f"{shown}: JSON Pointer {params.pointer!r}: {exc}")
        except ValueError as exc:
            return Measurement(error=f"{shown}: {params.pointer}: {exc}")
        except RecursionError:
            return Measurement(error=f"{shown}: not usable JSON: nested too deeply")
        return Measurement(
            metrics={params.metric: value},
            details={"file": shown, "pointer": params.pointer},
        )
