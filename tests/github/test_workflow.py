"""The workflow generator: structure, least privilege, pins, limits, the golden file, the tools."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dde_ci.build import Build, this_build
from dde_ci.errors import InputError
from dde_ci.github.emit import Block, Commented, Flow, quoted, scalar, yaml_document
from dde_ci.github.pins import ALL_PINS
from dde_ci.github.workflow import (
    MAX_MATRIX_LEGS,
    MAX_WORKFLOW_BYTES,
    SAME_REPOSITORY,
    ActionRef,
    WorkflowOptions,
    by_slack,
    generate_workflow,
    job_minutes,
    literal,
    plan_jobs,
    resolve_action,
    simulate_makespan,
)
from dde_ci.graph import build_graph
from dde_ci.manifest.loader import load_manifest, load_manifest_text
from dde_ci.manifest.models import Manifest
from dde_ci.routing import route_runner
from tests.github import tools
from tests.github.hostile import EXPR, NAMES, hostile_manifest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHOP = REPO_ROOT / "examples" / "shop" / "dde.yaml"
GOLDEN = Path(__file__).parent / "golden" / "shop.yml"
# The example as dde-ci's own repository would run it (its actions are in this repository).
OPTIONS = WorkflowOptions("examples/shop/dde.yaml", ".github/workflows/shop.yml")
SHA_USES = re.compile(r"^([\w.-]+/[\w.-]+)@([0-9a-f]{40})$")


def shop() -> Manifest:
    return load_manifest(SHOP)


def document(text: str) -> dict[str, Any]:
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    # PyYAML reads the key "on" as written (quoted), GitHub the same.
    return data


def runs_of(data: dict[str, Any]) -> list[str]:
    return [s["run"] for job in data["jobs"].values() for s in job["steps"] if "run" in s]


def expand(text: str) -> str:
    """What GitHub makes of ``text`` where it evaluates ``${{ }}``, for literal-only expressions.

    Scans like GitHub's template reader: ``${{`` opens, ``}}`` outside a quoted
    string closes.  Any expression other than a single string literal is
    returned as ``<EXPR:...>`` so a test sees that something would be evaluated.
    """
    out: list[str] = []
    i = 0
    while True:
        start = text.find("${{", i)
        if start < 0:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:start])
        j = start + 3
        in_string = False
        while j < len(text):
            if text[j] == "'":
                in_string = not in_string
            elif not in_string and text.startswith("}}", j):
                break
            j += 1
        body = text[start + 3 : j].strip()
        literal_match = re.fullmatch(r"'((?:[^']|'')*)'", body)
        out.append(literal_match.group(1).replace("''", "'") if literal_match else f"<EXPR:{body}>")
        i = j + 2


# -- the golden workflow ------------------------------------------------------------------


def test_golden_shop_workflow_is_current() -> None:
    """The example's workflow as dde-ci's own repository runs it (``$/`` actions)."""
    assert GOLDEN.read_text() == generate_workflow(shop(), OPTIONS).text


def user_repository(tmp_path: Path) -> Path:
    """A user's repository: ``git init``, the shop manifest in ``services/shop``, no actions."""
    repo = tmp_path / "repo"
    shutil.copytree(SHOP.parent, repo / "services" / "shop", ignore=shutil.ignore_patterns(".*"))
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


