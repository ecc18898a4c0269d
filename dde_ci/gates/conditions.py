"""Conditions on an evaluator's metrics: comparisons combined with ``all`` / ``any``.

In a gate file a condition is written as text or as a mapping, and nests::

    conditions:                      # a list: every item must hold (an implicit all)
      - failed == 0
      - {metric: pass_rate, op: ">=", value: 0.95}
      - any:
          - line_rate >= 0.8
          - line_percent >= 80

Values accept ``80%`` (0.8) and ``true`` / ``false`` (1 / 0).  ``>=`` holds
at exactly the threshold.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    WithJsonSchema,
)

Op = Literal[">=", "<=", "==", "!=", ">", "<"]
METRIC_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]*$"
_TEXT = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*(>=|<=|==|!=|>|<)\s*(\S+)\s*$")
TEXT_PATTERN = r"^\s*[A-Za-z_][A-Za-z0-9_.-]*\s*(>=|<=|==|!=|>|<)\s*\S+\s*$"

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
}

Metric = float | int | bool | None


def _number(value: Any) -> Any:
    """``80%`` -> 0.8, ``true`` -> 1.0, ``"0.5"`` -> 0.5; anything else is left to pydantic."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in ("true", "false"):
            return 1.0 if text.lower() == "true" else 0.0
        if text.endswith("%"):
            try:
                return float(text[:-1]) / 100.0
            except ValueError:
                raise ValueError(f"{value!r} is not a percentage such as '80%'") from None
    return value


Threshold = Annotated[
    float,
    BeforeValidator(_number),
    Field(allow_inf_nan=False),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number"},
                {"type": "boolean"},
                {"type": "string", "pattern": r"^\s*-?\d+(\.\d+)?%?\s*$"},
            ],
            "description": "A number, a percentage such as '80%' (0.8), or true / false (1 / 0).",
        }
    ),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Comparison(_Strict):
    """``metric op value``, e.g. ``line_rate >= 0.8``."""

    metric: str = Field(pattern=METRIC_PATTERN, max_length=200)
    op: Op
    value: Threshold

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {format_value(self.value)}"


def _parse_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    match = _TEXT.match(value)
    if not match:
        raise ValueError(
            f"condition {value!r} is not 'metric op value' (op one of >=, <=, ==, !=, >, <), "
            "e.g. 'line_rate >= 0.8'"
        )
    return {"metric": match.group(1), "op": match.group(2), "value": match.group(3)}


TextComparison = Annotated[
    Comparison,
    BeforeValidator(_parse_text),
    WithJsonSchema({"type": "string", "pattern": TEXT_PATTERN}),
]


class AllOf(_Strict):
    """Every condition holds."""

    all: list[Condition] = Field(min_length=1)

    def __str__(self) -> str:
        return "(" + " and ".join(str(c) for c in self.all) + ")"


class AnyOf(_Strict):
    """At least one condition holds."""

    any: list[Condition] = Field(min_length=1)

    def __str__(self) -> str:
        return "(" + " or ".join(str(c) for c in self.any) + ")"


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        if "all" in value:
            return "all"
        if "any" in value:
            return "any"
        return "comparison"
    if isinstance(value, BaseModel):
        kinds: dict[type[BaseModel], str] = {AllOf: "all", AnyOf: "any"}
        return kinds.get(type(value), "comparison")
    return "text"


Condition = Annotated[
    Union[  # noqa: UP007 - Tag needs the members spelled out
        Annotated[TextComparison, Tag("text")],
        Annotated[Comparison, Tag("comparison")],
        Annotated[AllOf, Tag("all")],
        Annotated[AnyOf, Tag("any")],
    ],
    Discriminator(_kind),
]

AllOf.model_rebuild()
AnyOf.model_rebuild()

ConditionNode = Comparison | AllOf | AnyOf


def format_value(value: Metric) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def render(conditions: list[ConditionNode]) -> str:
    """The conditions as one readable expression (the implicit top-level ``all``)."""
    text = " and ".join(str(c) for c in conditions)
    return text


def comparisons(conditions: list[ConditionNode]) -> Iterator[Comparison]:
    """Every comparison in the tree, depth first, in written order."""
    stack: list[ConditionNode] = list(reversed(conditions))
    while stack:
        item = stack.pop()
        if isinstance(item, Comparison):
            yield item
        else:
            children = item.all if isinstance(item, AllOf) else item.any
            stack.extend(reversed(children))


def holds(item: ConditionNode, metrics: Mapping[str, Metric], unmet: list[Comparison]) -> bool:
    """Evaluate ``item``; append every failing comparison on a deciding path to ``unmet``."""
    if isinstance(item, Comparison):
        actual = metrics.get(item.metric)
        if actual is None or (isinstance(actual, float) and math.isnan(actual)):
            unmet.append(item)
            return False
        ok = _OPS[item.op](float(actual), item.value)
        if not ok:
            unmet.append(item)
        return ok
    if isinstance(item, AllOf):
        results = [holds(c, metrics, unmet) for c in item.all]
        return all(results)
    local: list[Comparison] = []
    if any(holds(c, metrics, local) for c in item.any):
        return True
    unmet.extend(local)
    return False


def evaluate(
    conditions: list[ConditionNode], metrics: Mapping[str, Metric]
) -> tuple[bool, list[Comparison]]:
    """Whether every top-level condition holds, and the comparisons that did not."""
    unmet: list[Comparison] = []
    ok = all([holds(c, metrics, unmet) for c in conditions])
    return ok, unmet
