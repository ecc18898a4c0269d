"""Conditions: text and mapping forms, thresholds at the boundary, nested all / any."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from dde_ci.gates.conditions import (
    AllOf,
    AnyOf,
    Comparison,
    Condition,
    ConditionNode,
    comparisons,
    evaluate,
    render,
)

ADAPTER: TypeAdapter[list[ConditionNode]] = TypeAdapter(list[Condition])


def parse(*items: object) -> list[ConditionNode]:
    return ADAPTER.validate_python(list(items))


def test_text_and_mapping_forms_are_the_same() -> None:
    a = parse("line_rate >= 0.8")
    b = parse({"metric": "line_rate", "op": ">=", "value": "0.8"})
    assert a == b == [Comparison(metric="line_rate", op=">=", value=0.8)]


def test_percentages_and_booleans() -> None:
    assert parse("line_rate >= 80%")[0] == Comparison(metric="line_rate", op=">=", value=0.8)
    assert parse({"metric": "ok", "op": "==", "value": True})[0].value == 1.0  # type: ignore[union-attr]
    assert parse("ok == false")[0].value == 0.0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("op", "at", "below", "above"),
    [
        (">=", True, False, True),
        (">", False, False, True),
        ("<=", True, True, False),
        ("<", False, True, False),
        ("==", True, False, False),
        ("!=", False, True, True),
    ],
)
def test_every_operator_at_and_around_the_threshold(
    op: str, at: bool, below: bool, above: bool
) -> None:
    conditions = parse(f"line_rate {op} 0.8")
    assert evaluate(conditions, {"line_rate": 0.8})[0] is at
    assert evaluate(conditions, {"line_rate": 0.7999999})[0] is below
    assert evaluate(conditions, {"line_rate": 0.8000001})[0] is above


def test_a_missing_metric_never_holds() -> None:
    ok, unmet = evaluate(parse("failed == 0"), {})
    assert not ok
    assert [str(u) for u in unmet] == ["failed == 0"]
    assert evaluate(parse("failed == 0"), {"failed": None})[0] is False


def test_nested_all_and_any() -> None:
    conditions = parse(
        "total > 0",
        {"any": ["line_rate >= 0.8", {"all": ["line_rate >= 0.7", "branch_rate >= 0.9"]}]},
    )
    assert isinstance(conditions[1], AnyOf)
    assert isinstance(conditions[1].any[1], AllOf)
    metrics = {"total": 3, "line_rate": 0.75, "branch_rate": 0.95}
    assert evaluate(conditions, metrics) == (True, [])
    ok, unmet = evaluate(conditions, {**metrics, "branch_rate": 0.5})
    assert not ok
    assert [str(u) for u in unmet] == ["line_rate >= 0.8", "branch_rate >= 0.9"]
    ok, unmet = evaluate(conditions, {**metrics, "total": 0})
    assert [str(u) for u in unmet] == ["total > 0"]
    assert render(conditions) == (
        "total > 0 and (line_rate >= 0.8 or (line_rate >= 0.7 and branch_rate >= 0.9))"
    )
    assert [c.metric for c in comparisons(conditions)] == [
        "total",
        "line_rate",
        "line_rate",
        "branch_rate",
    ]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("line_rate >> 1", "is not 'metric op value'"),
        ("line_rate >= lots", "Input should be a valid number"),
        ({"metric": "x", "op": "=", "value": 1}, "Input should be '>='"),
        ({"all": []}, "at least 1 item"),
        ("x >= 5 %", "is not 'metric op value'"),
    ],
)
def test_bad_conditions_are_refused(bad: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse(bad)


@given(
    value=st.floats(allow_nan=False, allow_infinity=False, width=32),
    threshold=st.floats(allow_nan=False, allow_infinity=False, width=32),
)
def test_comparison_agrees_with_python(value: float, threshold: float) -> None:
    for op, fn in {
        ">=": float.__ge__,
        "<": float.__lt__,
        "==": float.__eq__,
    }.items():
        item = Comparison(metric="m", op=op, value=threshold)  # type: ignore[arg-type]
        assert evaluate([item], {"m": value})[0] is fn(float(value), float(threshold))


@given(st.lists(st.booleans(), min_size=1, max_size=6))
def test_all_and_any_match_python(flags: list[bool]) -> None:
    items: list[object] = [f"m{i} == 1" for i in range(len(flags))]
    metrics = {f"m{i}": 1 if f else 0 for i, f in enumerate(flags)}
    assert evaluate(parse({"all": items}), metrics)[0] is all(flags)
    assert evaluate(parse({"any": items}), metrics)[0] is any(flags)
