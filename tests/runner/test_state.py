from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dde_ci.errors import NotFound, StateError
from dde_ci.runner.state import (
    CANCELLED,
    COMPLETED,
    FAILED,
    NODE_TRANSITIONS,
    PAUSED,
    PENDING,
    READY,
    RUNNING,
    SKIPPED,
    NodeChange,
    StateStore,
)


def make(tmp_path: Path) -> StateStore:
    store = StateStore(tmp_path / ".dde" / "state.db")
    store.create_run(
        "r1", workflow="w", manifest="/x/dde.yaml", iteration_id="it1", jobs=2, node_ids=["A", "B"]
    )
    return store


def test_database_is_wal_and_readable_from_another_connection(tmp_path: Path) -> None:
    store = make(tmp_path)
    store.apply("r1", [NodeChange("A", READY, {"ready_at": "t"})])
    other = sqlite3.connect(tmp_path / ".dde" / "state.db")
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert other.execute("SELECT state FROM nodes WHERE node_id='A'").fetchone()[0] == READY
    with StateStore(tmp_path / ".dde" / "state.db", create=False) as again:
        assert [n.state for n in again.nodes("r1")] == [READY, PENDING]
        assert again.latest_run().run_id == "r1"


def test_node_life_cycle(tmp_path: Path) -> None:
    store = make(tmp_path)
    for state in (READY, RUNNING, COMPLETED):
        store.apply("r1", [NodeChange("A", state)])
    store.apply("r1", [NodeChange("B", SKIPPED, message="dependency A failed")])
    nodes = {n.node_id: n for n in store.nodes("r1")}
    assert nodes["A"].state == COMPLETED
    assert nodes["B"].message == "dependency A failed"


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        ([], RUNNING),  # PENDING cannot start without being READY
        ([], COMPLETED),
        ([READY, RUNNING, COMPLETED], RUNNING),  # completed nodes never run again
        ([READY, RUNNING, FAILED], READY),
        ([SKIPPED], READY),
    ],
)
def test_invalid_transitions_are_refused(tmp_path: Path, path: list[str], bad: str) -> None:
    store = make(tmp_path)
    for state in path:
        store.apply("r1", [NodeChange("A", state)])
    before = [n.state for n in store.nodes("r1")]
    with pytest.raises(StateError, match=f"node A is .*; it cannot become {bad}"):
        store.apply("r1", [NodeChange("B", READY), NodeChange("A", bad)])
    assert [n.state for n in store.nodes("r1")] == before  # the whole batch rolled back


def test_a_refused_change_inside_a_group_is_named_and_the_lot_rolled_back(
    tmp_path: Path,
) -> None:
    """Changes of one shape go in one executemany; one refused among them still names
    its node, and nothing of the call (nor of the enclosing transaction) stays."""
    store = StateStore(tmp_path / "state.db")
    ids = [f"n{i}" for i in range(6)]
    store.create_run("r1", workflow="w", manifest="m", iteration_id="it", jobs=2, node_ids=ids)
    store.apply("r1", [NodeChange("n3", SKIPPED)])
    refused = pytest.raises(StateError, match="node n3 is SKIPPED; it cannot become READY")
    with refused, store.transaction():
        store.apply("r1", [NodeChange("n5", CANCELLED)])
        store.apply("r1", [NodeChange(n, READY, {"ready_at": "t"}) for n in ids[:5]])
    assert [n.state for n in store.nodes("r1")] == [PENDING] * 3 + [SKIPPED] + [PENDING] * 2
    store.apply("r1", [NodeChange(n, READY, {"ready_at": "t"}) for n in ids if n != "n3"])
    assert [n.state for n in store.nodes("r1")].count(READY) == 5


@settings(max_examples=40, deadline=None)
@given(
    steps=st.lists(
        st.lists(
            st.tuples(st.integers(0, 4), st.sampled_from(sorted(NODE_TRANSITIONS))),
            min_size=1,
            max_size=6,
        ),
        max_size=8,
    )
)
def test_grouped_changes_end_as_one_by_one(steps: list[list[tuple[int, str]]]) -> None:
    """Whatever the batches, applying them grouped leaves the same states (and refuses
    the same batches, with the same message) as applying each change alone."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        grouped = StateStore(Path(folder) / "a.db")
        alone = StateStore(Path(folder) / "b.db")
        ids = [f"n{i}" for i in range(5)]
        for store in (grouped, alone):
            store.create_run(
                "r", workflow="w", manifest="m", iteration_id="i", jobs=1, node_ids=ids
            )
        for batch in steps:
            changes = [NodeChange(ids[i], state, {"ready_at": "t"}) for i, state in batch]
            outcomes = []
            for store, apply in (
                (grouped, lambda s, c: s.apply("r", c)),
                (alone, lambda s, c: [s.apply("r", [one]) for one in c] and None),
            ):
                try:
                    with store.transaction():
                        apply(store, changes)
                    outcomes.append("ok")
                except StateError as exc:
                    outcomes.append(str(exc))
            assert outcomes[0] == outcomes[1]
            assert [n.state for n in grouped.nodes("r")] == [n.state for n in alone.nodes("r")]
        grouped.close()
        alone.close()


def test_finished_states_are_final_but_for_a_retry() -> None:
    for state in (COMPLETED, CANCELLED):
        assert NODE_TRANSITIONS[state] == frozenset()
    for state in (FAILED, SKIPPED):  # dde-ci retry runs them again
        assert NODE_TRANSITIONS[state] == frozenset({PENDING})


def test_run_transitions(tmp_path: Path) -> None:
    store = make(tmp_path)
    assert store.set_run_state("r1", PAUSED).state == PAUSED
    with pytest.raises(StateError, match="run r1 is PAUSED; it cannot become COMPLETED"):
        store.set_run_state("r1", COMPLETED)
    store.set_run_state("r1", RUNNING)
    done = store.set_run_state("r1", COMPLETED, "0 failed")
    assert done.finished_at is not None and done.message == "0 failed"
    with pytest.raises(StateError):
        store.set_run_state("r1", RUNNING)


def test_controls_queue(tmp_path: Path) -> None:
    store = make(tmp_path)
    first = store.request("r1", "pause")
    store.request("r1", "resume")
    assert [a for _, a in store.pending_controls("r1")] == ["pause", "resume"]
    store.mark_handled([first])
    assert [a for _, a in store.pending_controls("r1")] == ["resume"]
    with pytest.raises(StateError):
        store.request("r1", "explode")


def test_unknown_run_and_missing_database(tmp_path: Path) -> None:
    store = make(tmp_path)
    with pytest.raises(NotFound, match=r"no run 'r11'.*did you mean 'r1'"):
        store.run("r11")
    with pytest.raises(NotFound, match="no runs yet"):
        StateStore(tmp_path / "nowhere" / "state.db", create=False)
    with pytest.raises(NotFound, match="run r1 has no node 'C'"):
        store.apply("r1", [NodeChange("C", READY)])


def test_a_corrupt_state_database_names_the_file_and_the_way_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import run_cli
    from tests.runner.project import chain_manifest

    manifest = chain_manifest(tmp_path, {"A": ([], "true")})
    db = tmp_path / ".dde" / "state.db"
    db.parent.mkdir()
    db.write_bytes(b"this is not SQLite" * 512)
    assert run_cli("run", "-m", str(manifest.path), "--no-progress") == 2
    err = capsys.readouterr().err
    assert f"{db}: the runner's state database is unreadable" in err
    assert f"'mv {db} {db}.broken'" in err
    assert run_cli("status", "-m", str(manifest.path)) == 2
    assert "state database is unreadable" in capsys.readouterr().err
