"""Bypass with an ADR: accepted, refused (status, policy, expiry) and broken ADRs."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

from dde_ci.errors import InputError
from dde_ci.gates.bypass import check_bypass_adr, decide, front_matter_text, read_adr
from dde_ci.gates.definitions import BypassPolicy

TODAY = date(2026, 11, 27)


def adr(root: Path, name: str, front: str, body: str = "# Decision\n\nWhy.\n") -> Path:
    folder = root / "docs" / "adr"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("---\n" + textwrap.dedent(front) + "---\n" + body)
    return path


ACCEPTED = """\
status: accepted
date: 2026-11-20
decision-makers: [qa-lead]
bypass:
  - gate: coverage-80
    node: BE.*
    expires: 2026-12-31
"""


def test_accepted_adr_bypasses(tmp_path: Path) -> None:
    adr(tmp_path, "0007-lower-coverage.md", ACCEPTED)
    decision = decide(tmp_path, "coverage-80", "BE.Orders", BypassPolicy(), TODAY)
    assert decision is not None
    assert decision.granted
    assert decision.adr == "docs/adr/0007-lower-coverage.md"


def test_no_adr_means_no_bypass(tmp_path: Path) -> None:
    adr(tmp_path, "0007-lower-coverage.md", ACCEPTED)
    assert decide(tmp_path, "coverage-80", "FE.Checkout", BypassPolicy(), TODAY) is None
    assert decide(tmp_path, "tests-pass", "BE.Orders", BypassPolicy(), TODAY) is None
    assert decide(tmp_path / "elsewhere", "coverage-80", "BE.Orders", BypassPolicy()) is None


@pytest.mark.parametrize(
    ("front", "policy", "today", "reason"),
    [
        (
            ACCEPTED.replace("accepted", "proposed"),
            BypassPolicy(),
            TODAY,
            "status is 'proposed', not 'accepted'",
        ),
        (ACCEPTED, BypassPolicy(allowed=False), TODAY, "the gate's policy does not allow a bypass"),
        (ACCEPTED, BypassPolicy(), date(2027, 1, 1), "expired on 2026-12-31"),
        (
            ACCEPTED.replace("    expires: 2026-12-31\n", ""),
            BypassPolicy(require_expiry=True),
            TODAY,
            "the gate's policy requires an 'expires' date",
        ),
        (
            ACCEPTED,
            BypassPolicy(max_days=30),
            TODAY,
            "expires 41 days after 2026-11-20; the gate's policy allows at most 30",
        ),
    ],
)
def test_refused_bypasses_say_why(
    tmp_path: Path, front: str, policy: BypassPolicy, today: date, reason: str
) -> None:
    adr(tmp_path, "0007-lower-coverage.md", front)
    decision = decide(tmp_path, "coverage-80", "BE.Orders", policy, today)
    assert decision is not None
    assert not decision.granted
    assert decision.reason == f"bypass refused: docs/adr/0007-lower-coverage.md: {reason}"


def test_the_last_day_still_counts(tmp_path: Path) -> None:
    adr(tmp_path, "0007-lower-coverage.md", ACCEPTED)
    decision = decide(tmp_path, "coverage-80", "BE.Orders", BypassPolicy(), date(2026, 12, 31))
    assert decision is not None and decision.granted


def test_one_good_adr_among_refused_ones_wins(tmp_path: Path) -> None:
    adr(tmp_path, "0001-old.md", ACCEPTED.replace("2026-12-31", "2026-01-31"))
    adr(tmp_path, "0002-new.md", ACCEPTED)
    decision = decide(tmp_path, "coverage-80", "BE.Orders", BypassPolicy(), TODAY)
    assert decision is not None and decision.adr == "docs/adr/0002-new.md"


def test_broken_adrs_are_reported_not_trusted(tmp_path: Path) -> None:
    adr(tmp_path, "0003-broken.md", "status: accepted\nbypass:\n  - gate: x\n    nod: y\n")
    decision = decide(tmp_path, "x", "y", BypassPolicy(), TODAY)
    assert decision is not None and not decision.granted
    assert "docs/adr/0003-broken.md:5:5" in decision.reason
    with pytest.raises(InputError) as info:
        read_adr(tmp_path / "docs/adr/0003-broken.md", "0003-broken.md")
    assert str(info.value).startswith("0003-broken.md:4:5: bypass.0.node: Field required")


def test_front_matter_needs_both_fences() -> None:
    assert front_matter_text("---\na: 1\n---\n# T\n") == "---\na: 1\n"
    assert front_matter_text("# Title\n---\n") is None
    assert front_matter_text("---\na: 1\n") is None


def test_check_bypass_adr_for_the_audit(tmp_path: Path) -> None:
    path = adr(tmp_path, "0007-lower-coverage.md", ACCEPTED)
    assert check_bypass_adr(path, gate="coverage-80", node_id="BE.Orders", today=TODAY) is None
    assert check_bypass_adr(
        path, gate="coverage-80", node_id="BE.Orders", today=date(2027, 1, 1)
    ) == (f"ADR {path}: expired on 2026-12-31")
    assert check_bypass_adr(path, gate="tests-pass", node_id="BE.Orders", today=TODAY) == (
        f"ADR {path} does not list gate 'tests-pass' for node BE.Orders"
    )
