"""The pure scheduling core: decisions from events, with no process, thread or file."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dde_ci.graph import Graph
from dde_ci.runner.plan import Decision, Plan, Route
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
)

NOW = "2026-12-07T00:00:00Z"


def local_plan(preds: dict[str, list[str]], jobs: int, **weights: float) -> Plan:
    graph = Graph(list(preds), {n: list(p) for n, p in preds.items()}, dict(weights))
    routes = {n: Route((("local", (0, 0)),)) for n in preds}
    return Plan(graph, jobs=jobs, routes=routes, concurrency={"local": jobs})


def started(decision: Decision) -> list[str]:
    return [s.node_id for s in decision.starts]


def test_the_critical_path_starts_first_and_ties_keep_manifest_order() -> None:
    plan = local_plan(
        {"short": [], "long": [], "tail": ["long"], "other": []}, 1, long=2.0, tail=3.0
    )
    assert started(plan.begin(NOW)) == ["long"]
    assert started(plan.finish("long", COMPLETED, NOW)) == ["tail"]
    assert started(plan.finish("tail", COMPLETED, NOW)) == ["short"]
    assert started(plan.finish("short", COMPLETED, NOW)) == ["other"]
    plan.finish("other", COMPLETED, NOW)
    assert plan.over and plan.final_state() == COMPLETED


def test_a_decision_commits_before_it_starts_and_logs_ready_events() -> None:
    plan = local_plan({"a": [], "b": ["a"]}, 2)
    first = plan.begin(NOW)
    assert [(c.node_id, c.state) for c in first.changes] == [("a", READY), ("a", RUNNING)]
    assert first.events == [("node.ready", {"node_id": "a", "details": {"waited_for": None}})]
    second = plan.finish("a", COMPLETED, NOW, fields={"exit_code": 0})
    assert [(c.node_id, c.state) for c in second.changes] == [
        ("a", COMPLETED),
        ("b", READY),
        ("b", RUNNING),
    ]
    assert second.changes[0].fields == {"exit_code": 0}
    assert second.events[0][1]["details"] == {"waited_for": "a"}


def test_a_failure_skips_its_descendants_and_the_rest_goes_on() -> None:
    plan = local_plan({"a": [], "b": ["a"], "c": ["b"], "x": []}, 2)
    assert started(plan.begin(NOW)) == ["a", "x"]
    failed = plan.finish("a", FAILED, NOW, message="exit 1")
    assert [(c.node_id, c.state) for c in failed.changes] == [
        ("a", FAILED),
        ("b", SKIPPED),
        ("c", SKIPPED),
    ]
    assert failed.changes[1].message == "dependency a failed"
    assert [e[1]["node_id"] for e in failed.events] == ["b", "c"]
    assert not plan.over
    plan.finish("x", COMPLETED, NOW)
    assert plan.over and plan.final_state() == FAILED and plan.failed() == ["a"]


def test_pause_stops_starts_until_resume() -> None:
    plan = local_plan({"a": [], "b": []}, 1)
    plan.begin(NOW)
    paused = plan.pause()
    assert paused.run_state == (PAUSED, None)
    assert paused.events == [("workflow.paused", {"details": {"running": ["a"]}})]
    assert started(plan.finish("a", COMPLETED, NOW)) == []
    assert not plan.over  # a paused run waits
    resumed = plan.resume(NOW)
    assert resumed.run_state == (RUNNING, None) and started(resumed) == ["b"]


def test_cancel_cancels_what_has_not_started_and_ends_running_nodes_cancelled() -> None:
    plan = local_plan({"a": [], "b": ["a"], "c": []}, 1)
    plan.begin(NOW)
    cancelled = plan.cancel("interrupted")
    assert cancelled.run_state == (CANCELLED, "interrupted")
    assert {c.node_id: c.state for c in cancelled.changes} == {"b": CANCELLED, "c": CANCELLED}
    assert not plan.over
    end = plan.finish("a", FAILED, NOW)
    assert [(c.node_id, c.state) for c in end.changes] == [("a", CANCELLED)]
    assert plan.over and plan.final_state() == CANCELLED


def test_recover_runs_the_running_nodes_again() -> None:
    graph = Graph(["a", "b"], {"a": [], "b": ["a"]})
    routes = {n: Route((("local", (0, 0)),)) for n in graph.ids}
    states = {"a": RUNNING, "b": PENDING}
    plan = Plan(graph, jobs=1, routes=routes, concurrency={"local": 1}, states=states, paused=True)
    recovered = plan.recover(NOW)
    assert [(c.node_id, c.state) for c in recovered.changes] == [("a", READY)]
    assert recovered.run_state == (RUNNING, None)
    assert started(plan.begin(NOW)) == ["a"]


def test_retry_runs_the_failed_nodes_and_what_they_skipped_and_keeps_the_rest() -> None:
    graph = Graph(["a", "b", "c", "d"], {"a": [], "b": ["a"], "c": ["b"], "d": []})
    routes = {n: Route((("local", (0, 0)),)) for n in graph.ids}
    states = {"a": COMPLETED, "b": FAILED, "c": SKIPPED, "d": COMPLETED}
    plan = Plan(graph, jobs=2, routes=routes, concurrency={"local": 2}, states=states)
    decision = plan.retry(NOW)
    assert [(c.node_id, c.state) for c in decision.changes] == [
        ("b", PENDING),
        ("c", PENDING),
        ("b", READY),
        ("b", RUNNING),
    ]
    assert decision.run_state == (RUNNING, None)
    plan.finish("b", COMPLETED, NOW)
    plan.finish("c", COMPLETED, NOW)
    assert plan.over and plan.final_state() == COMPLETED


def test_agents_by_score_then_load_and_the_fallback_warns() -> None:
    graph = Graph(["a", "b", "c", "d"], {"a": [], "b": [], "c": [], "d": []})
    both = Route((("py", (2, 3)), ("any", (1, 3))))
    routes = {
        "a": both,
        "b": both,
        "c": Route((("any", (1, 3)),)),
        "d": Route((("any", (0, 0)),), "no agent"),
    }
    plan = Plan(graph, jobs=4, routes=routes, concurrency={"py": 1, "any": 2})
    decision = plan.begin(NOW)
    assert [(s.node_id, s.agent_id) for s in decision.starts] == [
        ("a", "py"),
        ("b", "any"),
        ("c", "any"),
    ]
    assert plan.ready and plan.ready[0][2] == "d"  # both agents full: d waits
    decision = plan.finish("c", COMPLETED, NOW)
    assert [(s.node_id, s.agent_id) for s in decision.starts] == [("d", "any")]
    assert decision.events[-1] == (
        "node.warning",
        {
            "node_id": "d",
            "agent_id": "any",
            "details": {"reason": "agent_fallback", "message": "no agent"},
        },
    )


# -- properties -----------------------------------------------------------------------------


@st.composite
def runs(draw: st.DrawFn) -> tuple[Graph, int, dict[str, Route], dict[str, int], list[int]]:
    """A random DAG (edges point backwards), jobs, agents and routes, and a random script
    of which running node ends next and how (0: completed, 1: failed)."""
    size = draw(st.integers(1, 14))
    ids = [f"n{i}" for i in range(size)]
    preds = {
        n: sorted(draw(st.sets(st.sampled_from(ids[:i]), max_size=3)) if i else [])
        for i, n in enumerate(ids)
    }
    weights = {n: float(draw(st.integers(1, 5))) for n in ids}
    graph = Graph(ids, preds, weights)
    jobs = draw(st.integers(1, 4))
    agents = {f"a{i}": draw(st.integers(1, 3)) for i in range(draw(st.integers(1, 3)))}
    routes = {}
    for n in ids:
        chosen = draw(
            st.lists(st.sampled_from(sorted(agents)), min_size=1, max_size=3, unique=True)
        )
        routes[n] = Route(tuple((a, (draw(st.integers(0, 2)), 0)) for a in chosen))
    script = draw(st.lists(st.integers(0, 100), min_size=size * 2, max_size=size * 2))
    return graph, jobs, routes, agents, script


@settings(max_examples=300, deadline=None)
@given(runs())
def test_property_dependencies_wip_agents_skips_and_critical_path(
    run: tuple[Graph, int, dict[str, Route], dict[str, int], list[int]],
) -> None:
    graph, jobs, routes, agents, script = run
    plan = Plan(graph, jobs=jobs, routes=routes, concurrency=agents)
    failed: set[str] = set()
    ran: set[str] = set()

    committed = dict.fromkeys(graph.ids, PENDING)  # what the database would hold

    def check(decision: Decision) -> None:
        # every change is one the state database allows (it would refuse the commit)
        for change in decision.changes:
            assert change.state in NODE_TRANSITIONS[committed[change.node_id]]
            committed[change.node_id] = change.state
        assert committed == plan.state
        for start in decision.starts:
            # no node starts before its dependencies completed
            assert all(plan.state[p] == COMPLETED for p in graph.preds[start.node_id])
            assert start.agent_id in dict(routes[start.node_id].agents)
            ran.add(start.node_id)
        # WIP and every agent's concurrency hold
        assert len(plan.running) <= jobs
        for agent, limit in agents.items():
            assert sum(1 for a in plan.running.values() if a == agent) <= limit
        # the critical path first: a node left waiting that could have started on a free
        # agent is never heavier than one that started (single-agent routes keep it exact)
        if len(plan.running) < jobs:
            for _, _, waiting in plan.ready:
                assert all(plan.load[a] >= agents[a] for a, _ in routes[waiting].agents)
        starts = [s.node_id for s in decision.starts]
        if starts and len(agents) == 1:
            lightest = min(graph.remaining[n] for n in starts)
            assert all(graph.remaining[w] <= lightest for _, _, w in plan.ready)

    check(plan.begin(NOW))
    steps = iter(script)
    while not plan.over:
        running = sorted(plan.running)
        pick = next(steps, 0)
        node_id = running[pick % len(running)]
        status = FAILED if pick % 5 == 0 else COMPLETED
        if status == FAILED:
            failed.add(node_id)
        check(plan.finish(node_id, status, NOW))
    # every node finished; a failure skipped exactly its descendants that had not run
    descendants = set().union(*(graph.descendants(n) for n in failed)) if failed else set()
    assert {n for n, s in plan.state.items() if s == SKIPPED} == descendants - ran
    assert {n for n, s in plan.state.items() if s == FAILED} == failed
    assert {n for n, s in plan.state.items() if s == COMPLETED} == ran - failed
    assert ran.isdisjoint(descendants - ran)
    assert plan.final_state() == (FAILED if failed else COMPLETED)


@settings(max_examples=100, deadline=None)
@given(runs(), st.integers(0, 20))
def test_property_cancel_at_any_moment_ends_every_node(
    run: tuple[Graph, int, dict[str, Route], dict[str, int], list[int]], when: int
) -> None:
    graph, jobs, routes, agents, script = run
    plan = Plan(graph, jobs=jobs, routes=routes, concurrency=agents)
    plan.begin(NOW)
    for step, pick in enumerate(script):
        if step == when:
            assert not plan.cancel("stop").starts
        if plan.over:
            break
        running = sorted(plan.running)
        assert plan.finish(running[pick % len(running)], COMPLETED, NOW).starts == [] or (
            step < when
        )
    if not plan.over:
        plan.cancel("stop")
        for node_id in sorted(plan.running):
            plan.finish(node_id, FAILED, NOW)
    assert plan.over
    assert all(s in (COMPLETED, CANCELLED, SKIPPED, FAILED) for s in plan.state.values())


@settings(max_examples=100, deadline=None)
@given(runs())
def test_property_retry_runs_exactly_the_failed_and_what_they_skipped(
    run: tuple[Graph, int, dict[str, Route], dict[str, int], list[int]],
) -> None:
    graph, jobs, routes, agents, script = run
    plan = Plan(graph, jobs=jobs, routes=routes, concurrency=agents)
    plan.begin(NOW)
    steps = iter(script)
    while not plan.over:
        running = sorted(plan.running)
        pick = next(steps, 0)
        plan.finish(running[pick % len(running)], FAILED if pick % 4 == 0 else COMPLETED, NOW)
    before = dict(plan.state)
    if plan.final_state() != FAILED:
        return
    again = {n for n, s in before.items() if s in (FAILED, SKIPPED)}
    retried = Plan(graph, jobs=jobs, routes=routes, concurrency=agents, states=before)
    ran: set[str] = set()
    decision = retried.retry(NOW)
    while True:
        ran |= {s.node_id for s in decision.starts}
        if retried.over:
            break
        decision = retried.finish(sorted(retried.running)[0], COMPLETED, NOW)
    assert ran == again  # COMPLETED nodes are kept, every failed or skipped one runs
    assert retried.final_state() == COMPLETED
