"""``contract diff --format markdown|githubactions``; ignore files on ``diff`` and ``lock``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from dde_ci.cli.main import main
from tests.contracts.contract_project import make_project, openapi, write_openapi

CORPUS = Path(__file__).resolve().parents[1] / "data" / "contracts" / "diff"
Capsys = pytest.CaptureFixture[str]
ACCEPTED = "---\nstatus: accepted\ndate: 2026-12-01\n---\n# Retire GET /orders/{id}\n"


def _pair(tmp_path: Path, case: str = "path-removed", folder: str = "api") -> list[str]:
    """A corpus pair copied into ``tmp_path/folder`` (a project root with dde.yaml)."""
    (tmp_path / "dde.yaml").write_text("version: '1'\n")
    target = tmp_path / folder
    shutil.copytree(CORPUS / case, target)
    return [str(target / "base.yaml"), str(target / "revision.yaml"), "--root", str(tmp_path)]


def _run(capsys: Capsys, *args: str) -> tuple[int, str, str]:
    code = main(["contract", "diff", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_markdown_is_a_changelog_grouped_by_level_and_operation(
    tmp_path: Path, capsys: Capsys
) -> None:
    code, out, _ = _run(
        capsys, *_pair(tmp_path, "parameter-enum-value-removed"), "--format", "markdown"
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "### Contract diff (openapi)"
    assert lines[2].startswith("**") and " 1 error, " in lines[2]
    assert "#### 🔴 Breaking changes (error): 1" in lines
    heading = lines.index("##### `GET /orders`")
    assert lines[heading + 2].startswith("- ") and "(`" in lines[heading + 2]


def test_githubactions_prints_one_escaped_command_per_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys
) -> None:
    outputs = tmp_path / "outputs.txt"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    args = _pair(tmp_path, folder="v1,v2:api")
    code, out, _ = _run(capsys, *args, "--format", "githubactions", "--fail-on", "breaking")
    assert code == 1
    base = str(tmp_path / "v1,v2:api" / "base.yaml").replace(":", "%3A").replace(",", "%2C")
    text = Path(args[0]).read_text().splitlines()
    # the place of a removed operation is its first line inside the base file
    get = text.index("    get:", text.index("  /orders/{id}:")) + 2
    delete = text.index("    delete:", get) + 2
    assert out.splitlines()[:2] == [
        f"::error file={base},line={delete},col=7,title=api-path-removed-without-deprecation"
        "::in API DELETE /orders/{id} api path removed without deprecation",
        f"::error file={base},line={get},col=7,title=api-path-removed-without-deprecation"
        "::in API GET /orders/{id} api path removed without deprecation",
    ]
    notices = out.count("::notice ")
    assert out.count("::error ") == 2 and out.count("::warning ") == 0
    assert outputs.read_text().splitlines() == [
        "error_count=2",
        "warning_count=0",
        f"info_count={notices}",
    ]


def test_githubactions_escapes_percent_in_messages(tmp_path: Path, capsys: Capsys) -> None:
    args = _pair(tmp_path)
    for side in args[:2]:
        spec = yaml.safe_load(Path(side).read_text())
        spec["paths"] = {
            k.replace("/orders/{id}", "/orders/{id}/100%"): v for k, v in spec["paths"].items()
        }
        Path(side).write_text(yaml.safe_dump(spec))
    code, out, _ = _run(capsys, *args, "--format", "githubactions")
    assert code == 0 and out.count("::error ") == 2
    assert "::in API GET /orders/{id}/100%25 api path removed" in out


def test_githubactions_escapes_cr_and_lf_in_messages(tmp_path: Path, capsys: Capsys) -> None:
    args = _pair(tmp_path, "parameter-enum-value-removed")
    base = Path(args[0])
    base.write_text(base.read_text().replace("- shipped", '- "ship\\r\\nped 100%"', 1))
    code, out, _ = _run(capsys, *args, "--format", "githubactions")
    assert code == 0
    line = out.splitlines()[0]
    assert line.startswith("::error ") and "\r" not in out
    assert "%0D" in line or "\\r" in line  # how the rule quotes a CR is the rule's
    assert "%0Aped 100%25' from the query request parameter 'status'" in line


def test_err_ignore_accepts_breaking_changes_with_a_reason(tmp_path: Path, capsys: Capsys) -> None:
    args = _pair(tmp_path)
    (tmp_path / "docs/adr").mkdir(parents=True)
    (tmp_path / "docs/adr/0007-retire.md").write_text(ACCEPTED)
    ignore = tmp_path / "breaking-ignore.txt"
    ignore.write_text(
        "GET /orders/{id} api path removed without deprecation adr: docs/adr/0007-retire.md\n"
        "DELETE /orders/{id} api path removed without deprecation expires: 2999-12-31\n"
    )
    code, out, _ = _run(
        capsys, *args, "--err-ignore", str(ignore), "--fail-on", "breaking", "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    assert data["breaking"] is False
    assert [c for c in data["changes"] if c["level"] == "error"] == []
    assert [
        (i["operation"], i["ignored_by"]["line"], i["ignored_by"]["adr"]) for i in data["ignored"]
    ] == [("DELETE", 2, None), ("GET", 1, "docs/adr/0007-retire.md")]
    code, out, _ = _run(capsys, *args, "--err-ignore", str(ignore), "--format", "markdown")
    assert "#### Accepted by an ignore file: 2" in out
    assert "ignored by `breaking-ignore.txt:1:1` (ADR docs/adr/0007-retire.md)" in out
    code, out, _ = _run(capsys, *args, "--err-ignore", str(ignore))
    assert "ignored by breaking-ignore.txt:2:1 (until 2999-12-31): [api-path-removed" in out
    # the same file as --warn-ignore ignores no error
    code, out, _ = _run(capsys, *args, "--warn-ignore", str(ignore), "--fail-on", "breaking")
    assert code == 1


def test_an_expired_or_unjustified_ignore_is_bad_input(tmp_path: Path, capsys: Capsys) -> None:
    args = _pair(tmp_path)
    ignore = tmp_path / "breaking-ignore.txt"
    ignore.write_text(
        "GET /orders/{id} api path removed without deprecation expires: 2020-01-01\n"
        "DELETE /orders/{id} api path removed without deprecation\n"
    )
    code, out, err = _run(capsys, *args, "--err-ignore", str(ignore))
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "breaking-ignore.txt:1:64: ignore expired on 2020-01-01: fix the change, or extend the "
        "date with a reason",
        "breaking-ignore.txt:2:1: ignore without a reason: add 'adr: docs/adr/NNNN-title.md' (an "
        "accepted ADR) or 'expires: YYYY-MM-DD' to the line",
    ]


def _lock(manifest: Path, capsys: Capsys, *extra: str) -> dict[str, Any]:
    args = ["contract", "lock", "orders-api", "-m", str(manifest), "--iteration", "It-1"]
    assert main([*args, "--format", "json", *extra]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def test_lock_uses_the_manifests_err_ignore(tmp_path: Path, capsys: Capsys) -> None:
    manifest = make_project(tmp_path)
    text = manifest.read_text().replace(
        "path: contracts/orders-api.yaml}",
        "path: contracts/orders-api.yaml, err_ignore: contracts/orders-api.err-ignore}",
    )
    manifest.write_text(text)
    ignore = tmp_path / "contracts" / "orders-api.err-ignore"
    ignore.write_text("# nothing accepted yet\n")
    assert _lock(manifest, capsys)["version"] == "1.0.0"
    spec = openapi()
    del spec["paths"]["/orders/{orderId}"]
    write_openapi(tmp_path, spec)
    ignore.write_text(
        "GET /orders/{orderId} api path removed without deprecation expires: 2999-01-01\n"
    )
    locked = _lock(manifest, capsys)
    assert (locked["version"], locked["kind"], locked["breaking_changes"]) == (
        "1.1.0",
        "additive",
        [],
    )
    assert [c["ignored_by"]["file"] for c in locked["ignored"]] == [
        "contracts/orders-api.err-ignore"
    ]


def test_lock_err_ignore_option_and_its_errors(tmp_path: Path, capsys: Capsys) -> None:
    manifest = make_project(tmp_path)
    _lock(manifest, capsys)
    spec = openapi()
    del spec["paths"]["/orders/{orderId}"]
    write_openapi(tmp_path, spec)
    ignore = tmp_path / "accepted.txt"
    ignore.write_text("GET /orders/{orderId} api path removed without deprecation\n")
    args = ["contract", "lock", "orders-api", "-m", str(manifest), "--iteration", "It-1"]
    assert main([*args, "--err-ignore", str(ignore)]) == 2
    assert "accepted.txt:1:1: ignore without a reason" in capsys.readouterr().err
    ignore.write_text(ignore.read_text().strip() + " expires: 2999-01-01\n")
    assert main([*args, "--err-ignore", str(ignore)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("locked orders-api 1.1.0 (additive since 1.0.0)")
    assert (
        "  ignored error: api path removed without deprecation "
        "[api-path-removed-without-deprecation] by accepted.txt:1" in out
    )


def test_help_shows_the_new_formats_and_options(capsys: Capsys) -> None:
    assert main(["contract", "diff", "--help"]) == 0
    out = capsys.readouterr().out
    assert "githubactions" in out and "--err-ignore FILE" in out and "--warn-ignore FILE" in out
    assert main(["contract", "lock", "--help"]) == 0
    assert "--err-ignore FILE" in capsys.readouterr().out


def test_json_stays_json_under_github_actions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    args = _pair(tmp_path)
    code, out, _ = _run(capsys, *args, "--format", "json")
    assert code == 0 and json.loads(out)["breaking"] is True
    assert not (tmp_path / "summary.md").exists()
    code, out, _ = _run(capsys, *args, "--format", "markdown")
    assert out.count("\n::error file=") == 2
    assert "#### 🔴 Breaking changes (error): 2" in (tmp_path / "summary.md").read_text()
