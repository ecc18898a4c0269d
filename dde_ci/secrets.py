"""Secrets: which variables are secret, what commands never see, and how values are hidden.

One definition for the whole program (the execution log, the node step, the gates and
every file written under ``reports/`` and ``.dde/``):

* A **secret variable** is an environment variable (of this process, or in a node's
  ``env``) whose name says it is secret -- :func:`is_secret_name`: it contains
  ``TOKEN``, ``SECRET``, ``PASSWORD``/``PASSWD``, ``CREDENTIAL`` or ``PRIVATE``, or has a
  ``KEY``/``KEYS``/``APIKEY`` part (``API_KEY``, ``AWS_SECRET_ACCESS_KEY``, ``KEY_ID``) --
  and whose value is at least :data:`MIN_SECRET_LENGTH` characters long (a shorter value,
  ``"true"`` or ``"1"``, would hide ordinary words wherever it appears).
* :data:`WITHHELD_ENV` are the credentials dde-ci itself holds (to publish releases, sign
  webhooks): node commands and ``command`` gates start from :func:`withheld_environment`,
  this process's environment without them.
* :func:`redact_text` replaces every secret value (and each line of a multi-line one) and
  every GitHub-token-shaped string with ``***``; :func:`redact_value` does it to every
  string (keys too) of a JSON-like value; :func:`redact_file` rewrites a file a command
  wrote (its output, its ``$DDE_OUTPUT``) when it holds one.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

REDACTED = "***"

# GitHub token shapes: classic/OAuth/user/server/refresh tokens and fine-grained PATs.
TOKEN_PATTERN = re.compile(r"(?:gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{16,})")

SECRET_NAME = re.compile(
    r"TOKEN|SECRET|PASSW(?:OR)?D|CREDENTIAL|PRIVATE|(?:^|_)(?:API)?KEYS?(?:_|\Z)", re.IGNORECASE
)
MIN_SECRET_LENGTH = 8

# Credentials dde-ci itself holds; a node's command and a gate's command never see them.
WITHHELD_ENV = frozenset(
    {
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "DDE_WEBHOOK_SECRET",
        "ACTIONS_RUNTIME_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    }
)


def is_secret_name(name: str) -> bool:
    """Whether a variable called ``name`` holds a secret (``NPM_TOKEN``, ``DB_PASSWORD``)."""
    return SECRET_NAME.search(name) is not None


def secret_env_values(env: Mapping[str, str]) -> list[str]:
    """The values of the secret variables of ``env`` (see the module docstring)."""
    return [
        value
        for name, value in env.items()
        if is_secret_name(name) and len(value.strip()) >= MIN_SECRET_LENGTH
    ]


def withheld_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``environ`` (this process's environment by default) less :data:`WITHHELD_ENV`."""
    source = os.environ if environ is None else environ
    return {k: v for k, v in source.items() if k not in WITHHELD_ENV}


def secret_values(secrets: Iterable[str]) -> tuple[str, ...]:
    """The strings to hide for ``secrets``: each value and each line of a multi-line one.

    Longest first, so a secret that contains another is hidden whole.
    """
    out: set[str] = set()
    for value in secrets:
        if not isinstance(value, str) or not value.strip():
            continue
        out.add(value)
        out.update(line.strip() for line in value.splitlines() if line.strip())
    return tuple(sorted(out, key=len, reverse=True))


def redact_text(text: str, secrets: Sequence[str] = ()) -> str:
    """``text`` with token-shaped strings and every secret value replaced by ``***``."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
    return TOKEN_PATTERN.sub(REDACTED, text)


def redact_value(value: Any, secrets: Sequence[str] = ()) -> Any:
    """A copy of a JSON-like ``value`` with every string (mapping keys too) redacted."""
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, Mapping):
        return {redact_text(str(k), secrets): redact_value(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v, secrets) for v in value]
    return value


def redact_file(path: Path, secrets: Sequence[str] = ()) -> bool:
    """Rewrite ``path`` (a regular file a command wrote) with its secrets hidden; True if it
    held any.  A missing file, or one that is not a regular file, is left alone.

    Read line by line (a multi-line secret is hidden line by line too, see
    :func:`secret_values`); only a file that holds a secret is rewritten: a copy
    renamed over it, so a reader sees one or the other.
    """
    if not path.is_file():  # not there, or a FIFO or a device: nothing written to hide
        return False
    with path.open("rb") as handle:
        if not any(_hidden(raw, secrets) != raw for raw in _lines(handle)):
            return False
        handle.seek(0)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.writelines(_hidden(raw, secrets) for raw in _lines(handle))
            os.chmod(tmp, os.fstat(handle.fileno()).st_mode & 0o777)  # noqa: PTH101
            os.replace(tmp, path)  # noqa: PTH105
        finally:
            Path(tmp).unlink(missing_ok=True)
    return True


LINE_PIECE = 1024 * 1024  # a longer line is read in pieces: memory stays bounded


def _lines(handle: Any) -> Iterator[bytes]:
    """The file's lines, a line longer than :data:`LINE_PIECE` in pieces of that size (a
    secret across two pieces of a line over 1 MiB long is the one thing not hidden)."""
    while piece := handle.readline(LINE_PIECE):
        yield piece


def _hidden(raw: bytes, secrets: Sequence[str]) -> bytes:
    line = raw.decode("utf-8", "surrogateescape")
    return redact_text(line, secrets).encode("utf-8", "surrogateescape")
