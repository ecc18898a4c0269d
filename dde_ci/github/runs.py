"""Run control of a dde workflow run on GitHub Actions: status, pause, resume, cancel, retry.

Job names map to node ids: the generator names a node job (or a matrix leg) after its
node's title, ``"{node id}: {node name}"`` or just ``"{node id}"``; a name of the form
``"job (A, B)"`` (a matrix leg without a name) maps to the value that is a node id.

**Pause** (GitHub has no pause for a run, so dde-ci builds an honest one):

* ``pause_run`` sets the commit status ``dde/pause/{run id}`` to ``pending`` on the run's
  head commit (visible in the pull request's checks);
* every node job runs ``dde-ci gh paused-check`` in a step named :data:`PAUSE_CHECK_STEP`
  before its node step; while the marker is ``pending`` that step fails, so the job stops
  before doing any work and its dependents are skipped; jobs already past the check
  finish normally.  The run then ends (failed, the audit says why);
* ``resume_run`` sets the marker to ``success`` and, once the run has finished, asks
  GitHub to re-run its failed jobs (``rerun-failed-jobs``): the jobs stopped by the pause
  and their dependents run again, completed nodes do not (GitHub keeps their results
  and artifacts).  While jobs are still running, resume only lifts the pause; call it
  again after the run has finished.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from dde_ci.errors import InputError, StateError
from dde_ci.github.api import ClientOptions, check_repo, connect, github_errors

if TYPE_CHECKING:
    from github import Github
    from github.WorkflowJob import WorkflowJob
    from github.WorkflowRun import WorkflowRun

    from dde_ci.metrics import RunMetrics

PAUSE_CONTEXT = "dde/pause/{run_id}"
PAUSE_CHECK_STEP = "dde pause check"
ACTIONS_READ = "'actions: read'"
ACTIONS_WRITE = "'actions: write'"
STATUSES_WRITE = "'statuses: write'"
STATUSES_READ = "'statuses: read'"

# node states, as the local runner spells them (dde_ci.runner.state)
PENDING, READY, RUNNING, COMPLETED = "PENDING", "READY", "RUNNING", "COMPLETED"
FAILED, SKIPPED, CANCELLED, PAUSED = "FAILED", "SKIPPED", "CANCELLED", "PAUSED"

_CONCLUSIONS = {
    "success": COMPLETED,
    "neutral": COMPLETED,
    "failure": FAILED,
    "timed_out": FAILED,
    "startup_failure": FAILED,
    "action_required": FAILED,
    "stale": FAILED,
    "cancelled": CANCELLED,
    "skipped": SKIPPED,
}
_MATRIX_LEG = re.compile(r"^.*\(([^()]*)\)\Z")


@dataclass(frozen=True)
class Job:
    """What dde-ci needs of one GitHub job (one attempt)."""

    job_id: int
    name: str
    status: str  # queued | in_progress | completed | waiting | requested | pending
    conclusion: str | None
    attempt: int
    created_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    runner_name: str | None
    html_url: str | None
    failed_steps: tuple[str, ...] = ()


@dataclass(frozen=True)
class NodeStatus:
    node_id: str
    state: str
    job: Job | None
    attempts: int

    def to_json(self) -> dict[str, Any]:
        job = self.job
        return {
            "node_id": self.node_id,
            "state": self.state,
            "attempts": self.attempts,
            "job_id": job.job_id if job else None,
            "job_name": job.name if job else None,
            "runner": job.runner_name if job else None,
            "started_at": _iso(job.started_at) if job else None,
            "completed_at": _iso(job.completed_at) if job else None,
            "url": job.html_url if job else None,
        }


@dataclass(frozen=True)
class RunInfo:
    run_id: int
    status: str
    conclusion: str | None
    head_sha: str
    attempt: int
    html_url: str
    run_started_at: datetime | None


@dataclass
class RunStatus:
    run: RunInfo
    paused: bool
    nodes: list[NodeStatus]
    other_jobs: list[Job] = field(default_factory=list)

    @property
    def state(self) -> str:
        """The run's state in the local runner's words (PAUSED while the pause lasts, even
        when GitHub already reports the run failed because the pause stopped its jobs)."""
        if self.paused and self.run.conclusion != "success":
            return PAUSED
        if self.run.status != "completed":
            return RUNNING
        return _CONCLUSIONS.get(self.run.conclusion or "", FAILED)

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run.run_id,
            "state": self.state,
            "paused": self.paused,
            "github_status": self.run.status,
            "github_conclusion": self.run.conclusion,
            "attempt": self.run.attempt,
            "head_sha": self.run.head_sha,
            "url": self.run.html_url,
            "nodes": [n.to_json() for n in self.nodes],
            "jobs": [
                {"name": j.name, "state": job_state(j), "url": j.html_url} for j in self.other_jobs
            ],
        }


def _iso(when: datetime | None) -> str | None:
    if when is None:
        return None
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pause_context(run_id: int) -> str:
    return PAUSE_CONTEXT.format(run_id=run_id)


def job_node(job_name: str, node_ids: Iterable[str]) -> str | None:
    """The node id a job (or matrix leg) name stands for, or None (setup, audit, unknown)."""
    ids = set(node_ids)
    if job_name in ids:
        return job_name
    prefixed = [i for i in ids if job_name.startswith(f"{i}: ")]
    if prefixed:
        return max(prefixed, key=len)
    leg = _MATRIX_LEG.match(job_name)
    if leg:
        for value in leg.group(1).split(", "):
            found = job_node(value.strip(), ids)
            if found is not None:
                return found
    return None


def job_state(job: Job) -> str:
    """A job's state in the local runner's words (PAUSED when the pause check stopped it)."""
    if job.status == "completed":
        if PAUSE_CHECK_STEP in job.failed_steps:
            return PAUSED
        return _CONCLUSIONS.get(job.conclusion or "", FAILED)
    if job.status == "in_progress":
        return RUNNING
    return READY  # queued, waiting (for an environment), requested, pending


def _job(raw: WorkflowJob) -> Job:
    failed = tuple(
        s.name for s in (raw.steps or []) if s.conclusion in ("failure", "timed_out", "cancelled")
    )
    return Job(
        job_id=raw.id,
        name=raw.name,
        status=raw.status,
        conclusion=raw.conclusion,
        attempt=raw.run_attempt or 1,
        created_at=raw.created_at,
        started_at=raw.started_at,
        completed_at=raw.completed_at,
        runner_name=raw.runner_name,
        html_url=raw.html_url,
        failed_steps=failed,
    )


def _run_info(run: WorkflowRun) -> RunInfo:
    return RunInfo(
        run_id=run.id,
        status=run.status,
        conclusion=run.conclusion,
        head_sha=run.head_sha,
        attempt=run.run_attempt or 1,
        html_url=run.html_url,
        run_started_at=run.run_started_at,
    )


def _check_run_id(run_id: int) -> int:
    if run_id <= 0:
        raise InputError(f"run id {run_id} is not a GitHub workflow run id")
    return run_id


@dataclass
class RunControl:
    """One repository's runs, through one client (and so one retry policy)."""

    repo: str
    client: Github
    sleep: Callable[[float], None] = time.sleep

    @classmethod
    def open(
        cls,
        repo: str,
        *,
        token: str | None,
        base_url: str | None = None,
        options: ClientOptions | None = None,
    ) -> RunControl:
        from dde_ci.github import api

        opts = options or api.DEFAULT_OPTIONS
        return cls(check_repo(repo), connect(token, base_url, opts), opts.sleep)

    def wait_finished(self, run_id: int, timeout: float, interval: float = 15.0) -> RunInfo:
        """Poll the run until it has finished (StateError after ``timeout`` seconds)."""
        waited = 0.0
        run = self.info(run_id)
        while run.status != "completed":
            if waited >= timeout:
                raise StateError(
                    f"run {run_id} is still {run.status} after {waited:.0f} s; "
                    f"call 'dde-ci gh resume {run_id}' again once it has finished"
                )
            self.sleep(interval)
            waited += interval
            run = self.info(run_id)
        return run

    def _run(self, run_id: int) -> WorkflowRun:
        from github.GithubException import UnknownObjectException

        with github_errors(f"read workflow run {run_id} of {self.repo}", ACTIONS_READ):
            run = self.client.get_repo(self.repo).get_workflow_run(_check_run_id(run_id))
            try:
                run.status  # noqa: B018 - loads the run (the client is lazy)
            except UnknownObjectException:
                from dde_ci.errors import NotFound

                raise NotFound(
                    f"workflow run {run_id} does not exist in {self.repo} (or GITHUB_TOKEN "
                    f"cannot see it: it needs {ACTIONS_READ})"
                ) from None
            return run

    def info(self, run_id: int) -> RunInfo:
        return _run_info(self._run(run_id))

    def jobs(self, run_id: int) -> tuple[RunInfo, list[Job]]:
        """The run and every attempt of every job (``filter=all``)."""
        run = self._run(run_id)
        with github_errors(f"list the jobs of workflow run {run_id}", ACTIONS_READ):
            jobs = [_job(j) for j in run.jobs(_filter="all")]
            return _run_info(run), jobs

    def is_paused(self, run_id: int, sha: str | None = None) -> bool:
        """True when the pause marker of ``run_id`` is ``pending`` on its head commit."""
        head = sha or self.info(run_id).head_sha
        context = pause_context(run_id)
        with github_errors(f"read the commit statuses of {head[:12]}", STATUSES_READ):
            # newest first: the first status with our context is the current one
            for status in self.client.get_repo(self.repo).get_commit(head).get_statuses():
                if status.context == context:
                    return bool(status.state == "pending")
        return False

    def _set_marker(self, run: RunInfo, state: str, description: str) -> None:
        from dde_ci.github.status import shorten

        with github_errors(f"set the {pause_context(run.run_id)!r} commit status", STATUSES_WRITE):
            commit = self.client.get_repo(self.repo).get_commit(run.head_sha)
            commit.create_status(
                state,
                target_url=run.html_url,
                description=shorten(description),
                context=pause_context(run.run_id),
            )

    def status(self, run_id: int, node_ids: Sequence[str]) -> RunStatus:
        run, jobs = self.jobs(run_id)
        latest: dict[str, Job] = {}
        attempts: dict[str, set[int]] = {}
        others: dict[str, Job] = {}
        for job in jobs:
            node = job_node(job.name, node_ids)
            key = (job.attempt, job.job_id)
            if node is None:
                if job.name not in others or key > (
                    others[job.name].attempt,
                    others[job.name].job_id,
                ):
                    others[job.name] = job
                continue
            attempts.setdefault(node, set()).add(job.attempt)
            current = latest.get(node)
            if current is None or key > (current.attempt, current.job_id):
                latest[node] = job
        nodes = []
        for node_id in node_ids:
            found = latest.get(node_id)
            state = job_state(found) if found is not None else PENDING
            nodes.append(NodeStatus(node_id, state, found, len(attempts.get(node_id, ()))))
        paused = False
        if run.status != "completed" or any(n.state == PAUSED for n in nodes):
            paused = self.is_paused(run_id, run.head_sha)
        return RunStatus(run, paused, nodes, sorted(others.values(), key=lambda j: j.job_id))

    def pause(self, run_id: int) -> RunInfo:
        run = self.info(run_id)
        if run.status == "completed":
            raise StateError(
                f"run {run_id} has already finished ({run.conclusion}); there is nothing to pause"
            )
        when = datetime.now(UTC).strftime("%H:%M UTC")
        self._set_marker(
            run,
            "pending",
            f"paused at {when}: no new node starts; resume: dde-ci gh resume {run_id}",
        )
        return run

    def resume(self, run_id: int, wait: float = 0.0) -> tuple[RunInfo, bool]:
        """Lift the pause; re-run the stopped jobs when the run has finished (waiting up to
        ``wait`` seconds for that).  Returns the run and whether the re-run was requested.
        """
        run = self.info(run_id)
        self._set_marker(run, "success", "resumed")
        if run.status != "completed" and wait > 0:
            run = self.wait_finished(run_id, wait)
        if run.status != "completed" or run.conclusion == "success":
            return run, False
        self._rerun_failed(run)
        return run, True

    def cancel(self, run_id: int) -> RunInfo:
        run = self.info(run_id)
        if run.status == "completed":
            raise StateError(
                f"run {run_id} has already finished ({run.conclusion}); there is nothing to cancel"
            )
        with github_errors(f"cancel workflow run {run_id}", ACTIONS_WRITE):
            self.client.requester.requestJsonAndCheck(
                "POST", f"/repos/{self.repo}/actions/runs/{run_id}/cancel"
            )
        return run

    def retry(self, run_id: int) -> RunInfo:
        run = self.info(run_id)
        if run.status != "completed":
            raise StateError(
                f"run {run_id} is still {run.status}: GitHub re-runs jobs only of a finished run; "
                "wait for it to finish (or cancel it) and retry"
            )
        if run.conclusion == "success":
            raise StateError(f"run {run_id} succeeded: there is no failed job to re-run")
        self._rerun_failed(run)
        return run

    def _rerun_failed(self, run: RunInfo) -> None:
        with github_errors(f"re-run the failed jobs of workflow run {run.run_id}", ACTIONS_WRITE):
            self.client.requester.requestJsonAndCheck(
                "POST", f"/repos/{self.repo}/actions/runs/{run.run_id}/rerun-failed-jobs"
            )


