"""The execution log: one JSON event per line, append-only, never torn.

Every event has the same fields::

    event_type      e.g. "node.started", "gate.failed", "contract.locked"
    timestamp       RFC 3339 UTC with microseconds, e.g. 2026-11-27T13:47:24.123456Z
    iteration_id    the iteration
    run_id          the run (local run id or GitHub run id), may be null
    correlation_id  ties the events of one node attempt (or one run) together
    node_id         may be null for workflow events
    agent_id        the agent or runner, may be null
    attempt         1-based attempt number, may be null
    details         an object with event-specific data

A line is written with a single ``write`` on a file opened with ``O_APPEND``,
so concurrent writers (the runner and node steps in other processes) never
interleave within a line.

Before a line is written, ``details`` are made safe: token-shaped strings
(``ghp_``, ``gho_``, ``ghu_``, ``ghs_``, ``ghr_``, ``github_pat_``) and the values
of the secrets the log was given (``ExecutionLog(..., secrets=[...])``) become
``***``, and values JSON cannot hold strictly (NaN, Infinity) become ``null``.

Reading: :func:`read_log` reports a torn last line, invalid JSON or a line that
fails the ``execution-log`` JSON Schema as a problem and goes on.
:func:`query` filters events; :func:`merge_segments` merges the per-node log
segments of GitHub jobs into one ordered log, each event once.
"""

from __future__ import annotations

import hashlib
import json
import math
import operator
import os
import random
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, cast

from dde_ci.errors import Diagnostic, InputError, Location
from dde_ci.files import NotARegularFile, open_regular
from dde_ci.perf import collector_paused
from dde_ci.secrets import REDACTED as REDACTED  # one definition of secrets: dde_ci.secrets
from dde_ci.secrets import TOKEN_PATTERN as TOKEN_PATTERN
from dde_ci.secrets import redact_text as redact_text
from dde_ci.secrets import secret_env_values
from dde_ci.secrets import secret_values as secret_values

EVENT_FIELDS = (
    "event_type",
    "timestamp",
    "iteration_id",
    "run_id",
    "correlation_id",
    "node_id",
    "agent_id",
    "attempt",
    "details",
)


def now_rfc3339() -> str:
    """Current UTC time as RFC 3339 with microseconds and a ``Z``.

    The date and time to the second are formatted once a second (a tuple swapped
    whole, so threads never see one second's text with another's number): a run
    stamps several events and records per node, and ``strftime`` is most of the cost.
    """
    return format_ns(time.time_ns())


def format_ns(ns: int) -> str:
    """RFC 3339 UTC text, to the microsecond, of ``ns`` nanoseconds since the epoch."""
    global _second
    seconds, nanoseconds = divmod(ns, 1_000_000_000)
    cached = _second
    if cached[0] != seconds:
        cached = _second = (seconds, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)))
    return f"{cached[1]}.{nanoseconds // 1000:06d}Z"


_second: tuple[int, str] = (-1, "")


