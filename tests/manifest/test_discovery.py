"""Finding the manifest as Git finds ``.git``: here or the nearest parent, never above the
repository root."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from dde_ci.manifest.discovery import find_manifest, find_repo_root


@settings(max_examples=40, deadline=None)
@given(
    depth=st.integers(min_value=0, max_value=5),
    repo_at=st.integers(min_value=0, max_value=5),
    manifests=st.sets(st.integers(min_value=-1, max_value=5), max_size=4),
)
def test_the_nearest_manifest_at_or_below_the_repository_root(
    depth: int, repo_at: int, manifests: set[int]
) -> None:
    """Folders 0..depth nest inside a base (-1); the repository root is folder repo_at
    (when it is on the way); a dde.yaml sits in each folder of ``manifests``."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        folders = [base / "/".join(f"d{i}" for i in range(n + 1)) for n in range(depth + 1)]
        folders[-1].mkdir(parents=True)
        at = {-1: base, **dict(enumerate(folders))}
        root = repo_at if repo_at <= depth else None
        if root is not None:
            (at[root] / ".git").mkdir()
        for n in manifests:
            if n in at:
                (at[n] / "dde.yaml").write_text("workflow: w\n")
        lowest = -1 if root is None else root
        found = [n for n in range(depth, lowest - 1, -1) if n in manifests]
        expected = str(at[found[0]] / "dde.yaml") if found else None
        assert find_manifest(str(folders[-1])) == expected
        if root is not None:
            assert find_repo_root(str(folders[-1])) == str(at[root])


def test_an_explicit_path_wins(tmp_path: Path) -> None:
    (tmp_path / "dde.yaml").write_text("workflow: w\n")
    assert find_manifest(os.fspath(tmp_path), "plan.yaml") == "plan.yaml"
    assert find_manifest(os.fspath(tmp_path)) == os.fspath(tmp_path / "dde.yaml")
