"""Commit statuses: the ``dde/audit`` verdict that branch protection can require."""

from __future__ import annotations

from dde_ci.errors import InputError
from dde_ci.github.api import ClientOptions, check_repo, connect, github_errors

STATES = ("error", "failure", "pending", "success")
DESCRIPTION_LIMIT = 140  # GitHub's limit for a commit status description
AUDIT_CONTEXT = "dde/audit"


def shorten(text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def set_commit_status(
    repo: str,
    sha: str,
    state: str,
    description: str,
    target_url: str | None = None,
    context: str = AUDIT_CONTEXT,
    *,
    token: str | None,
    base_url: str | None = None,
    options: ClientOptions | None = None,
) -> None:
    """Set a commit status (``POST /repos/{repo}/statuses/{sha}``), description cut to 140."""
    check_repo(repo)
    if state not in STATES:
        raise InputError(f"commit status state {state!r} is not one of {', '.join(STATES)}")
    if not sha or not all(c in "0123456789abcdefABCDEF" for c in sha) or len(sha) < 7:
        raise InputError(f"commit {sha!r} is not a commit SHA")
    client = connect(token, base_url, options)
    with github_errors(
        f"set the {context!r} commit status on {repo}@{sha[:12]}", "'statuses: write'"
    ):
        commit = client.get_repo(repo).get_commit(sha)
        kwargs: dict[str, str] = {"description": shorten(description), "context": context}
        if target_url:
            kwargs["target_url"] = target_url
        commit.create_status(state, **kwargs)
