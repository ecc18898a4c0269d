"""The oasdiff engine: mapping recorded oasdiff JSON, and an honest error when it is missing.

oasdiff is a Go binary that cannot be installed in this environment, so the
subprocess itself is not exercised here; the mapping is tested on output shaped
exactly like oasdiff's documented ``--format json`` (levels 3/2/1, baseSource /
revisionSource with file, line and column).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dde_ci.contracts.diff import DiffResult, diff_files
from dde_ci.contracts.diff.oasdiff import map_oasdiff_json, oasdiff_executable
from dde_ci.errors import ExternalError, InputError

RECORDED = json.loads(
    """
[
  {"id": "api-path-removed-without-deprecation", "text": "api path removed without deprecation",
   "level": 3, "operation": "GET", "operationId": "getOrder", "path": "/orders/{id}",
   "section": "paths", "baseSource": {"file": "base.yaml", "line": 12, "column": 5}},
  {"id": "response-property-enum-value-added",
   "text": "added the new 'refunded' enum value to the 'status' response property\
 for the response status '200'",
   "level": 2, "operation": "get", "path": "/orders", "section": "paths",
   "baseSource": {"file": "base.yaml", "line": 40, "column": 11},
   "revisionSource": {"file": "revision.yaml", "line": 41, "column": 11}},
  {"id": "endpoint-added", "text": "endpoint added", "level": 1, "operation": "POST",
   "path": "/customers", "section": "paths", "source": "revision.yaml"}
]
"""
)


def test_mapping_keeps_ids_levels_and_places() -> None:
    changes = map_oasdiff_json(RECORDED)
    assert [c.to_dict() for c in changes] == [
        {
            "id": "api-path-removed-without-deprecation",
            "level": "error",
            "message": "api path removed without deprecation",
            "path": "/orders/{id}",
            "operation": "GET",
            "location": "base.yaml:12:5",
        },
        {
            "id": "response-property-enum-value-added",
            "level": "warning",
            "message": "added the new 'refunded' enum value to the 'status' response property"
            " for the response status '200'",
            "path": "/orders",
            "operation": "GET",
            "location": "revision.yaml:41:11",
        },
        {
            "id": "endpoint-added",
            "level": "info",
            "message": "endpoint added",
            "path": "/customers",
            "operation": "POST",
            "location": None,
        },
    ]
    assert DiffResult("openapi", changes).breaking


def test_mapping_accepts_an_empty_run_and_the_wrapped_form() -> None:
    assert map_oasdiff_json([]) == []
    assert len(map_oasdiff_json({"changes": RECORDED[:1]})) == 1


def test_mapping_refuses_unexpected_output() -> None:
    with pytest.raises(ExternalError):
        map_oasdiff_json({"changes": "nope"})
    with pytest.raises(ExternalError, match="unknown level"):
        map_oasdiff_json([{"id": "x", "level": 7}])


def test_missing_executable_is_a_clear_input_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(InputError, match="needs the 'oasdiff' executable on PATH"):
        oasdiff_executable()
    spec = tmp_path / "a.yaml"
    spec.write_text("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n")
    with pytest.raises(InputError, match="--engine builtin"):
        diff_files(spec, spec, engine="oasdiff", root=tmp_path)
