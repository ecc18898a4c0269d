"""The local runner's state: runs, node states and control requests in SQLite (``.dde/state.db``).

The database is in WAL mode so ``dde-ci status``, ``pause``, ``resume`` and
``cancel`` read and write it from other processes while a run goes on.  Every
state change is committed before it takes effect (before a node starts,
before its dependents become ready), so a runner killed at any moment --
SIGKILL included -- leaves a state that ``dde-ci resume`` can continue.

Node states::

    PENDING -> READY -> RUNNING -> COMPLETED | FAILED | CANCELLED
    PENDING | READY -> SKIPPED | CANCELLED
    RUNNING -> READY            (only when a crashed run is resumed: at-least-once)
    FAILED | SKIPPED -> PENDING (only when a FAILED run is retried: ``dde-ci retry``)

Run states::

    RUNNING <-> PAUSED,  RUNNING | PAUSED -> CANCELLED,  RUNNING -> COMPLETED | FAILED,
    FAILED -> RUNNING (retried)

Any other change is refused with :class:`dde_ci.errors.StateError`.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dde_ci.errors import NotFound, StateError, did_you_mean
from dde_ci.log import now_rfc3339

PENDING = "PENDING"
READY = "READY"
RUNNING = "RUNNING"
COMPLETED = "COMPLETED"
FAILED = "FAILED"
SKIPPED = "SKIPPED"
CANCELLED = "CANCELLED"
PAUSED = "PAUSED"

NODE_STATES = (PENDING, READY, RUNNING, COMPLETED, FAILED, SKIPPED, CANCELLED)
RUN_STATES = (RUNNING, PAUSED, COMPLETED, FAILED, CANCELLED)
FINISHED_NODE_STATES = frozenset({COMPLETED, FAILED, SKIPPED, CANCELLED})
FINISHED_RUN_STATES = frozenset({COMPLETED, FAILED, CANCELLED})

NODE_TRANSITIONS: dict[str, frozenset[str]] = {
    PENDING: frozenset({READY, SKIPPED, CANCELLED}),
    READY: frozenset({RUNNING, SKIPPED, CANCELLED}),
    RUNNING: frozenset({COMPLETED, FAILED, CANCELLED, READY}),
    COMPLETED: frozenset(),
    FAILED: frozenset({PENDING}),
    SKIPPED: frozenset({PENDING}),
    CANCELLED: frozenset(),
}
RUN_TRANSITIONS: dict[str, frozenset[str]] = {
    RUNNING: frozenset({PAUSED, COMPLETED, FAILED, CANCELLED}),
    PAUSED: frozenset({RUNNING, CANCELLED}),
    COMPLETED: frozenset(),
    FAILED: frozenset({RUNNING}),
    CANCELLED: frozenset(),
}

CONTROL_ACTIONS = ("pause", "resume", "cancel")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    workflow TEXT NOT NULL,
    manifest TEXT NOT NULL,
    iteration_id TEXT NOT NULL,
    jobs INTEGER NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT,
    message TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS nodes (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    node_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    state TEXT NOT NULL,
    agent_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    exit_code INTEGER,
    ready_at TEXT,
    started_at TEXT,
    finished_at TEXT,
    message TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, node_id)
);
CREATE TABLE IF NOT EXISTS controls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    action TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    handled_at TEXT
);
CREATE INDEX IF NOT EXISTS controls_pending ON controls (run_id, handled_at);
"""

# the states each node state may be reached from
_ALLOWED_FROM = {
    state: [s for s, to in NODE_TRANSITIONS.items() if state in to] for state in NODE_TRANSITIONS
}
_NODE_FIELDS = ("agent_id", "attempts", "exit_code", "ready_at", "started_at", "finished_at")


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    workflow: str
    manifest: str
    iteration_id: str
    jobs: int
    state: str
    created_at: str
    updated_at: str
    finished_at: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class NodeRecord:
    node_id: str
    state: str
    agent_id: str | None
    attempts: int
    exit_code: int | None
    ready_at: str | None
    started_at: str | None
    finished_at: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class NodeChange:
    """One node transition, with the columns it sets."""

    node_id: str
    state: str
    fields: Mapping[str, Any] | None = None
    message: str | None = None


