"""What a build knows of itself: version, home (``[project.urls]``) and commit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dde_ci.build import Build, _commit, _editable_folder, this_build

SHA = "6e72b0aada16b0c03894723ab699e753f3beec1e"


def test_the_installed_build_knows_its_home_and_a_full_commit() -> None:
    build = this_build()
    assert build.home == "https://github.com/dde-ci/dde-ci"
    assert build.repository == "dde-ci/dde-ci"
    assert build.commit is not None and len(build.commit) == 40


@pytest.mark.parametrize(
    ("node", "commit"),
    [(f"g{SHA}", SHA), (SHA, SHA), ("g6e72b0a", None), (None, None), ("", None)],
)
def test_only_a_full_sha_is_a_commit(node: str | None, commit: str | None) -> None:
    assert _commit(node) == commit  # a short node cannot pin an action


@pytest.mark.parametrize(
    ("home", "repository"),
    [
        ("https://github.com/acme/dde-ci", "acme/dde-ci"),
        ("https://github.com/acme/dde-ci.git", "acme/dde-ci"),
        ("https://gitlab.com/acme/dde-ci", None),
        (None, None),
    ],
)
def test_the_repository_is_the_homes_owner_and_name(
    home: str | None, repository: str | None
) -> None:
    assert Build("1.0.0", home, SHA).repository == repository


def test_only_a_release_has_a_tag() -> None:
    assert Build("0.2.0", None, SHA).release_tag == "v0.2.0"
    assert Build("0.1.1.dev3+g6e72b0a", None, SHA).release_tag is None


def test_describe_says_what_is_unknown() -> None:
    text = Build("0.1.0", None, None).describe()
    assert text == ("dde-ci 0.1.0\nhome: unknown\ncommit: unknown (built without Git metadata)")
    assert (
        Build("0.1.0", "h", SHA, modified=True)
        .describe()
        .endswith(f"commit: {SHA} (with uncommitted changes)")
    )


def test_an_editable_install_names_its_folder(tmp_path: Path) -> None:
    editable = {"url": tmp_path.as_uri(), "dir_info": {"editable": True}}
    assert _editable_folder(json.dumps(editable)) == tmp_path
    wheel = {"url": tmp_path.as_uri(), "dir_info": {}}
    assert _editable_folder(json.dumps(wheel)) is None
    assert _editable_folder(None) is None
    assert _editable_folder("not json") is None
