"""Payloads shaped like GitHub's documented REST responses (trimmed to the fields we use)."""

from __future__ import annotations

from typing import Any

API = "https://api.github.com:443"  # PyGithub always spells the port
UPLOADS = "https://uploads.github.com:443"
REPO = "octo/shop"
REPO_API = f"{API}/repos/{REPO}"
SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
USER = {"login": "octocat", "id": 1, "type": "User", "site_admin": False}


def release(
    release_id: int,
    tag: str,
    *,
    body: str = "",
    draft: bool = True,
    assets: list[dict[str, Any]] | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    base = f"https://api.github.com/repos/{REPO}/releases/{release_id}"
    return {
        "url": base,
        "html_url": f"https://github.com/{REPO}/releases/tag/{tag}"
        if not draft
        else f"https://github.com/{REPO}/releases/tag/untagged-{release_id}",
        "assets_url": f"{base}/assets",
        "upload_url": f"https://uploads.github.com/repos/{REPO}/releases/{release_id}/assets"
        "{?name,label}",
        "tarball_url": None,
        "zipball_url": None,
        "id": release_id,
        "node_id": "MDc6UmVsZWFzZTE=",
        "tag_name": tag,
        "target_commitish": "main",
        "name": name or tag,
        "body": body,
        "draft": draft,
        "prerelease": False,
        "immutable": False,
        "created_at": "2026-11-27T10:00:00Z",
        "published_at": None if draft else "2026-11-27T10:01:00Z",
        "author": USER,
        "assets": assets or [],
    }


def asset(
    asset_id: int, name: str, *, state: str = "uploaded", size: int = 0, digest: str | None = None
) -> dict[str, Any]:
    return {
        "url": f"https://api.github.com/repos/{REPO}/releases/assets/{asset_id}",
        "browser_download_url": f"https://github.com/{REPO}/releases/download/v/{name}",
        "id": asset_id,
        "node_id": "MDEyOlJlbGVhc2VBc3NldDE=",
        "name": name,
        "label": "",
        "state": state,
        "content_type": "application/json",
        "size": size,
        "digest": digest,
        "download_count": 0,
        "created_at": "2026-11-27T10:00:30Z",
        "updated_at": "2026-11-27T10:00:30Z",
        "uploader": USER,
    }


def status(state: str, context: str = "dde/audit", description: str = "") -> dict[str, Any]:
    return {
        "url": f"https://api.github.com/repos/{REPO}/statuses/{SHA}",
        "id": 1,
        "node_id": "MDY6U3RhdHVzMQ==",
        "state": state,
        "description": description,
        "target_url": None,
        "context": context,
        "created_at": "2026-11-27T10:00:00Z",
        "updated_at": "2026-11-27T10:00:00Z",
        "creator": USER,
    }


def comment(comment_id: int, body: str, login: str = "github-actions[bot]") -> dict[str, Any]:
    return {
        "id": comment_id,
        "node_id": "MDEyOklzc3VlQ29tbWVudDE=",
        "url": f"https://api.github.com/repos/{REPO}/issues/comments/{comment_id}",
        "html_url": f"https://github.com/{REPO}/pull/7#issuecomment-{comment_id}",
        "body": body,
        "user": {**USER, "login": login, "type": "Bot"},
        "created_at": "2026-11-27T10:00:00Z",
        "updated_at": "2026-11-27T10:00:00Z",
        "issue_url": f"https://api.github.com/repos/{REPO}/issues/7",
        "author_association": "NONE",
    }


def workflow_run(
    run_id: int,
    *,
    status: str = "in_progress",
    conclusion: str | None = None,
    attempt: int = 1,
    started: str = "2026-11-27T10:00:00Z",
) -> dict[str, Any]:
    base = f"https://api.github.com/repos/{REPO}/actions/runs/{run_id}"
    return {
        "id": run_id,
        "name": "dde",
        "node_id": "WFR_kwLOBmLPk84",
        "head_branch": "main",
        "head_sha": SHA,
        "path": ".github/workflows/dde.yml",
        "display_title": "dde",
        "run_number": 12,
        "event": "push",
        "status": status,
        "conclusion": conclusion,
        "workflow_id": 159038,
        "check_suite_id": 414944374,
        "url": base,
        "html_url": f"https://github.com/{REPO}/actions/runs/{run_id}",
        "jobs_url": f"{base}/jobs",
        "logs_url": f"{base}/logs",
        "check_suite_url": "https://api.github.com/repos/octo/shop/check-suites/414944374",
        "artifacts_url": f"{base}/artifacts",
        "cancel_url": f"{base}/cancel",
        "rerun_url": f"{base}/rerun",
        "workflow_url": "https://api.github.com/repos/octo/shop/actions/workflows/159038",
        "run_attempt": attempt,
        "created_at": started,
        "updated_at": started,
        "run_started_at": started,
        "pull_requests": [],
        "actor": USER,
        "triggering_actor": USER,
    }


def job(
    job_id: int,
    name: str,
    *,
    run_id: int = 30433642,
    status: str = "completed",
    conclusion: str | None = "success",
    created: str = "2026-11-27T10:00:00Z",
    started: str | None = "2026-11-27T10:00:05Z",
    completed: str | None = "2026-11-27T10:01:05Z",
    labels: list[str] | None = None,
    steps: list[dict[str, Any]] | None = None,
    attempt: int = 1,
) -> dict[str, Any]:
    return {
        "id": job_id,
        "run_id": run_id,
        "run_url": f"https://api.github.com/repos/{REPO}/actions/runs/{run_id}",
        "node_id": "MDg6Q2hlY2tSdW4zOTk0NDQ0OTY=",
        "head_sha": SHA,
        "url": f"https://api.github.com/repos/{REPO}/actions/jobs/{job_id}",
        "html_url": f"https://github.com/{REPO}/actions/runs/{run_id}/job/{job_id}",
        "status": status,
        "conclusion": conclusion,
        "created_at": created,
        "started_at": started,
        "completed_at": completed,
        "name": name,
        "steps": steps or [],
        "check_run_url": f"https://api.github.com/repos/{REPO}/check-runs/{job_id}",
        "labels": labels or ["self-hosted"],
        "runner_id": 1,
        "runner_name": "runner-1",
        "runner_group_id": 1,
        "runner_group_name": "Default",
        "run_attempt": attempt,
        "workflow_name": "dde",
        "head_branch": "main",
    }


def step(name: str, conclusion: str | None = "success", number: int = 1) -> dict[str, Any]:
    return {
        "name": name,
        "status": "completed" if conclusion else "in_progress",
        "conclusion": conclusion,
        "number": number,
        "started_at": "2026-11-27T10:00:06Z",
        "completed_at": "2026-11-27T10:00:07Z",
    }


def runner(
    runner_id: int, name: str, labels: list[str], *, status: str = "online"
) -> dict[str, Any]:
    return {
        "id": runner_id,
        "name": name,
        "os": "linux",
        "status": status,
        "busy": False,
        "labels": [
            {"id": i, "name": label, "type": "read-only" if label == "self-hosted" else "custom"}
            for i, label in enumerate(labels, start=1)
        ],
    }


class Sleeps(list[float]):
    """The waits the retry policy asked for (recorded instead of slept)."""


def mocked_github(monkeypatch: Any) -> Any:
    """Activate ``responses`` (unmatched requests fail) and make retries record, not sleep."""
    import responses

    from dde_ci.github import api

    sleeps = Sleeps()
    monkeypatch.setattr(
        api, "DEFAULT_OPTIONS", api.with_options(sleep=sleeps.append, throttle=False)
    )
    mock = responses.RequestsMock(assert_all_requests_are_fired=True)
    mock.sleeps = sleeps  # type: ignore[attr-defined]
    return mock
