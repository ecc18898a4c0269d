from __future__ import annotations

import hashlib
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from dde_ci.errors import CheckFailed, InputError
from dde_ci.github.api import GitHubApiError
from dde_ci.github.releases import (
    contract_tag,
    publish_contract,
    recorded_digest,
    release_body,
)
from tests.github.payloads import REPO, REPO_API, UPLOADS, asset, release

pytestmark = pytest.mark.usefixtures("gh")

TAG = "contract/shop/orders-api/v1.0.0"
DIGEST = "sha256:" + "ab" * 32
OTHER = "sha256:" + "cd" * 32
BY_TAG = f"{REPO_API}/releases/tags/contract%2Fshop%2Forders-api%2Fv1.0.0"
LIST = f"{REPO_API}/releases"
ASSETS = f"{REPO_API}/releases/7/assets"
UPLOAD = f"{UPLOADS}/repos/{REPO}/releases/7/assets"
PATCH = f"{REPO_API}/releases/7"
HTML = f"https://github.com/{REPO}/releases/tag/{TAG}"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    spec = tmp_path / "openapi.yaml"
    spec.write_text("openapi: 3.1.0\ninfo: {title: orders, version: 1.0.0}\npaths: {}\n")
    meta = tmp_path / "contract.json"
    meta.write_text(json.dumps({"name": "orders-api", "digest": DIGEST}))
    return {"openapi.yaml": spec, "contract.json": meta}


def body(digest: str = DIGEST, files: dict[str, Path] | None = None) -> str:
    return release_body("orders-api 1.0.0", TAG, digest, files or {})