def test_generate_writes_then_leaves_an_unchanged_file_alone(
    tmp_path: Path, cli: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = user_repository(tmp_path)
    monkeypatch.chdir(repo)
    assert cli("generate", "-m", "services/shop/dde.yaml", "-o", ".github/workflows/dde.yml") == 0
    assert "written: 12 node jobs (1 matrix) for 13 nodes" in capsys.readouterr().out
    out = repo / ".github" / "workflows" / "dde.yml"
    build = this_build()
    action = ActionRef(build.repository, build.commit, build.release_tag)
    options = WorkflowOptions("services/shop/dde.yaml", ".github/workflows/dde.yml", action)
    assert out.read_text() == generate_workflow(load_manifest(SHOP), options).text
    stamp = out.stat().st_mtime_ns
    assert cli("generate", "-m", "services/shop/dde.yaml", "-o", ".github/workflows/dde.yml") == 0
    assert "unchanged" in capsys.readouterr().out
    assert out.stat().st_mtime_ns == stamp
    assert cli("generate", "-m", "services/shop/dde.yaml", "--check") == 0


def test_check_fails_with_a_diff_when_stale(
    tmp_path: Path, cli: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = user_repository(tmp_path)
    monkeypatch.chdir(repo)
    assert cli("generate", "-m", "services/shop/dde.yaml", "-o", ".github/workflows/dde.yml") == 0
    stale = repo / ".github" / "workflows" / "dde.yml"
    stale.write_text(stale.read_text().replace("timeout-minutes: 70", "timeout-minutes: 7", 1))
    capsys.readouterr()
    code = cli("generate", "-m", "services/shop/dde.yaml", "-o", str(stale), "--check")
    captured = capsys.readouterr()
    assert code == 1
    assert "-    timeout-minutes: 7\n+    timeout-minutes: 70" in captured.out
    assert "is stale" in captured.err
    assert "dde-ci generate -m services/shop/dde.yaml -o .github/workflows/dde.yml" in captured.err


def test_check_fails_when_the_file_is_missing(
    tmp_path: Path, cli: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(user_repository(tmp_path))
    code = cli(
        "generate", "-m", "services/shop/dde.yaml", "-o", ".github/workflows/none.yml", "--check"
    )
    assert code == 1
    assert "does not exist" in capsys.readouterr().err
    assert not Path(".github/workflows/none.yml").exists()


@pytest.mark.parametrize(
    "output",
    [
        "services/shop/.github/workflows/dde.yml",  # next to the manifest: GitHub never reads it
        "dde.yml",
        ".github/dde.yml",
        ".github/workflows/sub/dde.yml",
        ".github/workflows/dde.txt",
    ],
)
@pytest.mark.parametrize("check", [False, True])
def test_a_workflow_anywhere_but_the_roots_workflows_folder_is_refused(
    tmp_path: Path,
    cli: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    output: str,
    check: bool,
) -> None:
    repo = user_repository(tmp_path)
    monkeypatch.chdir(repo)
    code = cli(
        "generate", "-m", "services/shop/dde.yaml", "-o", output, *(["--check"] if check else [])
    )
    err = capsys.readouterr().err
    assert code == 2
    assert (
        f"{output}: GitHub reads workflows only from .github/workflows/ at the repository root"
        in err
    )
    assert f"write it to {repo.resolve() / '.github' / 'workflows'}" in err
    assert not (repo / output).exists()


def test_generate_from_the_manifest_folder_names_the_root(
    tmp_path: Path, cli: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = user_repository(tmp_path)
    monkeypatch.chdir(repo / "services" / "shop")
    assert cli("generate", "-o", ".github/workflows/dde.yml") == 2
    assert f"-o .github/workflows/dde.yml from the root {repo.resolve()}" in capsys.readouterr().err
    assert cli("generate", "-o", "../../.github/workflows/dde.yml") == 0
    text = (repo / ".github" / "workflows" / "dde.yml").read_text()
    assert "manifest: services/shop/dde.yaml" in text
    assert "  dde-ci generate -m services/shop/dde.yaml -o .github/workflows/dde.yml" in text


def test_generate_prints_without_output(
    tmp_path: Path, cli: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(user_repository(tmp_path))
    assert cli("generate", "-m", "services/shop/dde.yaml") == 0
    printed = capsys.readouterr().out
    assert printed.startswith("# Generated by dde-ci from services/shop/dde.yaml.")
    assert "jobs:" in printed


def test_output_is_deterministic() -> None:
    first = generate_workflow(shop(), OPTIONS).text
    second = generate_workflow(load_manifest(SHOP), OPTIONS).text
    assert first == second


def test_header_says_generated_and_how_to_regenerate() -> None:
    head = generate_workflow(shop(), OPTIONS).text.splitlines()[:3]
    assert "Generated by dde-ci" in head[0] and "Do not edit" in head[0]
    assert "dde-ci generate -m examples/shop/dde.yaml -o .github/workflows/shop.yml" in head[1]
    assert head[2].endswith("--check")


def test_manifest_outside_the_root_is_refused(
    tmp_path: Path, cli: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli("generate", "-m", str(SHOP), "--root", str(tmp_path))
    assert code == 2
    assert "outside the repository root" in capsys.readouterr().err


# -- where the dde-ci actions come from ----------------------------------------------------

COMMIT = "6e72b0aada16b0c03894723ab699e753f3beec1e"
HOME = "https://github.com/dde-ci/dde-ci"


def test_the_build_pins_the_actions_to_its_home_and_commit(tmp_path: Path) -> None:
    build = Build("0.2.0", HOME, COMMIT)
    action = resolve_action(shop(), tmp_path, build)
    text = generate_workflow(shop(), replace(OPTIONS, action=action)).text
    uses = {line.strip() for line in text.splitlines() if "/actions/" in line and "dde-ci" in line}
    assert uses == {
        f"uses: dde-ci/dde-ci/actions/{name}@{COMMIT}  # v0.2.0"
        for name in ("setup", "node", "audit")
    }
    assert "$/" not in text


def test_a_development_build_pins_its_commit_without_a_tag_comment(tmp_path: Path) -> None:
    build = Build("0.1.1.dev3+g6e72b0aad", HOME, COMMIT)
    assert resolve_action(shop(), tmp_path, build) == ActionRef("dde-ci/dde-ci", COMMIT, None)


def test_the_manifest_setting_wins_over_the_build(tmp_path: Path) -> None:
    sha = "ab" * 20
    text = SHOP.read_text() + f"\ngithub:\n  action: acme/dde-ci@{sha}\n  action_version: v9.0.0\n"
    manifest = load_manifest_text(text, SHOP)
    action = resolve_action(manifest, tmp_path, Build("0.2.0", HOME, COMMIT))
    assert action == ActionRef("acme/dde-ci", sha, "v9.0.0")


def test_self_references_only_where_the_repository_holds_the_actions(tmp_path: Path) -> None:
    assert resolve_action(shop(), REPO_ROOT, Build("0.2.0", HOME, COMMIT)) == ActionRef()
    for name in ("setup", "node"):  # not all of them: not dde-ci's repository
        (tmp_path / "actions" / name).mkdir(parents=True)
        (tmp_path / "actions" / name / "action.yml").write_text("name: x\n")
    assert resolve_action(shop(), tmp_path, Build("0.2.0", HOME, COMMIT)).repository


@pytest.mark.parametrize(
    ("build", "unknown"),
    [
        (Build("0.1.0", HOME, None), "the commit it was built from"),
        (Build("0.1.0", None, COMMIT), "its home"),
    ],
)
def test_a_build_that_cannot_pin_the_actions_names_the_setting(
    tmp_path: Path,
    cli: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    build: Build,
    unknown: str,
) -> None:
    import dde_ci.build

    repo = user_repository(tmp_path)
    monkeypatch.chdir(repo)
    monkeypatch.setattr(dde_ci.build, "this_build", lambda: build)
    code = cli("generate", "-m", "services/shop/dde.yaml", "-o", ".github/workflows/dde.yml")
    err = capsys.readouterr().err
    assert code == 2
    assert (
        f"services/shop/dde.yaml: this dde-ci build (0.1.0) does not know {unknown}, "
        "so the workflow cannot pin the dde-ci actions; add the setting github.action: "
        "'OWNER/dde-ci@<40-hex commit SHA>' to the manifest"
    ) in err
    assert not (repo / ".github").exists()


def test_a_build_with_uncommitted_changes_is_pinned_with_a_warning(
    tmp_path: Path, cli: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import dde_ci.build

    monkeypatch.chdir(user_repository(tmp_path))
    build = Build("0.1.1.dev3+g6e72b0aad.d20261207", HOME, COMMIT, modified=True)
    monkeypatch.setattr(dde_ci.build, "this_build", lambda: build)
    assert cli("generate", "-m", "services/shop/dde.yaml", "-o", ".github/workflows/dde.yml") == 0
    err = capsys.readouterr().err
    assert "services/shop/dde.yaml: warning: this dde-ci was built with uncommitted changes" in err
    assert f"actions/node@{COMMIT}" in Path(".github/workflows/dde.yml").read_text()
    monkeypatch.setattr(dde_ci.build, "this_build", lambda: replace(build, modified=False))
    assert cli("generate", "-m", "services/shop/dde.yaml", "-o", ".github/workflows/dde.yml") == 0
    assert "warning" not in capsys.readouterr().err


def test_version_shows_version_home_and_commit(capsys: pytest.CaptureFixture[str]) -> None:
    from dde_ci.cli.main import main

    assert main(["--version"]) == 0
    lines = capsys.readouterr().out.splitlines()
    build = this_build()
    assert lines[0] == f"dde-ci {build.version}"
    assert lines[1] == "home: https://github.com/dde-ci/dde-ci"
    assert re.fullmatch(r"commit: [0-9a-f]{40}( \(with uncommitted changes\))?", lines[2])


# -- structure ----------------------------------------------------------------------------


def test_jobs_needs_are_the_transitive_reduction() -> None:
    manifest = shop()
    graph = build_graph(manifest)
    generated = generate_workflow(manifest, OPTIONS)
    data = document(generated.text)
    job_of = generated.plan.job_of
    for job in generated.plan.jobs:
        expected = {job_of[p] for n in job.nodes for p in graph.reduced_preds[n]}
        assert set(data["jobs"][job.job_id]["needs"]) == {"setup", *expected}
    # BE.Orders waits for DB.Schema and API.Orders; TEST.Backend only for BE.Orders.
    assert data["jobs"]["be-orders"]["needs"] == ["setup", "api-orders", "db-schema"]
    assert data["jobs"]["test-backend"]["needs"] == ["setup", "be-orders"]
    # DEPLOY.Staging waits for INT.EndToEnd and SEC.Scan, not for what those already wait for.
    assert data["jobs"]["deploy-staging"]["needs"] == ["setup", "sec-scan", "int-endtoend"]


def test_twins_share_one_matrix_job() -> None:
    manifest = shop()
    generated = generate_workflow(manifest, OPTIONS)
    data = document(generated.text)
    matrix = data["jobs"]["fe-matrix"]
    assert matrix["name"] == "${{ matrix.name }}"
    strategy = matrix["strategy"]
    assert strategy["fail-fast"] is False
    assert strategy["max-parallel"] == manifest.settings.wip_limit
    legs = strategy["matrix"]["include"]
    assert [leg["node"] for leg in legs] == ["FE.Checkout", "FE.OrderHistory"]
    assert legs[0]["name"] == "FE.Checkout: Checkout page"
    assert legs[0]["artifacts"].splitlines() == [
        "examples/shop/build/frontend/checkout.html",
        "examples/shop/build/frontend/orders-client.js",
    ]
    assert len(generated.plan.jobs) == 12 < len(manifest.nodes)
    # The dependents of both twins need the one matrix job.
    assert data["jobs"]["test-frontend"]["needs"] == ["setup", "fe-matrix"]


def test_runs_on_and_timeout_come_from_routing_and_the_node() -> None:
    manifest = shop()
    generated = generate_workflow(manifest, OPTIONS)
    data = document(generated.text)
    for node in manifest.nodes:
        job = data["jobs"][generated.plan.job_of[node.id]]
        assert job["runs-on"] == route_runner(manifest, node).labels
        assert job["timeout-minutes"] >= job_minutes(node)
    assert data["jobs"]["api-orders"]["runs-on"] == ["self-hosted", "linux", "python"]
    assert data["jobs"]["deploy-staging"]["runs-on"] == ["self-hosted", "linux", "deploy"]
    assert data["jobs"]["setup"]["runs-on"] == ["self-hosted", "linux"]


def test_job_minutes_cover_every_attempt_and_backoff() -> None:
    manifest = load_manifest_text(
        "workflow: w\nsettings: {default_runs_on: [x]}\nnodes:\n"
        "  - {id: A, type: action, timeout: 10m, retry: {max_attempts: 3, initial_delay: 60,"
        " factor: 2, max_delay: 600}}\n"
        "  - {id: B, type: action, timeout: 30s}\n"
        "  - {id: C, type: action, timeout: 30d}\n".replace("30d", "604800")
    )
    # 3 attempts of 10 min, waits of 1 and 2 min, plus 10 min for the job's own steps.
    assert job_minutes(manifest.node("A")) == 30 + 3 + 10
    assert job_minutes(manifest.node("B")) == 1 + 10
    assert job_minutes(manifest.node("C")) == 7200  # GitHub's 5-day cap for self-hosted


def test_least_privilege() -> None:
    manifest = shop()
    generated = generate_workflow(manifest, OPTIONS)
    data = document(generated.text)
    assert data["permissions"] == {}
    publishers = {generated.plan.job_of[n.id] for n in manifest.nodes if n.produces}
    for job_id, job in data["jobs"].items():
        perms = job["permissions"]
        if job_id == "audit":
            assert perms == {"contents": "read", "statuses": "write"}
        elif job_id == "setup":
            assert perms == {"contents": "read"}
        elif job_id in publishers:
            assert perms == {"contents": "write", "statuses": "read"}
        else:
            assert perms == {"contents": "read", "statuses": "read"}
    assert publishers == {"api-orders", "evt-ordercreated"}
    # Every permission line says why.
    for line in generated.text.splitlines():
        if re.match(r"^\s+(contents|statuses): (read|write)", line):
            assert "  # " in line, line
    # Only publishing jobs get a token for the node step; checkout never keeps one.
    for job_id, job in data["jobs"].items():
        for step in job["steps"]:
            if "checkout" in step.get("uses", ""):
                assert step["with"]["persist-credentials"] is False
            if step.get("uses", "").endswith("actions/node"):
                assert ("github-token" in step["with"]) == (job_id in publishers)


def test_every_uses_is_pinned_by_sha_with_its_tag() -> None:
    text = generate_workflow(shop(), OPTIONS).text
    pins = {p.repository: p for p in ALL_PINS}
    seen = set()
    for line in text.splitlines():
        match = re.match(r"^\s+(?:- )?uses: (\S+)(.*)$", line)
        if not match:
            continue
        value, rest = match.groups()
        if value.startswith("$/actions/"):
            continue
        pinned = SHA_USES.match(value)
        assert pinned, value
        pin = pins[pinned.group(1)]
        assert pinned.group(2) == pin.sha
        assert rest == f"  # {pin.tag}"
        seen.add(pin.repository)
    assert seen == {"actions/checkout", "actions/download-artifact", "actions/upload-artifact"}


def test_remote_action_reference_is_pinned() -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    text = SHOP.read_text() + f"\ngithub:\n  action: acme/dde-ci@{sha}\n  action_version: v0.1.0\n"
    manifest = load_manifest_text(text, SHOP)
    action = resolve_action(manifest, REPO_ROOT, Build("0.2.0", HOME, COMMIT))
    out = generate_workflow(manifest, WorkflowOptions("dde.yaml", "w.yml", action)).text
    assert f"uses: acme/dde-ci/actions/setup@{sha}  # v0.1.0" in out
    assert f"uses: acme/dde-ci/actions/node@{sha}  # v0.1.0" in out
    assert f"uses: acme/dde-ci/actions/audit@{sha}  # v0.1.0" in out
    assert "$/" not in out


def test_an_unpinned_action_reference_is_refused() -> None:
    text = SHOP.read_text() + "\ngithub:\n  action: acme/dde-ci@v1\n"
    with pytest.raises(InputError) as info:
        load_manifest_text(text, SHOP)
    assert "github.action" in str(info.value)


def test_setup_fixes_the_iteration_and_every_node_job_uses_it() -> None:
    data = document(generate_workflow(shop(), OPTIONS).text)
    setup = data["jobs"]["setup"]
    assert setup["outputs"] == {"iteration": "${{ steps.iteration.outputs.iteration }}"}
    step = setup["steps"][1]
    assert step["id"] == "iteration"
    assert step["with"]["command"] == "iteration -m examples/shop/dde.yaml"
    assert step["with"]["iteration"] == "${{ inputs.iteration }}"
    for job_id, job in data["jobs"].items():
        if job_id == "setup":
            continue
        assert "setup" in job["needs"]
        names = [s["with"]["name"] for s in job["steps"] if "upload-artifact" in s.get("uses", "")]
        for name in names:
            assert "${{ needs.setup.outputs.iteration }}" in name


def test_node_jobs_download_what_is_done_and_upload_their_outputs() -> None:
    manifest = shop()
    graph = build_graph(manifest)
    generated = generate_workflow(manifest, OPTIONS)
    data = document(generated.text)
    it = "${{ needs.setup.outputs.iteration }}"
    for job in generated.plan.jobs:
        steps = data["jobs"][job.job_id]["steps"]
        downloads = [s["with"] for s in steps if "download-artifact" in s.get("uses", "")]
        if graph.preds[job.nodes[0]]:
            # Every node artifact done so far: dependencies, theirs, and any other.
            assert downloads == [
                {"pattern": f"dde-{it}-*", "merge-multiple": True, "path": "examples/shop"}
            ]
        else:
            assert downloads == []
        upload = next(s for s in steps if "upload-artifact" in s.get("uses", ""))
        assert upload["if"] == "${{ !cancelled() }}"
        assert upload["with"]["include-hidden-files"] is True
        paths = upload["with"]["path"].splitlines()
        assert paths[0] == "examples/shop/dde.yaml"  # keeps the manifest folder as the root
        node = "${{ env.DDE_WORKFLOW_NODE }}"  # the steps are shared: the job's env names it
        expected = "${{ matrix.node }}" if job.is_matrix else job.nodes[0]
        assert data["jobs"][job.job_id]["env"]["DDE_WORKFLOW_NODE"] == expected
        assert f"examples/shop/reports/{it}/{node}/" in paths
        assert f"examples/shop/.dde/artifacts/{it}/{node}/" in paths
        assert ("examples/shop/.dde/contracts/" in paths) == job.publishes
        assert paths[-1] == "${{ env.DDE_WORKFLOW_ARTIFACTS }}"
    be = data["jobs"]["be-orders"]["env"]
    assert be["DDE_WORKFLOW_ARTIFACTS"].splitlines() == ["examples/shop/build/backend/**"]


def test_a_forks_pull_request_never_reaches_the_runners() -> None:
    data = document(generate_workflow(shop(), OPTIONS).text)
    guard = f"${{{{ {SAME_REPOSITORY} }}}}"
    assert data["jobs"]["setup"]["if"] == guard
    for job_id, job in data["jobs"].items():  # every node job waits for setup
        if job_id not in ("setup", "audit"):
            assert "setup" in job["needs"] and "if" not in job
    assert data["jobs"]["audit"]["if"] == f"${{{{ !cancelled() && ({SAME_REPOSITORY}) }}}}"
    # Without the pull_request trigger there is nothing to guard.
    text = SHOP.read_text() + "\ngithub:\n  triggers: [push, workflow_dispatch]\n"
    pushed = document(generate_workflow(load_manifest_text(text, SHOP), OPTIONS).text)
    assert "if" not in pushed["jobs"]["setup"]
    assert pushed["jobs"]["audit"]["if"] == "${{ !cancelled() }}"


def test_node_jobs_of_a_kind_share_one_step_list() -> None:
    """Steps used by several jobs are written once (&anchor) and repeated (*alias)."""
    generated = generate_workflow(shop(), OPTIONS)
    text = generated.text
    anchors = re.findall(r"steps: &([a-z-]+)$", text, re.MULTILINE)
    aliases = re.findall(r"steps: \*([a-z-]+)$", text, re.MULTILINE)
    assert sorted(anchors) == ["interface-steps", "node-steps-fetch"]
    assert set(aliases) == set(anchors)  # an anchor nobody repeats is an actionlint error
    plain = len(re.findall(r"^    steps:$", text, re.MULTILINE))  # setup, audit, a lone kind
    assert len(anchors) + len(aliases) + plain == len(generated.plan.jobs) + 2
    assert re.findall(r"permissions: &([a-z-]+)$", text, re.MULTILINE) == [
        "interface-permissions",
        "node-permissions",
    ]
    data = document(text)  # what GitHub reads: each job with its full steps
    steps = [data["jobs"][job.job_id]["steps"] for job in generated.plan.jobs]
    assert all(any(s.get("name") == "Run the node step" for s in job) for job in steps)


def test_every_node_job_checks_the_pause_marker_before_its_node_step() -> None:
    from dde_ci.github.runs import PAUSE_CHECK_STEP

    data = document(generate_workflow(shop(), OPTIONS).text)
    for job_id, job in data["jobs"].items():
        if job_id in ("setup", "audit"):
            continue
        names = [s.get("name") for s in job["steps"]]
        check = names.index(PAUSE_CHECK_STEP)
        node_step = next(i for i, s in enumerate(job["steps"]) if s.get("uses") == "$/actions/node")
        assert names.index("Set up dde-ci") < check < node_step
        step = job["steps"][check]
        assert step["run"] == '"$DDE_CI" gh paused-check\n'
        assert step["env"]["DDE_CI"] == "${{ steps.dde.outputs.dde-ci }}"
        assert step["env"]["DDE_HEAD_SHA"] == (
            "${{ github.event.pull_request.head.sha || github.sha }}"
        )


def test_audit_job_needs_every_job_and_cannot_be_skipped_into_success() -> None:
    generated = generate_workflow(shop(), OPTIONS)
    data = document(generated.text)
    audit = data["jobs"]["audit"]
    assert audit["needs"] == ["setup", *(job.job_id for job in generated.plan.jobs)]
    assert audit["if"] == f"${{{{ !cancelled() && ({SAME_REPOSITORY}) }}}}"
    steps = {s["name"]: s for s in audit["steps"]}
    run = steps["Audit the iteration"]
    assert run["uses"] == "$/actions/audit"
    assert run["with"]["github-status"] is True
    guard = steps["Fail when a needed job did not succeed"]
    assert guard["if"].startswith("${{ !cancelled() && (")
    for result in ("failure", "cancelled", "skipped"):
        assert f"contains(needs.*.result, '{result}')" in guard["if"]
    assert guard["run"].rstrip().endswith("exit 1")
    assert list(steps)[-1] == "Fail when a needed job did not succeed"


def test_triggers_and_concurrency_follow_the_manifest() -> None:
    text = SHOP.read_text() + "\ngithub:\n  triggers: [push]\n  branches: [main, 'release/*']\n"
    manifest = load_manifest_text(text, SHOP)
    data = document(generate_workflow(manifest, WorkflowOptions("dde.yaml", "w.yml")).text)
    assert data["on"] == {"push": {"branches": ["main", "release/*"]}}
    assert data["concurrency"]["group"] == "dde-shop-delivery-${{ github.ref }}"
    setup_step = data["jobs"]["setup"]["steps"][1]
    assert "iteration" not in setup_step["with"]  # no workflow_dispatch input to read
    full = document(generate_workflow(shop(), OPTIONS).text)
    assert set(full["on"]) == {"push", "pull_request", "workflow_dispatch"}
    assert full["on"]["workflow_dispatch"]["inputs"]["iteration"]["type"] == "string"


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("triggers: []", "github.triggers"),
        ("branches: ['release/${{ github.event.issue.title }}']", "github.branches[0]"),
        ("branches: ['with space']", "github.branches[0]"),
    ],
)
def test_bad_github_settings_are_refused(setting: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        load_manifest_text(SHOP.read_text() + f"\ngithub:\n  {setting}\n", SHOP)
    assert message in str(info.value)


# -- manifest text never reaches a script or an expression --------------------------------


def hostile() -> Manifest:
    return load_manifest_text(hostile_manifest(), Path("/repo/plan/dde.yaml"))


HOSTILE_OPTIONS = WorkflowOptions("plan/dde.yaml", ".github/workflows/dde.yml")


def test_hostile_text_stays_text() -> None:
    manifest = hostile()
    text = generate_workflow(manifest, HOSTILE_OPTIONS).text
    data = document(text)
    # No run: script holds an expression or anything from the manifest.
    for run in runs_of(data):
        assert "${{" not in run
        assert "github.event" not in run and "rm -rf" not in run
    # Commands and env values are not in the workflow at all.
    assert "rm -rf" not in text.replace("rm -rf / | cat", "")  # only inside quoted names
    assert "printf %s" not in text
    # Every ${{ }} left is dde-ci's own, or a literal that GitHub turns back into the text.
    names = {n.id: n for n in manifest.nodes}
    api = data["jobs"]["api-evil"]
    assert expand(api["name"]) == f"API.Evil: {EXPR}"
    legs = data["jobs"]["be-twin-matrix"]["strategy"]["matrix"]["include"]
    for leg in legs:
        node = names[leg["node"]]
        assert expand(leg["name"]) == " ".join(f"{node.id}: {node.name}".split())
        assert expand(leg["artifacts"]) == f"plan/build/{leg['node'][-1]}/{EXPR}/**"
    for job in data["jobs"].values():
        for step in job["steps"]:
            for value in step.get("with", {}).values():
                evaluated = re.findall(r"<EXPR:([^>]*)>", expand(str(value)))
                for expr in evaluated:
                    assert expr.startswith(
                        ("needs.setup.", "matrix.", "github.token", "inputs.", "env.DDE_WORKFLOW_")
                    )
        for key, value in job.get("env", {}).items():
            assert key.startswith("DDE_WORKFLOW_")
            for expr in re.findall(r"<EXPR:([^>]*)>", expand(str(value))):
                assert expr.startswith("matrix.")


def test_hostile_names_cannot_break_the_yaml() -> None:
    text = generate_workflow(hostile(), HOSTILE_OPTIONS).text
    data = document(text)
    assert set(data["jobs"]) == {"setup", "api-evil", "be-twin-matrix", "z-final", "audit"}
    # One line per YAML line: no name brought its own line break.
    assert all(not line.startswith(("::", "line two")) for line in text.splitlines())
    assert len([n for n in NAMES if "\n" in n]) == 1


def test_literal_escapes_every_expression() -> None:
    assert literal("plain") == "plain"
    assert expand(literal(EXPR)) == EXPR
    assert expand(literal("${{${{ a }}")) == "${{${{ a }}"
    assert "<EXPR" not in expand(literal("x ${{ secrets.A }} y ${{ github.token }}"))


# -- GitHub's limits ----------------------------------------------------------------------


def wide_manifest(twins: int) -> str:
    lines = ["workflow: wide", "settings: {default_runs_on: [self-hosted, linux]}", "nodes:"]
    lines.append("  - {id: Start, type: action}")
    for i in range(twins):
        lines.append(f"  - {{id: T{i:04d}, type: action, depends_on: [Start]}}")
    deps = ", ".join(f"T{i:04d}" for i in range(twins))
    lines.append(f"  - {{id: End, type: action, depends_on: [{deps}]}}")
    return "\n".join(lines) + "\n"


def test_a_matrix_over_256_legs_is_split() -> None:
    manifest = load_manifest_text(wide_manifest(300))
    generated = generate_workflow(manifest, WorkflowOptions("dde.yaml", "w.yml"))
    data = document(generated.text)
    assert data["jobs"]["t0000-matrix"]["strategy"]["matrix"]["include"][0]["node"] == "T0000"
    first = data["jobs"]["t0000-matrix"]["strategy"]["matrix"]["include"]
    second = data["jobs"]["t0000-matrix-part-2"]["strategy"]["matrix"]["include"]
    assert len(first) == MAX_MATRIX_LEGS and len(second) == 300 - MAX_MATRIX_LEGS
    assert second[0]["node"] == f"T{MAX_MATRIX_LEGS:04d}"
    assert data["jobs"]["end"]["needs"] == ["setup", "t0000-matrix", "t0000-matrix-part-2"]
    graph = build_graph(manifest)
    assert simulate_makespan(generated.plan, graph.weights) == graph.critical_path_length


def test_a_workflow_over_500_kib_is_a_clear_error(
    tmp_path: Path, cli: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = ["workflow: long", "settings: {default_runs_on: [self-hosted, linux]}", "nodes:"]
    for i in range(600):
        dep = f", depends_on: [N{i - 1:04d}]" if i else ""
        name = "long " * 200  # 1 KB a node, in each job's name
        lines.append(
            f"  - {{id: N{i:04d}, type: action, name: {name}, artifacts: [out/{i}/**]{dep}}}"
        )
    manifest = tmp_path / "dde.yaml"
    manifest.write_text("\n".join(lines) + "\n")
    out = tmp_path / ".github" / "workflows" / "w.yml"
    code = cli("generate", "-m", str(manifest), "-o", str(out), "--root", str(tmp_path))
    err = capsys.readouterr().err
    assert code == 2
    assert f"GitHub accepts at most {MAX_WORKFLOW_BYTES // 1000} KB per workflow file" in err
    assert err.startswith(f"{tmp_path / 'dde.yaml'}") or "dde.yaml" in err
    assert not out.exists()


def test_job_ids_are_unique_and_valid() -> None:
    text = (
        "workflow: ids\nsettings: {default_runs_on: [x]}\nnodes:\n"
        "  - {id: setup, type: action}\n  - {id: Setup-2, type: action, depends_on: [setup]}\n"
        "  - {id: A.b, type: action, depends_on: [Setup-2]}\n"
        "  - {id: A-b, type: action, depends_on: [A.b]}\n"
        "  - {id: a_b, type: action, depends_on: [A-b]}\n"
    )
    plan = plan_jobs(load_manifest_text(text), build_graph(load_manifest_text(text)))
    ids = [j.job_id for j in plan.jobs]
    assert ids == ["setup-2", "setup-2-2", "a-b", "a-b-2", "a_b"]
    assert all(re.fullmatch(r"[a-z_][a-z0-9_-]*", i) for i in ids)


# -- the makespan the needs imply ---------------------------------------------------------


@st.composite
def dags(draw: st.DrawFn) -> str:
    n = draw(st.integers(1, 30))
    labels = ["[self-hosted, linux]", "[self-hosted, gpu]"]
    lines = ["workflow: random", "settings: {default_runs_on: [self-hosted, linux]}", "nodes:"]
    for i in range(n):
        # Few distinct parent sets make twins common.
        pool = list(range(max(0, i - 6), i))
        parents = draw(st.lists(st.sampled_from(pool), max_size=3, unique=True)) if pool else []
        effort = draw(st.integers(0, 50))
        runs_on = labels[draw(st.integers(0, 1))]
        deps = ", ".join(f"N{p}" for p in sorted(parents))
        lines.append(
            f"  - {{id: N{i}, type: action, estimated_effort: {effort}, runs_on: {runs_on},"
            f" depends_on: [{deps}]}}"
        )
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dags())
def test_needs_add_no_wait_the_graph_does_not_have(text: str) -> None:
    manifest = load_manifest_text(text)
    graph = build_graph(manifest)
    plan = plan_jobs(manifest, graph)
    assert len(plan.jobs) <= len(manifest.nodes)
    assert simulate_makespan(plan, graph.weights) == graph.critical_path_length
    # Every dependency is kept: the dependent's job waits, directly or not, for the producer's.
    position = {job.job_id: i for i, job in enumerate(plan.jobs)}
    waits: dict[str, set[str]] = {}
    for job in plan.jobs:
        assert all(position[n] < position[job.job_id] for n in job.needs)
        waits[job.job_id] = set(job.needs).union(*(waits[n] for n in job.needs))
    for a, b in graph.edges:
        assert plan.job_of[a] in waits[plan.job_of[b]]
    # Twins really are twins.
    for job in plan.jobs:
        first = job.nodes[0]
        for other in job.nodes[1:]:
            assert graph.preds[other] == graph.preds[first]
            assert graph.succs[other] == graph.succs[first]


def test_the_predicted_makespan_counts_overhead_and_max_parallel() -> None:
    text = (
        "workflow: w\nsettings: {default_runs_on: [x]}\nnodes:\n"
        "  - {id: S, type: action, estimated_effort: 5}\n"
        + "".join(
            f"  - {{id: T{i}, type: action, estimated_effort: {w}, depends_on: [S]}}\n"
            for i, w in enumerate([10, 10, 10, 4])
        )
    )
    manifest = load_manifest_text(text)
    graph = build_graph(manifest)
    plan = plan_jobs(manifest, graph)
    assert [len(job.nodes) for job in plan.jobs] == [1, 4]  # S, then its four twins
    assert simulate_makespan(plan, graph.weights) == 15
    assert simulate_makespan(plan, graph.weights, job_overhead=1) == 17
    # Two at a time, heaviest first: 10 and 10, then 10 and 4.
    assert simulate_makespan(plan, graph.weights, max_parallel=2) == 25
    assert simulate_makespan(plan, graph.weights, job_overhead=1, max_parallel=2) == 28


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dags(), st.floats(min_value=0.0, max_value=1.0))
def test_levels_grouping_keeps_every_dependency(text: str, share: float) -> None:
    manifest = load_manifest_text(text)
    graph = build_graph(manifest)
    ranked = by_slack(graph)
    alone = frozenset(ranked[: int(share * len(ranked))])  # least slack: a job of their own
    plan = plan_jobs(manifest, graph, "levels", alone)
    position = {job.job_id: i for i, job in enumerate(plan.jobs)}
    waits: dict[str, set[str]] = {}
    for job in plan.jobs:
        assert all(position[n] < position[job.job_id] for n in job.needs)
        waits[job.job_id] = set(job.needs).union(*(waits[n] for n in job.needs))
    for a, b in graph.edges:
        assert plan.job_of[a] in waits[plan.job_of[b]]
    if not alone:  # depth levels are coarser than twins (twins share their depth)
        assert len(plan.jobs) <= len(plan_jobs(manifest, graph).jobs)
    # It may add waits, never take any away.
    assert simulate_makespan(plan, graph.weights) >= graph.critical_path_length


def scale_manifest(n: int, seed: int = 7) -> str:
    """Like benchmarks/workflow_scale.py: each node depends on up to 3 of the 40 before it."""
    import random

    rng = random.Random(seed)
    lines = [
        "workflow: scale",
        "settings: {default_runs_on: [self-hosted, linux]}",
        "runners:",
        "  - {name: py, labels: [self-hosted, linux, python], capabilities: [Python]}",
        "  - {name: web, labels: [self-hosted, linux, node], capabilities: [JavaScript]}",
        "nodes:",
    ]
    for i in range(n):
        pool = range(max(0, i - 40), i)
        deps = sorted(rng.sample(pool, k=min(len(pool), rng.randint(0, 3))))
        cap = rng.choice(["Python", "JavaScript"])
        lines.append(
            f"  - {{id: N{i:05d}, type: action, name: 'Node {i}', run: 'make n{i}',"
            f" capabilities: [{cap}], estimated_effort: {rng.randint(1, 120)},"
            f" artifacts: ['build/n{i}/**'], depends_on: [{', '.join(f'N{d:05d}' for d in deps)}]}}"
        )
    return "\n".join(lines) + "\n"


@pytest.mark.slow
def test_a_2000_node_plan_fits_github_and_keeps_every_dependency() -> None:
    manifest = load_manifest_text(scale_manifest(2000))
    generated = generate_workflow(manifest, WorkflowOptions("dde.yaml", ".github/workflows/d.yml"))
    assert generated.size <= MAX_WORKFLOW_BYTES
    assert generated.plan.grouping == "levels"  # one job per node would not fit
    data = yaml.load(generated.text, Loader=yaml.CSafeLoader)  # what GitHub reads
    graph = build_graph(manifest)
    # The nodes with the least slack kept their own jobs: hardly any wait was added
    # (grouping every level would add about half the critical path).
    span = simulate_makespan(generated.plan, graph.weights)
    assert span <= 1.05 * graph.critical_path_length
    everything = plan_jobs(manifest, graph, "levels")
    assert simulate_makespan(everything, graph.weights) > 1.2 * graph.critical_path_length
    jobs = data["jobs"]
    waits: dict[str, set[str]] = {}  # in the file itself: what each job waits for
    for job_id, job in jobs.items():  # written in topological order
        needs = job.get("needs", [])
        waits[job_id] = set(needs).union(*(waits[n] for n in needs))
    for a, b in graph.edges:  # b's job needs a's, directly or not
        assert generated.plan.job_of[a] in waits[generated.plan.job_of[b]], (a, b)
    legs = {
        leg["node"]
        for job in jobs.values()
        for leg in job.get("strategy", {}).get("matrix", {}).get("include", [])
    }
    singles = {
        job["env"]["DDE_WORKFLOW_NODE"]
        for job in jobs.values()
        if "env" in job and not job.get("strategy")
    }
    assert len(legs) + len(singles) == len(manifest.nodes)
    assert legs | singles == {n.id for n in manifest.nodes}


def test_a_plan_that_fits_runs_one_job_per_node_without_added_wait() -> None:
    manifest = load_manifest_text(scale_manifest(500))
    generated = generate_workflow(manifest, WorkflowOptions("dde.yaml", ".github/workflows/d.yml"))
    graph = build_graph(manifest)
    assert generated.plan.grouping == "twins"
    assert simulate_makespan(generated.plan, graph.weights) == graph.critical_path_length


# -- the YAML writer ----------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_reads_back_exactly(text: str) -> None:
    doc = {"key": text, "list": Flow([text, "x"]), "block": [text], "c": Commented(text, "why")}
    loaded = yaml.safe_load(yaml_document(doc))
    assert loaded == {"key": text, "list": [text, "x"], "block": [text], "c": text}


@pytest.mark.parametrize(
    "value",
    ["on", "yes", "No", "null", "~", "1.5", ".5", "._1", "0x1F", "1:30", "-x", "a: b", "a #b", ""],
)
def test_ambiguous_scalars_are_quoted(value: str) -> None:
    assert scalar(value).startswith('"')
    assert yaml.safe_load(f"k: {scalar(value)}")["k"] == value


def test_block_scalars_keep_their_text() -> None:
    text = "line one\n  indented: x # y\nlast\n"
    assert yaml.safe_load(yaml_document({"run": Block(text)})) == {"run": text}
    odd = " leading space\n"
    assert yaml_document({"run": Block(odd)}) == f"run: {quoted(odd)}\n"


# -- the tools the field trusts -----------------------------------------------------------


def manifests_under_examples() -> list[Path]:
    return sorted((REPO_ROOT / "examples").glob("*/dde.yaml"))


@pytest.mark.slow
@pytest.mark.parametrize("manifest", manifests_under_examples(), ids=lambda p: p.parent.name)
def test_example_workflows_pass_the_tools(tmp_path: Path, manifest: Path) -> None:
    loaded = load_manifest(manifest)
    options = WorkflowOptions(manifest.relative_to(REPO_ROOT).as_posix(), "dde.yml")
    workflow = tools.make_project(tmp_path, generate_workflow(loaded, options).text)
    failed = tools.lint_workflow(tmp_path, workflow)
    assert not failed, "\n".join(map(str, failed))


@pytest.mark.slow
def test_workflow_with_a_pinned_remote_action_passes_the_tools(tmp_path: Path) -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    text = SHOP.read_text() + f"\ngithub:\n  action: acme/dde-ci@{sha}\n  action_version: v0.1.0\n"
    workflow = tools.make_project(
        tmp_path, generate_workflow(load_manifest_text(text, SHOP), OPTIONS).text
    )
    failed = tools.lint_workflow(tmp_path, workflow)
    assert not failed, "\n".join(map(str, failed))


@pytest.mark.slow
def test_hostile_workflow_passes_the_tools(tmp_path: Path) -> None:
    workflow = tools.make_project(tmp_path, generate_workflow(hostile(), HOSTILE_OPTIONS).text)
    failed = tools.lint_workflow(tmp_path, workflow)
    assert not failed, "\n".join(map(str, failed))


@pytest.mark.slow
def test_the_tools_can_say_no(tmp_path: Path) -> None:
    """The same checks fail on a workflow with the faults the generator avoids."""
    bad = generate_workflow(shop(), OPTIONS).text
    bad = bad.replace("        with:\n          persist-credentials: false\n", "", 1)
    bad = bad.replace(f"actions/checkout@{ALL_PINS[0].sha}", "actions/checkout@v4", 1)
    bad = bad.replace("permissions: {}\n", "", 1)
    bad = bad.replace(
        "      - name: Set up dde-ci\n",
        "      - run: echo ${{ github.event.issue.title }}\n      - name: Set up dde-ci\n",
        1,
    )
    workflow = tools.make_project(tmp_path, bad)
    failed = {r.tool: r.output for r in tools.lint_workflow(tmp_path, workflow)}
    assert "zizmor" in failed
    for audit in ("artipacked", "unpinned-uses", "template-injection", "excessive-permissions"):
        assert audit in failed["zizmor"], audit
    unknown_label = tools.make_project(
        tmp_path / "labels", generate_workflow(shop(), OPTIONS).text.replace("deploy]", "gpu]")
    )
    result = tools.actionlint(unknown_label, tmp_path / "labels")
    assert result.code == 1 and 'label "gpu" is unknown' in result.output


# -- the dde-workflow-sync pre-commit hook ------------------------------------------------


@pytest.mark.slow
def test_workflow_sync_hook_refuses_a_commit_with_a_stale_workflow(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    bin_dir = Path(sys.executable).parent
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, check=False)

    hooks = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = dict(next(h for h in hooks if h["id"] == "dde-workflow-sync"))
    assert hook["entry"] == "dde-ci hook workflow-sync" and hook["pass_filenames"] is False
    hook.update(language="system", entry=hook["entry"].replace("dde-ci", str(bin_dir / "dde-ci")))
    hook.pop("minimum_pre_commit_version")
    config = {"repos": [{"repo": "local", "hooks": [hook]}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    manifest = "workflow: w\nsettings: {default_runs_on: [self-hosted, linux]}\nnodes:\n"
    manifest += "  - {id: A, type: action}\n"
    (repo / "dde.yaml").write_text(manifest)
    assert run("git", "init", "-q").returncode == 0
    assert run(str(bin_dir / "pre-commit"), "install").returncode == 0
    run("git", "add", ".")

    missing = run("git", "commit", "-qm", "manifest without its workflow")
    assert missing.returncode != 0
    assert ".github/workflows/dde.yml does not exist" in missing.stdout + missing.stderr

    written = run(str(bin_dir / "dde-ci"), "generate", "-o", ".github/workflows/dde.yml")
    assert written.returncode == 0
    run("git", "add", ".")
    assert run("git", "commit", "-qm", "manifest and workflow").returncode == 0

    (repo / "dde.yaml").write_text(manifest + "  - {id: B, type: action, depends_on: [A]}\n")
    run("git", "add", "dde.yaml")
    stale = run("git", "commit", "-qm", "a node more")
    assert stale.returncode != 0
    out = stale.stdout + stale.stderr
    assert ".github/workflows/dde.yml is stale" in out
    assert "+  b:" in out  # the diff shows the job the manifest now needs


@pytest.mark.parametrize("pattern", ["!build/secret", "build/a\nbuild/b"])
def test_artifact_patterns_github_cannot_upload_are_refused(pattern: str) -> None:
    text = (
        "workflow: w\nsettings: {default_runs_on: [x]}\nnodes:\n"
        f"  - {{id: A, type: action, artifacts: [{json.dumps(pattern)}]}}\n"
    )
    manifest = load_manifest_text(text, Path("/repo/dde.yaml"))
    with pytest.raises(InputError) as info:
        generate_workflow(manifest, WorkflowOptions("dde.yaml", "w.yml"))
    assert str(info.value).startswith("/repo/dde.yaml: node 'A': artifact pattern")
