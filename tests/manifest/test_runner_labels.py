"""Runner labels are written into ``runs-on:``: only label characters are accepted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dde_ci.errors import InputError
from dde_ci.manifest.loader import load_manifest


def _manifest(tmp_path: Path, labels: list[str]) -> Path:
    data = {
        "version": "1",
        "workflow": "w",
        "iteration": "It-1",
        "runners": [{"name": "r1", "labels": labels}],
        "nodes": [{"id": "A", "type": "implementation", "run": "true"}],
    }
    path = tmp_path / "dde.yaml"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("label", ["a: b", "x\ny", "linux\n", "with space", "'quoted'", ""])
def test_labels_that_would_break_the_workflow_are_refused(tmp_path: Path, label: str) -> None:
    with pytest.raises(InputError, match=r"runners\[0\]\.labels\[1\]"):
        load_manifest(_manifest(tmp_path, ["self-hosted", label]))


def test_ordinary_labels(tmp_path: Path) -> None:
    manifest = load_manifest(_manifest(tmp_path, ["self-hosted", "linux", "x64", "ubuntu-24.04"]))
    assert manifest.runners[0].labels[-1] == "ubuntu-24.04"


@pytest.mark.parametrize(
    ("where", "said"),
    [
        ({"settings": {"default_runs_on": ["linux", "a: b"]}}, r"settings\.default_runs_on\[1\]"),
        ({"github": {"runs_on": ["x\ny"]}}, r"github\.runs_on\[0\]"),
    ],
)
def test_every_runs_on_takes_labels_only(
    tmp_path: Path, where: dict[str, object], said: str
) -> None:
    path = _manifest(tmp_path, ["self-hosted"])
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, **where}))
    with pytest.raises(InputError, match=said):
        load_manifest(path)


def test_a_nodes_runs_on_takes_labels_only(tmp_path: Path) -> None:
    path = _manifest(tmp_path, ["self-hosted"])
    data = json.loads(path.read_text())
    data["nodes"][0]["runs_on"] = ["linux", "'x'"]
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"runs_on\[1\]"):
        load_manifest(path)
