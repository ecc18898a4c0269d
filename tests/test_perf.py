"""The paused collector: paused inside, restored as it was after, even on an error."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from dde_ci.perf import collector_paused


@pytest.fixture
def collector() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_restored_as_it_was(collector: None, enabled: bool) -> None:
    gc.enable() if enabled else gc.disable()
    with pytest.raises(KeyError), collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested: the inner one leaves it paused
            pass
        assert not gc.isenabled()
        raise KeyError("boom")
    assert gc.isenabled() == enabled
