"""Iteration ids from templates: the next free sequence here, the run number on GitHub."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from dde_ci.manifest.iteration import render_template, resolve_iteration

STARTER = "Iter-{date:%Y%m%d}-{seq:03}"  # dde_ci/resources/starter/dde.yaml
NOW = datetime(2026, 12, 7, 3, 4, tzinfo=UTC)


def test_here_seq_is_the_next_free_sequence(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    assert render_template(STARTER, reports, NOW) == "Iter-20261207-001"
    (reports / "Iter-20261207-001").mkdir(parents=True)
    assert render_template(STARTER, reports, NOW) == "Iter-20261207-002"


def test_on_github_seq_is_the_run_number_not_the_empty_checkouts_001(tmp_path: Path) -> None:
    reports = tmp_path / "reports"  # a fresh checkout: nothing to count
    first = render_template(STARTER, reports, NOW, run_number=41)
    second = render_template(STARTER, reports, NOW, run_number=42)
    assert (first, second) == ("Iter-20261207-041", "Iter-20261207-042")
    assert render_template("Iter-{seq}", reports, NOW, run_number=1234) == "Iter-1234"


@given(st.lists(st.integers(min_value=1, max_value=10**9), min_size=2, max_size=20, unique=True))
def test_every_run_number_gives_its_own_id(run_numbers: list[int]) -> None:
    reports = Path("/nonexistent/reports")
    ids = {render_template(STARTER, reports, NOW, run_number=n) for n in run_numbers}
    assert len(ids) == len(run_numbers)


def test_the_run_number_stands_only_for_seq(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    assert resolve_iteration("Fixed-1", reports, run_number=7) == "Fixed-1"
    assert resolve_iteration(STARTER, reports, option="Given", run_number=7) == "Given"
    assert resolve_iteration("Iter-{seq}", reports, run_number=7) == "Iter-7"
