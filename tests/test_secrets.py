"""One definition of secrets; no secret reaches a file under reports/ or .dde/."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dde_ci.log import env_secrets
from dde_ci.node import node_secrets
from dde_ci.secrets import (
    MIN_SECRET_LENGTH,
    WITHHELD_ENV,
    is_secret_name,
    redact_file,
    secret_values,
    withheld_environment,
)
from tests.conftest import run_cli


@pytest.mark.parametrize(
    "name",
    [
        "GITHUB_TOKEN",
        "NPM_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "DB_PASSWORD",
        "DB_PASSWD",
        "API_KEY",
        "APIKEY",
        "SSH_KEY",
        "SIGNING_KEYS",
        "GCP_CREDENTIALS",
        "PRIVATE_PEM",
        "DDE_WEBHOOK_SECRET",
    ],
)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)
    assert is_secret_name(name.lower())


@pytest.mark.parametrize("name", ["HOME", "PATH", "MONKEY_BUSINESS", "KEYBOARD", "GREETING"])
def test_names_that_are_not_secret(name: str) -> None:
    assert not is_secret_name(name)


@pytest.mark.parametrize(
    "env",
    [
        {"SSH_KEY": "abcdefghij"},  # the log did not know a KEY part
        {"DEPLOY_TOKEN": "abcde"},  # node.py hid 4 characters, the log 8
        {"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG"},
        {"MONKEY_BUSINESS": "bananas-and-more"},
    ],
)
def test_the_log_and_the_node_step_agree_on_what_is_secret(env: dict[str, str]) -> None:
    assert env_secrets(env) == node_secrets(env)


def test_short_values_are_not_secrets() -> None:
    short = "x" * (MIN_SECRET_LENGTH - 1)
    assert node_secrets({"A_TOKEN": short, "B_TOKEN": short + "y"}) == [short + "y"]


def test_the_withheld_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_0123456789abcdefghij")
    monkeypatch.setenv("NPM_TOKEN", "npm-token-value")
    env = withheld_environment()
    assert not WITHHELD_ENV & env.keys()
    assert env["NPM_TOKEN"] == "npm-token-value"  # a node's own credentials are its to use


def test_redact_file_rewrites_only_a_file_with_a_secret(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    path.write_bytes(b"one\ntwo s3cr3t-value \xff\nthree")
    path.chmod(0o640)
    assert redact_file(path, secret_values(["s3cr3t-value"]))
    assert path.read_bytes() == b"one\ntwo *** \xff\nthree"
    assert path.stat().st_mode & 0o777 == 0o640
    before = path.stat().st_ino
    assert not redact_file(path, secret_values(["s3cr3t-value"]))
    assert path.stat().st_ino == before  # nothing to hide: not rewritten
    assert not redact_file(tmp_path / "missing", ["x"])
    os.mkfifo(tmp_path / "fifo")
    assert not redact_file(tmp_path / "fifo", ["x"])  # not opened (it would block)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# -- a real run: grep the whole tree --------------------------------------------------------

AWS = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
NPM = "npm_0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f"
OWN = "own-deploy-credential-42"


def test_no_secret_reaches_reports_or_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS)
    monkeypatch.setenv("NPM_TOKEN", NPM)
    (tmp_path / "gates.yaml").write_text(
        textwrap.dedent(
            """\
            gates:
              - name: leaky
                evaluator:
                  type: command
                  run: 'echo "gate sees $NPM_TOKEN $AWS_SECRET_ACCESS_KEY"'
            """
        )
    )
    (tmp_path / "dde.yaml").write_text(
        textwrap.dedent(
            f"""\
            version: "1"
            workflow: w
            iteration: It-1
            gate_files: [gates.yaml]
            nodes:
              - id: A
                type: implementation
                env: {{DEPLOY_TOKEN: {OWN}}}
                gates: [leaky]
                artifacts: [out/*.txt]
                run: |
                  mkdir -p out && echo built > out/a.txt
                  echo "aws=$AWS_SECRET_ACCESS_KEY" >> "$DDE_OUTPUT"
                  echo "npm=$NPM_TOKEN" >> "$DDE_OUTPUT"
                  echo "own=$DEPLOY_TOKEN" >> "$DDE_OUTPUT"
                  echo "printed $NPM_TOKEN and $DEPLOY_TOKEN"
              - id: B
                type: implementation
                depends_on: [A]
                run: cat "$DDE_CONTEXT" > seen.json
            """
        )
    )
    code = run_cli("run", "-m", str(tmp_path / "dde.yaml"), "--no-progress")
    out, err = capsys.readouterr()
    assert code == 0, err
    result = json.loads((tmp_path / "reports/It-1/A/result.json").read_text())
    assert result["outputs"] == {"aws": "***", "npm": "***", "own": "***"}
    gates = (tmp_path / "reports/It-1/A/gates.json").read_text()
    assert "gate sees *** ***" in gates
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "context.json" for p in files)
    assert any(p.name == "outputs.env" for p in files)
    assert any(".dde" in p.parts for p in files)
    for path in files:
        data = path.read_bytes()
        if path.name in ("dde.yaml",):
            continue
        for secret in (AWS, NPM, OWN):
            assert secret.encode() not in data, f"{secret} in {path.relative_to(tmp_path)}"
    for secret in (AWS, NPM, OWN):
        assert secret not in out + err


def test_command_gates_do_not_get_dde_cis_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dde_ci.gates.evaluators import EVALUATORS, GateContext
    from dde_ci.layout import Layout
    from tests.gates.project import ITERATION, write_project

    monkeypatch.setenv("GITHUB_TOKEN", "ghs_abcdefghijklmnopqrstuvwxyz")
    monkeypatch.setenv("DDE_WEBHOOK_SECRET", "hush-hush-hush")
    manifest = write_project(
        tmp_path,
        "gates:\n  - {name: g, evaluator: {type: artifacts}}\n",
        "- {id: A, type: implementation}\n",
    )
    context = GateContext(manifest, manifest.node("A"), Layout(tmp_path), ITERATION, "post")
    evaluator = EVALUATORS["command"]
    params = evaluator.params.model_validate(
        {
            "type": "command",
            "run": 'echo "${GITHUB_TOKEN:-none} ${DDE_WEBHOOK_SECRET:-none} $HOME"',
        }
    )
    measured = evaluator.evaluate(params, context)
    assert measured.details["stdout"] == f"none none {os.environ['HOME']}\n"


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    secret=st.text(min_size=MIN_SECRET_LENGTH, max_size=30).filter(
        lambda s: s.strip() and "*" not in s and "\x00" not in s
    ),
    before=st.binary(max_size=40),
    after=st.binary(max_size=40),
)
def test_redact_file_never_leaks_a_secret(
    tmp_path: Path, secret: str, before: bytes, after: bytes
) -> None:
    path = tmp_path / "output.log"
    path.write_bytes(before + secret.encode() + after)
    redact_file(path, secret_values([secret]))
    text = path.read_bytes().decode("utf-8", "surrogateescape")
    for line in secret_values([secret]):
        assert line not in text
