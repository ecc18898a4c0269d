"""The execution log: redaction, strict JSON, reading with problems, query, segment merge."""

from __future__ import annotations

import itertools
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dde_ci.errors import Diagnostic
from dde_ci.log import (
    EVENT_FIELDS,
    REDACTED,
    ExecutionLog,
    conforms,
    encode_event,
    event_identity,
    make_event,
    merge_events,
    merge_segments,
    parse_since,
    query,
    read_log,
    redact_text,
    write_events,
)
from dde_ci.schemas import schema

TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def test_emit_writes_one_schema_valid_line(tmp_path: Path) -> None:
    import jsonschema

    log = ExecutionLog(tmp_path / "execution.log", "It-1", "run-1")
    log.emit("node.started", node_id="API.Orders", attempt=1, details={"x": 1})
    lines = (tmp_path / "execution.log").read_text().splitlines()
    assert len(lines) == 1
    event = json.loads(lines[0])
    jsonschema.validate(event, schema("execution-log"))
    assert event["run_id"] == "run-1" and event["attempt"] == 1


def test_tokens_and_secrets_never_reach_the_log(tmp_path: Path) -> None:
    path = tmp_path / "execution.log"
    log = ExecutionLog(path, "It-1", "run-1", secrets=["s3cr3t-value", "line-one\nline-two"])
    pat = "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"
    log.emit(
        "node.failed",
        node_id="BE.Orders",
        details={
            "message": f"push failed with {TOKEN} and {pat}",
            "env": {
                "TOKEN": "s3cr3t-value",
                "nested": ["x line-two y", "ghs_abcdefghijklmnop1234"],
            },
            TOKEN: "token as a key",
        },
    )
    text = path.read_text()
    for secret in (TOKEN, pat, "s3cr3t-value", "line-two", "ghs_abcdefghijklmnop1234"):
        assert secret not in text
    event = read_log(path).events[0]
    assert event["details"]["message"] == f"push failed with {REDACTED} and {REDACTED}"
    assert event["details"]["env"]["nested"] == ["x *** y", REDACTED]
    assert "ExecutionLog" in repr(log) and "s3cr3t" not in repr(log)


def test_add_secrets_after_creation(tmp_path: Path) -> None:
    log = ExecutionLog(tmp_path / "e.log", "It-1")
    log.add_secrets(["hunter22"])
    assert log.emit("node.started", details={"cmd": "echo hunter22"})["details"] == {
        "cmd": f"echo {REDACTED}"
    }


def test_nan_and_infinity_become_null_and_odd_values_strings(tmp_path: Path) -> None:
    path = tmp_path / "execution.log"
    ExecutionLog(path, "It-1").emit(
        "gate.passed", details={"a": float("nan"), "b": [float("inf")], "p": Path("x/y")}
    )
    raw = path.read_text()
    assert "NaN" not in raw and "Infinity" not in raw
    assert json.loads(raw)["details"] == {"a": None, "b": [None], "p": "x/y"}


def test_reader_reports_torn_invalid_and_schema_failing_lines(tmp_path: Path) -> None:
    path = tmp_path / "execution.log"
    log = ExecutionLog(path, "It-1", "r")
    log.emit("workflow.started")
    bad_attempt = make_event("node.started", iteration_id="It-1", node_id="A", attempt=1)
    bad_attempt["attempt"] = "one"
    with path.open("a") as handle:
        handle.write("{not json}\n")
        handle.write(json.dumps(bad_attempt) + "\n")
        handle.write('{"event_type": "x", "bad": NaN}\n')
    log.emit("node.completed", node_id="A", attempt=1)
    with path.open("a") as handle:
        handle.write('{"event_type": "node.fa')
    contents = read_log(path)
    assert [e["event_type"] for e in contents.events] == ["workflow.started", "node.completed"]
    messages = [str(p) for p in contents.problems]
    assert messages[0].startswith(f"{path}:2:1: invalid JSON")
    assert messages[1] == (
        f"{path}:3:1: event does not match the execution-log schema: attempt: "
        "'one' is not of type 'integer', 'null'"
    )
    assert messages[2].startswith(f"{path}:4:1: invalid JSON")
    assert messages[3] == f"{path}:6:1: torn last line (no newline): the writer stopped mid-line"


