"""Our own pairs for the oasdiff rules no oasdiff test pair asserts (``rule_pairs.py``).

The level expected is oasdiff's (the catalogue in tests/data/contracts/oasdiff/cases.json).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dde_ci.contracts.diff import DiffOptions, diff_contracts
from tests.contracts.diff.rule_pairs import RulePair, rule_pairs

CORPUS = Path(__file__).resolve().parents[2] / "data" / "contracts" / "oasdiff"
CATALOGUE: dict[str, str] = json.loads((CORPUS / "cases.json").read_text(encoding="utf-8"))["rules"]
PAIRS = rule_pairs(CATALOGUE)


@pytest.mark.parametrize("pair", PAIRS, ids=[p.rule for p in PAIRS])
def test_rule_pair(pair: RulePair) -> None:
    options = DiffOptions(**pair.options)
    result = diff_contracts("openapi", pair.base, pair.revision, options=options)
    found = {(c.id, c.level) for c in result.changes}
    assert (pair.rule, CATALOGUE[pair.rule]) in found, sorted(found)
