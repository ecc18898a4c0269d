"""The scheduling core of the local runner: a pure state machine.

A :class:`Plan` takes events -- the run begins, a node finished with an
outcome, pause, resume, cancel -- and answers each with a :class:`Decision`:
the node state changes to commit (in one transaction, before anything else),
the events to log once they are committed, and the nodes to start.  It holds
no thread, no process and no I/O; the caller (:mod:`dde_ci.runner.scheduler`)
commits, logs and starts.  Time comes in as an argument (``now``), so the same
events always give the same decisions.

What it decides:

* **Ready queue by critical path.**  A node becomes READY the moment its last
  dependency completes.  READY nodes start in the order of the weight of their
  longest remaining path (``estimated_effort``), so the critical path goes
  first; ties keep manifest order.
* **WIP.**  At most ``jobs`` nodes run at once.
* **Agents.**  Each node has a :class:`Route`: the agents that can serve it,
  best match first.  Among the best-scored agents with a free slot (an agent
  runs at most its ``concurrency`` nodes), the least loaded wins, then the one
  declared first.  A node no agent serves runs on the default agent, with a
  ``node.warning`` event.  A READY node whose agents are all busy waits, and a
  node behind it that another agent serves may start first.
* **Skips.**  A FAILED (or CANCELLED) node SKIPS every node that depends on
  it, directly or not, with the reason; independent branches go on.
* **Pause** stops new starts (running nodes finish); **resume** allows them
  again; **cancel** CANCELS every node that has not started, and no node
  starts any more.

A run is over (:attr:`Plan.over`) when nothing runs and nothing can start;
:meth:`Plan.final_state` is then CANCELLED, FAILED (a node failed) or COMPLETED.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dde_ci.runner.state import (
    CANCELLED,
    COMPLETED,
    FAILED,
    FINISHED_NODE_STATES,
    PAUSED,
    PENDING,
    READY,
    RUNNING,
    SKIPPED,
    NodeChange,
)

if TYPE_CHECKING:
    from dde_ci.graph import Graph
    from dde_ci.manifest.models import Agent, Manifest

LOCAL_AGENT = "local"

Event = tuple[str, dict[str, Any]]  # (event type, its fields), as ExecutionLog.emit takes them


@dataclass(frozen=True)
class Route:
    """The agents that can serve a node, best first, as ``(agent id, score)``; a node that
    no agent serves has the default agent and the ``warning`` to log when it starts."""

    agents: tuple[tuple[str, tuple[int, int]], ...]
    warning: str | None = None


@dataclass(frozen=True)
class Start:
    """A node to start, on an agent (already RUNNING in the changes of the same decision)."""

    node_id: str
    agent_id: str


@dataclass
class Decision:
    """What the caller does, in this order: commit ``changes`` (one transaction, with the
    run's new state when ``run_state`` is set), log ``events``, start ``starts``."""

    changes: list[NodeChange] = field(default_factory=list)
    run_state: tuple[str, str | None] | None = None
    events: list[Event] = field(default_factory=list)
    starts: list[Start] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changes or self.run_state or self.events or self.starts)


