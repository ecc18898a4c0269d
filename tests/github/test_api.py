from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from urllib3.exceptions import MaxRetryError
from urllib3.response import HTTPResponse

from dde_ci.errors import InputError
from dde_ci.github import api
from dde_ci.github.api import (
    DdeRetry,
    GitHubApiError,
    RateLimitWaitExceeded,
    connect,
    github_errors,
    require_token,
)
from dde_ci.github.runs import job_node
from dde_ci.github.status import shorten
from tests.github.payloads import API, REPO, REPO_API, SHA, status

pytestmark = pytest.mark.usefixtures("gh")

URL = f"{REPO_API}/statuses/{SHA}"
SECONDARY = {
    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before "
    "you try again.",
    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
}


def post_status(**options: Any) -> None:
    client = connect("t0k", options=api.with_options(**options) if options else None)
    with github_errors("set a status", "'statuses: write'"):
        client.get_repo(REPO).get_commit(SHA).create_status("success", context="dde/audit")


def test_token_is_required_and_never_echoed() -> None:
    with pytest.raises(InputError, match="GITHUB_TOKEN is missing"):
        require_token("  ")
    assert require_token(" abc ") == "abc"


def test_5xx_backoff_doubles_then_gives_up_with_the_status(gh: Any) -> None:
    for _ in range(6):
        gh.post(URL, status=503, json={"message": "Service Unavailable"})
    with pytest.raises(GitHubApiError) as info:
        post_status()
    assert gh.sleeps == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert info.value.status == 503
    assert str(info.value) == (
        "could not set a status: GitHub API answered HTTP 503 after retries "
        "(Service Unavailable); re-run later"
    )


def test_backoff_is_capped(gh: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []
    for _ in range(4):
        gh.post(URL, status=500, json={"message": "x"})
    gh.post(URL, status=201, json=status("success"))
    post_status(sleep=sleeps.append, throttle=False, backoff_factor=10.0, backoff_max=25.0)
    assert sleeps == [10.0, 20.0, 25.0, 25.0]


def test_retry_after_as_http_date(gh: Any) -> None:
    later = formatdate(time.time() + 42, usegmt=True)
    gh.post(URL, status=403, headers={"Retry-After": later}, json=SECONDARY)
    gh.post(URL, status=201, json=status("success"))
    post_status()
    assert len(gh.sleeps) == 1 and 40 <= gh.sleeps[0] <= 43


def test_429_without_retry_after_backs_off(gh: Any) -> None:
    gh.post(URL, status=429, json={"message": "Too Many Requests"})
    gh.post(URL, status=201, json=status("success"))
    post_status()
    assert gh.sleeps == [1.0]


def test_primary_rate_limit_soon_is_waited_for(gh: Any) -> None:
    clock = 1_900_000_000.0
    sleeps: list[float] = []
    gh.post(
        URL,
        status=403,
        json={"message": "API rate limit exceeded for user ID 1."},
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(clock) + 20)},
    )
    gh.post(URL, status=201, json=status("success"))
    post_status(sleep=sleeps.append, throttle=False, clock=lambda: clock)
    assert sleeps == [21.0]


def test_primary_rate_limit_far_away_fails_at_once(gh: Any) -> None:
    clock = 1_900_000_000.0
    gh.post(
        URL,
        status=429,
        json={"message": "API rate limit exceeded for installation ID 7."},
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(clock) + 3600)},
    )
    with pytest.raises(RateLimitWaitExceeded) as info:
        post_status(sleep=gh.sleeps.append, throttle=False, clock=lambda: clock)
    assert str(info.value) == (
        "GitHub API primary rate limit used up until 18:46:40 UTC: waiting 3601 s more would "
        "exceed dde-ci's limit of 120 s in total for one call; re-run after the limit resets "
        "(or use a token with a higher rate limit, e.g. a GitHub App installation token)"
    )
    assert gh.sleeps == []


def test_total_wait_is_bounded_across_retries(gh: Any) -> None:
    for _ in range(3):
        gh.post(URL, status=403, headers={"Retry-After": "50"}, json=SECONDARY)
    with pytest.raises(RateLimitWaitExceeded, match="limit of 120 s in total"):
        post_status()
    assert gh.sleeps == [50.0, 50.0]


def test_secondary_rate_limit_that_never_lifts(gh: Any) -> None:
    for _ in range(6):
        gh.post(URL, status=403, headers={"Retry-After": "1"}, json=SECONDARY)
    with pytest.raises(RateLimitWaitExceeded, match=r"still rate limited .* after 6 attempts"):
        post_status()


def test_plain_403_keeps_githubs_message(gh: Any) -> None:
    gh.post(URL, status=403, json={"message": "Must have admin rights to Repository."})
    with pytest.raises(GitHubApiError, match=r"\(GitHub said: Must have admin rights"):
        post_status()
    assert gh.sleeps == []


def test_422_reports_the_validation_errors(gh: Any) -> None:
    gh.post(
        URL,
        status=422,
        json={"message": "Validation Failed", "errors": [{"code": "custom", "message": "bad"}]},
    )
    with pytest.raises(GitHubApiError) as info:
        post_status()
    assert str(info.value) == (
        "could not set a status: GitHub API answered HTTP 422: Validation Failed (bad)"
    )


def test_network_failure(gh: Any) -> None:
    gh.post(URL, body=requests.ConnectionError("boom"))
    with pytest.raises(GitHubApiError, match="cannot reach the GitHub API"):
        post_status()