def parse_timestamp(text: str) -> datetime:
    """Parse a timestamp written by :func:`now_rfc3339` (or any RFC 3339 form)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def new_id() -> str:
    """A random 128-bit id as 32 hex digits (a version-4 UUID).  From the ``random``
    module, reseeded in every forked child, rather than ``os.urandom``: an id is not a
    secret, and the runner makes two per node from threads that share one lock (each
    system call is a chance to lose it)."""
    return uuid.UUID(int=random.getrandbits(128), version=4).hex


def make_event(
    event_type: str,
    *,
    iteration_id: str,
    run_id: str | None = None,
    node_id: str | None = None,
    agent_id: str | None = None,
    attempt: int | None = None,
    correlation_id: str | None = None,
    details: Mapping[str, Any] | None = None,
    timestamp: str | None = None,
) -> dict[str, Any]:
    """An event dict with every field of :data:`EVENT_FIELDS`, in that order."""
    return {
        "event_type": event_type,
        "timestamp": timestamp or now_rfc3339(),
        "iteration_id": iteration_id,
        "run_id": run_id,
        "correlation_id": correlation_id or new_id(),
        "node_id": node_id,
        "agent_id": agent_id,
        "attempt": attempt,
        "details": dict(details or {}),
    }


def encode_event(event: Mapping[str, Any]) -> bytes:
    """One strict JSON line (no NaN/Infinity), terminated by a newline."""
    return (
        json.dumps(event, allow_nan=False, ensure_ascii=False, separators=(",", ":")) + "\n"
    ).encode("utf-8")


def env_secrets(environ: Mapping[str, str]) -> list[str]:
    """The values of ``environ``'s secret variables (:mod:`dde_ci.secrets`): ``GITHUB_TOKEN``,
    ``DDE_WEBHOOK_SECRET``, ``DB_PASSWORD``..."""
    return secret_env_values(environ)


def redact(value: Any, secrets: Sequence[str] = ()) -> Any:
    """A copy of ``value`` safe for the log: strings redacted (keys too), NaN/Infinity -> None.

    Anything JSON cannot represent (a path, a datetime) becomes its ``str``.
    """
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {redact_text(str(k), secrets): redact(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [redact(v, secrets) for v in value]
    return redact_text(str(value), secrets)


def safe_event(event: Mapping[str, Any], secrets: Sequence[str] = ()) -> dict[str, Any]:
    """``event`` with its details (and free-text ids) redacted and made strictly JSON."""
    out = dict(event)
    out["details"] = redact(event.get("details") or {}, secrets)
    for key in ("agent_id", "run_id", "correlation_id"):
        if isinstance(out.get(key), str):
            out[key] = redact_text(out[key], secrets)
    return out


@dataclass
class ExecutionLog:
    """Appends events to ``path`` (created with its folder on first write).

    ``secrets`` are values (e.g. the secrets a node was given) that must never
    reach the log; they are replaced by ``***`` like token-shaped strings.
    With ``redact_environment`` (the default) the values of this process's
    secret-named environment variables (:func:`env_secrets`) are hidden too.
    """

    path: Path
    iteration_id: str
    run_id: str | None = None
    secrets: Sequence[str] = field(default=(), repr=False)
    redact_environment: bool = field(default=True, repr=False)

    def __post_init__(self) -> None:
        found = env_secrets(os.environ) if self.redact_environment else []
        self.secrets = secret_values([*self.secrets, *found])

    def add_secrets(self, values: Iterable[str]) -> None:
        """Hide ``values`` too from now on (e.g. a node's secrets when it starts)."""
        self.secrets = secret_values([*self.secrets, *values])

    def append(self, event: Mapping[str, Any]) -> None:
        data = encode_event(safe_event(event, self.secrets))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            written = os.write(fd, data)
            while written < len(data):  # pragma: no cover - regular files write whole
                written += os.write(fd, data[written:])
        finally:
            os.close(fd)

    def emit(self, event_type: str, **fields: Any) -> dict[str, Any]:
        """Build an event for this log's iteration and run, append it, return it (as written)."""
        fields.setdefault("run_id", self.run_id)
        event = safe_event(
            make_event(event_type, iteration_id=self.iteration_id, **fields), self.secrets
        )
        self.append(event)
        return event

    def sync(self) -> None:
        """fsync the log (called at node boundaries)."""
        if not self.path.exists():
            return
        fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@dataclass
class LogContents:
    """Events read from a log, and the problems found while reading it."""

    events: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)


def read_log(path: Path) -> LogContents:
    """Read every event; a torn or invalid line is reported as a problem, never raised.

    The loop runs once per event (100,000 of them in a large iteration), so it
    decodes with the JSON scanner directly and checks :func:`conforms` inline;
    any line that does not take the fast path goes through :func:`_read_line`,
    which decodes it again the ordinary way and explains what is wrong.
    """
    out = LogContents()
    with collector_paused():  # 100,000 small acyclic dicts: nothing for the collector
        out.events.extend(iter_events(path, out.problems))
    return out


