"""The one way dde-ci talks to the GitHub REST API: a PyGithub client with one retry policy.

Every call made through :func:`connect` retries with backoff on 5xx answers, on
429 and on GitHub's rate limits (a 403 or 429 carrying ``Retry-After``, a body
saying "secondary rate limit", or ``x-ratelimit-remaining: 0``), honouring
``Retry-After`` and ``x-ratelimit-reset`` -- but never waiting longer in total
than :attr:`ClientOptions.max_total_wait`.  PyGithub's own ``GithubRetry``
would sleep until a primary rate-limit reset up to an hour away; a CI step
should rather stop with a message that says when to come back.

The policy is a :class:`urllib3.util.Retry` subclass, so urllib3 (and the
``responses`` test library, which emulates urllib3's retries) drives it.  The
wait happens inside :meth:`DdeRetry.increment` through an injectable sleep
function (and :meth:`DdeRetry.sleep` is a no-op), so tests can record the waits
instead of sleeping them, and the total wait is bounded in one place.

Errors become :class:`~dde_ci.errors.DdeError` subclasses whose message says
what to do (``GITHUB_TOKEN is missing or lacks ...``).  The token never appears
in a message.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from urllib3.util.retry import Retry

from dde_ci.errors import ExternalError, InputError

if TYPE_CHECKING:
    from github import Github
    from urllib3.connectionpool import ConnectionPool
    from urllib3.response import BaseHTTPResponse

DEFAULT_BASE_URL = "https://api.github.com"
RETRY_STATUSES = frozenset({403, 429, 500, 502, 503, 504})
_REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+\Z")


class GitHubApiError(ExternalError):
    """The GitHub API refused or failed a call (after the retries)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RateLimitWaitExceeded(GitHubApiError):
    """A rate limit (or repeated failure) would need a longer wait than dde-ci allows."""


@dataclass(frozen=True)
class ClientOptions:
    """How a client retries and waits.  Tests replace ``sleep`` and turn ``throttle`` off."""

    retries: int = 5
    backoff_factor: float = 1.0  # waits 1, 2, 4, 8, 16 s (capped by backoff_max)
    backoff_max: float = 30.0
    max_total_wait: float = 120.0  # seconds, over all retries of one call
    secondary_rate_wait: float = 60.0  # GitHub: "wait at least one minute" without Retry-After
    sleep: Callable[[float], None] = field(default=time.sleep)
    clock: Callable[[], float] = field(default=time.time)
    throttle: bool = True  # PyGithub's pause between requests (0.25 s) and writes (1 s)
    timeout: int = 30


DEFAULT_OPTIONS = ClientOptions()


def _header(response: BaseHTTPResponse, name: str) -> str | None:
    value = response.headers.get(name)
    return str(value) if value is not None else None


def _read_message(response: BaseHTTPResponse) -> tuple[dict[str, Any], str]:
    """The JSON body of an error response and its ``message`` (consumes the body)."""
    try:
        raw = response.data
    except Exception:  # a broken connection while reading an error body
        raw = b""
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        data = {"message": raw.decode("utf-8", "replace")[:500]}
    if not isinstance(data, dict):
        data = {"message": str(data)[:500]}
    return data, str(data.get("message") or "")


def is_secondary_rate_limit(message: str) -> bool:
    lower = message.lower()
    return (
        "secondary rate limit" in lower
        or lower.endswith("please retry your request again later.")
        or lower.endswith("please wait a few minutes before you try again.")
    )


def is_primary_rate_limit(message: str) -> bool:
    return message.lower().startswith("api rate limit exceeded")


