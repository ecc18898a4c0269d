"""The foundation commands: validate, graph, schema, --version and lazy loading."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_MANIFEST, REPO_ROOT

Cli = object


def test_validate_example(cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    from dde_ci.cli.main import main

    assert main(["validate", "-m", str(EXAMPLE_MANIFEST)]) == 0
    assert ": ok: 13 nodes" in capsys.readouterr().out


def test_validate_default_manifest_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from dde_ci.cli.main import main

    monkeypatch.chdir(tmp_path)
    assert main(["validate"]) == 2
    assert capsys.readouterr().err.strip() == "dde.yaml: manifest not found"
    (tmp_path / "dde.yaml").write_text("workflow: w\nnodes:\n  - {id: A, type: test}\n")
    assert main(["validate"]) == 0


def test_graph_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    from dde_ci.cli.main import main

    assert main(["graph", "-m", str(EXAMPLE_MANIFEST), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"nodes", "edges", "order", "levels", "critical_path"}
    assert set(data["nodes"][0]) == {"id", "type", "capabilities", "runs_on"}
    order = {n: i for i, n in enumerate(data["order"])}
    assert all(order[a] < order[b] for a, b in data["edges"])
    assert ["API.Orders", "BE.Orders"] in data["edges"]  # implicit edge through the contract
    assert data["critical_path"][0] == "API.Orders"
    assert data["critical_path"][-1] == "DEPLOY.Staging"


@pytest.mark.parametrize(("fmt", "start"), [("mermaid", "flowchart LR"), ("dot", "digraph dde {")])
def test_graph_pictures(fmt: str, start: str, capsys: pytest.CaptureFixture[str]) -> None:
    from dde_ci.cli.main import main

    assert main(["graph", "-m", str(EXAMPLE_MANIFEST), "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert out.startswith(start)
    assert "API.Orders" in out


def test_committed_schemas_are_current() -> None:
    from dde_ci.schemas import SCHEMAS, schema_text

    stale = [
        name
        for name in SCHEMAS
        if (REPO_ROOT / "schemas" / f"{name}.schema.json").read_text() != schema_text(name)
    ]
    assert stale == [], f"run `make schemas` to regenerate: {stale}"


def test_manifest_schema_accepts_the_example() -> None:
    import jsonschema
    import yaml

    from dde_ci.schemas import schema

    validator = jsonschema.Draft202012Validator(schema("manifest"))
    validator.check_schema(schema("manifest"))
    assert list(validator.iter_errors(yaml.safe_load(EXAMPLE_MANIFEST.read_text()))) == []


def test_unknown_schema(capsys: pytest.CaptureFixture[str]) -> None:
    from dde_ci.cli.main import main

    assert main(["schema", "manifests"]) == 2
    assert "did you mean 'manifest'?" in capsys.readouterr().err


def test_unknown_command_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    from dde_ci.cli.main import main

    assert main(["validat"]) == 2
    assert "did you mean 'validate'?" in capsys.readouterr().err


def test_version_is_lazy() -> None:
    code = (
        "import sys\n"
        "from dde_ci.cli.main import main\n"
        "rc = main(['--version'])\n"
        "heavy = [m for m in ('pydantic', 'github', 'rich', 'jsonschema') if m in sys.modules]\n"
        "print(rc, heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines()[-1] == "0 []"
    assert out.startswith("dde-ci ")


def test_every_command_has_help_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    import click

    from dde_ci.cli.main import COMMANDS, cli, main

    def every(command: click.Command, path: list[str]) -> list[list[str]]:
        found = [path]
        if isinstance(command, click.Group):  # nested groups too (dde-ci gh runners check)
            for sub, child in command.commands.items():
                found += every(child, [*path, sub])
        return found

    for name in COMMANDS:
        command = cli.get_command(click.Context(cli), name)
        assert command is not None
        for args in every(command, [name]):
            assert main([*args, "--help"]) == 0, args
            out = capsys.readouterr().out
            assert "Examples:" in out, f"dde-ci {' '.join(args)} --help has no examples"


def test_shared_options_are_spelled_one_way() -> None:
    """--manifest, --format, --iteration, --run-id, --node and --repo mean one thing each."""
    import click

    from dde_ci.cli.main import COMMANDS, cli

    def every(command: click.Command, path: str) -> list[tuple[str, click.Command]]:
        found = [(path, command)]
        if isinstance(command, click.Group):
            for sub, child in command.commands.items():
                found += every(child, f"{path} {sub}")
        return found

    seen = set()
    for name in COMMANDS:
        command = cli.get_command(click.Context(cli), name)
        assert command is not None
        for path, cmd in every(command, name):
            for param in cmd.params:
                if not isinstance(param, click.Option):
                    continue
                where = f"dde-ci {path} {param.opts}"
                seen.update(param.opts)
                if "--manifest" in param.opts:
                    assert param.opts == ["-m", "--manifest"], where
                    assert param.envvar == "DDE_MANIFEST", where
                if "--format" in param.opts:
                    assert param.name == "output_format", where
                if "--iteration" in param.opts:
                    assert param.metavar == "ID", where
                if "--run-id" in param.opts:
                    assert param.metavar == "ID", where
                if "--node" in param.opts:
                    assert param.metavar == "NODE", where
                if "--repo" in param.opts:
                    assert param.envvar == "GITHUB_REPOSITORY", where
    assert {"--manifest", "--format", "--iteration", "--run-id", "--node", "--repo"} <= seen
