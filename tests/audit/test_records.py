"""Record readers: never raise, refuse what is not a regular file, match globs like stamping."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from dde_ci.audit.records import matches, read_record, sha256_file


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
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert sha256_file(fifo) is None  # would block forever if read
    link = tmp_path / "zero"
    link.symlink_to("/dev/zero")
    assert sha256_file(link) is None  # would never end if read
    assert sha256_file(tmp_path / "none") is None


def test_read_record_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    """A FIFO or a device where a record belongs gets a verdict, not a hang."""
    fifo = tmp_path / "result.json"
    os.mkfifo(fifo)  # opening it to read would wait for a writer
    assert read_record(fifo).problem == "is not a regular file, expected a JSON file"
    zero = tmp_path / "gates.json"
    zero.symlink_to("/dev/zero")  # reading it would never end
    assert read_record(zero).problem == "is not a regular file, expected a JSON file"
