"""Safe YAML loading with positions."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dde_ci.errors import InputError
from dde_ci.yamlio import load_yaml_file, load_yaml_text


def test_positions_of_keys_and_values() -> None:
    doc = load_yaml_text("a:\n  b: [1, two]\n  c: {d: x}\n", "f.yaml")
    assert doc.data == {"a": {"b": [1, "two"], "c": {"d": "x"}}}
    assert str(doc.locate(("a", "b", 1))) == "f.yaml:2:10"
    assert str(doc.locate_key(("a", "c"))) == "f.yaml:3:3"
    assert str(doc.locate(("a", "c", "d"))) == "f.yaml:3:10"
    assert str(doc.locate(("a", "zzz", 4))) == "f.yaml:2:3"  # closest known parent


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("on", "on"),
        ("yes", "yes"),
        ("3.10", "3.10"),
        ("0755", "0755"),
        ("0o755", "0o755"),
        ("1_000", "1_000"),
        ("12", 12),
        ("-3", -3),
        ("true", True),
        ("False", False),
        ("~", None),
        ("null", None),
        ("'12'", "12"),
        ("!!str 12", "12"),
        ("!!int 12", 12),
        (".inf", ".inf"),
    ],
)
def test_scalars_do_not_change_meaning(text: str, value: object) -> None:
    assert load_yaml_text(f"k: {text}\n").data == {"k": value}


def test_aliases_within_bounds_are_fine() -> None:
    doc = load_yaml_text("base: &b {x: 1}\nother: *b\n")
    assert doc.data == {"base": {"x": 1}, "other": {"x": 1}}


def test_unknown_alias() -> None:
    with pytest.raises(InputError, match=r"unknown alias|found undefined alias"):
        load_yaml_text("a: *nope\n")


def test_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert load_yaml_file(path).data == {"a": 1}


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        load_yaml_file(tmp_path)


# YAML line breaks and control characters are not round-tripped by PyYAML's emitter itself.
_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x85\u2028\u2029"),
    max_size=20,
)
_JSON_LIKE = st.recursive(
    st.none() | st.booleans() | st.integers() | _TEXT,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(_TEXT.filter(bool), children, max_size=4)
    ),
    max_leaves=20,
)


@given(_JSON_LIKE)
def test_round_trip_of_json_like_data(value: object) -> None:
    """Whatever PyYAML dumps (strings quoted where needed) loads back unchanged."""
    import yaml

    text = yaml.safe_dump({"v": value}, allow_unicode=True)
    assert load_yaml_text(text).data == {"v": value}


def _paths(value: object, at: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    out = [at]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*at, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*at, i))
    return out


@given(_JSON_LIKE)
def test_every_value_has_a_position_inside_the_text(value: object) -> None:
    """Tracked or not, the same data; tracked, every value and key has a line and column."""
    import yaml

    text = yaml.safe_dump({"v": value}, allow_unicode=True)
    tracked = load_yaml_text(text, track=True)
    assert tracked.data == load_yaml_text(text).data
    lines = text.splitlines()
    for path in _paths(tracked.data):
        line, col = tracked.positions[path]
        assert 1 <= line <= len(lines) + 1 and col >= 1
        if path:
            assert ("\0key", *path) in tracked.positions or isinstance(path[-1], int)


def test_a_fifo_or_a_device_is_refused_not_read(tmp_path: Path) -> None:
    from tests.special import fifo_and_endless

    for path in fifo_and_endless(tmp_path / "dde.yaml", tmp_path / "gates.yaml"):
        with pytest.raises(InputError, match="is not a regular file"):
            load_yaml_file(path)
