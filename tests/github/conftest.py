"""Every test here talks to a mocked GitHub: ``responses`` is active, no request leaves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.github.payloads import mocked_github


@pytest.fixture(autouse=True)
def gh(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    mock = mocked_github(monkeypatch)
    with mock:
        yield mock
