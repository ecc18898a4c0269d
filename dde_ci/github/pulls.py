"""A pull-request comment naming the consumers a breaking contract change affects.

One comment per contract and pull request, found again by a hidden HTML marker
(``<!-- dde-ci:affected-consumers NAME -->``) and edited in place on every run, so a
re-run never spams the conversation.  Should a retried POST have left two such
comments, the extra ones are deleted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from dde_ci.errors import InputError
from dde_ci.github.api import ClientOptions, check_repo, connect, github_errors

PERMISSION = "'pull-requests: write' (or 'issues: write')"
COMMENT_LIMIT = 65536  # GitHub's limit for a comment body
_MARKER = "<!-- dde-ci:affected-consumers {name} -->"


def marker(contract_name: str) -> str:
    """The hidden marker identifying dde-ci's comment about ``contract_name``."""
    safe = re.sub(r"[^A-Za-z0-9_.:/@-]", "_", contract_name)
    return _MARKER.format(name=safe)


def _cell(value: Any) -> str:
    """Text safe inside a Markdown table cell and shown literally (no HTML, no @mention)."""
    if isinstance(value, list | tuple):
        text = ", ".join(str(v) for v in value)
    elif value is None:
        text = ""
    else:
        text = str(value)
    text = " ".join(text.split()).replace("`", "'").replace("|", "\\|")
    return f"`{text}`" if text else "-"


def _capabilities(consumer: Mapping[str, Any]) -> Any:
    caps = consumer.get("capabilities") or []
    names = []
    for cap in caps:
        if isinstance(cap, Mapping):
            names.append(str(cap.get("name", "")))
        else:
            names.append(str(getattr(cap, "name", cap)))
    return names


def render_comment(
    contract: str | Mapping[str, Any], consumers: Sequence[Mapping[str, Any]]
) -> str:
    """The comment body (Markdown) for ``contract`` and its affected ``consumers``."""
    info: Mapping[str, Any] = {"name": contract} if isinstance(contract, str) else contract
    name = str(info.get("name") or "")
    if not name:
        raise InputError("the contract to comment on has no name")
    version = info.get("version")
    title = f"`{name}`" + (f" {version}" if version else "")
    lines = [
        marker(name),
        f"### dde-ci: breaking change in contract {title}",
        "",
    ]
    changes = info.get("breaking_changes") or info.get("changes") or []
    if changes:
        lines.append("Breaking changes:")
        for change in list(changes)[:50]:
            if isinstance(change, Mapping):
                text = change.get("message") or change.get("id") or change
            else:
                text = change
            lines.append(f"- {_cell(text)}")
        if len(changes) > 50:
            lines.append(f"- ... and {len(changes) - 50} more")
        lines.append("")
    if consumers:
        lines += [
            f"{len(consumers)} consumer node(s) are affected:",
            "",
            "| Node | Owner | Capabilities |",
            "| --- | --- | --- |",
        ]
        for consumer in consumers:
            node_id = consumer.get("node_id") or consumer.get("id")
            owner = consumer.get("owner") or consumer.get("owners")
            lines.append(
                f"| {_cell(node_id)} | {_cell(owner)} | {_cell(_capabilities(consumer))} |"
            )
    else:
        lines.append("No node consumes this contract.")
    lines += ["", "_Updated by `dde-ci` on every run; edit the contract or its consumers._"]
    body = "\n".join(lines) + "\n"
    if len(body) > COMMENT_LIMIT:
        note = "\n\n> Truncated: the full list is in the workflow run's reports.\n"
        body = body[: COMMENT_LIMIT - len(note)] + note
    return body


def comment_affected_consumers(
    repo: str,
    pr_number: int,
    contract: str | Mapping[str, Any],
    consumers: Sequence[Mapping[str, Any]],
    *,
    token: str | None,
    base_url: str | None = None,
    options: ClientOptions | None = None,
) -> str:
    """Create or update dde-ci's comment on pull request ``pr_number``; return its URL."""
    check_repo(repo)
    if pr_number <= 0:
        raise InputError(f"pull request number {pr_number} is not positive")
    body = render_comment(contract, consumers)
    tag = body.split("\n", 1)[0]
    client = connect(token, base_url, options)
    with github_errors(f"comment on pull request #{pr_number} in {repo}", PERMISSION):
        issue = client.get_repo(repo).get_issue(pr_number)
        ours = [c for c in issue.get_comments() if (c.body or "").startswith(tag)]
        if not ours:
            return str(issue.create_comment(body).html_url)
        first, extra = ours[0], ours[1:]
        for duplicate in extra:
            duplicate.delete()
        if first.body != body:
            first.edit(body)
        return str(first.html_url)