def iter_events(path: Path, problems: list[Diagnostic]) -> Iterator[dict[str, Any]]:
    """The events :func:`read_log` reads, one at a time in the log's order, for a reader
    that needs each only once (the audit's timeline: 100,000 events held at once take
    200 MB).  Problems are appended to ``problems`` as they are found; a missing log has
    no events.

    The log is read in blocks of whole lines (memory stays bounded for any size: a
    line over :data:`MAX_LINE` is reported and skipped; a FIFO or a device is
    refused).  Each block is decoded once and each line scanned in place; a line
    takes the fast path only when it is one object that ends exactly at its newline
    and conforms, anything else is read again by :func:`_read_line`.
    """
    if not path.exists():
        return
    shown = str(path)
    try:
        fd, _ = open_regular(path)
    except NotARegularFile:
        problems.append(
            Diagnostic("the log is not a regular file (a FIFO or a device?)", Location(shown))
        )
        return
    scan: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]
    check = conforms
    number = 0  # the last line read
    rest = b""
    skipping = False  # inside a line that was too long
    with os.fdopen(fd, "rb") as handle:
        for block in _blocks(handle, shown):
            if skipping:
                newline = block.find(b"\n")
                if newline < 0:
                    continue
                block, skipping = block[newline + 1 :], False
            data = rest + block if rest else block
            cut = data.rfind(b"\n") + 1
            rest = data[cut:]  # a line that goes on in the next block
            if cut:
                whole = data[:cut] if rest else data
                try:
                    text = whole.decode("utf-8")
                except UnicodeDecodeError:  # some line is not UTF-8: find it line by line
                    for raw in whole.split(b"\n")[:-1]:
                        number += 1
                        read = _read_line(raw + b"\n", number, shown, problems)
                        if read is not None:
                            yield read
                else:
                    find = text.find
                    pos = 0
                    size = len(text)
                    while pos < size:
                        number += 1
                        newline = find("\n", pos)
                        try:
                            event, end = scan(text, pos)
                        except (ValueError, StopIteration):
                            end = -1
                        if end != newline or not check(event):
                            raw = text[pos : newline + 1].encode("utf-8")
                            event = _read_line(raw, number, shown, problems)
                        pos = newline + 1
                        if event is not None:
                            yield event
            if len(rest) > MAX_LINE:
                number += 1
                problems.append(
                    Diagnostic(
                        f"line longer than {MAX_LINE:,} bytes; not read",
                        Location(shown, number, 1),
                    )
                )
                rest, skipping = b"", True
    if rest:  # torn: the writer stopped mid-line
        _read_line(rest, number + 1, shown, problems)


def _blocks(handle: Any, shown: str) -> Iterator[bytes]:
    """The log's blocks; a file that cannot be read (``/proc/self/mem``: EIO) is bad input."""
    while True:
        try:
            block = handle.read(READ_BLOCK)
        except OSError as exc:
            raise InputError(f"the log cannot be read: {exc.strerror}", Location(shown)) from None
        if not block:
            return
        yield block


# 1 MiB: with 8 MiB blocks each block's buffers were fresh memory, 10,000 more page faults
# (5 us each in a virtual machine) for a log of 24 MB
READ_BLOCK = 1024 * 1024
MAX_LINE = 16 * 1024 * 1024  # a longer line is reported and skipped, never held whole


def _read_line(
    raw: bytes, number: int, shown: str, problems: list[Diagnostic]
) -> dict[str, Any] | None:
    """Read one line that is not a plain conforming event: torn, blank, invalid or odd.
    Returns the event when it is one after all (None: a problem, or a blank line)."""
    if not raw.endswith(b"\n"):
        problems.append(
            Diagnostic(
                "torn last line (no newline): the writer stopped mid-line",
                Location(shown, number, 1),
            )
        )
        return None
    if not raw.strip():
        return None
    try:
        event = _DECODER.decode(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        problems.append(Diagnostic(f"invalid JSON: {exc}", Location(shown, number, 1)))
        return None
    if conforms(event):
        return cast(dict[str, Any], event)
    if not isinstance(event, dict) or not event.keys() >= _FIELD_SET:
        missing = [k for k in EVENT_FIELDS if not isinstance(event, dict) or k not in event]
        problems.append(
            Diagnostic(f"event is missing {', '.join(missing)}", Location(shown, number, 1))
        )
        return None
    failure = schema_problem(event)
    if failure is not None:
        problems.append(Diagnostic(failure, Location(shown, number, 1)))
        return None
    return event  # pragma: no cover - conforms() and the schema agree


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)  # one decoder, not one per line


@cache
def _validator() -> Any:
    import jsonschema

    from dde_ci.schemas import schema

    spec = schema("execution-log")
    cls = jsonschema.validators.validator_for(spec)
    return cls(spec, format_checker=cls.FORMAT_CHECKER)


