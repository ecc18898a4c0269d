from __future__ import annotations

import json
from typing import Any

import pytest

from dde_ci.errors import InputError
from dde_ci.github.api import GitHubApiError
from dde_ci.github.status import set_commit_status, shorten
from tests.github.payloads import REPO, REPO_API, SHA, status

pytestmark = pytest.mark.usefixtures("gh")

URL = f"{REPO_API}/statuses/{SHA}"


def test_sets_the_audit_status_with_target_url(gh: Any) -> None:
    gh.post(URL, status=201, json=status("success"))
    set_commit_status(REPO, SHA, "success", "audit PASS 13/13", "https://x/run/1", token="t0k")
    sent = json.loads(gh.calls[0].request.body)
    assert sent == {
        "state": "success",
        "target_url": "https://x/run/1",
        "description": "audit PASS 13/13",
        "context": "dde/audit",
    }
    assert gh.calls[0].request.headers["Authorization"] == "token t0k"


def test_description_is_cut_to_140_characters(gh: Any) -> None:
    gh.post(URL, status=201, json=status("failure"))
    set_commit_status(REPO, SHA, "failure", "x" * 500, None, context="dde/other", token="t")
    sent = json.loads(gh.calls[0].request.body)
    assert len(sent["description"]) == 140
    assert sent["description"].endswith("…")
    assert "target_url" not in sent
    assert sent["context"] == "dde/other"


def test_shorten_keeps_short_text_and_joins_lines() -> None:
    assert shorten("a\nb   c") == "a b c"
    assert shorten("y" * 140) == "y" * 140


def test_500_then_success_is_retried_with_backoff(gh: Any) -> None:
    gh.post(URL, status=500, json={"message": "Server Error"})
    gh.post(URL, status=201, json=status("success"))
    set_commit_status(REPO, SHA, "success", "ok", token="t")
    assert len(gh.calls) == 2
    assert gh.sleeps == [1.0]


def test_missing_permission_names_the_scope(gh: Any) -> None:
    gh.post(URL, status=403, json={"message": "Resource not accessible by integration"})
    with pytest.raises(GitHubApiError) as info:
        set_commit_status(REPO, SHA, "success", "ok", token="secret-token-value")
    assert str(info.value) == (
        "GITHUB_TOKEN lacks the permission to set the 'dde/audit' commit status on "
        "octo/shop@6dcb09b5b578: it needs 'statuses: write' "
        "(GitHub said: Resource not accessible by integration)"
    )
    assert "secret-token-value" not in str(info.value)
    assert len(gh.calls) == 1  # a plain 403 is not retried
    assert gh.sleeps == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"state": "green"}, "commit status state 'green' is not one of error, failure,"),
        ({"sha": "zz"}, "commit 'zz' is not a commit SHA"),
        ({"repo": "no-slash"}, "repository 'no-slash' is not of the form OWNER/NAME"),
        ({"token": ""}, "GITHUB_TOKEN is missing"),
    ],
)
def test_bad_input_is_refused_before_any_request(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"repo": REPO, "sha": SHA, "state": "success", "token": "t"}
    args.update(kwargs)
    with pytest.raises(InputError, match=message):
        set_commit_status(description="d", **args)