class DdeRetry(Retry):
    """urllib3 retry policy for GitHub: backoff on 5xx/429/rate limits with a bounded total wait."""

    def __init__(
        self,
        *,
        sleep_fn: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        max_total_wait: float = 120.0,
        secondary_rate_wait: float = 60.0,
        waited: float = 0.0,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("total", 5)
        kwargs.setdefault("backoff_factor", 1.0)
        kwargs.setdefault("backoff_max", 30.0)
        kwargs.setdefault("status_forcelist", RETRY_STATUSES)
        # None: any verb may be retried.  POSTs that create things are made idempotent by
        # their callers (get-or-create releases, starter assets deleted, marker comments).
        kwargs.setdefault("allowed_methods", None)
        kwargs.setdefault("raise_on_status", False)
        kwargs.setdefault("respect_retry_after_header", True)
        super().__init__(**kwargs)
        self.sleep_fn = sleep_fn
        self.clock = clock
        self.max_total_wait = max_total_wait
        self.secondary_rate_wait = secondary_rate_wait
        self.waited = waited

    def new(self, **kw: Any) -> DdeRetry:
        kw.update(
            sleep_fn=self.sleep_fn,
            clock=self.clock,
            max_total_wait=self.max_total_wait,
            secondary_rate_wait=self.secondary_rate_wait,
            waited=self.waited,
        )
        return super().new(**kw)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code in (403, 429):
            return True  # increment() decides whether it is a rate limit
        return super().is_retry(method, status_code, has_retry_after)

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        """No-op: :meth:`increment` already waited (so the wait is bounded and injectable)."""

    def _retry_after(self, response: BaseHTTPResponse) -> float | None:
        value = _header(response, "Retry-After")
        if value is None:
            return None
        value = value.strip()
        if value.isdigit():
            return float(value)
        parsed = email.utils.parsedate_tz(value)
        if parsed is None:
            return None
        return max(0.0, float(email.utils.mktime_tz(parsed)) - self.clock())

    def _backoff(self, attempt: int) -> float:
        return float(min(self.backoff_max, self.backoff_factor * (2 ** max(0, attempt - 1))))

    def _rate_limit_wait(
        self, response: BaseHTTPResponse, url: str | None
    ) -> tuple[float | None, str]:
        """(required wait, reason) for a 403/429; raises for a 403 that is no rate limit."""
        retry_after = self._retry_after(response)
        if retry_after is not None:
            return (
                retry_after,
                f"rate limited (HTTP {response.status}, Retry-After {retry_after:.0f} s)",
            )
        if _header(response, "x-ratelimit-remaining") == "0":
            reset = _header(response, "x-ratelimit-reset")
            if reset and reset.isdigit():
                wait = max(0.0, float(reset) - self.clock()) + 1.0
                when = datetime.fromtimestamp(int(reset), UTC).strftime("%H:%M:%S UTC")
                return wait, f"primary rate limit used up until {when}"
            return None, "primary rate limit used up"
        if response.status == 429:
            return None, "rate limited (HTTP 429)"
        data, message = _read_message(response)
        if is_secondary_rate_limit(message):
            return self.secondary_rate_wait, "secondary rate limit"
        if is_primary_rate_limit(message):
            return None, "primary rate limit used up"
        # An ordinary 403 (missing permission): no retry; raise what PyGithub would raise.
        from github.Requester import Requester

        headers = {str(k).lower(): str(v) for k, v in response.headers.items()}
        raise Requester.createException(response.status, headers, data)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: Any = None,
    ) -> DdeRetry:
        required: float | None = None
        reason = f"HTTP {response.status}" if response is not None else f"{type(error).__name__}"
        rate_limited = False
        if response is not None and response.status in (403, 429):
            required, reason = self._rate_limit_wait(response, url)
            rate_limited = True
        elif response is not None:
            required = self._retry_after(response)
        try:
            new = super().increment(method, url, response, error, _pool, _stacktrace)
        except Exception as exc:
            from urllib3.exceptions import MaxRetryError

            if rate_limited and isinstance(exc, MaxRetryError):
                raise RateLimitWaitExceeded(
                    f"GitHub API still {reason} after {self.total_attempts()} attempts "
                    f"({self.waited:.0f} s waited); re-run later",
                    response.status if response is not None else None,
                ) from None
            raise
        wait = self._backoff(len(new.history))
        if required is not None:
            wait = max(wait, required)
        if self.waited + wait > self.max_total_wait:
            advice = (
                "re-run after the limit resets (or use a token with a higher rate limit, "
                "e.g. a GitHub App installation token)"
                if rate_limited
                else "re-run later"
            )
            raise RateLimitWaitExceeded(
                f"GitHub API {reason}: waiting {wait:.0f} s more would exceed dde-ci's limit of "
                f"{self.max_total_wait:g} s in total for one call; {advice}",
                response.status if response is not None else None,
            )
        if wait > 0:
            self.sleep_fn(wait)
        new.waited = self.waited + wait
        return new

    def total_attempts(self) -> int:
        return len(self.history) + 1


