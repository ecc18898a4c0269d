"""``dde_ci.files``: JSON written whole, or not at all."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from dde_ci.files import write_json_atomic


@pytest.mark.parametrize("durable", [False, True])
def test_writes_indented_utf8_json_and_replaces(tmp_path: Path, durable: bool) -> None:
    target = tmp_path / "a" / "b.json"
    write_json_atomic(target, {"name": "Bestellung ü"}, durable=durable)
    assert target.read_text("utf-8") == '{\n  "name": "Bestellung ü"\n}\n'
    write_json_atomic(target, [1, 2], durable=durable)
    assert json.loads(target.read_text("utf-8")) == [1, 2]
    assert [p.name for p in target.parent.iterdir()] == ["b.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "c.json"
    write_json_atomic(target, {"v": 1})
    with pytest.raises(ValueError):
        write_json_atomic(target, {"v": math.nan})
    blocked = tmp_path / "d.json"
    blocked.mkdir()  # the rename onto a folder fails after the temporary file exists
    with pytest.raises(OSError):
        write_json_atomic(blocked, {"v": 2})
    assert json.loads(target.read_text()) == {"v": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json", "d.json"]