def storage_error(state_db: Path, exc: BaseException) -> StateError:
    """What to tell the user when the state database or the disk fails (exit 2)."""
    if (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "full" in str(exc):
        where = getattr(exc, "filename", None) or state_db
        return StateError(
            f"{where}: no space left on the device; free some space, then continue the run "
            "with 'dde-ci resume RUN_ID' ('dde-ci status' shows it)"
        )
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
        return StateError(
            f"{state_db}: the runner's state database is unreadable ({exc}); move it aside "
            f"('mv {state_db} {state_db}.broken') and start a new run with 'dde-ci run' "
            "(reports and artifacts stay; the old runs can no longer be resumed)"
        )
    if isinstance(exc, OSError):
        where = exc.filename or state_db
        return StateError(f"{where}: {exc.strerror or exc}; check the file and its folder")
    return StateError(
        f"{state_db}: cannot use the runner's state database ({exc}); check that the file "
        "and its folder are readable and writable, or move the file aside to start afresh"
    )


class StateStore:
    """The SQLite state database, used by the thread that opened it."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        if not create and not path.exists():
            raise NotFound(f"no runs yet: {path} does not exist (start one with 'dde-ci run')")
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, timeout=30.0, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA busy_timeout=30000")
            self.db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise storage_error(path, exc) from exc

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- runs ------------------------------------------------------------------------------

    def create_run(
        self,
        run_id: str,
        *,
        workflow: str,
        manifest: str,
        iteration_id: str,
        jobs: int,
        node_ids: Sequence[str],
    ) -> RunRecord:
        now = now_rfc3339()
        with self._transaction():
            self.db.execute(
                "INSERT INTO runs (run_id, workflow, manifest, iteration_id, jobs, state,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, workflow, manifest, iteration_id, jobs, RUNNING, now, now),
            )
            self.db.executemany(
                "INSERT INTO nodes (run_id, node_id, position, state) VALUES (?, ?, ?, ?)",
                [(run_id, n, i, PENDING) for i, n in enumerate(node_ids)],
            )
        return self.run(run_id)

    def run(self, run_id: str) -> RunRecord:
        row = self.db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            known = [r[0] for r in self.db.execute("SELECT run_id FROM runs")]
            raise NotFound(f"no run {run_id!r} in {self.path}{did_you_mean(run_id, known)}")
        return RunRecord(**dict(row))

    def latest_run(self) -> RunRecord:
        row = self.db.execute(
            "SELECT * FROM runs ORDER BY created_at DESC, rowid DESC LIMIT 1"
        ).fetchone()
        if row is None:
            raise NotFound(f"no runs yet in {self.path} (start one with 'dde-ci run')")
        return RunRecord(**dict(row))

    def runs(self) -> list[RunRecord]:
        rows = self.db.execute("SELECT * FROM runs ORDER BY created_at, rowid").fetchall()
        return [RunRecord(**dict(r)) for r in rows]

    def set_run_state(self, run_id: str, state: str, message: str | None = None) -> RunRecord:
        """Change the run's state, refusing a change the run state machine does not allow."""
        now = now_rfc3339()
        with self._transaction():
            current = self.run(run_id).state
            if state not in RUN_TRANSITIONS[current]:
                raise StateError(f"run {run_id} is {current}; it cannot become {state}")
            finished = now if state in FINISHED_RUN_STATES else None
            self.db.execute(
                "UPDATE runs SET state = ?, updated_at = ?, finished_at = ?,"
                " message = COALESCE(?, message) WHERE run_id = ?",
                (state, now, finished, message, run_id),
            )
        return self.run(run_id)

    # -- nodes -----------------------------------------------------------------------------

    def nodes(self, run_id: str) -> list[NodeRecord]:
        rows = self.db.execute(
            "SELECT node_id, state, agent_id, attempts, exit_code, ready_at, started_at,"
            " finished_at, message FROM nodes WHERE run_id = ? ORDER BY position",
            (run_id,),
        ).fetchall()
        return [NodeRecord(**dict(r)) for r in rows]

    def apply(self, run_id: str, changes: Iterable[NodeChange]) -> None:
        """Apply node transitions in one transaction; refuse the lot if one is not allowed.

        Consecutive changes of the same shape (the nodes a run makes READY at once)
        go in one ``executemany``; when one of them is refused, the group is undone
        and applied again one by one, which names the node.
        """
        with self._transaction():
            group: list[list[Any]] = []
            group_sql = ""
            for change in changes:
                sql, params = self._change_sql(run_id, change)
                if group and sql != group_sql:
                    self._apply_group(run_id, group_sql, group)
                    group = []
                group_sql = sql
                group.append(params)
            if group:
                self._apply_group(run_id, group_sql, group)

    @staticmethod
    def _change_sql(run_id: str, change: NodeChange) -> tuple[str, list[Any]]:
        """The UPDATE for one transition, and its parameters (node id last but the states)."""
        if change.state not in NODE_TRANSITIONS:
            raise StateError(f"unknown node state {change.state!r}")
        allowed_from = _ALLOWED_FROM[change.state]
        sets = ["state = ?"]
        values: list[Any] = [change.state]
        for key, value in (change.fields or {}).items():
            if key not in _NODE_FIELDS:
                raise StateError(f"unknown node field {key!r}")
            sets.append(f"{key} = ?")
            values.append(value)
        if change.message is not None:
            sets.append("message = ?")
            values.append(change.message)
        marks = ", ".join("?" for _ in allowed_from)
        sql = (
            f"UPDATE nodes SET {', '.join(sets)} WHERE run_id = ? AND node_id = ?"  # noqa: S608 - column names are fixed
            f" AND state IN ({marks})"
        )
        return sql, [*values, run_id, change.node_id, *allowed_from]

    def _apply_group(self, run_id: str, sql: str, group: list[list[Any]]) -> None:
        if len(group) == 1:
            self._apply_one(run_id, sql, group[0])
            return
        self.db.execute("SAVEPOINT dde_apply")
        if self.db.executemany(sql, group).rowcount != len(group):
            self.db.execute("ROLLBACK TO dde_apply")
            for params in group:  # one of them is refused: say which
                self._apply_one(run_id, sql, params)
        self.db.execute("RELEASE dde_apply")

    def _apply_one(self, run_id: str, sql: str, params: list[Any]) -> None:
        if self.db.execute(sql, params).rowcount == 1:
            return
        state = params[0]
        node_id = params[-len(_ALLOWED_FROM[state]) - 1]  # ..., run_id, node_id, *from
        row = self.db.execute(
            "SELECT state FROM nodes WHERE run_id = ? AND node_id = ?", (run_id, node_id)
        ).fetchone()
        if row is None:
            raise NotFound(f"run {run_id} has no node {node_id!r}")
        raise StateError(f"node {node_id} is {row[0]}; it cannot become {state}")

    # -- control requests (pause / resume / cancel from another process) ----------------------

    def request(self, run_id: str, action: str) -> int:
        if action not in CONTROL_ACTIONS:
            raise StateError(f"unknown control action {action!r}")
        self.run(run_id)
        with self._transaction():
            cursor = self.db.execute(
                "INSERT INTO controls (run_id, action, requested_at) VALUES (?, ?, ?)",
                (run_id, action, now_rfc3339()),
            )
        return int(cursor.lastrowid or 0)

    def pending_controls(self, run_id: str) -> list[tuple[int, str]]:
        rows = self.db.execute(
            "SELECT id, action FROM controls WHERE run_id = ? AND handled_at IS NULL ORDER BY id",
            (run_id,),
        ).fetchall()
        return [(int(r[0]), str(r[1])) for r in rows]

    def mark_handled(self, control_ids: Iterable[int]) -> None:
        ids = list(control_ids)
        if not ids:
            return
        with self._transaction():
            self.db.executemany(
                "UPDATE controls SET handled_at = ? WHERE id = ?",
                [(now_rfc3339(), i) for i in ids],
            )

    # -- plumbing --------------------------------------------------------------------------

    def transaction(self) -> _Transaction:
        """One transaction around several calls (``with store.transaction(): ...``): they
        are committed together when the block ends, or not at all."""
        return _Transaction(self.db)

    def _transaction(self) -> _Transaction:
        return _Transaction(self.db)


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error); re-entrant."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.outer = False

    def __enter__(self) -> None:
        if not self.db.in_transaction:
            self.db.execute("BEGIN IMMEDIATE")
            self.outer = True

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if not self.outer:
            return
        if exc_type is None:
            self.db.execute("COMMIT")
        else:
            self.db.execute("ROLLBACK")
