from __future__ import annotations

import json
from typing import Any

import pytest

from dde_ci.errors import InputError
from dde_ci.github.api import GitHubApiError
from dde_ci.github.pulls import comment_affected_consumers, marker, render_comment
from tests.github.payloads import REPO, REPO_API, comment

pytestmark = pytest.mark.usefixtures("gh")

COMMENTS = f"{REPO_API}/issues/7/comments"
CONTRACT: dict[str, Any] = {
    "name": "orders-api",
    "version": "2.0.0",
    "breaking_changes": [
        {"id": "api-path-removed-without-deprecation", "message": "GET /orders removed"}
    ],
}
CONSUMERS: list[dict[str, Any]] = [
    {
        "node_id": "BE-ORDERS",
        "owner": "@octo/backend",
        "capabilities": [{"name": "backend:python"}],
    },
    {"node_id": "FE|SHOP", "owner": None, "capabilities": ["frontend:react"]},
]


def call(**kwargs: Any) -> str:
    return comment_affected_consumers(REPO, 7, CONTRACT, CONSUMERS, token="t", **kwargs)


def test_render_names_every_consumer_safely() -> None:
    body = render_comment(CONTRACT, CONSUMERS)
    assert body.startswith(marker("orders-api") + "\n")
    assert "| `BE-ORDERS` | `@octo/backend` | `backend:python` |" in body
    assert "| `FE\\|SHOP` | - | `frontend:react` |" in body
    assert "- `GET /orders removed`" in body
    assert "2 consumer node(s) are affected" in body


def test_first_run_creates_the_comment(gh: Any) -> None:
    gh.get(COMMENTS, json=[comment(1, "LGTM", login="octocat")])
    gh.post(COMMENTS, status=201, json=comment(2, render_comment(CONTRACT, CONSUMERS)))
    url = call()
    assert url.endswith("#issuecomment-2")
    assert json.loads(gh.calls[1].request.body)["body"].startswith(marker("orders-api"))


def test_re_run_edits_its_own_comment_and_drops_duplicates(gh: Any) -> None:
    old = marker("orders-api") + "\nold text"
    gh.get(COMMENTS, json=[comment(1, "LGTM", login="octocat"), comment(2, old), comment(3, old)])
    gh.delete(f"{REPO_API}/issues/comments/3", status=204)
    gh.patch(f"{REPO_API}/issues/comments/2", json=comment(2, "new"))
    assert call().endswith("#issuecomment-2")
    assert [c.request.method for c in gh.calls] == ["GET", "DELETE", "PATCH"]


def test_unchanged_comment_is_left_alone(gh: Any) -> None:
    gh.get(COMMENTS, json=[comment(2, render_comment(CONTRACT, CONSUMERS))])
    call()
    assert len(gh.calls) == 1


def test_other_contracts_comment_is_not_touched(gh: Any) -> None:
    gh.get(COMMENTS, json=[comment(2, marker("orders-api-v2") + "\nx")])
    gh.post(COMMENTS, status=201, json=comment(3, "x"))
    assert call().endswith("#issuecomment-3")


def test_secondary_rate_limit_without_retry_after_waits_a_minute(gh: Any) -> None:
    gh.get(COMMENTS, json=[])
    gh.post(
        COMMENTS,
        status=403,
        json={
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
            "before you try again."
        },
    )
    gh.post(COMMENTS, status=201, json=comment(3, "x"))
    call()
    assert gh.sleeps == [60.0]


def test_429_with_retry_after_then_success(gh: Any) -> None:
    gh.get(COMMENTS, status=429, headers={"Retry-After": "3"}, json={"message": "Too many"})
    gh.get(COMMENTS, json=[])
    gh.post(COMMENTS, status=201, json=comment(3, "x"))
    call()
    assert gh.sleeps == [3.0]


def test_missing_permission(gh: Any) -> None:
    gh.get(COMMENTS, json=[])
    gh.post(COMMENTS, status=403, json={"message": "Resource not accessible by integration"})
    with pytest.raises(GitHubApiError, match=r"needs 'pull-requests: write'"):
        call()


def test_bad_pr_number() -> None:
    with pytest.raises(InputError, match="pull request number 0 is not positive"):
        comment_affected_consumers(REPO, 0, "c", [], token="t")