@cache
def _fast_rules() -> tuple[Any, Any, Any, Any]:
    """The schema's string patterns, compiled once (the schema file is their one source)."""
    from dde_ci.schemas import schema

    props = schema("execution-log")["properties"]
    return (
        re.compile(props["event_type"]["pattern"]),
        re.compile(props["timestamp"]["pattern"]),
        re.compile(props["iteration_id"]["pattern"]),
        re.compile(props["node_id"]["pattern"]),
    )


_FIELD_SET = frozenset(EVENT_FIELDS)


def _is_integer(value: Any) -> bool:
    """JSON Schema's integer: an int (not a bool) or a float without a fraction."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def conforms(event: Mapping[str, Any]) -> bool:
    """True when ``event`` satisfies the ``execution-log`` schema.

    The same rules as the JSON Schema, checked directly: reading a log of
    100,000 events must not take a validator's time per line.  A property test
    keeps the two in agreement; :func:`schema_problem` explains a failure.

    Pattern checks are remembered by the values they checked: the fields that
    repeat on every line of a node (event type, iteration, node) together, and
    a timestamp's date and time to the second (the fraction and the ``Z`` of our
    own format are checked on every event); the free-text ids, the attempt and
    the details are checked on every event.
    """
    if not isinstance(event, dict) or len(event) != len(EVENT_FIELDS):
        return False
    try:  # nine keys, each of them one of the nine fields: exactly the fields
        kind, stamp, iteration, run_id, correlation, node_id, agent, attempt, details = _FIELDS(
            event
        )
    except KeyError:
        return False
    if not isinstance(kind, str) or not isinstance(iteration, str):
        return False
    if node_id is not None and not isinstance(node_id, str):
        return False
    known = _SEEN.get((kind, iteration, node_id))
    if known is None:
        known = _ids_conform(kind, iteration, node_id)
        if len(_SEEN) < MAX_REMEMBERED:
            _SEEN[(kind, iteration, node_id)] = known
    if not known or not isinstance(stamp, str) or not _timestamp_conforms(stamp):
        return False
    if run_id is not None and (not isinstance(run_id, str) or not run_id):
        return False
    if correlation is not None and (not isinstance(correlation, str) or not correlation):
        return False
    if agent is not None and not isinstance(agent, str):
        return False
    if attempt is not None and not (
        attempt >= 0 if type(attempt) is int else _is_integer(attempt) and attempt >= 0
    ):
        return False
    return isinstance(details, dict)


def _timestamp_conforms(stamp: str) -> bool:
    """The schema's timestamp pattern; for our own format (``…:SS.ffffffZ``) the date and
    time to the second are checked once per second seen, the rest on every call."""
    if len(stamp) == 27 and stamp[26] == "Z" and stamp[19] == "." and stamp[20:26].isdecimal():
        second = stamp[:19]
        known = _SECONDS.get(second)
        if known is None:
            # the rule on this second with a fraction and Z known to match (one source: the
            # schema's pattern); \d and str.isdecimal() both mean Unicode category Nd
            known = _fast_rules()[1].search(second + ".000000Z") is not None
            if len(_SECONDS) < MAX_REMEMBERED:
                _SECONDS[second] = known
        return known
    return _fast_rules()[1].search(stamp) is not None


MAX_REMEMBERED = 100_000
_SEEN: dict[tuple[str, str, str | None], bool] = {}
_SECONDS: dict[str, bool] = {}
_FIELDS = operator.itemgetter(*EVENT_FIELDS)


def _ids_conform(kind: str, iteration: str, node_id: str | None) -> bool:
    """The schema's patterns for the event type, the iteration and the node (when named)."""
    kind_rule, _, iteration_rule, node_rule = _fast_rules()
    return (
        kind_rule.search(kind) is not None
        and iteration_rule.search(iteration) is not None
        and (node_id is None or node_rule.search(node_id) is not None)
    )