def test_enterprise_base_url(gh: Any) -> None:
    gh.post(
        f"https://ghe.example.com:443/api/v3/repos/{REPO}/statuses/{SHA}",
        status=201,
        json=status("success"),
    )
    client = connect("t", "https://ghe.example.com/api/v3/")
    client.get_repo(REPO).get_commit(SHA).create_status("success")


def test_retry_policy_survives_copying() -> None:
    retry = DdeRetry(max_total_wait=5, secondary_rate_wait=7, waited=2)
    copy = retry.new(total=1)
    assert (copy.max_total_wait, copy.secondary_rate_wait, copy.waited) == (5, 7, 2)
    assert copy.is_retry("POST", 429) and copy.is_retry("GET", 403) and copy.is_retry("POST", 502)
    assert not copy.is_retry("GET", 404)


# -- the same policy through real urllib3 (not the ``responses`` emulation) -----------------


class _Script(BaseHTTPRequestHandler):
    replies: list[tuple[int, dict[str, str], dict[str, Any]]] = []
    seen: list[str] = []

    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        type(self).seen.append(f"{self.command} {self.path}")
        code, headers, body = type(self).replies.pop(0)
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _reply

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server(gh: Any) -> Iterator[tuple[str, type[_Script]]]:
    gh.add_passthru("http://127.0.0.1")
    handler = type("Handler", (_Script,), {"replies": [], "seen": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_real_urllib3_retries_secondary_rate_limit_and_5xx(
    gh: Any, server: tuple[str, type[_Script]]
) -> None:
    url, handler = server
    handler.replies = [
        (403, {}, SECONDARY),
        (500, {}, {"message": "Server Error"}),
        (201, {}, status("success")),
    ]
    client = connect("t", url)
    client.get_repo(REPO).get_commit(SHA).create_status("success")
    assert handler.seen == [f"POST /repos/{REPO}/statuses/{SHA}"] * 3
    assert gh.sleeps == [60.0, 2.0]


def test_real_urllib3_plain_403_and_exhausted_5xx(
    gh: Any, server: tuple[str, type[_Script]]
) -> None:
    url, handler = server
    handler.replies = [(403, {}, {"message": "Resource not accessible by integration"})]
    client = connect("t", url)
    with (
        pytest.raises(GitHubApiError, match="GitHub said: Resource not accessible"),
        github_errors("x", "y"),
    ):
        client.get_repo(REPO).get_commit(SHA).create_status("success")
    handler.replies = [(502, {}, {"message": "Bad Gateway"})] * 6
    with pytest.raises(GitHubApiError, match="HTTP 502 after retries"), github_errors("x", "y"):
        client.get_repo(REPO).get_commit(SHA).create_status("success")
    assert len(handler.seen) == 7


def test_no_request_leaves_the_machine(gh: Any) -> None:
    with pytest.raises(GitHubApiError, match="cannot reach the GitHub API"):
        post_status()
    assert API.startswith("https://api.github.com")


def test_retry_after_on_a_503_counts_against_the_budget(gh: Any) -> None:
    gh.post(URL, status=503, headers={"Retry-After": "500"}, json={"message": "busy"})
    with pytest.raises(RateLimitWaitExceeded) as info:
        post_status()
    assert str(info.value) == (
        "GitHub API HTTP 503: waiting 500 s more would exceed dde-ci's limit of 120 s in total "
        "for one call; re-run later"
    )


# -- properties --------------------------------------------------------------------------------


_replies = st.lists(
    st.tuples(
        st.sampled_from([403, 429, 500, 502, 503, 504]),
        st.one_of(st.none(), st.integers(min_value=0, max_value=200)),
        st.booleans(),  # a secondary-rate-limit message
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=100, deadline=None)
@given(_replies, st.floats(min_value=0, max_value=300))
def test_total_wait_never_exceeds_the_budget(
    replies: list[tuple[int, int | None, bool]], budget: float
) -> None:
    slept: list[float] = []
    retry = DdeRetry(sleep_fn=slept.append, clock=lambda: 0.0, max_total_wait=budget)
    for code, retry_after, secondary in replies:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        body = (
            SECONDARY
            if secondary
            else {"message": "API rate limit exceeded" if code == 403 else "x"}
        )
        response = HTTPResponse(
            body=json.dumps(body).encode(), headers=headers, status=code, preload_content=False
        )
        try:
            retry = retry.increment("POST", "/x", response=response)
        except (RateLimitWaitExceeded, MaxRetryError):
            break
        except Exception as exc:  # a plain 403 raises what PyGithub would raise
            assert code == 403 and type(exc).__module__.startswith("github")
            break
    assert sum(slept) <= budget
    assert len(slept) <= 5


@given(st.text(max_size=400))
def test_shortened_descriptions_fit(text: str) -> None:
    short = shorten(text)
    assert len(short) <= 140
    assert "\n" not in short


_ids = st.from_regex(r"[A-Z][A-Za-z0-9._-]{0,15}", fullmatch=True)


@given(st.lists(_ids, min_size=1, max_size=10, unique=True), st.data())
def test_a_node_title_maps_back_to_its_node(ids: list[str], data: st.DataObject) -> None:
    node = data.draw(st.sampled_from(ids))
    title = data.draw(st.text(max_size=30).map(lambda t: " ".join(t.split())))
    name = f"{node}: {title}" if title else node
    assert job_node(name, ids) == node
