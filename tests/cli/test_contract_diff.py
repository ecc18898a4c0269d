"""``dde-ci contract diff``: formats, exit codes, bad input with path:line:col."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dde_ci.cli.main import main

CORPUS = Path(__file__).resolve().parents[1] / "data" / "contracts" / "diff"


def pair(case: str) -> list[str]:
    folder = CORPUS / case
    return [str(folder / "base.yaml"), str(folder / "revision.yaml"), "--root", str(folder)]


def test_json_output_and_fail_on_breaking(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["contract", "diff", *pair("response-property-became-optional"), "--format", "json"]
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["breaking"] is True
    assert [(c["id"], c["operation"], c["path"]) for c in data["changes"]] == [
        ("response-property-became-optional", "GET", "/orders"),
        ("response-property-became-optional", "POST", "/orders"),
        ("response-property-became-optional", "GET", "/orders/{id}"),
        ("api-version-not-bumped", None, None),  # oasdiff's versioning policy (info)
    ]
    change = data["changes"][0]
    assert set(change) == {"id", "level", "message", "path", "operation", "location"}
    assert change["message"] == (
        "the response property 'items/status' became optional for the status '200'"
    )
    # the place where the schema is written (components), reached through $ref
    assert change["location"].endswith("revision.yaml:112:11")
    assert main([*args, "--fail-on", "breaking"]) == 1


def test_not_breaking_passes_fail_on(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "contract",
        "diff",
        *pair("response-property-enum-value-added"),
        "--fail-on",
        "breaking",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "warning: [response-property-enum-value-added]" in out
    assert out.rstrip().endswith("(not breaking: a minor version)")


def test_markdown_and_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contract", "diff", *pair("path-removed"), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("### Contract diff (openapi)")
    assert "| 🔴 error | `api-path-removed-without-deprecation` | GET | /orders/{id} |" in out
    assert main(["contract", "diff", *pair("documentation-only")]) == 0
    assert capsys.readouterr().out.strip() == (
        "0 changes: 0 error, 0 warning, 0 info (documentation only: a patch version)"
    )


def test_type_inferred_for_graphql_and_given_for_json_schema(
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = CORPUS / "gql-field-removed"
    assert (
        main(
            [
                "contract",
                "diff",
                str(folder / "base.graphql"),
                str(folder / "revision.graphql"),
                "--fail-on",
                "breaking",
            ]
        )
        == 1
    )
    assert "[field-removed] Order.note" in capsys.readouterr().out
    assert (
        main(
            [
                "contract",
                "diff",
                *pair("js-enum-narrowed"),
                "--type",
                "jsonschema",
                "--format",
                "json",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["breaking"] is True


def test_bad_yaml_is_exit_2_with_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = CORPUS / "path-removed" / "base.yaml"
    bad = tmp_path / "bad.yaml"
    bad.write_text("openapi: 3.0.3\npaths:\n  /a: [\n")
    assert main(["contract", "diff", str(good), str(bad)]) == 2
    assert capsys.readouterr().err.startswith(f"{bad}:4:1: invalid YAML")


def test_remote_ref_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "api.yaml"
    spec.write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n"
        "      responses:\n        '200': {$ref: 'https://example.com/r.yaml'}\n"
    )
    assert main(["contract", "diff", str(spec), str(spec), "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{spec}:7:23: $ref 'https://example.com/r.yaml' points outside")


def test_missing_file_and_unknown_type(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contract", "diff", str(tmp_path / "x.yaml"), str(tmp_path / "y.yaml")]) == 2
    assert capsys.readouterr().err.strip() == f"{tmp_path / 'x.yaml'}: contract not found"
    plain = tmp_path / "p.yaml"
    plain.write_text("hello: world\n")
    assert main(["contract", "diff", str(plain), str(plain)]) == 2
    assert "cannot tell the contract type" in capsys.readouterr().err


def test_oasdiff_engine_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["contract", "diff", *pair("path-removed"), "--engine", "oasdiff"]) == 2
    assert "needs the 'oasdiff' executable on PATH" in capsys.readouterr().err


def test_github_annotations_and_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert main(["contract", "diff", *pair("required-response-header-removed")]) == 0
    out = capsys.readouterr().out
    assert "::error file=" in out and "title=required-response-header-removed::" in out
    assert "`required-response-header-removed`" in summary.read_text()


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contract", "diff", "--help"]) == 0
    assert "Examples:" in capsys.readouterr().out