def schema_problem(event: Mapping[str, Any]) -> str | None:
    """Why ``event`` fails the ``execution-log`` schema (the first reason), or None."""
    if conforms(event):
        return None
    errors = sorted(_validator().iter_errors(dict(event)), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    first = errors[0]
    where = ".".join(str(p) for p in first.absolute_path)
    prefix = f"{where}: " if where else ""
    return f"event does not match the execution-log schema: {prefix}{first.message}"


# --- querying -----------------------------------------------------------------------------

_DURATION = re.compile(r"^(\d+)\s*(s|m|h|d)\Z")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """A time from ``2026-11-27T13:00:00Z``, ``2026-11-27``, or ``15m`` / ``2h`` / ``1d`` ago.

    Raises ``ValueError`` with a message a person can act on.
    """
    value = text.strip()
    match = _DURATION.match(value)
    if match:
        seconds = int(match.group(1)) * _DURATION_UNITS[match.group(2)]
        try:
            return (now or datetime.now(UTC)) - timedelta(seconds=seconds)
        except OverflowError:  # before the year 1 (or past what timedelta holds)
            raise ValueError(
                f"{text!r} is further back than a time can go; give a date instead"
            ) from None
    try:
        moment = parse_timestamp(value)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time: use RFC 3339 (2026-11-27T13:00:00Z), a date "
            "(2026-11-27) or a duration ago (30s, 15m, 2h, 1d)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _type_matcher(event_type: str) -> Callable[[str], bool]:
    """``node.failed`` matches exactly; ``node`` or ``node.*`` matches the whole family."""
    family = event_type.removesuffix(".*")
    if family != event_type or "." not in event_type:
        return lambda t: t == family or t.startswith(family + ".")
    return lambda t: t == event_type


def query(
    events: Iterable[Mapping[str, Any]],
    *,
    node: str | None = None,
    type: str | None = None,
    since: datetime | str | None = None,
    iteration: str | None = None,
) -> list[dict[str, Any]]:
    """The events matching every filter given, in their order."""
    matches_type = _type_matcher(type) if type else None
    moment = parse_since(since) if isinstance(since, str) else since
    out: list[dict[str, Any]] = []
    for event in events:
        if node is not None and event.get("node_id") != node:
            continue
        if iteration is not None and event.get("iteration_id") != iteration:
            continue
        if matches_type is not None and not matches_type(str(event.get("event_type", ""))):
            continue
        if moment is not None:
            try:
                when = parse_timestamp(str(event.get("timestamp", "")))
            except ValueError:
                continue
            if when < moment:
                continue
        out.append(dict(event))
    return out


# --- merging per-node segments ------------------------------------------------------------


def event_identity(event: Mapping[str, Any]) -> str:
    """A stable identity of an event: SHA-256 of its canonical JSON (sorted keys).

    The same event copied into two segments has one identity; two different
    events never share one (they differ at least in timestamp or content).
    """
    canonical = json.dumps(
        {k: event.get(k) for k in EVENT_FIELDS},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _order_key(event: Mapping[str, Any], identity: str) -> tuple[datetime, str]:
    try:
        when = parse_timestamp(str(event.get("timestamp", "")))
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    except ValueError:
        when = datetime.min.replace(tzinfo=UTC)
    return (when, identity)


def merge_events(*streams: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Merge event streams into one, ordered by timestamp, each event once."""
    seen: dict[str, dict[str, Any]] = {}
    for stream in streams:
        for event in stream:
            seen.setdefault(event_identity(event), dict(event))
    ordered = sorted(seen.items(), key=lambda item: _order_key(item[1], item[0]))
    return [event for _, event in ordered]


def merge_segments(
    paths: Iterable[Path], problems: list[Diagnostic] | None = None
) -> list[dict[str, Any]]:
    """Merge per-node log segments (e.g. from separate GitHub jobs) into one ordered log.

    Events present in several segments (a job that downloaded an earlier log)
    appear once.  Problems found while reading (torn or invalid lines) are
    appended to ``problems`` when given; the readable events are kept.
    """
    streams = []
    for path in paths:
        contents = read_log(path)
        if problems is not None:
            problems.extend(contents.problems)
        streams.append(contents.events)
    return merge_events(*streams)


def write_events(path: Path, events: Iterable[Mapping[str, Any]]) -> int:
    """Write ``events`` as a complete log at ``path`` (atomically: temp file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    count = 0
    try:
        with temp.open("wb") as handle:
            for event in events:
                handle.write(encode_event(safe_event(event)))
                count += 1
            handle.flush()
            os.fsync(handle.fileno())
        temp.replace(path)
    finally:
        if temp.exists():
            temp.unlink()
    return count