def sha(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def uploaded(asset_id: int, name: str, path: Path) -> dict[str, Any]:
    return asset(asset_id, name, size=path.stat().st_size, digest=sha(path))


def publish(files: dict[str, Path], digest: str = DIGEST) -> str:
    return publish_contract(REPO, TAG, "orders-api 1.0.0", files, digest, token="t")


def expect_fresh_release(gh: Any) -> None:
    gh.get(BY_TAG, status=404, json={"message": "Not Found"})
    gh.get(LIST, json=[])


def test_tag_and_digest_marker() -> None:
    assert contract_tag("shop", "orders-api", "1.0.0") == TAG
    assert recorded_digest(body()) == DIGEST
    assert recorded_digest("no marker") is None


def test_first_publish_is_draft_upload_publish(gh: Any, files: dict[str, Path]) -> None:
    expect_fresh_release(gh)
    gh.post(LIST, status=201, json=release(7, TAG, body=body(files=files)))
    gh.get(ASSETS, json=[])
    gh.post(UPLOAD, status=201, json=asset(11, "contract.json"))
    gh.post(UPLOAD, status=201, json=asset(12, "openapi.yaml"))
    gh.patch(PATCH, json=release(7, TAG, body=body(files=files), draft=False))
    assert publish(files) == HTML
    create = json.loads(gh.calls[2].request.body)
    assert create["draft"] is True and create["make_latest"] == "false"
    assert create["tag_name"] == TAG and recorded_digest(create["body"]) == DIGEST
    assert "name=contract.json" in gh.calls[4].request.url
    assert gh.calls[4].request.body == files["contract.json"].read_bytes()
    assert json.loads(gh.calls[6].request.body)["draft"] is False


def test_re_run_of_a_published_release_is_a_no_op(gh: Any, files: dict[str, Path]) -> None:
    assets = [
        uploaded(11, "contract.json", files["contract.json"]),
        uploaded(12, "openapi.yaml", files["openapi.yaml"]),
    ]
    gh.get(BY_TAG, json=release(7, TAG, body=body(), draft=False, assets=assets))
    gh.get(ASSETS, json=assets)
    assert publish(files) == HTML
    assert [c.request.method for c in gh.calls] == ["GET", "GET"]


def test_tag_with_another_digest_is_refused(gh: Any, files: dict[str, Path]) -> None:
    gh.get(BY_TAG, json=release(7, TAG, body=body(OTHER), draft=False))
    with pytest.raises(CheckFailed) as info:
        publish(files)
    assert str(info.value) == (
        f"release {TAG!r} already exists with digest {OTHER}, not {DIGEST}: a locked contract "
        "version is immutable; lock a new version instead of re-publishing this one"
    )


def test_release_not_made_by_dde_ci_is_refused(gh: Any, files: dict[str, Path]) -> None:
    gh.get(BY_TAG, json=release(7, TAG, body="hand made", draft=False))
    with pytest.raises(CheckFailed, match="was not published by dde-ci"):
        publish(files)


def test_500_on_create_then_re_sent_post_finds_the_draft(gh: Any, files: dict[str, Path]) -> None:
    """The retry re-sends the POST that GitHub had carried out: 422, then get-or-create."""
    expect_fresh_release(gh)
    gh.post(LIST, status=500, json={"message": "Server Error"})
    gh.post(
        LIST,
        status=422,
        json={
            "message": "Validation Failed",
            "errors": [{"resource": "Release", "code": "already_exists", "field": "tag_name"}],
        },
    )
    gh.get(BY_TAG, status=404, json={"message": "Not Found"})  # drafts have no tag yet
    gh.get(LIST, json=[release(7, TAG, body=body())])
    gh.get(ASSETS, json=[])
    gh.post(UPLOAD, status=201, json=asset(11, "contract.json"))
    gh.post(UPLOAD, status=201, json=asset(12, "openapi.yaml"))
    gh.patch(PATCH, json=release(7, TAG, body=body(), draft=False))
    assert publish(files) == HTML
    assert gh.sleeps == [1.0]


def test_connection_reset_mid_upload_then_re_run_deletes_the_starter_asset(
    gh: Any, files: dict[str, Path]
) -> None:
    expect_fresh_release(gh)
    gh.post(LIST, status=201, json=release(7, TAG, body=body()))
    gh.get(ASSETS, json=[])
    gh.post(UPLOAD, status=201, json=asset(11, "contract.json"))
    gh.post(UPLOAD, body=requests.ConnectionError("Connection reset by peer"))
    with pytest.raises(GitHubApiError) as info:
        publish(files)
    assert str(info.value) == (
        f"could not publish the release {TAG!r} in {REPO}: cannot reach the GitHub API "
        "(ConnectionError); check the network and the API URL, then re-run"
    )

    # The re-run: the draft is found, the 'starter' asset deleted and uploaded again.
    gh.reset()
    expect_fresh_release(gh)
    gh.replace("GET", LIST, json=[release(7, TAG, body=body())])
    gh.get(
        ASSETS,
        json=[
            uploaded(11, "contract.json", files["contract.json"]),
            asset(12, "openapi.yaml", state="starter", size=0),
        ],
    )
    gh.delete(f"{REPO_API}/releases/assets/12", status=204)
    gh.post(UPLOAD, status=201, json=asset(13, "openapi.yaml"))
    gh.patch(PATCH, json=release(7, TAG, body=body(), draft=False))
    assert publish(files) == HTML
    methods = [(c.request.method, c.request.url.split("?")[0]) for c in gh.calls]
    assert ("DELETE", f"{REPO_API}/releases/assets/12") in methods
    assert [m for m, _ in methods].count("POST") == 1  # only the broken asset is uploaded


def test_502_on_upload_is_retried_and_422_means_the_upload_landed(
    gh: Any, files: dict[str, Path]
) -> None:
    expect_fresh_release(gh)
    gh.post(LIST, status=201, json=release(7, TAG, body=body()))
    gh.get(ASSETS, json=[uploaded(11, "contract.json", files["contract.json"])])
    gh.post(UPLOAD, status=502, json={"message": "Bad Gateway"})
    gh.post(
        UPLOAD,
        status=422,
        json={
            "message": "Validation Failed",
            "errors": [{"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}],
        },
    )
    gh.get(
        ASSETS,
        json=[
            uploaded(11, "contract.json", files["contract.json"]),
            asset(12, "openapi.yaml", state="starter"),
        ],
    )
    gh.delete(f"{REPO_API}/releases/assets/12", status=204)
    gh.post(UPLOAD, status=201, json=asset(13, "openapi.yaml"))
    gh.patch(PATCH, json=release(7, TAG, body=body(), draft=False))
    assert publish(files) == HTML
    assert gh.sleeps == [1.0]


def test_stale_asset_on_a_draft_is_replaced(gh: Any, files: dict[str, Path]) -> None:
    gh.get(BY_TAG, status=404, json={"message": "Not Found"})
    gh.get(LIST, json=[release(7, TAG, body=body())])
    gh.get(
        ASSETS,
        json=[
            asset(
                11,
                "contract.json",
                size=files["contract.json"].stat().st_size,
                digest="sha256:" + "00" * 32,
            ),
            uploaded(12, "openapi.yaml", files["openapi.yaml"]),
            asset(14, "stray.txt", size=3),
        ],
    )
    gh.delete(f"{REPO_API}/releases/assets/11", status=204)
    gh.delete(f"{REPO_API}/releases/assets/14", status=204)
    gh.post(UPLOAD, status=201, json=asset(15, "contract.json"))
    gh.patch(PATCH, json=release(7, TAG, body=body(), draft=False))
    assert publish(files) == HTML


def test_secondary_rate_limit_honours_retry_after(gh: Any, files: dict[str, Path]) -> None:
    gh.get(
        BY_TAG,
        status=403,
        headers={"Retry-After": "30"},
        json={
            "message": "You have exceeded a secondary rate limit and have been temporarily "
            "blocked from content creation. Please retry your request again later."
        },
    )
    gh.get(BY_TAG, json=release(7, TAG, body=body(), draft=False))
    gh.get(
        ASSETS,
        json=[
            uploaded(11, "contract.json", files["contract.json"]),
            uploaded(12, "openapi.yaml", files["openapi.yaml"]),
        ],
    )
    assert publish(files) == HTML
    assert gh.sleeps == [30.0]


def test_published_release_missing_assets_is_reported(gh: Any, files: dict[str, Path]) -> None:
    gh.get(BY_TAG, json=release(7, TAG, body=body(), draft=False))
    gh.get(ASSETS, json=[uploaded(11, "contract.json", files["contract.json"])])
    with pytest.raises(CheckFailed, match=r"lacks the assets openapi\.yaml"):
        publish(files)


@pytest.mark.parametrize(
    ("tag", "digest", "message"),
    [
        ("v1.0.0", DIGEST, "is not of the form contract/DOMAIN/NAME/vX.Y.Z"),
        (TAG, "md5:00", "is not of the form sha256:<64 hex digits>"),
    ],
)
def test_bad_input(tag: str, digest: str, message: str, files: dict[str, Path]) -> None:
    with pytest.raises(InputError, match=message):
        publish_contract(REPO, tag, "n", files, digest, token="t")


def test_missing_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        publish_contract(REPO, TAG, "n", {"a.yaml": tmp_path / "nope"}, DIGEST, token="t")


def test_duplicate_draft_from_a_re_sent_create_is_deleted(gh: Any, files: dict[str, Path]) -> None:
    gh.get(BY_TAG, status=404, json={"message": "Not Found"})
    gh.get(LIST, json=[release(7, TAG, body=body()), release(8, TAG, body=body())])
    gh.delete(f"{REPO_API}/releases/8", status=204)
    gh.get(ASSETS, json=[])
    gh.post(UPLOAD, status=201, json=asset(11, "contract.json"))
    gh.post(UPLOAD, status=201, json=asset(12, "openapi.yaml"))
    gh.patch(PATCH, json=release(7, TAG, body=body(), draft=False))
    assert publish(files) == HTML


# -- a connection reset halfway through an upload, through real urllib3 ----------------------


class _GitHub(BaseHTTPRequestHandler):
    """A scripted GitHub on 127.0.0.1: replies are taken in order per (method, path)."""

    protocol_version = "HTTP/1.1"
    script: dict[tuple[str, str], list[Any]] = {}
    seen: list[tuple[str, str, int]] = []

    def _reply(self) -> None:
        path = self.path.split("?")[0]
        length = int(self.headers.get("Content-Length") or 0)
        reply = type(self).script[(self.command, path)].pop(0)
        if reply == "reset":
            self.rfile.read(length // 2)
            type(self).seen.append((self.command, path, -1))
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.rfile.read(length)
        code, body = reply
        type(self).seen.append((self.command, path, code))
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = _reply

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _local(payload: Any, base: str) -> Any:
    text = json.dumps(payload)
    text = text.replace("https://api.github.com", base)
    text = text.replace("https://uploads.github.com", f"{base}/uploads")
    return json.loads(text)


def test_connection_reset_mid_upload_with_real_urllib3(gh: Any, files: dict[str, Path]) -> None:
    gh.add_passthru("http://127.0.0.1")
    handler: type[_GitHub] = type("Handler", (_GitHub,), {"script": {}, "seen": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    rel = f"/repos/{REPO}/releases"
    draft = _local(release(7, TAG, body=body()), base)
    handler.script = {
        ("GET", f"{rel}/tags/contract%2Fshop%2Forders-api%2Fv1.0.0"): [
            (404, {"message": "Not Found"})
        ],
        ("GET", rel): [(200, [])],
        ("POST", rel): [(201, draft)],
        ("GET", f"{rel}/7/assets"): [
            (200, []),
            (
                200,
                _local(
                    [
                        uploaded(11, "contract.json", files["contract.json"]),
                        asset(12, "openapi.yaml", state="starter"),
                    ],
                    base,
                ),
            ),
        ],
        ("POST", f"/uploads{rel}/7/assets"): [
            (201, _local(asset(11, "contract.json"), base)),
            "reset",  # the connection drops halfway through the second upload
            (
                422,
                {
                    "message": "Validation Failed",
                    "errors": [{"resource": "ReleaseAsset", "code": "already_exists"}],
                },
            ),
            (201, _local(asset(13, "openapi.yaml"), base)),
        ],
        ("DELETE", f"{rel}/assets/12"): [(204, None)],
        ("PATCH", f"{rel}/7"): [(200, _local(release(7, TAG, body=body(), draft=False), base))],
    }
    try:
        url = publish_contract(
            REPO, TAG, "orders-api 1.0.0", files, DIGEST, token="t", base_url=base
        )
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
    assert url == HTML
    uploads = [(m, code) for m, p, code in handler.seen if p.startswith("/uploads")]
    assert uploads == [("POST", 201), ("POST", -1), ("POST", 422), ("POST", 201)]
    assert ("DELETE", f"{rel}/assets/12", 204) in handler.seen
    assert gh.sleeps == [1.0]
    assert all(not script for script in handler.script.values())
