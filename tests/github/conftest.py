"""The mocked GitHub of the API tests: ``responses`` active, retries recorded instead of slept.

Each API test module applies it to every test with
``pytestmark = pytest.mark.usefixtures("gh")`` (so it is not forced on the workflow
generator's tests that share this folder); the root conftest blocks the network for all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.github.payloads import mocked_github


@pytest.fixture
def gh(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    mock = mocked_github(monkeypatch)
    with mock:
        yield mock
