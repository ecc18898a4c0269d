"""Git conventions: commit-msg, branch-name and pr-title, fast path and click path."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dde_ci.cli.hook_fast import run_hook
from dde_ci.cli.main import main
from dde_ci.hooks.conventions import (
    DEFAULTS,
    artifact_match,
    clean_message,
    current_branch,
    match_pattern,
    match_template,
    pattern_problem,
    render_example,
    template_of,
)
from dde_ci.hooks.patterns import _compile

MANIFEST = """\
version: "1"
workflow: demo
iteration: It-7
nodes:
  - id: API.Orders
    type: interface
  - id: BE.Orders
    type: implementation
    depends_on: [API.Orders]
"""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "feature/It-7/BE.Orders")
    (root / "dde.yaml").write_text(MANIFEST)
    monkeypatch.chdir(root)
    return root


def commit_msg(repo: Path, text: str, *extra: str) -> int:
    message = repo / ".git" / "COMMIT_EDITMSG"
    message.write_text(text)
    code = run_hook(["commit-msg", str(message), *extra])
    assert code is not None
    return code


@pytest.mark.parametrize(
    "text",
    [
        "[BE.Orders] add the refund endpoint\n",
        "# Please enter the commit message\n\n[API.Orders] publish v2\n\nbody\n",
        "[BE.Orders] x\n# ------------------------ >8 ------------------------\ndiff --git a b\n",
        "Merge branch 'feature/It-7/API.Orders'\n",
        "Merge branch 'main' of github.com:acme/shop into feature/It-7/BE.Orders\n",
        "Merge pull request #12 from acme/feature/It-7/BE.Orders\n",
        "Merge remote-tracking branch 'origin/main'\n",
        'Revert "[BE.Orders] add the refund endpoint"\n\nThis reverts commit abc.\n',
        'Reapply "[BE.Orders] add the refund endpoint"\n',
        "fixup! [BE.Orders] add the refund endpoint\n",
        "squash! [BE.Orders] add the refund endpoint\n",
        "amend! [BE.Orders] add the refund endpoint\n",
    ],
)
def test_good_messages_pass(repo: Path, text: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert commit_msg(repo, text) == 0
    assert capsys.readouterr().err == ""


def test_a_subject_without_node_is_refused_with_form_and_real_example(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert commit_msg(repo, "# comment\nfix stuff\n") == 1
    err = capsys.readouterr().err
    assert err == (
        ".git/COMMIT_EDITMSG:2:1: commit subject 'fix stuff' does not name its node\n"
        "  expected: [{node}] <summary>\n"
        "  example:  [BE.Orders] describe the change\n"
        "  nodes:    API.Orders, BE.Orders\n"
    ).replace(".git/COMMIT_EDITMSG", str(repo / ".git" / "COMMIT_EDITMSG"))


def test_an_unknown_node_is_refused_with_a_suggestion(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert commit_msg(repo, "[BE.Order] add refunds\n") == 1
    err = capsys.readouterr().err
    assert "unknown node 'BE.Order' in dde.yaml (did you mean 'BE.Orders'?)" in err


@pytest.mark.parametrize(
    "text", ["", "# only a comment\n\n", "fixup! \n", "Merge\n", "Revert it\n", "[BE.Orders]\n"]
)
def test_empty_and_malformed_git_forms_are_refused(repo: Path, text: str) -> None:
    assert commit_msg(repo, text) == 1


def test_without_a_manifest_only_the_shape_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(tmp_path, "init", "-q")
    monkeypatch.chdir(tmp_path)
    assert commit_msg(tmp_path, "[ANY.Node] works\n") == 0
    assert commit_msg(tmp_path, "no node\n") == 1


def test_explicit_manifest_option_and_missing_manifest(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(MANIFEST.replace("BE.Orders", "FE.Shop"))
    assert commit_msg(repo, "[FE.Shop] ok\n", "--manifest", str(other)) == 0
    assert commit_msg(repo, "[BE.Orders] ok\n", f"--manifest={other}") == 1
    capsys.readouterr()
    assert commit_msg(repo, "[BE.Orders] ok\n", "--manifest", "nope.yaml") == 2
    assert capsys.readouterr().err == "nope.yaml: manifest not found\n"


def test_message_length_is_capped(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "dde.yaml").write_text(MANIFEST + "conventions:\n  max_message_length: 100\n")
    assert commit_msg(repo, "[BE.Orders] ok\n\n" + "x" * 200) == 1
    assert "over the limit of 100 (conventions.max_message_length)" in capsys.readouterr().err


def test_custom_patterns_and_a_catastrophic_one_stays_fast(repo: Path) -> None:
    (repo / "dde.yaml").write_text(
        MANIFEST
        + "conventions:\n"
        + "  commit_subject: '(\\w+\\s?)*\\[{node}\\]'\n"
        + "  long_lived_branches: [trunk]\n"
    )
    assert commit_msg(repo, "part of [BE.Orders]\n") == 0
    started = time.perf_counter()
    assert commit_msg(repo, "a" * 26 + "!\n") == 1  # seconds in Python's re
    assert time.perf_counter() - started < 1.0


def test_a_bad_pattern_is_a_located_input_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "dde.yaml").write_text(
        MANIFEST + "conventions:\n  commit_subject: '(a)\\1 {node}'\n  brnch_name: x\n"
    )
    assert commit_msg(repo, "[BE.Orders] ok\n") == 2
    err = capsys.readouterr().err
    assert (
        "dde.yaml:11:19: conventions.commit_subject: is not a valid RE2 regular expression" in err
    )
    assert (
        "dde.yaml:12:3: unknown key 'brnch_name' in conventions (did you mean 'branch_name'?)"
        in (err)
    )


def test_the_manifest_loader_reports_bad_patterns_too(tmp_path: Path) -> None:
    from dde_ci.errors import ValidationError
    from dde_ci.manifest.loader import load_manifest_text

    text = MANIFEST + "conventions:\n  pr_title: '[{iteration}] no node'\n"
    with pytest.raises(ValidationError) as info:
        load_manifest_text(text, tmp_path / "dde.yaml")
    assert str(info.value).endswith(
        "dde.yaml:11:13: conventions.pr_title: must contain the placeholder {node} exactly once"
    )


def test_cache_is_used_and_refreshed_when_the_manifest_changes(repo: Path) -> None:
    assert commit_msg(repo, "[BE.Orders] ok\n") == 0
    cache = repo / ".dde" / "cache" / "hooks"
    assert cache.exists() and (repo / ".dde" / "cache" / ".gitignore").read_text().endswith("*\n")
    assert "node\tBE.Orders" in cache.read_text()
    (repo / "dde.yaml").write_text(MANIFEST.replace("BE.Orders", "BE.Payments"))
    assert commit_msg(repo, "[BE.Orders] ok\n") == 1
    assert commit_msg(repo, "[BE.Payments] ok\n") == 0
    cache.write_text("garbage")
    assert commit_msg(repo, "[BE.Payments] ok\n") == 0


def test_branch_name(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_hook(["branch-name"]) == 0
    for good in ("main", "release/1.2", "hotfix/x/y", "feature/It-8/API.Orders"):
        assert run_hook(["branch-name", "--branch", good]) == 0, good
    capsys.readouterr()
    assert run_hook(["branch-name", "--branch", "wip"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: branch 'wip' does not name its iteration and node\n")
    assert "  expected: feature/{iteration}/{node}\n" in err
    assert "  nodes:    API.Orders, BE.Orders\n" in err
    assert "rename it: git branch -m feature/It-7/<node>" in err
    assert "example:" not in err  # nothing tells which node: no node is proposed
    assert run_hook(["branch-name", "--branch", "feature/It-7/Nope"]) == 1
    assert "unknown node 'Nope'" in capsys.readouterr().err


def branch_refusal(branch: str, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert run_hook(["branch-name", "--branch", branch]) == 1
    return capsys.readouterr().err


@pytest.mark.parametrize(
    ("branch", "suggested"),
    [
        ("feature/It-7/BE.Ordrs", "feature/It-7/BE.Orders"),  # the node, in a matching name
        ("feature/It-8/be.orders", "feature/It-8/BE.Orders"),  # its own iteration is kept
        ("featrue/It-7/BE.Orders", "feature/It-7/BE.Orders"),  # the fixed text
        ("feature/It-7-BE.Orders", "feature/It-7/BE.Orders"),
        ("feature/It 7/API.Orders", "feature/It-7/API.Orders"),  # the manifest's iteration
    ],
)
def test_a_branch_close_to_a_valid_one_gets_the_nearest(
    repo: Path, branch: str, suggested: str, capsys: pytest.CaptureFixture[str]
) -> None:
    err = branch_refusal(branch, capsys)
    assert f"  example:  {suggested}\n" in err
    assert err.endswith(f"  rename it: git branch -m {suggested}\n")


def test_the_nearest_iteration_is_one_that_ran_or_another_branch_names(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "reports" / "Sprint-12").mkdir(parents=True)
    (repo / "f").write_text("x")
    git(repo, "add", "f")
    git(repo, "commit", "-q", "--no-verify", "-m", "[BE.Orders] f")
    git(repo, "branch", "feature/Iter-20261101-004/API.Orders")
    err = branch_refusal("feature/Sprint 12/BE.Orders", capsys)
    assert "  example:  feature/Sprint-12/BE.Orders\n" in err
    err = branch_refusal("feature/Iter-20261101_004:BE.Orders", capsys)
    assert "  example:  feature/Iter-20261101-004/BE.Orders\n" in err


def test_a_branch_far_from_any_is_named_after_the_node_the_staged_files_belong_to(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "dde.yaml").write_text(
        MANIFEST.replace(
            "type: interface\n", "type: interface\n    artifacts: [contracts]\n"
        ).replace("type: implementation\n", "type: implementation\n    artifacts: [src/**/*.py]\n")
    )
    for name in ("src/orders/api.py", "src/orders/db/model.py", "contracts/orders.yaml", "x.md"):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("x")
    git(repo, "add", "-A")
    err = branch_refusal("login-page", capsys)
    assert "  example:  feature/It-7/BE.Orders\n" in err
    assert (
        "  the staged files are artifacts of BE.Orders: src/orders/api.py, "
        "src/orders/db/model.py (also touched: API.Orders)\n"
    ) in err
    git(repo, "reset", "-q", "src")
    err = branch_refusal("login-page", capsys)
    assert "  example:  feature/It-7/API.Orders\n" in err
    assert "artifacts of API.Orders: contracts/orders.yaml\n" in err
    git(repo, "reset", "-q")
    assert "example:" not in branch_refusal("login-page", capsys)


@pytest.mark.parametrize(
    ("pattern", "path", "taken"),
    [
        ("contracts/orders-api.yaml", "contracts/orders-api.yaml", True),
        ("contracts/orders-api.yaml", "contracts/orders-api.yml", False),
        ("build/backend/**", "build/backend/app/main.py", True),
        ("build/backend", "build/backend/app/main.py", True),  # a folder takes what is in it
        ("build/events/*.json", "build/events/a.json", True),
        ("build/events/*.json", "build/events/x/a.json", False),  # * stays in its folder
        ("*.json", "a/b.json", False),
        ("src/**/*.py", "src/a.py", True),
        ("src/**/*.py", "src/a/b/c.py", True),
        ("./docs/*.md", "docs/a.md", True),
        ("", "a", False),
    ],
)
def test_artifact_patterns_take_files_as_stamping_globs_them(
    pattern: str, path: str, taken: bool, tmp_path: Path
) -> None:
    assert artifact_match(pattern, path) is taken
    if pattern:  # the same answer as the glob that stamps a node's artifacts
        from dde_ci.stamping import expand_artifact_globs

        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x")
        assert (path in expand_artifact_globs(tmp_path, [pattern])[0]) is taken


def test_branch_name_reads_head_and_passes_a_detached_head(repo: Path) -> None:
    assert current_branch(str(repo)) == "feature/It-7/BE.Orders"
    git(repo, "checkout", "-q", "-b", "wip")
    assert run_hook(["branch-name"]) == 1
    (repo / "f").write_text("x")
    git(repo, "add", "f")
    git(repo, "commit", "-q", "--no-verify", "-m", "[BE.Orders] f")
    git(repo, "checkout", "-q", "--detach")
    assert current_branch(str(repo)) is None
    assert run_hook(["branch-name"]) == 0


def test_pr_title(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_hook(["pr-title", "[It-7/API.Orders] publish the orders API"]) == 0
    assert run_hook(["pr-title", "--", "-[It-7/API.Orders] x"]) == 1
    assert run_hook(["pr-title", "[It-7/Nope] x"]) == 1
    capsys.readouterr()
    assert run_hook(["pr-title", "publish it"]) == 1
    assert "  example:  [It-7/API.Orders] describe the change" in capsys.readouterr().err


def test_click_path_runs_the_same_checks(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    message = repo / "msg"
    message.write_text("nope\n")
    assert main(["hook", "commit-msg", str(message)]) == 1
    assert "does not name its node" in capsys.readouterr().err
    assert main(["hook", "branch-name", "--branch", "main"]) == 0
    assert main(["hook", "pr-title", "[It-7/BE.Orders] ok"]) == 0
    assert run_hook(["commit-msg", "--help"]) is None
    assert main(["hook", "commit-msg", "--help"]) == 0
    assert "Examples:" in capsys.readouterr().out


def test_the_hook_process_imports_nothing_heavy(repo: Path) -> None:
    message = repo / "msg"
    message.write_text("[BE.Orders] ok\n")
    assert commit_msg(repo, "[BE.Orders] warm the cache\n") == 0
    probe = (
        "import sys\n"
        f"sys.argv = ['dde-ci', 'hook', 'commit-msg', {str(message)!r}]\n"
        "from dde_ci.cli.entry import main\n"
        "code = main()\n"
        "heavy = {'click', 'pydantic', 'yaml', 'rich', 'github', 'typing', 're2', 'jsonschema'}\n"
        "print(code, sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ},
    )
    assert done.stdout.strip() == "0 []"


def test_examples_are_built_from_patterns_and_verified() -> None:
    assert render_example(str(DEFAULTS["branch_name"]), "BE.Orders", "It-7") == (
        "feature/It-7/BE.Orders"
    )
    assert render_example(r"^\[{node}\] .+$", "A", "I") == "[A] describe the change"
    assert render_example(r"(\w+ )?{node}", "A", "I") == ""  # no safe example: none shown


def test_pattern_problems() -> None:
    assert pattern_problem(r"\[{node}\] .+", "commit_subject") is None
    assert pattern_problem("no placeholder", "commit_subject") == (
        "must contain the placeholder {node} exactly once"
    )
    assert pattern_problem("{node}{iteration}{iteration}", "pr_title") == (
        "may contain the placeholder {iteration} at most once"
    )
    assert pattern_problem("(?={node})", "x") is not None
    assert pattern_problem("x" * 2000 + "{node}", "x") is not None
    assert pattern_problem(5, "x") is not None


def test_clean_message_follows_git() -> None:
    assert clean_message("\n\n# c\nsubject  \n\nbody\n\n") == [(4, "subject"), (5, ""), (6, "body")]


_TEXT = st.text(alphabet="[]/ .-_aB9:\n{}é", max_size=30)


@given(
    pattern=st.sampled_from(
        [
            str(DEFAULTS["commit_subject"]),
            str(DEFAULTS["branch_name"]),
            str(DEFAULTS["pr_title"]),
            r"{node}: .*",
            r"^task/{node}$",
            r"\[{iteration}\] {node} .+",
        ]
    ),
    node=st.from_regex(r"[A-Za-z][A-Za-z0-9._-]{0,3}", fullmatch=True),
    before=_TEXT,
    after=_TEXT,
)
def test_template_matcher_agrees_with_re2(pattern: str, node: str, before: str, after: str) -> None:
    tokens = template_of(pattern)
    assert tokens is not None
    for text in (before + node + after, f"[{node}] {after}", f"feature/{before}/{node}", after):
        found = _compile(pattern).search(text)  # type: ignore[attr-defined]
        expected = None if found is None else {k: v for k, v in found.groupdict().items() if v}
        assert match_template(tokens, text) == expected, (pattern, text)
        assert match_pattern(pattern, text) == expected


def test_ambiguous_templates_go_to_re2() -> None:
    assert template_of("{iteration}-{node}") is None
    assert template_of("{node}.x") is None
    assert match_pattern("{iteration}-{node}", "It-7-BE.Orders") is not None


def test_under_github_actions_a_refusal_is_also_an_annotation(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert run_hook(["pr-title", "publish it"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("::error title=dde-ci convention::pull request title 'publish it'")
    assert "%0A  example:  [It-7/API.Orders] describe the change" in out


SEGMENTS = st.sampled_from(["a", "b", "a.py", "b.json", ".h"])
GLOBS = st.sampled_from(["a", "b", "*", "**", "*.py", "b*", "?", ".*", "a.py"])


@settings(max_examples=60, deadline=None)  # file-system work, on a loaded CI machine too
@given(
    path=st.lists(SEGMENTS, min_size=1, max_size=4).map("/".join),
    pattern=st.lists(GLOBS, min_size=1, max_size=4).map("/".join),
)
def test_artifact_match_agrees_with_the_stamping_glob(path: str, pattern: str) -> None:
    import tempfile

    from dde_ci.stamping import expand_artifact_globs

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("x")
        assert artifact_match(pattern, path) is (path in expand_artifact_globs(root, [pattern])[0])
