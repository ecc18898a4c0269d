"""Publish a locked contract as a GitHub release ``contract/{domain}/{name}/v{version}``.

Idempotent on re-run, because a CI step is re-run and the retry policy may re-send a POST
after a 5xx that GitHub had in fact carried out:

* get-or-create: an existing release with the tag (published, or a draft left by a broken
  run) is reused; a 422 "already_exists" on create means a re-sent POST succeeded, so the
  release is looked up again;
* refused when the tag already carries another digest (a locked version is immutable);
  the digest is recorded in the release body as ``<!-- dde-ci:digest sha256:... -->``;
* draft, then upload, then publish, so repositories with immutable releases work;
* an asset left in state ``starter`` by a broken upload (or one whose bytes differ) is
  deleted before it is uploaded again.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dde_ci.contracts.publish import contract_tag as contract_tag  # the tag rule is the domain's
from dde_ci.errors import CheckFailed, InputError
from dde_ci.github.api import ClientOptions, check_repo, connect, github_errors

if TYPE_CHECKING:
    from github.GitRelease import GitRelease
    from github.GitReleaseAsset import GitReleaseAsset
    from github.Repository import Repository

PERMISSION = "'contents: write'"
DIGEST_MARKER = "<!-- dde-ci:digest {digest} -->"
_DIGEST_RE = re.compile(r"<!-- dde-ci:digest (sha256:[0-9a-f]{64}) -->")
_TAG_RE = re.compile(r"^contract/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/v\d+\.\d+\.\d+\Z")


def recorded_digest(body: str | None) -> str | None:
    """The digest dde-ci recorded in a release body, if any."""
    match = _DIGEST_RE.search(body or "")
    return match.group(1) if match else None


def release_body(name: str, tag: str, digest: str, files: Mapping[str, Path]) -> str:
    assets = "\n".join(f"- `{asset}`" for asset in sorted(files))
    return (
        f"Contract **{name}** locked by dde-ci as `{tag}`.\n\n"
        f"Digest: `{digest}`\n\nAssets:\n{assets}\n\n" + DIGEST_MARKER.format(digest=digest) + "\n"
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def _find_release(repository: Repository, tag: str) -> GitRelease | None:
    """The release with ``tag``: published ones by tag, drafts (still untagged) by listing."""
    from github.GithubException import UnknownObjectException

    try:
        return repository.get_release(tag)
    except UnknownObjectException:
        pass
    drafts = [r for r in repository.get_releases() if r.tag_name == tag]
    if not drafts:
        return None
    # Drafts do not reserve their tag: a re-sent create may have made a second one.
    for duplicate in drafts[1:]:
        if duplicate.draft and recorded_digest(duplicate.body) is not None:
            duplicate.delete_release()
    return drafts[0]


def _check_digest(release: GitRelease, tag: str, digest: str) -> None:
    found = recorded_digest(release.body)
    if found is None:
        raise CheckFailed(
            f"release {tag!r} already exists but was not published by dde-ci (no digest recorded "
            "in its body); delete it or lock a new contract version"
        )
    if found != digest:
        raise CheckFailed(
            f"release {tag!r} already exists with digest {found}, not {digest}: a locked contract "
            "version is immutable; lock a new version instead of re-publishing this one"
        )


def _create_draft(
    repository: Repository, tag: str, name: str, body: str, target: str | None
) -> GitRelease:
    from github.GithubException import GithubException

    kwargs: dict[str, Any] = {"draft": True, "make_latest": "false"}
    if target:
        kwargs["target_commitish"] = target
    try:
        return repository.create_git_release(tag, name, body, **kwargs)
    except GithubException as exc:
        if exc.status != 422:
            raise
        # A re-sent POST (after a 5xx that GitHub had carried out) or a concurrent publisher.
        found = _find_release(repository, tag)
        if found is None:
            raise
        return found


def _sync_assets(release: GitRelease, files: Mapping[str, Path]) -> None:
    """Make the release's assets exactly ``files`` (only ever called on a draft)."""
    from github.GithubException import GithubException

    wanted = {asset: (path, _sha256(path), path.stat().st_size) for asset, path in files.items()}
    existing: dict[str, GitReleaseAsset] = {a.name: a for a in release.get_assets()}
    for asset_name, asset in existing.items():
        keep = False
        if asset_name in wanted and asset.state == "uploaded":
            _, sha, size = wanted[asset_name]
            remote_digest = asset.digest
            keep = asset.size == size and (remote_digest is None or remote_digest == sha)
        if keep:
            del wanted[asset_name]
        else:
            asset.delete_asset()  # a 'starter' left by a broken upload, stale bytes or a stray
    for asset_name, (path, _, _) in sorted(wanted.items()):
        try:
            _upload(release, asset_name, path)
        except GithubException as exc:
            if exc.status != 422:
                raise
            # The retry re-sent an upload whose first try left an asset behind: drop, upload.
            for asset in release.get_assets():
                if asset.name == asset_name:
                    asset.delete_asset()
            _upload(release, asset_name, path)


