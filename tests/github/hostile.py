"""A manifest written to break a workflow generator: expressions, quotes, newlines, shell.

Node ids cannot carry any of it (their pattern forbids it), so the attack goes
through everything else a person can write: names, commands, env values,
artifact globs, branch names, acceptance criteria, descriptions.
"""

from __future__ import annotations

import json

EXPR = "${{ github.event.issue.title }}"
SHELL = "`id` $(whoami) ; rm -rf / | cat > /tmp/x && echo \\ 'q' \"dq\" # not a comment"
NEWLINES = 'line one\nline two: "${{ secrets.GITHUB_TOKEN }}"\r\n::set-output name=x::y'
NAMES = [
    EXPR,
    f'it\'s "{EXPR}" {SHELL}',
    NEWLINES,
    "${{ toJSON(github) }}}}${{",
    "- starts like a list: and has: colons # and hashes",
    "\u2028unicode line separator\u0085next line\ufeffbom",
]


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text)


def hostile_manifest() -> str:
    branches = ", ".join(_q(b) for b in ("main", "release/*", 'fix/it\'s-"q"'))
    nodes = []
    nodes.append(
        f"""  - id: API.Evil
    type: interface
    name: {_q(NAMES[0])}
    description: {_q(NAMES[1])}
    produces: [evil-api]
    run: {_q("echo " + EXPR + "; " + SHELL)}
    env: {{TITLE: {_q(EXPR)}, QUOTES: {_q(SHELL)}, MULTI: {_q(NEWLINES)}}}
    artifacts: [{_q("out/" + EXPR + "/*.yaml")}, "contracts/evil.yaml"]
    acceptance_criteria: [{_q(EXPR)}]
"""
    )
    for i, name in enumerate(NAMES):
        nodes.append(
            f"""  - id: BE.Twin_{i}
    type: implementation
    name: {_q(name)}
    consumes: [evil-api]
    run: {_q(f"echo '{EXPR}' && printf %s {SHELL!r}")}
    env: {{VALUE: {_q(name)}}}
    artifacts: [{_q(f"build/{i}/{EXPR}/**")}]
"""
        )
    nodes.append(
        f"""  - id: z-Final
    type: deployment
    name: {_q(NEWLINES + SHELL)}
    depends_on: [{", ".join(f"BE.Twin_{i}" for i in range(len(NAMES)))}]
    run: |
      echo "::add-mask::{EXPR}"
      echo "${{{{ github.event.pull_request.body }}}}" | sh
    timeout: 90m
    retry: {{max_attempts: 3, initial_delay: 10s}}
"""
    )
    return f"""version: "1"
workflow: hostile-plan
description: {_q(EXPR)}
settings:
  wip_limit: 2
  default_runs_on: [self-hosted, linux]
github:
  branches: [{branches}]
contracts:
  - name: evil-api
    domain: evil
    type: openapi
    path: contracts/evil.yaml
nodes:
""" + "".join(nodes)
