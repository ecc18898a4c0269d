"""Override ADRs: only an accepted ADR naming the iteration and approvers lets a FAIL through."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dde_ci.audit.override import load_override
from dde_ci.errors import InputError

TODAY = date(2026, 11, 28)


def write(tmp_path: Path, front: str, title: str = "Ship it anyway") -> Path:
    path = tmp_path / "0007-override.md"
    path.write_text(f"---\n{front}---\n\n# {title}\n\n## Context\n\nText.\n", encoding="utf-8")
    return path


def test_an_accepted_override_names_its_approvers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "status: accepted\ndate: 2026-11-27\naudit_override:\n"
        "  iteration: Iter-T-001\n  approvers: [Alice Moreau, Bo Chen]\n  expires: 2026-12-04\n",
    )
    override = load_override(path, "Iter-T-001", today=TODAY)
    assert override.title == "Ship it anyway"
    assert override.approvers == ["Alice Moreau", "Bo Chen"]
    assert (override.date, override.expires, override.applied) == (
        "2026-11-27",
        "2026-12-04",
        False,
    )


def test_approvers_fall_back_to_madr_deciders(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "status: Accepted\ndeciders: Alice, Bo\naudit_override:\n  iterations: [A-1, Iter-T-001]\n",
    )
    assert load_override(path, "Iter-T-001", today=TODAY).approvers == ["Alice", "Bo"]


@pytest.mark.parametrize(
    ("front", "message"),
    [
        (
            "status: proposed\naudit_override: {iteration: Iter-T-001, approvers: [a]}\n",
            "0007-override.md:2:9: override ADR status is 'proposed', it must be 'accepted'",
        ),
        (
            "status: accepted\naudit_override: {iteration: Iter-X, approvers: [a]}\n",
            "0007-override.md:3:29: override ADR names iteration(s) Iter-X, not 'Iter-T-001'",
        ),
        (
            "status: accepted\naudit_override: {iteration: Iter-T-001}\n",
            "0007-override.md:3:17: override ADR names no approvers",
        ),
        (
            "status: accepted\naudit_override:\n  iteration: Iter-T-001\n  approvers: [a]\n"
            "  expires: 2026-11-01\n",
            "0007-override.md:6:12: override ADR expired on 2026-11-01",
        ),
        (
            "status: accepted\naudit_override:\n  iteration: Iter-T-001\n  approvers: [a]\n"
            "  expires: soon\n",
            "0007-override.md:6:12: override ADR expiry 'soon' is not a date",
        ),
        ("status: accepted\n", "0007-override.md:2:1: override ADR has no 'audit_override'"),
    ],
)
def test_an_override_that_does_not_apply_is_refused_with_its_place(
    tmp_path: Path, front: str, message: str
) -> None:
    path = write(tmp_path, front)
    with pytest.raises(InputError) as info:
        load_override(path, "Iter-T-001", today=TODAY)
    assert str(info.value).startswith(f"{tmp_path}/{message}")


def test_an_adr_without_front_matter_or_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plain.md"
    path.write_text("# Just prose\n")
    with pytest.raises(InputError, match="ADR has no YAML front matter"):
        load_override(path, "Iter-T-001")
    with pytest.raises(InputError, match="ADR not found"):
        load_override(tmp_path / "none.md", "Iter-T-001")