def _events() -> list[dict[str, object]]:
    base = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    out = []
    for i, (kind, node) in enumerate(
        [
            ("workflow.started", None),
            ("node.started", "A"),
            ("node.completed", "A"),
            ("node.started", "B"),
            ("gate.failed", "B"),
            ("node.failed", "B"),
        ]
    ):
        stamp = (base + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        out.append(make_event(kind, iteration_id="It-1", node_id=node, timestamp=stamp))
    return out


def test_query_filters_by_node_type_family_and_since() -> None:
    events = _events()
    assert [e["event_type"] for e in query(events, node="B")] == [
        "node.started",
        "gate.failed",
        "node.failed",
    ]
    assert len(query(events, type="node")) == 4
    assert len(query(events, type="node.*")) == 4
    assert [e["node_id"] for e in query(events, type="node.failed")] == ["B"]
    assert len(query(events, since="2026-11-27T12:03:00Z")) == 3
    assert len(query(events, since="2026-11-27")) == 6
    assert query(events, iteration="It-2") == []


def test_parse_since_accepts_durations_and_refuses_nonsense() -> None:
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert parse_since("15m", now) == now - timedelta(minutes=15)
    assert parse_since("1d", now) == now - timedelta(days=1)
    try:
        parse_since("yesterday")
    except ValueError as exc:
        assert "is not a time" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("accepted 'yesterday'")


def test_merge_segments_orders_and_deduplicates(tmp_path: Path) -> None:
    events = _events()
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    write_events(a, [events[0], events[1], events[2]])
    # a later job downloaded the earlier log and appended its own events
    write_events(b, [events[0], events[3], events[5], events[4]])
    merged = merge_segments([b, a])
    assert merged == events
    out = tmp_path / "merged.log"
    write_events(out, merged)
    assert read_log(out).events == events and read_log(out).problems == []


def test_merge_segments_reports_problems_and_keeps_the_rest(tmp_path: Path) -> None:
    events = _events()
    seg = tmp_path / "seg.log"
    write_events(seg, events[:2])
    with seg.open("a") as handle:
        handle.write('{"torn":')
    problems: list[object] = []
    assert merge_segments([seg], problems) == events[:2]  # type: ignore[arg-type]
    assert len(problems) == 1


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    count=st.integers(min_value=0, max_value=30),
    cuts=st.lists(st.integers(min_value=0, max_value=30), max_size=5),
    overlap=st.integers(min_value=0, max_value=3),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_merge_of_shuffled_overlapping_segments_is_the_original(
    count: int, cuts: list[int], overlap: int, seed: int
) -> None:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    original = [
        make_event(
            random.Random(seed + i).choice(["node.started", "node.completed", "gate.passed"]),
            iteration_id="It-1",
            node_id=f"N{i % 4}",
            timestamp=(base + timedelta(microseconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            details={"i": i},
        )
        for i in range(count)
    ]
    bounds = sorted({0, count, *(c for c in cuts if c <= count)})
    segments = [original[max(0, lo - overlap) : hi] for lo, hi in itertools.pairwise(bounds)]
    rng = random.Random(seed)
    for seg in segments:
        rng.shuffle(seg)
    rng.shuffle(segments)
    assert merge_events(*segments) == original
    assert len({event_identity(e) for e in original}) == count


_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@given(
    prefix=st.sampled_from(["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"]),
    body=st.text(alphabet=_ALNUM, min_size=16, max_size=60),
    before=st.text(max_size=30),
    after=st.text(max_size=30),
)
def test_redaction_never_leaks_a_token(prefix: str, body: str, before: str, after: str) -> None:
    token = prefix + body
    assert token not in redact_text(before + token + after)


@given(
    secret=st.text(min_size=1, max_size=20).filter(lambda s: s.strip() and "*" not in s),
    before=st.text(max_size=20),
    after=st.text(max_size=20),
)
def test_redaction_never_leaks_a_secret(secret: str, before: str, after: str) -> None:
    from dde_ci.log import redact, secret_values

    details = redact({"k": [before + secret + after]}, secret_values([secret]))
    (value,) = details.values()  # a secret (or a line of it) equal to "k" hides the key too
    assert secret not in value[0]


def test_secret_named_environment_values_are_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DDE_WEBHOOK_SECRET", "webhook-shared-key-1")
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "false")
    log = ExecutionLog(tmp_path / "e.log", "It-1")
    event = log.emit("node.started", details={"cmd": "curl -H webhook-shared-key-1", "p": "false"})
    assert event["details"] == {"cmd": f"curl -H {REDACTED}", "p": "false"}
    plain = ExecutionLog(tmp_path / "e.log", "It-1", redact_environment=False)
    assert plain.emit("x.y", details={"k": "webhook-shared-key-1"})["details"]["k"] != REDACTED


_ODD_VALUES: list[object] = [
    None, True, False, -1, 0, 1, 3, 0.0, 1.0, 2.5, -1.0, "", "x", "node.started", "A.b-1",
    "1abc", "It-1", "Node X", "gate.FAILED", "2026-11-27T13:47:24.123456Z", "2026-11-27 13:47",
    "2026-11-27T13:47:24+01:00", {}, {"a": 1}, [], [1],
    "2026-11-27T13:47:24.123456Z\n", "2026-11-27T13:47:24.1234567",
    "2026-11-27T13:47:24.12345\uff16Z", "\u0662\u0660\u0662\u0666-11-27T13:47:24.123456Z",
    "2026-11-27T13:47:2x.123456Z", "2026-11-27T13:47:24.12345\u00b2Z",
    "2026-11-27T13:47:24,123456Z", "2026-11-27T13:47:24.123456z",
]  # fmt: skip


def test_fast_conformance_check_agrees_with_the_json_schema() -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema("execution-log"))
    base = make_event("node.started", iteration_id="It-1", node_id="A.b", attempt=1)
    variants: list[dict[str, object]] = [base, {**base, "extra": 1}]
    for name in EVENT_FIELDS:
        variants.append({k: v for k, v in base.items() if k != name})
        variants.extend({**base, name: value} for value in _ODD_VALUES)
    for event in variants:
        assert conforms(event) == validator.is_valid(event), event


@given(
    st.lists(
        st.tuples(st.integers(0, 26), st.sampled_from("0987Z.:-T+xz \n\u0663\u00b2\uff10")),
        max_size=3,
    )
)
def test_fast_timestamp_check_agrees_with_the_json_schema(edits: list[tuple[int, str]]) -> None:
    """The remembered-second shortcut says what the schema says, character by character."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema("execution-log"))
    chars = list("2026-11-27T13:47:24.123456Z")
    for index, char in edits:
        chars[index] = char
    event = {**make_event("node.started", iteration_id="It-1"), "timestamp": "".join(chars)}
    for _ in range(2):  # the second time from what was remembered
        assert conforms(event) == validator.is_valid(event), event


_GOOD = encode_event(make_event("node.started", iteration_id="It-1", node_id="A", attempt=1))
_LINE_KINDS = [
    _GOOD,
    b"\n",  # blank
    b'{"event_type": "x"}\n',  # valid JSON, not an event
    b"{not json\n",
    b"\xff\xfe broken utf-8\n",
    b'{"a":\n',  # an object that goes on on the next line
    b"1}\n",
    _GOOD[: _GOOD.index(b",") + 1] + b"\n",  # a whole event over two lines: two bad lines
    _GOOD[_GOOD.index(b",") + 1 :],
    _GOOD[:-1] + b"  \n",  # trailing spaces: still one event
    b"[" + _GOOD[:-1] + b"]\n",
    b"\r\n",
    "\u00e9t\u00e9\n".encode(),
]


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kinds=st.lists(st.integers(0, len(_LINE_KINDS) - 1), max_size=30),
    torn=st.booleans(),
    block=st.integers(1, 400),
)
def test_reading_in_blocks_gives_what_reading_line_by_line_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kinds: list[int], torn: bool, block: int
) -> None:
    """Any block size: the same events and the same problems on the same lines."""
    import dde_ci.log as log_module

    data = b"".join(_LINE_KINDS[k] for k in kinds) + (_GOOD[:20] if torn else b"")
    path = tmp_path / "blocks.log"
    path.write_bytes(data)
    expected = log_module.LogContents()
    *whole, last = data.split(b"\n")
    for number, raw in enumerate(whole, 1):
        event = log_module._read_line(raw + b"\n", number, str(path), expected.problems)
        if event is not None:
            expected.events.append(event)
    if last:
        assert log_module._read_line(last, len(whole) + 1, str(path), expected.problems) is None
    monkeypatch.setattr(log_module, "READ_BLOCK", block)
    got = read_log(path)
    assert got.events == expected.events
    problems: list[Diagnostic] = []
    assert list(log_module.iter_events(path, problems)) == expected.events
    assert problems == got.problems
    assert [(str(p.location), p.message) for p in got.problems] == [
        (str(p.location), p.message) for p in expected.problems
    ]


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(block=st.integers(1, 120), over=st.integers(1, 300), torn=st.booleans())
def test_a_line_over_the_limit_is_reported_and_the_rest_still_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int, over: int, torn: bool
) -> None:
    """Memory stays bounded whatever the file holds: a line still unfinished after
    MAX_LINE bytes (it may end within the block that crosses the limit) is skipped."""
    import dde_ci.log as log_module

    monkeypatch.setattr(log_module, "READ_BLOCK", block)
    monkeypatch.setattr(log_module, "MAX_LINE", 40)
    small = b'{"a":1}\n'  # under the limit: read (and reported: not an event)
    long = b"x" * (40 + block + over) + (b"" if torn else b"\n")
    path = tmp_path / "long.log"
    path.write_bytes(small + long + (b"" if torn else small))
    got = read_log(path)
    messages = [(p.location.line if p.location else 0, p.message) for p in got.problems]
    assert (2, "line longer than 40 bytes; not read") in messages
    expected_lines = [1, 2] if torn else [1, 2, 3]  # the line after the long one is read
    assert [line for line, _ in messages] == expected_lines


def test_a_log_that_is_a_fifo_or_a_device_is_refused_at_once(tmp_path: Path) -> None:
    from tests.special import fifo_and_endless

    for path in fifo_and_endless(tmp_path / "fifo.log", tmp_path / "zero.log"):
        got = read_log(path)
        assert got.events == []
        assert [p.message for p in got.problems] == [
            "the log is not a regular file (a FIFO or a device?)"
        ]


def test_new_ids_are_version_4_uuids_and_a_forked_child_draws_its_own() -> None:
    import os
    import uuid
    import warnings

    from dde_ci.log import new_id

    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) == 32 and uuid.UUID(i).version == 4 for i in ids)
    read, write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, new_id().encode())
        os._exit(0)
    os.close(write)
    here = new_id()
    with os.fdopen(read, "rb") as source:
        there = source.read().decode()
    os.waitpid(pid, 0)
    assert len(there) == 32 and there != here


@given(st.lists(st.integers(0, 4_102_444_800 * 10**9), min_size=1, max_size=20))
def test_timestamps_are_the_same_text_as_strftime_in_any_order(times: list[int]) -> None:
    """format_ns keeps the text of the last second it formatted: in any order of calls
    (a second again, another, back) each text is what datetime.strftime gives."""
    from dde_ci.log import format_ns, parse_timestamp

    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    for ns in times + times[::-1]:
        expected = (epoch + timedelta(microseconds=ns // 1000)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        assert format_ns(ns) == expected
        assert parse_timestamp(expected) == epoch + timedelta(microseconds=ns // 1000)


def test_now_is_now() -> None:
    from dde_ci.log import now_rfc3339, parse_timestamp

    before = datetime.now(UTC)
    stamp = parse_timestamp(now_rfc3339())
    after = datetime.now(UTC)
    assert before - timedelta(microseconds=1) <= stamp <= after
