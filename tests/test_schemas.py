"""Every id pattern is a full match: in the code and in the published JSON Schemas."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from dde_ci.contracts.registry import read_lockfile
from dde_ci.errors import InputError
from dde_ci.layout import Layout
from dde_ci.schemas import FULL_MATCH_END, SCHEMAS, schema
from tests.conftest import run_cli

PACKAGE = Path(__file__).resolve().parents[1] / "dde_ci"


def _patterns(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if isinstance(value.get("pattern"), str):
            yield value["pattern"]
        for item in value.values():
            yield from _patterns(item)
    elif isinstance(value, list):
        for item in value:
            yield from _patterns(item)


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_schema_patterns_anchored_at_the_end_are_full_matches(name: str) -> None:
    anchored = [p for p in _patterns(schema(name)) if p.endswith("$")]
    assert anchored or name in ("audit",)
    for pattern in anchored:
        assert pattern.endswith(FULL_MATCH_END), pattern
        if not pattern.endswith("\\s*" + FULL_MATCH_END):  # spaces at the end are allowed
            # Python's re (the jsonschema library) and ECMA-262 both end it at the end
            assert not re.search(pattern, _sample(pattern) + "\n")


def _sample(pattern: str) -> str:
    """A string some of our id patterns match (the rest: whatever, it must fail with \\n)."""
    for sample in ("It-1", "A", "2.0.0", "sha256:" + "0" * 64, "0" * 64, "node.started", "a"):
        if re.search(pattern, sample):
            return sample
    return "a"


def test_ids_with_a_trailing_newline_fail_the_schemas() -> None:
    lock = {
        "lockfile_version": 1,
        "contracts": {
            "orders": {
                "domain": "shop",
                "type": "openapi",
                "version": "2.0.0",
                "digest": "sha256:" + "0" * 64,
                "locked_at": "2026-12-07T00:00:00Z",
            }
        },
    }
    validator = jsonschema.Draft202012Validator(schema("contracts-lock"))
    assert validator.is_valid(lock)
    for field in ("version", "domain", "digest"):
        bad = json.loads(json.dumps(lock))
        bad["contracts"]["orders"][field] += "\n"
        assert not validator.is_valid(bad), field
    bad = json.loads(json.dumps(lock))
    bad["contracts"]["orders\n"] = bad["contracts"].pop("orders")
    assert not validator.is_valid(bad)


def test_a_lock_file_version_with_a_newline_is_refused(tmp_path: Path) -> None:
    lock = {
        "lockfile_version": 1,
        "contracts": {
            "orders": {
                "domain": "shop",
                "type": "openapi",
                "version": "2.0.0\n",
                "digest": "sha256:" + "0" * 64,
                "locked_at": "2026-12-07T00:00:00Z",
            }
        },
    }
    layout = Layout(tmp_path)
    layout.contracts_lock.write_text(json.dumps(lock))
    with pytest.raises(InputError, match=r"/contracts/orders/version"):
        read_lockfile(layout)


def test_no_end_anchored_regex_in_the_code_ends_with_a_bare_dollar() -> None:
    """``$`` also matches before a final newline: ids are matched with ``\\Z`` (or a
    fullmatch); multi-line patterns (``re.M``) and pydantic ``Field`` patterns (Rust's
    regex, where ``$`` is the end of the text) are the exceptions."""
    found = subprocess.run(
        ["grep", "-rnE", r"re2?\.compile\((r|f)?\"[^\"]*\$\"", str(PACKAGE), "--include=*.py"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()
    bare = [line for line in found if "re.M" not in line and "contracts/diff" not in line]
    assert bare == [] or all("hooks/patterns.py" in line for line in bare), bare


def test_run_refuses_an_iteration_with_a_newline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "dde.yaml").write_text(
        'version: "1"\nworkflow: w\niteration: It-0\nnodes:\n'
        '  - {id: A, type: implementation, run: "true"}\n'
    )
    assert run_cli("run", "-m", str(tmp_path / "dde.yaml"), "--iteration", "It-1\n") == 2
    assert "iteration id 'It-1\\n' is not valid" in capsys.readouterr().err
    assert not (tmp_path / "reports").exists()


def test_iteration_refuses_dde_iteration_with_a_newline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "dde.yaml").write_text(
        'version: "1"\nworkflow: w\niteration: It-0\nnodes:\n'
        '  - {id: A, type: implementation, run: "true"}\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DDE_ITERATION", "It-2\n")
    assert run_cli("iteration") == 2
    assert "iteration id 'It-2\\n' is not valid" in capsys.readouterr().err


@pytest.mark.parametrize(("version", "valid"), [("2.0.0", True), ("2.0.0\n", False)])
def test_the_patterns_hold_in_ecma_regex_too(tmp_path: Path, version: str, valid: bool) -> None:
    """check-jsonschema reads patterns as ECMA-262 (as editors do), where ``\\Z`` means 'Z'."""
    import shutil
    import sys

    lock = {
        "lockfile_version": 1,
        "contracts": {
            "orders": {
                "domain": "shop",
                "type": "openapi",
                "version": version,
                "digest": "sha256:" + "0" * 64,
                "locked_at": "2026-12-07T00:00:00Z",
            }
        },
    }
    (tmp_path / "lock.json").write_text(json.dumps(lock))
    (tmp_path / "schema.json").write_text(json.dumps(schema("contracts-lock")))
    tool = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    assert tool is not None
    done = subprocess.run(
        [tool, "--schemafile", str(tmp_path / "schema.json"), str(tmp_path / "lock.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode == 0) is valid, done.stdout + done.stderr