def _upload(release: GitRelease, asset_name: str, path: Path) -> None:
    content_type = mimetypes.guess_type(asset_name)[0] or "application/octet-stream"
    with path.open("rb") as handle:
        release.upload_asset_from_memory(
            handle, path.stat().st_size, asset_name, content_type=content_type
        )


def _missing_assets(release: GitRelease, files: Mapping[str, Path]) -> list[str]:
    uploaded = {a.name for a in release.get_assets() if a.state == "uploaded"}
    return sorted(set(files) - uploaded)


def publish_contract(
    repo: str,
    tag: str,
    name: str,
    files: Mapping[str, Path],
    digest: str,
    *,
    token: str | None,
    base_url: str | None = None,
    target_commitish: str | None = None,
    options: ClientOptions | None = None,
) -> str:
    """Publish (or find already published) the release ``tag``; return its ``html_url``.

    ``files`` maps asset names to local files (the spec and ``contract.json``).
    Raises :class:`CheckFailed` when ``tag`` exists with another digest.
    """
    check_repo(repo)
    if not _TAG_RE.match(tag):
        raise InputError(f"release tag {tag!r} is not of the form contract/DOMAIN/NAME/vX.Y.Z")
    if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
        raise InputError(f"digest {digest!r} is not of the form sha256:<64 hex digits>")
    if not files:
        raise InputError(f"nothing to publish for {tag!r}: no files given")
    for asset_name, path in files.items():
        if "/" in asset_name or not asset_name:
            raise InputError(f"release asset name {asset_name!r} must be a plain file name")
        if not path.is_file():
            raise InputError(f"{path}: file to publish as {asset_name!r} does not exist")
    client = connect(token, base_url, options)
    body = release_body(name, tag, digest, files)
    with github_errors(f"publish the release {tag!r} in {repo}", PERMISSION):
        repository = client.get_repo(repo)
        release = _find_release(repository, tag)
        if release is not None:
            _check_digest(release, tag, digest)
            if not release.draft:
                missing = _missing_assets(release, files)
                if missing:
                    raise CheckFailed(
                        f"release {tag!r} is published but lacks the assets {', '.join(missing)}; "
                        "published releases may be immutable: delete the release and re-run"
                    )
                return str(release.html_url)
        else:
            release = _create_draft(repository, tag, name, body, target_commitish)
            _check_digest(release, tag, digest)
        _sync_assets(release, files)
        published = release.update_release(
            name=name, message=body, draft=False, make_latest="false"
        )
        return str(published.html_url)


class GitHubReleases:
    """The releases of one GitHub repository: the
    :class:`~dde_ci.contracts.publish.ReleaseHost` that ``dde-ci contract publish
    --github`` and ``dde-ci node run --github-release`` publish locked contracts to."""

    def __init__(self, repository: str, *, token: str | None, base_url: str | None = None) -> None:
        self.repository = repository
        self._token = token
        self._base_url = base_url

    def publish(
        self,
        tag: str,
        title: str,
        files: Mapping[str, Path],
        digest: str,
        *,
        target: str | None,
    ) -> str:
        return publish_contract(
            self.repository,
            tag,
            title,
            files,
            digest,
            token=self._token,
            base_url=self._base_url,
            target_commitish=target,
        )