# -- metrics ---------------------------------------------------------------------------------


def run_metrics(
    run: RunInfo,
    jobs: Sequence[Job],
    node_ids: Sequence[str],
    *,
    wip_limit: int | None,
    depends_on: Mapping[str, Sequence[str]],
    planned_critical_path: Sequence[str] = (),
    iteration_id: str | None = None,
) -> RunMetrics:
    """The local runner's metrics from job timings: queue wait = created to started,
    execution = started to completed of a node's latest attempt, total = first job
    created to last job completed."""
    from dde_ci.metrics import NodeMetrics, RunMetrics, actual_critical_path

    by_node: dict[str, list[Job]] = {}
    for job in jobs:
        node = job_node(job.name, node_ids)
        if node is not None:
            by_node.setdefault(node, []).append(job)
    nodes: dict[str, NodeMetrics] = {}
    for node_id in node_ids:
        tries = sorted(by_node.get(node_id, []), key=lambda j: (j.attempt, j.job_id))
        if not tries:
            continue
        last = tries[-1]
        state = job_state(last)
        nodes[node_id] = NodeMetrics(
            node_id=node_id,
            status=state if state not in (READY, RUNNING) else None,
            agent_id=last.runner_name,
            attempts=len({j.attempt for j in tries}),
            retries=len({j.attempt for j in tries}) - 1,
            ready_at=last.created_at,
            started_at=last.started_at,
            finished_at=last.completed_at if last.status == "completed" else None,
        )
    starts = [t for j in jobs if (t := j.created_at or j.started_at) is not None]
    ends = [j.completed_at for j in jobs if j.completed_at is not None]
    begin = min(starts) if starts else run.run_started_at
    end = datetime.now(UTC) if run.status != "completed" else max(ends, default=None)
    total = (end - begin).total_seconds() if begin and end else 0.0
    state = _CONCLUSIONS.get(run.conclusion or "", FAILED) if run.status == "completed" else RUNNING
    ordered = sorted(
        nodes.values(),
        key=lambda n: (n.started_at or n.ready_at or datetime.max.replace(tzinfo=UTC)).timestamp(),
    )
    return RunMetrics(
        run_id=str(run.run_id),
        iteration_id=iteration_id,
        state=state,
        wip_limit=wip_limit,
        total_duration_seconds=max(0.0, total),
        nodes=ordered,
        planned_critical_path=list(planned_critical_path),
        actual_critical_path=actual_critical_path(nodes, depends_on),
    )
