"""``dde-ci contract lock / verify / history / publish`` driven through main()."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dde_ci.cli.main import main
from dde_ci.contracts.registry import context_entries
from dde_ci.github.releases import release_body
from dde_ci.layout import Layout
from dde_ci.manifest.loader import load_manifest
from tests.contracts.contract_project import make_project, openapi, write_openapi
from tests.github.payloads import REPO, REPO_API, UPLOADS, asset, comment, mocked_github, release

Capsys = pytest.CaptureFixture[str]


def _lock(manifest: Path, capsys: Capsys, *extra: str) -> tuple[int, dict[str, Any]]:
    code = main(
        [
            "contract",
            "lock",
            "orders-api",
            "-m",
            str(manifest),
            "--iteration",
            "It-1",
            "--format",
            "json",
            *extra,
        ]
    )
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else {}


def test_lock_then_no_op_then_breaking(tmp_path: Path, capsys: Capsys) -> None:
    manifest = make_project(tmp_path)
    code, first = _lock(manifest, capsys, "--commit", "abc")
    assert code == 0 and first["created"] and first["version"] == "1.0.0"
    assert first["owner"] == {"node_id": "API.Orders", "iteration_id": "It-1", "commit": "abc"}
    code, again = _lock(manifest, capsys)
    assert code == 0 and not again["created"] and again["kind"] == "unchanged"
    spec = openapi()
    del spec["paths"]["/orders/{orderId}"]
    write_openapi(tmp_path, spec)
    assert main(["contract", "lock", "orders-api", "-m", str(manifest), "--iteration", "It-1"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("locked orders-api 2.0.0 (breaking since 1.0.0): sha256:")
    assert (
        "  breaking: api path removed without deprecation [api-path-removed-without-deprecation]"
        in out
    )
    assert "  affected consumer: BE.Orders (backend-dev)" in out
    assert "  affected consumer: FE.Checkout (web-dev)" in out
    log = (tmp_path / "reports/It-1/execution.log").read_text().splitlines()
    assert [json.loads(line)["event_type"] for line in log] == [
        "contract.locked",
        "contract.locked",
        "contract.locked",
        "contract.breaking_change",
    ]


def test_lock_bad_input_is_exit_2_with_a_place(tmp_path: Path, capsys: Capsys) -> None:
    manifest = make_project(tmp_path)
    assert main(["contract", "lock", "order-api", "-m", str(manifest), "--iteration", "It-1"]) == 2
    assert "no contract named 'order-api' in the manifest (did you mean 'orders-api'?)" in (
        capsys.readouterr().err
    )
    spec = openapi()
    spec["components"]["schemas"]["Order"] = {"$ref": "https://example.com/order.json"}
    write_openapi(tmp_path, spec)
    assert main(["contract", "lock", "orders-api", "-m", str(manifest), "--iteration", "It-1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("contracts/orders-api.yaml:")
    assert "never fetches remote references" in err
    assert "Traceback" not in err


def test_verify_exit_codes_and_report(tmp_path: Path, capsys: Capsys) -> None:
    manifest = make_project(tmp_path)
    for name in ("orders-api", "order-created"):
        assert main(["contract", "lock", name, "-m", str(manifest), "--iteration", "It-1"]) == 0
    loaded = load_manifest(manifest)
    layout = Layout(loaded.root)
    context = layout.context_file("It-1", "BE.Orders")
    context.parent.mkdir(parents=True)
    entries = context_entries(loaded, loaded.node("BE.Orders"), layout)
    context.write_text(json.dumps({"locked_contracts": entries}))
    capsys.readouterr()
    assert (
        main(["contract", "verify", "BE.Orders", "-m", str(manifest), "--iteration", "It-1"]) == 0
    )
    assert capsys.readouterr().out.splitlines() == [
        "orders-api 1.0.0: ok",
        "order-created 1.0.0: ok",
    ]
    (tmp_path / "examples/order-created.json").write_text(
        json.dumps({"order_id": 5, "total_cents": 1})
    )
    code = main(
        [
            "contract",
            "verify",
            "BE.Orders",
            "-m",
            str(manifest),
            "--iteration",
            "It-1",
            "--format",
            "json",
        ]
    )
    assert code == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    finding = report["results"][1]["findings"][0]
    assert finding["pointer"] == "/order_id" and "5 is not of type 'string'" in finding["message"]
    saved = json.loads((tmp_path / "reports/It-1/BE.Orders/contracts.json").read_text())
    assert saved["results"] == report["results"]
    assert main(["contract", "verify", "BE.Order", "-m", str(manifest), "--iteration", "It-1"]) == 2


def test_history_json_and_markdown(tmp_path: Path, capsys: Capsys) -> None:
    manifest = make_project(tmp_path)
    _lock(manifest, capsys, "--commit", "1111111111111111")
    spec = openapi()
    spec["info"]["description"] = "documented"
    write_openapi(tmp_path, spec)
    _lock(manifest, capsys)
    spec["components"]["schemas"]["Order"]["properties"]["total_cents"]["type"] = "string"
    write_openapi(tmp_path, spec)
    _lock(manifest, capsys)
    assert main(["contract", "history", "orders-api", "-m", str(manifest), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rows = [
        (v["version"], v["status"], v["supersedes"], v["breaking"], v["kind"])
        for v in data["versions"]
    ]
    assert rows == [
        ("1.0.0", "SUPERSEDED", None, False, "initial"),
        ("1.0.1", "SUPERSEDED", "1.0.0", False, "documentation"),
        ("2.0.0", "LOCKED", "1.0.1", True, "breaking"),
    ]
    assert data["versions"][0]["owner"]["commit"] == "1111111111111111"
    assert [c["id"] for c in data["versions"][2]["changes"]] == [
        "response-property-type-changed",
        "response-property-type-changed",
        "api-version-not-bumped",  # info.version stayed 1.0.0 (oasdiff's versioning policy)
    ]
    assert main(["contract", "history", "orders-api", "-m", str(manifest)]) == 0
    md = capsys.readouterr().out
    assert "| Version | Locked at | Owner | Status | Digest | Supersedes | Breaking |" in md
    assert "| 2.0.0 |" in md and "| **yes** |" in md
    assert "### 2.0.0 (breaking, since 1.0.1)" in md
    assert main(["contract", "history", "nothing", "-m", str(manifest)]) == 2
    assert "contract 'nothing' has no locked version" in capsys.readouterr().err


def test_publish_locally_shows_the_registry_entry(tmp_path: Path, capsys: Capsys) -> None:
    manifest = make_project(tmp_path)
    assert main(["contract", "publish", "orders-api", "-m", str(manifest)]) == 2
    assert "lock it: dde-ci contract lock orders-api" in capsys.readouterr().err
    _lock(manifest, capsys)
    assert main(["contract", "publish", "orders-api", "-m", str(manifest)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("orders-api 1.0.0 (LOCKED) sha256:")
    assert ".dde/contracts/orders/orders-api/1.0.0" in out


@pytest.fixture
def gh(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    mock = mocked_github(monkeypatch)
    with mock:
        yield mock


def test_publish_to_github_records_the_release(
    tmp_path: Path, capsys: Capsys, gh: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = make_project(tmp_path)
    _, locked = _lock(manifest, capsys, "--commit", "6dcb09b5b57875f334f61aebed695e2e4193db5e")
    tag = "contract/orders/orders-api/v1.0.0"
    by_tag = f"{REPO_API}/releases/tags/contract%2Forders%2Forders-api%2Fv1.0.0"
    gh.get(by_tag, status=404, json={"message": "Not Found"})
    gh.get(f"{REPO_API}/releases", json=[])
    folder = tmp_path / ".dde/contracts/orders/orders-api/1.0.0"
    files = {
        "orders-api.yaml": folder / "orders-api.yaml",
        "contract.json": folder / "contract.json",
    }
    body = release_body("orders-api", tag, locked["digest"], files)
    gh.post(f"{REPO_API}/releases", status=201, json=release(7, tag, body=body))
    gh.get(f"{REPO_API}/releases/7/assets", json=[])
    gh.post(
        f"{UPLOADS}/repos/{REPO}/releases/7/assets", status=201, json=asset(11, "contract.json")
    )
    gh.post(
        f"{UPLOADS}/repos/{REPO}/releases/7/assets", status=201, json=asset(12, "orders-api.yaml")
    )
    gh.patch(f"{REPO_API}/releases/7", json=release(7, tag, body=body, draft=False))
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    code = main(
        [
            "contract",
            "publish",
            "orders-api",
            "-m",
            str(manifest),
            "--github",
            "--repo",
            REPO,
            "--format",
            "json",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out = json.loads(captured.out)
    assert out["published"]["url"] == f"https://github.com/{REPO}/releases/tag/{tag}"
    assert out["published"]["tag"] == tag and out["digest"] == locked["digest"]
    create = json.loads(gh.calls[2].request.body)
    assert create["tag_name"] == tag
    assert create["target_commitish"] == "6dcb09b5b57875f334f61aebed695e2e4193db5e"
    assert locked["digest"] in create["body"]
    stored = json.loads(
        (tmp_path / ".dde/contracts/orders/orders-api/1.0.0/contract.json").read_text()
    )
    assert stored["published"]["url"] == out["published"]["url"]
    assert "t0ken" not in captured.out + captured.err


def test_publish_to_github_needs_a_repository(tmp_path: Path, capsys: Capsys) -> None:
    manifest = make_project(tmp_path)
    _lock(manifest, capsys)
    assert main(["contract", "publish", "orders-api", "-m", str(manifest), "--github"]) == 2
    assert "--github needs --repo OWNER/NAME" in capsys.readouterr().err


def test_breaking_lock_comments_on_the_pull_request(
    tmp_path: Path, capsys: Capsys, gh: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = make_project(tmp_path)
    _lock(manifest, capsys)
    comments = f"{REPO_API}/issues/42/comments"
    code, _ = _lock(manifest, capsys, "--pr", "42", "--repo", REPO)
    assert code == 0 and len(gh.calls) == 0  # nothing broke: no comment
    spec = openapi()
    del spec["paths"]["/orders/{orderId}"]
    write_openapi(tmp_path, spec)
    gh.get(comments, json=[])
    gh.post(comments, status=201, json=comment(9, "x"))
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    code, out = _lock(manifest, capsys, "--pr", "42", "--repo", REPO)
    assert code == 0 and out["version"] == "2.0.0"
    assert out["comment"].endswith("#issuecomment-9")
    body = json.loads(gh.calls[1].request.body)["body"]
    assert "breaking change in contract `orders-api` 2.0.0" in body
    assert "| `BE.Orders` | `backend-dev` | `Backend:Python` |" in body
    assert "| `FE.Checkout` | `web-dev` | `Frontend:JavaScript` |" in body
    assert "api path removed without deprecation" in body


def test_node_run_publishes_the_locked_contract_as_a_release(
    tmp_path: Path, capsys: Capsys, gh: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a generated interface job does: `dde-ci node run NODE --github-release`."""
    manifest = make_project(tmp_path)
    _, locked = _lock(manifest, capsys, "--iteration", "Iter-1")
    tag = "contract/orders/orders-api/v1.0.0"
    gh.get(
        f"{REPO_API}/releases/tags/contract%2Forders%2Forders-api%2Fv1.0.0",
        status=404,
        json={"message": "Not Found"},
    )
    gh.get(f"{REPO_API}/releases", json=[])
    folder = tmp_path / ".dde/contracts/orders/orders-api/1.0.0"
    files = {
        "orders-api.yaml": folder / "orders-api.yaml",
        "contract.json": folder / "contract.json",
    }
    body = release_body("orders-api", tag, locked["digest"], files)
    gh.post(f"{REPO_API}/releases", status=201, json=release(7, tag, body=body))
    gh.get(f"{REPO_API}/releases/7/assets", json=[])
    for number, name in [(11, "contract.json"), (12, "orders-api.yaml")]:
        gh.post(f"{UPLOADS}/repos/{REPO}/releases/7/assets", status=201, json=asset(number, name))
    gh.patch(f"{REPO_API}/releases/7", json=release(7, tag, body=body, draft=False))
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    monkeypatch.setenv("GITHUB_API_URL", "https://api.github.com")
    code = main(
        [
            "node",
            "run",
            "API.Orders",
            "-m",
            str(manifest),
            "--iteration",
            "Iter-1",
            "--github-release",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err + captured.out
    stored = json.loads((folder / "contract.json").read_text())
    assert stored["published"]["url"] == f"https://github.com/{REPO}/releases/tag/{tag}"
    assert "t0ken" not in captured.out + captured.err


def test_node_run_github_release_needs_the_repository(
    tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = make_project(tmp_path)
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    assert main(["node", "run", "API.Orders", "-m", str(manifest), "--github-release"]) == 2
    assert "--github-release needs GITHUB_REPOSITORY and GITHUB_TOKEN" in capsys.readouterr().err


def test_a_manual_lock_is_owned_by_the_persons_command(
    tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not by whichever iteration ran last: the commit, the user and 'manual'."""
    import subprocess

    manifest = make_project(tmp_path)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "config", "user.name", "Ada Lovelace"], check=True)
    subprocess.run(
        ["git", "-C", str(tmp_path), "config", "user.email", "ada@example.invalid"], check=True
    )
    (tmp_path / "reports" / "Cancelled-7").mkdir(parents=True)  # an iteration that ran last
    (tmp_path / "reports" / "Cancelled-7" / "execution.log").write_text("")
    text = manifest.read_text().replace("iteration: Iter-1", "iteration: It-{seq}")
    manifest.write_text(text)
    assert "It-{seq}" in manifest.read_text()
    assert main(["contract", "lock", "orders-api", "-m", str(manifest), "--commit", "c0ffee"]) == 0
    capsys.readouterr()
    assert main(["contract", "history", "orders-api", "-m", str(manifest), "--format", "json"]) == 0
    (version,) = json.loads(capsys.readouterr().out)["versions"]
    assert version["owner"] == {
        "node_id": "API.Orders",
        "iteration_id": "manual",
        "commit": "c0ffee",
        "user": "Ada Lovelace <ada@example.invalid>",
    }
