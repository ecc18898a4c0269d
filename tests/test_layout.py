"""Paths from manifests never leave the project."""

from __future__ import annotations

from pathlib import PurePosixPath

from hypothesis import given
from hypothesis import strategies as st

from dde_ci.layout import is_relative_inside


def reference(rel: str) -> bool:
    """The rule as PurePosixPath states it (what is_relative_inside does on the string)."""
    if not rel or "\0" in rel or "\\" in rel or rel.startswith("~"):
        return False
    pure = PurePosixPath(rel)
    return not pure.is_absolute() and ".." not in pure.parts


@given(st.text(alphabet="/.~a\\\0 ", max_size=12))
def test_the_string_rule_is_the_path_rule(rel: str) -> None:
    assert is_relative_inside(rel) == reference(rel)


def test_examples() -> None:
    for good in ("a", "a/b", "build/**/*.whl", "./a", "a/./b", "a..b", ".hidden"):
        assert is_relative_inside(good), good
    for bad in ("", "/etc", "//x", "../x", "a/../../x", "a/..", "~/x", "a\\b", "a\0"):
        assert not is_relative_inside(bad), bad