def make_retry(options: ClientOptions | None = None) -> DdeRetry:
    opts = options or DEFAULT_OPTIONS
    return DdeRetry(
        total=opts.retries,
        backoff_factor=opts.backoff_factor,
        backoff_max=opts.backoff_max,
        sleep_fn=opts.sleep,
        clock=opts.clock,
        max_total_wait=opts.max_total_wait,
        secondary_rate_wait=opts.secondary_rate_wait,
    )


def require_token(token: str | None) -> str:
    """The token, or an InputError saying how to provide one (never echoing it)."""
    if token is None or not token.strip():
        raise InputError(
            "GITHUB_TOKEN is missing: set it to a token that may use this repository "
            "(in a workflow: env: GITHUB_TOKEN: ${{ github.token }})"
        )
    return token.strip()


def check_repo(repo: str) -> str:
    """``owner/name`` or an InputError."""
    if not _REPO_RE.match(repo or ""):
        raise InputError(f"repository {repo!r} is not of the form OWNER/NAME")
    return repo


def connect(
    token: str | None, base_url: str | None = None, options: ClientOptions | None = None
) -> Github:
    """A PyGithub client with dde-ci's retry policy (lazy: no request until one is needed)."""
    from github import Auth, Github

    opts = options or DEFAULT_OPTIONS
    secret = require_token(token)
    kwargs: dict[str, Any] = {}
    if not opts.throttle:
        kwargs.update(seconds_between_requests=None, seconds_between_writes=None)
    return Github(
        auth=Auth.Token(secret),
        base_url=(base_url or DEFAULT_BASE_URL).rstrip("/"),
        retry=make_retry(opts),
        timeout=opts.timeout,
        lazy=True,
        **kwargs,
    )


def with_options(**changes: Any) -> ClientOptions:
    """A copy of the default options with some fields changed."""
    return replace(DEFAULT_OPTIONS, **changes)


def _github_message(exc: Any) -> str:
    data = getattr(exc, "data", None)
    message = ""
    if isinstance(data, dict):
        message = str(data.get("message") or "")
        errors = data.get("errors")
        if isinstance(errors, list) and errors:
            details = []
            for item in errors[:3]:
                if isinstance(item, dict):
                    details.append(str(item.get("message") or item.get("code") or item))
                else:
                    details.append(str(item))
            message = f"{message} ({'; '.join(details)})" if message else "; ".join(details)
    elif isinstance(data, str | bytes):
        message = data.decode() if isinstance(data, bytes) else data
    return message[:300] or (getattr(exc, "message", None) or "no message")


def translate(exc: BaseException, action: str, permission: str) -> GitHubApiError:
    """Turn a PyGithub/requests exception into an error a person can act on."""
    from github.GithubException import BadCredentialsException, GithubException
    from requests import RequestException

    if isinstance(exc, BadCredentialsException) or getattr(exc, "status", None) == 401:
        return GitHubApiError(
            f"GITHUB_TOKEN is missing, expired or invalid (GitHub answered 401 Bad credentials) "
            f"while trying to {action}; use a token with {permission}",
            401,
        )
    if isinstance(exc, GithubException):
        status = exc.status
        message = _github_message(exc)
        if status == 403 or (status == 404 and "not found" in message.lower()):
            hint = (
                f"GITHUB_TOKEN lacks the permission to {action}: it needs {permission}"
                if status == 403
                else f"could not {action}: GitHub answered 404 Not Found -- the repository or "
                f"object does not exist, or GITHUB_TOKEN cannot see it (it needs {permission})"
            )
            return GitHubApiError(f"{hint} (GitHub said: {message})", status)
        if status >= 500:
            return GitHubApiError(
                f"could not {action}: GitHub API answered HTTP {status} after retries "
                f"({message}); re-run later",
                status,
            )
        return GitHubApiError(f"could not {action}: GitHub API answered HTTP {status}: {message}")
    if isinstance(exc, RequestException):
        return GitHubApiError(
            f"could not {action}: cannot reach the GitHub API ({type(exc).__name__}); "
            "check the network and the API URL, then re-run"
        )
    return GitHubApiError(f"could not {action}: {type(exc).__name__}")


@contextlib.contextmanager
def github_errors(action: str, permission: str) -> Iterator[None]:
    """Translate GitHub failures inside the block into :class:`GitHubApiError`.

    ``action`` completes "could not ..."; ``permission`` names the token scope the call
    needs (e.g. ``"'statuses: write'"``).
    """
    from github.GithubException import GithubException
    from requests import RequestException

    try:
        yield
    except (GithubException, RequestException) as exc:
        raise translate(exc, action, permission) from None
