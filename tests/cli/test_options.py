"""One command-line convention everywhere: a walk over every command's ``--help``.

The manifest is ``-m/--manifest`` (else ``DDE_MANIFEST``, else ``dde.yaml`` found
upwards); output goes to ``-o/--output FILE``; ``--format`` has the same names
everywhere with ``text`` first; every option has help; help names no option that
does not exist; every example in a help parses, and the read-only ones run.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from dde_ci.cli.main import COMMANDS, cli, main
from tests.conftest import EXAMPLE_MANIFEST

FORMAT_NAMES = {"text", "json", "markdown", "prometheus", "sarif", "mermaid", "dot"}
FORMAT_NAMES |= {"githubactions"}

# options a help text may name although the command itself has no such option
ELSEWHERE = {
    "--version",  # dde-ci --version
    "--debug",  # dde-ci --debug
    "--help",
}


def _commands() -> Iterator[tuple[list[str], click.Command]]:
    def every(command: click.Command, path: list[str]) -> Iterator[tuple[list[str], click.Command]]:
        yield path, command
        if isinstance(command, click.Group):
            for name in command.list_commands(click.Context(command)):
                child = command.get_command(click.Context(command), name)
                assert child is not None
                yield from every(child, [*path, name])

    for name in COMMANDS:
        command = cli.get_command(click.Context(cli), name)
        assert command is not None
        yield from every(command, [name])


COMMAND_LIST = list(_commands())


def _options(command: click.Command) -> list[click.Option]:
    return [p for p in command.params if isinstance(p, click.Option)]


def _flags(command: click.Command) -> set[str]:
    """The command's flags; a group's are its sub-commands' (its help may name them)."""
    flags = {"--help", "-h"}
    for option in _options(command):
        flags.update(option.opts)
        flags.update(option.secondary_opts)
    if isinstance(command, click.Group):
        for name in command.list_commands(click.Context(command)):
            child = command.get_command(click.Context(command), name)
            assert child is not None
            flags |= _flags(child)
    return flags


