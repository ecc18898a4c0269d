"""The hand-written corpus: every spec pair's verdict and rule ids (tests/data/contracts/diff)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dde_ci.contracts.diff import diff_files

CORPUS = Path(__file__).resolve().parents[2] / "data" / "contracts" / "diff"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "expected.json").is_file())


def test_corpus_has_at_least_forty_pairs() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES)
def test_corpus_case(case: str) -> None:
    folder = CORPUS / case
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    base = next(folder.glob("base.*"))
    revision = next(folder.glob("revision.*"))
    result = diff_files(base, revision, contract_type=expected["type"], root=folder)
    assert sorted({c.id for c in result.changes}) == expected["ids"]
    assert result.breaking is expected["breaking"]
    if "kind" in expected:
        assert result.kind == expected["kind"]
    # reversing a pair never crashes and always yields a consistent verdict
    back = diff_files(revision, base, contract_type=expected["type"], root=folder)
    assert back.breaking == any(c.level == "error" for c in back.changes)


@pytest.mark.parametrize("case", CASES)
def test_diff_of_a_document_with_itself_is_empty(case: str) -> None:
    folder = CORPUS / case
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    base = next(folder.glob("base.*"))
    result = diff_files(base, base, contract_type=expected["type"], root=folder)
    assert result.changes == []
    assert result.kind == "none"
