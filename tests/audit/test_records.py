"""Record readers: never raise, refuse what is not a regular file, match globs like stamping."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dde_ci.audit.records import _match_segments, _segments, matches, read_record, sha256_file
from tests.special import fifo_and_endless


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("build/db/shop.sql", "build/db/shop.sql", True),
        ("build/db/*.sql", "build/db/shop.sql", True),
        ("build/db/*.sql", "build/db/x/shop.sql", False),
        ("build/backend/**", "build/backend/a/b/c.py", True),
        ("build/backend", "build/backend/app.py", True),  # a folder takes every file below
        ("build/backend", "build/backend2/app.py", False),
        ("**/*.xml", "reports/backend/junit.xml", True),
        ("reports/**/junit.xml", "reports/junit.xml", True),
        ("build/release/*", "build/release/bundle.tar.gz", True),
        ("build/frontend/[ch]*.html", "build/frontend/history.html", True),
        ("build/frontend/[!ch]*.html", "build/frontend/history.html", False),
        ("./contracts/orders-api.yaml", "contracts/orders-api.yaml", True),
        ("contracts/orders-api.yaml", "contracts/orders-api.yml", False),
    ],
)
def test_matches_reads_globs_like_the_stamping_step(
    pattern: str, name: str, expected: bool
) -> None:
    assert matches(pattern, name) is expected


_PARTS = st.sampled_from(["a", "b", "x.txt", "*", "*.txt", "?", "[ab]", "**", ".", "", ".."])


@settings(max_examples=600)
@given(
    parts=st.lists(_PARTS, min_size=1, max_size=4),
    other=st.lists(_PARTS, min_size=1, max_size=4),
    same_folder=st.booleans(),
)
def test_matches_fast_paths_agree_with_the_segment_matcher(
    parts: list[str], other: list[str], same_folder: bool
) -> None:
    """The exact-path and plain-folder shortcuts never say what the general one would not
    (names are often the pattern's own folder and another last part, where they apply)."""
    pattern = "/".join(parts)
    name = "/".join([*parts[:-1], other[-1]] if same_folder else other)
    general = _match_segments(_segments(pattern), name.removeprefix("./").split("/"), 0, 0)
    assert matches(pattern, name) is (general or pattern == name)


def test_read_record_reports_instead_of_raising(tmp_path: Path) -> None:
    assert read_record(tmp_path / "none.json").missing
    (tmp_path / "bad.json").write_text('{"a": NaN}')
    assert "is not valid JSON: NaN is not valid JSON" in str(
        read_record(tmp_path / "bad.json").problem
    )
    (tmp_path / "list.json").write_text("[1]")
    assert read_record(tmp_path / "list.json").problem == "holds a JSON list, expected an object"
    assert read_record(tmp_path).problem == "is a directory, expected a JSON file"
    (tmp_path / "ok.json").write_text('{"a": 1}')
    assert read_record(str(tmp_path / "ok.json")).data == {"a": 1}


def test_sha256_file_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    data = tmp_path / "a.bin"
    data.write_bytes(b"abc")
    assert sha256_file(data) == hashlib.sha256(b"abc").hexdigest()
    for path in fifo_and_endless(tmp_path / "fifo", tmp_path / "zero"):
        assert sha256_file(path) is None  # would block or never end if read
    assert sha256_file(tmp_path / "none") is None


def test_read_record_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    """A FIFO or a device where a record belongs gets a verdict, not a hang."""
    for path in fifo_and_endless(tmp_path / "result.json", tmp_path / "gates.json"):
        assert read_record(path).problem == "is not a regular file, expected a JSON file"