def test_every_command_and_group_has_help_with_examples(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for path, _command in COMMAND_LIST:
        assert main([*path, "--help"]) == 0, path
        out = capsys.readouterr().out
        assert "Examples:" in out, f"dde-ci {' '.join(path)} --help has no examples"


def test_every_option_has_help() -> None:
    missing = [
        f"dde-ci {' '.join(path)} {option.opts}"
        for path, command in COMMAND_LIST
        for option in _options(command)
        if not option.hidden and not (option.help or "").strip()
    ]
    assert missing == []


def test_the_manifest_is_named_one_way() -> None:
    named = 0
    for path, command in COMMAND_LIST:
        for param in command.params:
            where = f"dde-ci {' '.join(path)} {param.name}"
            if param.name == "manifest":
                named += 1
                assert isinstance(param, click.Option), where
                assert param.opts == ["-m", "--manifest"], where
                assert param.envvar == "DDE_MANIFEST", where
                assert param.metavar == "PATH", where
            else:
                # a positional MANIFEST is only the deprecated one, never in the usage line
                assert "manifest" not in (param.name or "") or param.name == "legacy_manifest", (
                    where
                )
    assert named >= 30


def test_output_options_are_uniform(capsys: pytest.CaptureFixture[str]) -> None:
    for path, command in COMMAND_LIST:
        where = f"dde-ci {' '.join(path)}"
        by_name = {p.name: p for p in _options(command)}
        fmt = by_name.get("output_format")
        if any("--format" in o.opts for o in _options(command)):
            assert fmt is not None, where
        if fmt is None:
            continue
        assert isinstance(fmt.type, click.Choice), where
        choices = list(fmt.type.choices)
        assert set(choices) <= FORMAT_NAMES, where
        if "text" in choices:
            assert fmt.default == "text", f"{where}: text is the default for a person"
        output = by_name.get("output")
        assert output is not None, f"{where} has --format but no -o/--output"
        assert output.opts == ["-o", "--output"], where
        assert output.metavar == "FILE", where
        assert main([*path, "--help"]) == 0
        out = capsys.readouterr().out
        if "json" in choices:
            assert "json: JSON for programs" in " ".join(out.split()), where
    for name in ("context", "schema", "iteration"):  # print JSON or an id: no --format
        command = dict((tuple(p), c) for p, c in COMMAND_LIST)[(name,)]
        assert any(o.opts == ["-o", "--output"] for o in _options(command)), name
    for path, command in COMMAND_LIST:  # the one spelling: no --out, no --output DIR
        flags = {f for o in _options(command) for f in o.opts}
        assert "--out" not in flags or path == ["audit"], path


def test_help_names_only_options_that_exist(capsys: pytest.CaptureFixture[str]) -> None:
    wrong = []
    for path, command in COMMAND_LIST:
        assert main([*path, "--help"]) == 0
        out = capsys.readouterr().out
        text = out.split("Examples:")[0]  # examples are checked by parsing them
        # another command quoted with its options (`dde-ci generate --check`) is not this one's
        text = re.sub(r"`dde-ci [^`]*`|'dde-ci [^']*'", "", " ".join(text.split()))
        for flag in set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", text)):
            if flag not in _flags(command) and flag not in ELSEWHERE:
                # another command named with its option: "dde-ci generate --check"
                named = [
                    other
                    for other, cmd in COMMAND_LIST
                    if f"dde-ci {' '.join(other)} {flag}" in text and flag in _flags(cmd)
                ]
                if not named:
                    wrong.append((path, flag))
    assert wrong == []


def _examples(command: click.Command) -> Iterator[list[str]]:
    """Each ``dde-ci ...`` command line of the help's examples, as arguments."""
    epilog = command.epilog or ""
    for raw in epilog.splitlines():
        for chunk in re.split(r"\s{2,}", raw.strip()):
            line = re.sub(r"^(\w+=\S+\s+)+", "", chunk)  # VAR=value dde-ci ...
            if not line.startswith("dde-ci "):
                continue
            line = re.split(r"\s[|>&;]|\s\(", line)[0]  # up to a pipe, a redirect, && or a note
            try:
                words = shlex.split(line)
            except ValueError:
                words = line.split()
            yield words[1:]


def _parse(args: list[str]) -> None:
    command: click.Command = cli
    rest = list(args)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        child = command.get_command(click.Context(command), rest[0])
        assert child is not None, f"no command {rest[0]!r} in {args}"
        command, rest = child, rest[1:]
    try:
        ctx = command.make_context("dde-ci", rest)
    except click.BadParameter as exc:  # a placeholder file that is not here
        assert "does not exist" in exc.format_message(), (args, exc.format_message())
    else:
        assert ctx.params.get("legacy_manifest") is None, f"{args}: the deprecated positional"


def test_every_example_in_the_help_parses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_REPOSITORY", "octo/shop")  # as in a workflow
    seen = 0
    for _path, command in COMMAND_LIST:
        for args in _examples(command):
            seen += 1
            try:
                _parse(args)
            except click.UsageError as exc:
                pytest.fail(f"dde-ci {shlex.join(args)}: {exc.format_message()}")
    assert seen > 60


READ_ONLY = {"validate", "graph", "iteration", "schema", ("gate", "list"), ("gate", "check")}


def test_the_read_only_examples_run_on_the_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Examples of read-only commands run in a copy of examples/shop (as its repository)."""
    shop = tmp_path / "examples" / "shop"
    shutil.copytree(EXAMPLE_MANIFEST.parent, shop, ignore=shutil.ignore_patterns(".dde", "reports"))
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.chdir(shop)
    ran = 0
    for path, command in COMMAND_LIST:
        key = path[0] if len(path) == 1 else tuple(path)
        if key not in READ_ONLY:
            continue
        for args in _examples(command):
            args = [a.replace("examples/shop/dde.yaml", "dde.yaml") for a in args]
            if args[:2] == ["gate", "check"]:
                args = [a for a in args if "security" not in a]
            assert main(args) == 0, args
            ran += 1
    capsys.readouterr()
    assert ran >= 10


SMALL = "workflow: w\nnodes:\n  - {id: A, type: test}\n"


def test_the_manifest_is_found_upwards_as_git_finds_dot_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "dde.yaml").write_text(SMALL)
    deep = tmp_path / "src" / "pkg"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert main(["validate"]) == 0
    out, err = capsys.readouterr()
    assert out == "../../dde.yaml: ok: 1 nodes, 0 edges, 1 levels, 0 contracts\n"
    assert err == ""


def test_the_search_stops_at_the_repository_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "dde.yaml").write_text(SMALL)  # above the repository: not its manifest
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    monkeypatch.chdir(repo)
    assert main(["validate"]) == 2
    assert capsys.readouterr().err == "dde.yaml: manifest not found\n"


def test_dde_manifest_and_the_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "plan.yaml").write_text(SMALL)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DDE_MANIFEST", "plan.yaml")
    assert main(["graph", "--format", "json"]) == 0
    assert '"order": [\n    "A"\n  ]' in capsys.readouterr().out
    monkeypatch.delenv("DDE_MANIFEST")
    assert main(["validate", "--manifest", "plan.yaml"]) == 0
    assert capsys.readouterr().out.startswith("plan.yaml: ok")


def test_the_positional_manifest_still_works_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "plan.yaml").write_text(SMALL)
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "plan.yaml"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("plan.yaml: ok")
    assert err == (
        "warning: the positional MANIFEST is deprecated and will be removed; "
        "use 'dde-ci validate -m plan.yaml'\n"
    )
    assert main(["validate", "plan.yaml", "-m", "other.yaml"]) == 2
    assert "two manifests given" in capsys.readouterr().err
    assert main(["validate", "--help"]) == 0
    assert "Usage: dde-ci validate [OPTIONS]\n" in capsys.readouterr().out


def test_output_goes_to_a_file_with_the_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    (tmp_path / "dde.yaml").write_text(SMALL)
    monkeypatch.chdir(tmp_path)
    old = os.umask(0o022)
    try:
        assert main(["graph", "--format", "json", "-o", "out/graph.json"]) == 0
    finally:
        os.umask(old)
    assert capsys.readouterr().out == ""
    written = tmp_path / "out" / "graph.json"
    assert '"critical_path"' in written.read_text()
    assert written.stat().st_mode & 0o777 == 0o644


def test_graph_fenced_is_ready_to_paste(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["graph", "-m", str(EXAMPLE_MANIFEST), "--format", "mermaid", "--fenced"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "```mermaid"
    assert lines[1] == "flowchart LR"
    assert lines[-1] == "```"


def test_a_choice_error_is_one_line_with_the_closest_value(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["graph", "--format", "mermiad"]) == 2
    assert capsys.readouterr().err == (
        "dde-ci graph: error: invalid value for '--format': 'mermiad' is not one of "
        "'text', 'mermaid', 'dot', 'json' (did you mean 'mermaid'?); see 'dde-ci graph --help'\n"
    )
    assert main(["validate", "--formt", "json"]) == 2
    assert capsys.readouterr().err == (
        "dde-ci validate: error: no such option '--formt' (did you mean '--format'?); "
        "see 'dde-ci validate --help'\n"
    )


def test_shell_completion_is_clicks_own() -> None:
    import os
    import sys

    env = {**os.environ, "_DDE_CI_COMPLETE": "bash_complete"}
    env.update(COMP_WORDS="dde-ci graph --format mer", COMP_CWORD="3")
    done = subprocess.run(
        [sys.executable, "-m", "dde_ci"], env=env, capture_output=True, text=True, check=False
    )
    assert done.stdout.strip() == "plain,mermaid", done.stderr
    env.update(COMP_WORDS="dde-ci vali", COMP_CWORD="1")
    done = subprocess.run(
        [sys.executable, "-m", "dde_ci"], env=env, capture_output=True, text=True, check=False
    )
    assert done.stdout.strip() == "plain,validate", done.stderr