class Plan:
    """The state of one run's nodes, and the decisions each event leads to."""

    def __init__(
        self,
        graph: Graph,
        *,
        jobs: int,
        routes: Mapping[str, Route],
        concurrency: Mapping[str, int],
        states: Mapping[str, str] | None = None,
        paused: bool = False,
    ) -> None:
        self.graph = graph
        self.jobs = jobs
        self.routes = routes
        self.concurrency = dict(concurrency)
        self.order = {agent: i for i, agent in enumerate(concurrency)}
        self.state: dict[str, str] = {n: PENDING for n in graph.ids}
        self.state.update(states or {})
        self.running: dict[str, str] = {}  # node -> agent
        self.load: dict[str, int] = dict.fromkeys(concurrency, 0)
        self.ready: list[tuple[float, int, str]] = []  # (-remaining weight, position, node)
        self.paused = paused
        self.cancelling = False
        for node_id, state in self.state.items():
            if state == READY:
                self._queue(node_id)

    # -- events in -------------------------------------------------------------------------

    def begin(self, now: str) -> Decision:
        """The run (or a resumed or retried one) begins: PENDING nodes whose dependencies
        all completed become READY, and the first nodes start."""
        decision = Decision()
        self._make_ready(
            (n for n in self.graph.ids if self.state[n] == PENDING), None, now, decision
        )
        self._choose(now, decision)
        return decision

    def recover(self, now: str) -> Decision:
        """A runner died with nodes RUNNING: they run again (at-least-once)."""
        decision = Decision()
        rerun = [n for n in self.graph.ids if self.state[n] == RUNNING]
        message = "run again after the runner stopped"
        self._change(decision, [NodeChange(n, READY, message=message) for n in rerun])
        for node_id in rerun:
            self._queue(node_id)
        if self.paused:
            self.paused = False
            decision.run_state = (RUNNING, None)
        decision.events.append(
            ("workflow.resumed", {"details": {"recovered": True, "rerun": rerun}})
        )
        return decision

    def retry(self, now: str) -> Decision:
        """A FAILED run is run again: its FAILED nodes and the nodes SKIPPED because of
        them go back to PENDING (COMPLETED nodes are kept), then the run begins again."""
        failed = self.failed()
        because: set[str] = set()
        for node_id in failed:
            because |= self.graph.descendants(node_id)
        again = [
            n for n in self.graph.ids if n in failed or (n in because and self.state[n] == SKIPPED)
        ]
        fields = {"exit_code": None, "started_at": None, "finished_at": None, "ready_at": None}
        decision = Decision(run_state=(RUNNING, None))
        self._change(decision, [NodeChange(n, PENDING, fields, "") for n in again])
        decision.events.append(
            ("workflow.resumed", {"details": {"recovered": False, "retry": again}})
        )
        begun = self.begin(now)
        decision.changes.extend(begun.changes)
        decision.events.extend(begun.events)
        decision.starts.extend(begun.starts)
        return decision

    def finish(
        self,
        node_id: str,
        status: str,
        now: str,
        *,
        fields: Mapping[str, Any] | None = None,
        message: str | None = None,
    ) -> Decision:
        """A running node's step ended with ``status`` (COMPLETED, FAILED or CANCELLED):
        record it, make READY what it frees or SKIP what depends on it, start what may."""
        if self.state.get(node_id) != RUNNING:
            raise ValueError(f"node {node_id} is not running")
        decision = Decision()
        agent = self.running.pop(node_id)
        self.load[agent] -= 1
        if self.cancelling and status != COMPLETED:
            status = CANCELLED
        self._change(decision, [NodeChange(node_id, status, fields, message)])
        if status == COMPLETED:
            if not self.cancelling:
                self._make_ready(self.graph.succs[node_id], node_id, now, decision)
        elif not self.cancelling:
            self._skip_descendants(node_id, status, decision)
        self._choose(now, decision)
        return decision

    def pause(self) -> Decision:
        """No new node starts; running nodes finish."""
        if self.paused or self.cancelling:
            return Decision()
        self.paused = True
        return Decision(
            run_state=(PAUSED, None),
            events=[("workflow.paused", {"details": {"running": sorted(self.running)}})],
        )

    def resume(self, now: str) -> Decision:
        """Nodes start again (after :meth:`pause`)."""
        if not self.paused or self.cancelling:
            return Decision()
        self.paused = False
        decision = Decision(
            run_state=(RUNNING, None),
            events=[("workflow.resumed", {"details": {"recovered": False}})],
        )
        self._choose(now, decision)
        return decision

    def cancel(self, reason: str) -> Decision:
        """Every node not started is CANCELLED and none starts any more; the caller stops
        the running ones (their ends come in as CANCELLED)."""
        if self.cancelling:
            return Decision()
        self.cancelling = True
        waiting = [n for n in self.graph.ids if self.state[n] in (PENDING, READY)]
        decision = Decision(run_state=(CANCELLED, reason))
        self._change(decision, [NodeChange(n, CANCELLED, message=reason) for n in waiting])
        self.ready.clear()
        decision.events.extend(
            ("node.cancelled", {"node_id": n, "details": {"reason": reason}}) for n in waiting
        )
        return decision

    # -- what the caller asks --------------------------------------------------------------

    @property
    def over(self) -> bool:
        """Nothing runs and nothing will start (a paused run waits for resume or cancel)."""
        if self.running:
            return False
        return self.cancelling or (not self.ready and not self.paused)

    def final_state(self) -> str:
        """How the run ended: CANCELLED, FAILED (a node failed) or COMPLETED."""
        if self.cancelling:
            return CANCELLED
        unfinished = [n for n, s in self.state.items() if s not in FINISHED_NODE_STATES]
        if unfinished:
            raise ValueError(f"the run is not over: {unfinished} not finished")
        return FAILED if self.failed() else COMPLETED

    def failed(self) -> list[str]:
        return [n for n in self.graph.ids if self.state[n] == FAILED]

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys((COMPLETED, FAILED, SKIPPED, CANCELLED, PENDING, READY, RUNNING), 0)
        for state in self.state.values():
            counts[state] += 1
        return counts

    # -- the rules -------------------------------------------------------------------------

    def _change(self, decision: Decision, changes: list[NodeChange]) -> None:
        decision.changes.extend(changes)
        for change in changes:
            self.state[change.node_id] = change.state

    def _queue(self, node_id: str) -> None:
        key = (-self.graph.remaining[node_id], self.graph.index[node_id], node_id)
        bisect.insort(self.ready, key)

    def _make_ready(
        self, candidates: Iterable[str], completed: str | None, now: str, decision: Decision
    ) -> None:
        ready = [
            n
            for n in candidates
            if self.state[n] == PENDING
            and all(self.state[p] == COMPLETED for p in self.graph.preds[n])
        ]
        self._change(decision, [NodeChange(n, READY, {"ready_at": now}) for n in ready])
        for node_id in ready:
            self._queue(node_id)
            details = {"waited_for": completed}
            decision.events.append(("node.ready", {"node_id": node_id, "details": details}))

    def _skip_descendants(self, node_id: str, status: str, decision: Decision) -> None:
        reason = f"dependency {node_id} {status.lower()}"
        skipped = [
            n
            for n in sorted(self.graph.descendants(node_id), key=self.graph.index.__getitem__)
            if self.state[n] in (PENDING, READY)
        ]
        self._change(decision, [NodeChange(n, SKIPPED, message=reason) for n in skipped])
        gone = set(skipped)
        self.ready = [r for r in self.ready if r[2] not in gone]
        for other in skipped:
            details = {"reason": reason, "because": node_id}
            decision.events.append(("node.skipped", {"node_id": other, "details": details}))

    def _choose(self, now: str, decision: Decision) -> None:
        """Start the best READY nodes the WIP limit and the agents allow."""
        if self.paused or self.cancelling:
            return
        position = 0
        while position < len(self.ready) and len(self.running) < self.jobs:
            node_id = self.ready[position][2]
            agent = self._agent_for(node_id)
            if agent is None:
                position += 1
                continue
            del self.ready[position]
            self.running[node_id] = agent
            self.load[agent] += 1
            fields = {"agent_id": agent, "started_at": now}
            self._change(decision, [NodeChange(node_id, RUNNING, fields)])
            warning = self.routes[node_id].warning
            if warning:
                details = {"reason": "agent_fallback", "message": warning}
                decision.events.append(
                    ("node.warning", {"node_id": node_id, "agent_id": agent, "details": details})
                )
            decision.starts.append(Start(node_id, agent))

    def _agent_for(self, node_id: str) -> str | None:
        """The best free agent for the node: best score, then least loaded, then first
        declared; None when every agent that serves it is busy."""
        free = [
            (score, agent)
            for agent, score in self.routes[node_id].agents
            if self.load[agent] < self.concurrency[agent]
        ]
        if not free:
            return None
        best = min(free, key=lambda sa: (-sa[0][0], -sa[0][1], self.load[sa[1]], self.order[sa[1]]))
        return best[1]


def list_agents(manifest: Manifest, jobs: int) -> list[Agent]:
    """The manifest's agents, or the built-in ``local`` agent serving everything."""
    from dde_ci.manifest.models import Agent

    if manifest.agents:
        return list(manifest.agents)
    return [Agent(id=LOCAL_AGENT, concurrency=jobs)]


def plan_routes(manifest: Manifest, agents: Sequence[Agent]) -> dict[str, Route]:
    """Each node's :class:`Route` among ``agents`` (see the module doc)."""
    from dde_ci.routing import rank_workers

    if not manifest.agents:
        only = ((agents[0].id, (0, 0)),)
        return {node.id: Route(only) for node in manifest.nodes}
    default = manifest.settings.default_agent or agents[0].id
    routes: dict[str, Route] = {}
    for node in manifest.nodes:
        ranked = rank_workers(node.capabilities, agents)
        if ranked:
            routes[node.id] = Route(tuple((a.id, score) for a, score in ranked))
        else:
            needs = ", ".join(c.name for c in node.capabilities)
            warning = f"no agent offers {needs}; node {node.id} runs on the default agent {default}"
            routes[node.id] = Route(((default, (0, 0)),), warning)
    return routes
