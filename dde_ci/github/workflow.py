"""The workflow generator: a manifest becomes one GitHub Actions workflow.

The shape of the workflow (see ``docs/github.md``)::

    setup            fixes the iteration id once for the run (job output)
    one job per node runs the node step through the dde-ci actions; nodes that
                     are twins (same dependencies, same dependents, same runner
                     labels, same permissions) share one matrix job; a plan
                     too big for 500 KB that way also groups the nodes with the
                     most slack by depth level (:func:`generate_workflow`)
    audit            needs every node job, runs unless the run was cancelled,
                     and fails when any needed job did not succeed

The node jobs of a kind run the same steps, written once with a YAML anchor and
repeated by alias; what differs per job (the node id, its artifact paths) is in
the job's ``env``.  The setup and audit jobs run only for pushes, manual runs and
pull requests from this repository's own branches, never a fork's (self-hosted
runners: :data:`SAME_REPOSITORY`).

Rules the generator keeps, each checked by ``tests/github/test_workflow.py``:

* ``needs`` is the transitive reduction of the dependency graph mapped to jobs,
  so one job per node adds no wait the graph does not have (the makespan the
  ``needs`` imply equals the graph's critical path: :func:`simulate_makespan`);
  grouping by level keeps every dependency and may add waits;
* least privilege: ``permissions: {}`` at the top, per job only what it uses
  (``contents: write`` only for interface nodes, which publish contracts;
  ``statuses: write`` only for the audit);
* every ``uses:`` is pinned by commit SHA: official actions from
  :mod:`dde_ci.github.pins`, the dde-ci actions by :func:`resolve_action`;
* no ``run:`` script contains anything from the manifest: node ids, names,
  commands and env values reach the node step through the manifest file and
  action inputs (which the actions pass to scripts through ``env:``); manifest
  text that lands in an expression-evaluated field (a job name, a path) has
  every ``${{`` neutralised (:func:`literal`);
* GitHub's documented limits: a matrix of more than 256 legs is split, a file
  over 500 KB is an error, and job outputs carry only the iteration id (at
  most 128 bytes; node outputs travel in workflow artifacts), far below 1 MB;
* the output is deterministic: the same manifest gives the same bytes.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from dde_ci.errors import Diagnostic, InputError, Location
from dde_ci.github.emit import Alias, Anchored, Block, Commented, Flow, Spaced, yaml_document
from dde_ci.github.pins import CHECKOUT, DOWNLOAD_ARTIFACT, UPLOAD_ARTIFACT, Pin

if TYPE_CHECKING:
    from dde_ci.build import Build
    from dde_ci.graph import Graph
    from dde_ci.manifest.models import Manifest, Node

MAX_MATRIX_LEGS = 256  # GitHub: a matrix generates at most 256 jobs
MAX_WORKFLOW_BYTES = 500_000  # GitHub: a workflow file is at most 500 KB (read as 10^3 bytes)
MAX_JOB_OUTPUTS_BYTES = 1024 * 1024  # GitHub: all outputs of a job together, at most 1 MB
MAX_ITERATION_ID_BYTES = 128  # dde_ci.manifest.iteration.ITERATION_ID
MAX_JOB_MINUTES = 7200  # GitHub: a job on a self-hosted runner runs at most 5 days
JOB_OVERHEAD_MINUTES = 10  # checkout, Python, install, artifact transfer around the node step
SETUP_MINUTES = 15
AUDIT_MINUTES = 30
DEFAULT_RUNS_ON = ("ubuntu-latest",)

SETUP_JOB = "setup"
AUDIT_JOB = "audit"
ITERATION = "${{ needs.setup.outputs.iteration }}"

_JOB_ID_UNSAFE = re.compile(r"[^a-z0-9_-]+")
_EXPRESSION_OPEN = "${{"
_ESCAPED_OPEN = "${{ '${{' }}"

PERMISSION_REASONS = {
    "contents: read": "check out the repository",
    "contents: write": "publish the node's locked contract",
    "statuses: write": "set the dde/audit commit status",
    "statuses: read": "read the pause marker (dde-ci gh pause)",
}
# Self-hosted runners never run a fork's pull request (GitHub's hardening guide): the setup
# job (which every node job needs) and the audit job run only for pushes, manual runs and
# pull requests from branches of this repository.
SAME_REPOSITORY = (
    "github.event_name != 'pull_request' || "
    "github.event.pull_request.head.repo.full_name == github.repository"
)
# dde_ci.github.runs.PAUSE_CHECK_STEP: `dde-ci gh status` knows a paused node by this step name
PAUSE_CHECK_STEP = "dde pause check"


def literal(text: str) -> str:
    """``text`` with every ``${{`` turned into an expression that yields ``${{`` itself.

    GitHub evaluates ``${{ ... }}`` in job names, ``with:`` values, matrix values
    and labels; manifest text written there must reach GitHub as text.
    """
    return text.replace(_EXPRESSION_OPEN, _ESCAPED_OPEN) if _EXPRESSION_OPEN in text else text


@dataclass(frozen=True)
class JobPlan:
    """One node job: a single node, or the twins of one matrix (at most 256 legs)."""

    job_id: str
    nodes: tuple[str, ...]
    needs: tuple[str, ...]  # job ids of other node jobs (setup is added when written)
    dependencies: tuple[str, ...]  # every direct dependency (node ids): their outputs are fetched
    labels: tuple[str, ...]
    timeout_minutes: int
    publishes: bool  # an interface node: gets ``contents: write``

    @property
    def is_matrix(self) -> bool:
        return len(self.nodes) > 1


Grouping = Literal["twins", "levels"]


@dataclass
class WorkflowPlan:
    """The jobs of a workflow, in topological order, and which job runs each node.

    ``grouping`` says how nodes share jobs: ``"twins"`` (only nodes with the
    same dependencies and dependents share a matrix job: no added wait) or
    ``"levels"`` (the nodes of one depth level with the same runner labels and
    permissions share a matrix job, except the nodes with the least slack,
    which keep their own: fewer bytes, possibly some added wait).
    """

    jobs: list[JobPlan]
    job_of: dict[str, str]
    grouping: Grouping = "twins"


@dataclass(frozen=True)
class ActionRef:
    """Where the dde-ci composite actions live (:func:`resolve_action` chooses).

    ``repository`` unset: this repository's own, referenced with GitHub's
    self-repository syntax (``$/actions/node``: this repository at the running
    commit).  Else a repository pinned to a full commit SHA, with its release
    tag (if any) in a comment.
    """

    repository: str | None = None  # "OWNER/REPO"
    sha: str | None = None
    version: str | None = None

    def uses(self, sub: str) -> Commented | str:
        if self.repository is None:
            return f"$/{sub}"
        value = f"{self.repository}/{sub}@{self.sha}"
        return Commented(value, self.version) if self.version else value


@dataclass(frozen=True)
class GeneratedWorkflow:
    """The workflow text and the plan it was written from."""

    text: str
    plan: WorkflowPlan

    @property
    def size(self) -> int:
        return len(self.text.encode("utf-8"))


# -- the plan -----------------------------------------------------------------------------


def job_minutes(node: Node) -> int:
    """``timeout-minutes`` for a node job: every attempt and wait, plus the job's own steps."""
    retry = node.retry
    seconds = node.timeout * retry.max_attempts
    seconds += sum(retry.delay(attempt) for attempt in range(1, retry.max_attempts))
    return min(MAX_JOB_MINUTES, max(1, math.ceil(seconds / 60)) + JOB_OVERHEAD_MINUTES)


def _publishes(node: Node) -> bool:
    return node.type.value == "interface" and bool(node.produces)


def plan_jobs(
    manifest: Manifest,
    graph: Graph,
    grouping: Grouping = "twins",
    alone: frozenset[str] = frozenset(),
) -> WorkflowPlan:
    """Group nodes into jobs (matrices, see :class:`WorkflowPlan`) and compute each job's ``needs``.

    Either way every dependency is honoured: a job needs the job of every
    node that any of its nodes depends on (transitively reduced).
    """
    from dde_ci.routing import Unroutable, route_runner

    where = Location(str(manifest.path))
    labels: dict[str, tuple[str, ...]] = {}
    errors: list[Diagnostic] = []
    for node in manifest.nodes:
        try:
            route = route_runner(manifest, node)
        except Unroutable as exc:
            errors.append(Diagnostic(str(exc), where))
            continue
        labels[node.id] = tuple(route.labels)
    if errors:
        from dde_ci.errors import ValidationError

        raise ValidationError(errors)

    # Twins: same dependencies, same dependents, same labels, same permissions.
    # Levels: same depth, same labels, same permissions.
    by_id = {node.id: node for node in manifest.nodes}
    depth = {n: d for d, level in enumerate(graph.levels) for n in level}
    groups: dict[tuple[Any, ...], list[str]] = {}
    for node_id in graph.order:
        node = by_id[node_id]
        if grouping == "levels" and node_id not in alone:
            where_in_graph: tuple[Any, ...] = (depth[node_id],)
        else:
            where_in_graph = (tuple(graph.preds[node_id]), tuple(graph.succs[node_id]))
        key = (*where_in_graph, labels[node_id], _publishes(node))
        groups.setdefault(key, []).append(node_id)
    if grouping == "levels":  # jobs in topological order: by level

        def level(item: tuple[tuple[Any, ...], list[str]]) -> int:
            return depth[item[1][0]]

        groups = dict(sorted(groups.items(), key=level))

    taken: set[str] = {SETUP_JOB, AUDIT_JOB}
    chunks: list[tuple[str, list[str]]] = []  # (job id, its nodes)
    job_of: dict[str, str] = {}
    for members in groups.values():  # in the order each group's first node comes
        base = _job_base(members)
        for start in range(0, len(members), MAX_MATRIX_LEGS):
            part = members[start : start + MAX_MATRIX_LEGS]
            suffix = "" if start == 0 else f"-part-{start // MAX_MATRIX_LEGS + 1}"
            job_id = _unique(f"{base}{suffix}", taken)
            chunks.append((job_id, part))
            for member in part:
                job_of[member] = job_id

    reduced = graph.reduced_preds
    jobs: list[JobPlan] = []
    for job_id, part in chunks:
        needs: list[str] = []
        for member in part:
            for pred in reduced[member]:
                if job_of[pred] not in needs:
                    needs.append(job_of[pred])
        first = by_id[part[0]]
        dependencies: list[str] = []
        for member in part:
            dependencies.extend(p for p in graph.preds[member] if p not in dependencies)
        jobs.append(
            JobPlan(
                job_id=job_id,
                nodes=tuple(part),
                needs=tuple(needs),
                dependencies=tuple(dependencies),
                labels=labels[part[0]],
                timeout_minutes=max(job_minutes(by_id[n]) for n in part),
                publishes=_publishes(first),
            )
        )
    return WorkflowPlan(jobs=jobs, job_of=job_of, grouping=grouping)


def _job_base(members: Sequence[str]) -> str:
    """A readable job id for a node, or for the twins of a matrix job."""
    if len(members) == 1:
        return _sanitize(members[0])
    split = [re.split(r"[._-]", m) for m in members]
    common: list[str] = []
    for parts in zip(*split, strict=False):
        if all(p == parts[0] for p in parts):
            common.append(parts[0])
        else:
            break
    stem = "-".join(common) if common else members[0]
    return f"{_sanitize(stem)}-matrix"


def _sanitize(text: str) -> str:
    job_id = _JOB_ID_UNSAFE.sub("-", text.lower()).strip("-") or "node"
    if not job_id[0].isalpha() and job_id[0] != "_":
        job_id = f"n-{job_id}"
    return job_id


def _unique(job_id: str, taken: set[str]) -> str:
    candidate = job_id
    n = 2
    while candidate in taken:
        candidate = f"{job_id}-{n}"
        n += 1
    taken.add(candidate)
    return candidate


def simulate_makespan(
    plan: WorkflowPlan,
    weights: Mapping[str, float],
    job_overhead: float = 0.0,
    max_parallel: int | None = None,
) -> float:
    """The makespan the plan's ``needs`` imply with as many runners as there are jobs.

    A job starts when the last job it needs has finished.  A matrix job's legs
    run side by side, at most ``max_parallel`` at a time (its ``max-parallel``,
    heaviest leg first), so with enough room it lasts as long as its heaviest
    node.  Every job or leg adds ``job_overhead`` (runner start, checkout,
    set-up, artifact transfer), in the unit of ``weights``.
    """
    import heapq

    finish: dict[str, float] = {}
    for job in plan.jobs:  # jobs are in topological order
        start = max((finish[n] for n in job.needs), default=0.0)
        slots = [0.0] * min(max_parallel or len(job.nodes), len(job.nodes))
        for node in sorted(job.nodes, key=lambda n: -weights[n]):
            heapq.heappush(slots, heapq.heappop(slots) + job_overhead + weights[node])
        finish[job.job_id] = start + max(slots)
    return max(finish.values(), default=0.0)


# -- the document -------------------------------------------------------------------------


def _join(base: str, rel: str) -> str:
    return rel if base in ("", ".") else f"{base}/{rel}"


def _uses(pin: Pin) -> Commented:
    return Commented(pin.uses, pin.tag)


def _permissions(*grants: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for grant in grants:
        scope, level = grant.split(": ")
        out[scope] = Commented(level, PERMISSION_REASONS[grant])
    return out


def _labels(labels: Sequence[str]) -> Any:
    escaped = [literal(label) for label in labels]
    return escaped[0] if len(escaped) == 1 else Flow(escaped)


def _checkout_step() -> dict[str, Any]:
    return {
        "name": "Check out the repository",
        "uses": _uses(CHECKOUT),
        "with": {"persist-credentials": False},
    }


def _title(node: Node) -> str:
    text = f"{node.id}: {node.name}" if node.name else node.id
    return literal(" ".join(text.split()))


def _artifact_paths(manifest_dir: str, node: Node, where: Location) -> list[str]:
    """The node's artifact globs as upload-artifact paths (one per line, none excluding)."""
    paths: list[str] = []
    for pattern in node.artifacts:
        if "\n" in pattern or "\r" in pattern or pattern.startswith("!"):
            raise InputError(
                f"node {node.id!r}: artifact pattern {pattern!r} cannot be uploaded to GitHub "
                "(a line break would split it, a leading '!' would exclude files)",
                where,
            )
        paths.append(literal(_join(manifest_dir, pattern)))
    return paths


@dataclass(frozen=True)
class WorkflowOptions:
    """Where things are, relative to the repository root that GitHub checks out."""

    manifest_path: str  # e.g. "services/shop/dde.yaml"
    output_path: str  # e.g. ".github/workflows/dde.yml" (shown in the header)
    action: ActionRef = ActionRef()  # where the dde-ci actions are (resolve_action)

    @property
    def manifest_dir(self) -> str:
        parent = str(PurePosixPath(self.manifest_path).parent)
        return "." if parent in ("", ".") else parent


def header_lines(options: WorkflowOptions) -> list[str]:
    manifest, output = options.manifest_path, options.output_path
    return [
        f"Generated by dde-ci from {manifest}. Do not edit: change the manifest and regenerate:",
        f"  dde-ci generate -m {manifest} -o {output}",
        f"Check that it is current: dde-ci generate -m {manifest} -o {output} --check",
        "(the dde-workflow-sync pre-commit hook runs that check)",
    ]


def workflow_document(
    manifest: Manifest, plan: WorkflowPlan, options: WorkflowOptions
) -> dict[str, Any]:
    """The workflow as a tree of dicts and lists, ready for :func:`yaml_document`."""
    gh = manifest.github
    action = options.action
    setup_labels = tuple(gh.runs_on or manifest.settings.default_runs_on or DEFAULT_RUNS_ON)
    mdir = options.manifest_dir
    mpath = options.manifest_path

    on: dict[str, Any] = {}
    if "push" in gh.triggers:
        on["push"] = {"branches": Flow(gh.branches)}
    if "pull_request" in gh.triggers:
        on["pull_request"] = {"branches": Flow(gh.branches)}
    if "workflow_dispatch" in gh.triggers:
        on["workflow_dispatch"] = {
            "inputs": {
                "iteration": {
                    "description": "Iteration id (empty: made from the manifest's template)",
                    "type": "string",
                    "required": False,
                    "default": "",
                }
            }
        }

    jobs: dict[str, Any] = Spaced()
    setup_with: dict[str, Any] = {
        "command": f"iteration -m {mpath}",
        "python-version": gh.python_version,
        # it reads the pull request's manifest: its messages issue no workflow command
        "fence-output": "true",
    }
    if "workflow_dispatch" in gh.triggers:
        setup_with["iteration"] = "${{ inputs.iteration }}"
    guard = SAME_REPOSITORY if "pull_request" in gh.triggers else None
    jobs[SETUP_JOB] = {
        "name": "setup",
        **({"if": f"${{{{ {guard} }}}}"} if guard else {}),
        "runs-on": _labels(setup_labels),
        "timeout-minutes": SETUP_MINUTES,
        "permissions": _permissions("contents: read"),
        "outputs": {"iteration": "${{ steps.iteration.outputs.iteration }}"},
        "steps": [
            _checkout_step(),
            {
                "name": "Fix the iteration id for this run",
                "id": "iteration",
                "uses": action.uses("actions/setup"),
                "with": setup_with,
            },
        ],
    }
    shared = _Shared(Counter(name for job in plan.jobs for name in _shared_names(job)))
    for job in plan.jobs:
        jobs[job.job_id] = _node_job(manifest, job, action, mdir, mpath, shared)
    jobs[AUDIT_JOB] = _audit_job(manifest, plan, action, setup_labels, mdir, mpath, guard)

    return {
        "name": f"dde {manifest.workflow}",
        "on": on,
        "permissions": {},
        "concurrency": {
            "group": f"dde-{manifest.workflow}-${{{{ github.ref }}}}",
            "cancel-in-progress": "${{ github.event_name == 'pull_request' }}",
        },
        "jobs": jobs,
    }


def _nodes_by_id(manifest: Manifest) -> dict[str, Node]:
    """The manifest's nodes by id, built once per manifest (looked up once per job)."""
    cached: dict[str, Node] | None = getattr(manifest, "_dde_nodes_by_id", None)
    if cached is None:
        cached = {node.id: node for node in manifest.nodes}
        object.__setattr__(manifest, "_dde_nodes_by_id", cached)
    return cached


NODE_ENV = "DDE_WORKFLOW_NODE"  # the job's node id: the shared steps read it
ARTIFACTS_ENV = "DDE_WORKFLOW_ARTIFACTS"  # the node's artifact paths, one a line


class _Shared:
    """Values written once with an anchor and repeated by alias (``&name`` / ``*name``).

    A value used once is written plainly (actionlint refuses an unused anchor).
    """

    def __init__(self, uses: Mapping[str, int]) -> None:
        self.uses = uses
        self.written: set[str] = set()

    def __call__(self, name: str, make: Callable[[], Any]) -> Any:
        if self.uses.get(name, 0) < 2:
            return make()
        if name in self.written:
            return Alias(name)
        self.written.add(name)
        return Anchored(make(), name)


def _shared_names(job: JobPlan) -> tuple[str, str]:
    """The names of the permissions and the steps a node job shares with others of its kind."""
    kind = "interface" if job.publishes else "node"
    return f"{kind}-permissions", f"{kind}-steps{'-fetch' if job.dependencies else ''}"


def _node_job(
    manifest: Manifest,
    job: JobPlan,
    action: ActionRef,
    mdir: str,
    mpath: str,
    shared: _Shared,
) -> dict[str, Any]:
    """A node job: what differs per node is in its head and ``env``; its steps are shared."""
    by_id = _nodes_by_id(manifest)
    first = by_id[job.nodes[0]]
    where = Location(str(manifest.path))
    body: dict[str, Any] = {}
    if job.is_matrix:
        body["name"] = "${{ matrix.name }}"
    else:
        body["name"] = _title(first)
    body["needs"] = Flow([SETUP_JOB, *job.needs])
    body["runs-on"] = _labels(job.labels)
    body["timeout-minutes"] = job.timeout_minutes
    permissions, steps = _shared_names(job)
    grants = ["contents: write" if job.publishes else "contents: read", "statuses: read"]
    body["permissions"] = shared(permissions, lambda: _permissions(*grants))
    if job.is_matrix:
        legs = []
        for node_id in job.nodes:
            node = by_id[node_id]
            leg = {"node": node_id, "name": _title(node)}
            artifacts = _artifact_paths(mdir, node, where)
            if artifacts:
                leg["artifacts"] = "\n".join(artifacts)
            legs.append(leg)
        body["strategy"] = {
            "fail-fast": False,
            "max-parallel": manifest.settings.wip_limit,
            "matrix": {"include": legs},
        }
        body["env"] = {NODE_ENV: "${{ matrix.node }}", ARTIFACTS_ENV: "${{ matrix.artifacts }}"}
    else:
        env = {NODE_ENV: first.id}
        artifacts = _artifact_paths(mdir, first, where)
        if artifacts:
            env[ARTIFACTS_ENV] = "\n".join(artifacts)
        body["env"] = env
    fetch = bool(job.dependencies)
    body["steps"] = shared(
        steps, lambda: _node_steps(manifest, action, mdir, mpath, job.publishes, fetch)
    )
    return body


def _node_steps(
    manifest: Manifest, action: ActionRef, mdir: str, mpath: str, publishes: bool, fetch: bool
) -> list[dict[str, Any]]:
    """The steps of a node job, the same for every node job of a kind (node id from ``env``)."""
    node_ref = f"${{{{ env.{NODE_ENV} }}}}"
    steps: list[dict[str, Any]] = [_checkout_step()]
    if fetch:
        # Every node artifact of this run so far: the dependencies' (all done, by
        # ``needs``), theirs in turn, and those of nodes that happen to be done --
        # what the local runner's one folder holds when this node starts.
        steps.append(
            {
                "name": "Download the outputs of the nodes done so far",
                "uses": _uses(DOWNLOAD_ARTIFACT),
                "with": {
                    "pattern": f"dde-{ITERATION}-*",
                    "merge-multiple": True,
                    "path": literal(mdir),
                },
            }
        )
    steps.append(
        {
            "name": "Set up dde-ci",
            "id": "dde",
            "uses": action.uses("actions/setup"),
            "with": {"python-version": manifest.github.python_version},
        }
    )
    steps.append(
        {
            "name": PAUSE_CHECK_STEP,
            "env": {
                "DDE_CI": "${{ steps.dde.outputs.dde-ci }}",
                "GITHUB_TOKEN": "${{ github.token }}",
                "DDE_HEAD_SHA": "${{ github.event.pull_request.head.sha || github.sha }}",
            },
            "run": Block('"$DDE_CI" gh paused-check\n'),
        }
    )
    node_with: dict[str, Any] = {
        "manifest": literal(mpath),
        "node": node_ref,
        "iteration": ITERATION,
    }
    if publishes:
        node_with["github-token"] = "${{ github.token }}"
    steps.append(
        {
            "name": "Run the node step",
            "uses": action.uses("actions/node"),
            "with": node_with,
        }
    )
    upload = [
        literal(mpath),
        f"{literal(_join(mdir, 'reports'))}/{ITERATION}/{node_ref}/",
        f"{literal(_join(mdir, '.dde/artifacts'))}/{ITERATION}/{node_ref}/",
    ]
    if publishes:
        upload.append(literal(_join(mdir, ".dde/contracts/")))
        upload.append(literal(_join(mdir, "contracts.lock")))
    upload.append(f"${{{{ env.{ARTIFACTS_ENV} }}}}")
    steps.append(
        {
            "name": "Upload the node's reports and artifacts",
            "if": "${{ !cancelled() }}",
            "uses": _uses(UPLOAD_ARTIFACT),
            "with": {
                "name": f"dde-{ITERATION}-{node_ref}",
                "path": Block("\n".join(upload) + "\n"),
                "include-hidden-files": True,
                "retention-days": manifest.github.artifact_retention_days,
                "overwrite": True,  # a re-run attempt (gh retry, gh resume) uploads again
            },
        }
    )
    return steps


def _audit_job(
    manifest: Manifest,
    plan: WorkflowPlan,
    action: ActionRef,
    labels: Sequence[str],
    mdir: str,
    mpath: str,
    guard: str | None,
) -> dict[str, Any]:
    needs = [SETUP_JOB, *(job.job_id for job in plan.jobs)]
    when = f"!cancelled() && ({guard})" if guard else "!cancelled()"
    failed = " || ".join(
        f"contains(needs.*.result, '{result}')" for result in ("failure", "cancelled", "skipped")
    )
    return {
        "name": "audit",
        "needs": Flow(needs),
        "if": f"${{{{ {when} }}}}",
        "runs-on": _labels(labels),
        "timeout-minutes": AUDIT_MINUTES,
        "permissions": _permissions("contents: read", "statuses: write"),
        "steps": [
            _checkout_step(),
            {
                "name": "Download the outputs of every node",
                "uses": _uses(DOWNLOAD_ARTIFACT),
                "with": {
                    "pattern": f"dde-{ITERATION}-*",
                    "merge-multiple": True,
                    "path": literal(mdir),
                },
            },
            {
                "name": "Set up dde-ci",
                "uses": action.uses("actions/setup"),
                "with": {"python-version": manifest.github.python_version},
            },
            {
                "name": "Audit the iteration",
                "uses": action.uses("actions/audit"),
                "with": {
                    "manifest": literal(mpath),
                    "iteration": ITERATION,
                    "github-status": True,
                    "github-token": "${{ github.token }}",
                },
            },
            {
                "name": "Upload the audit report",
                "if": "${{ !cancelled() }}",
                "uses": _uses(UPLOAD_ARTIFACT),
                "with": {
                    "name": f"dde-audit-{ITERATION}",
                    "path": Block(
                        f"{literal(_join(mdir, 'reports'))}/{ITERATION}/audit.json\n"
                        f"{literal(_join(mdir, 'reports'))}/{ITERATION}/audit.md\n"
                        f"{literal(_join(mdir, 'reports'))}/{ITERATION}/execution.log\n"
                    ),
                    "retention-days": manifest.github.artifact_retention_days,
                    "overwrite": True,
                },
            },
            {
                "name": "Fail when a needed job did not succeed",
                "if": f"${{{{ !cancelled() && ({failed}) }}}}",
                "env": {"JOB_RESULTS": "${{ toJSON(needs) }}"},
                "run": Block(
                    'echo "::error title=dde audit::a job this audit needs did not succeed"\n'
                    "printf '%s\\n' \"$JOB_RESULTS\"\n"
                    "exit 1\n"
                ),
            },
        ],
    }


# -- entry point --------------------------------------------------------------------------


def generate_workflow(manifest: Manifest, options: WorkflowOptions) -> GeneratedWorkflow:
    """Plan, write and check the workflow for ``manifest`` (raises on a GitHub limit).

    The plan groups only twins (no added wait) when that fits GitHub's 500 KB;
    a larger plan groups the nodes with the most slack into a matrix job per
    depth level, as few as it must (:data:`ALONE_SHARES`).
    """
    from dde_ci.graph import build_graph

    graph = build_graph(manifest)
    header = header_lines(options)
    plan = plan_jobs(manifest, graph)
    text = yaml_document(workflow_document(manifest, plan, options), header)
    if len(text.encode("utf-8")) > MAX_WORKFLOW_BYTES:
        ranked = by_slack(graph)
        for share in ALONE_SHARES:
            alone = frozenset(ranked[: int(share * len(ranked))])
            plan = plan_jobs(manifest, graph, "levels", alone)
            text = yaml_document(workflow_document(manifest, plan, options), header)
            if len(text.encode("utf-8")) <= MAX_WORKFLOW_BYTES:
                break
    check_limits(text, options)
    return GeneratedWorkflow(text, plan)


# When one job per node is too big: the shares of nodes, least slack first, that keep a
# job of their own (the rest share a matrix job per depth level); the first that fits wins.
ALONE_SHARES = (0.8, 0.6, 0.4, 0.2, 0.0)


def by_slack(graph: Graph) -> list[str]:
    """Nodes by slack, least first: how much later a node can finish without delaying the end.

    The critical path has none; a node on a short side branch has much.  Nodes
    with little slack keep their own job when a large plan must group nodes.
    """
    weights = graph.weights
    earliest: dict[str, float] = {}
    for node in graph.order:
        earliest[node] = max((earliest[p] + weights[p] for p in graph.preds[node]), default=0.0)
    end = graph.critical_path_length
    rest = graph.remaining
    return sorted(graph.order, key=lambda n: (end - earliest[n] - rest[n], graph.index[n]))


def check_limits(text: str, options: WorkflowOptions) -> None:
    """Raise :class:`InputError` when the workflow breaks one of GitHub's documented limits."""
    size = len(text.encode("utf-8"))
    if size > MAX_WORKFLOW_BYTES:
        raise InputError(
            f"the generated workflow is {size / 1000:.0f} KB even with the nodes of each "
            f"depth level grouped into matrix jobs; GitHub accepts at most "
            f"{MAX_WORKFLOW_BYTES // 1000} KB per workflow file. Split the manifest into "
            "several manifests (one workflow each)",
            Location(options.manifest_path),
        )
    # Job outputs need no check: the only one is the iteration id, at most
    # MAX_ITERATION_ID_BYTES long, far below MAX_JOB_OUTPUTS_BYTES.


def stale_diff(current: str, expected: str, path: str) -> str:
    """A unified diff from the committed workflow to the one the manifest gives."""
    import difflib

    return "".join(
        difflib.unified_diff(
            current.splitlines(keepends=True),
            expected.splitlines(keepends=True),
            fromfile=f"{path} (committed)",
            tofile=f"{path} (generated)",
        )
    )


# -- files --------------------------------------------------------------------------------

DEFAULT_OUTPUT = ".github/workflows/dde.yml"


def repository_root(start: Path) -> Path:
    """The Git work tree holding ``start`` (the folder with ``.git``), else ``start`` itself."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return here


def workflow_options(manifest_file: Path, output: Path, root: Path) -> WorkflowOptions:
    """Paths as GitHub sees them: relative to the repository root, with ``/``."""
    base = root.resolve()
    manifest_abs = manifest_file.resolve()
    try:
        manifest_rel = manifest_abs.relative_to(base).as_posix()
    except ValueError:
        raise InputError(
            f"the manifest is outside the repository root {base}; pass --root with the "
            "folder GitHub checks out",
            Location(str(manifest_file)),
        ) from None
    output_abs = output.resolve()
    try:
        output_rel = output_abs.relative_to(base).as_posix()
    except ValueError:
        output_rel = output.as_posix()
    return WorkflowOptions(manifest_path=manifest_rel, output_path=output_rel)


ACTION_FILES = ("setup", "node", "audit")


def resolve_action(manifest: Manifest, root: Path, build: Build) -> ActionRef:
    """Where the workflow's ``uses:`` of the dde-ci actions point, or an input error.

    In this order: the manifest's ``github.action`` (``OWNER/REPO@SHA``); this
    repository's own actions (``$/actions/...``) when the repository root holds
    them, as dde-ci's own repository does; the dde-ci build that runs now, at
    its home and commit (``OWNER/dde-ci/actions/node@<commit>``).  A build
    that does not know its commit (installed without Git metadata) cannot pin
    the actions: the manifest must name them.
    """
    given = manifest.github.action
    if given:
        repository, sha = given.split("@", 1)
        return ActionRef(repository, sha, manifest.github.action_version)
    if all((root / "actions" / name / "action.yml").is_file() for name in ACTION_FILES):
        return ActionRef()
    if build.repository and build.commit:
        return ActionRef(build.repository, build.commit, build.release_tag)
    known = "its home" if build.commit else "the commit it was built from"
    raise InputError(
        f"this dde-ci build ({build.version}) does not know {known}, so the workflow "
        "cannot pin the dde-ci actions; add the setting github.action: "
        "'OWNER/dde-ci@<40-hex commit SHA>' to the manifest (see docs/github.md, "
        "'Pinning and updating dde-ci')",
        Location(str(manifest.path)),
    )


WORKFLOWS_DIR = ".github/workflows"


def check_output_location(output: Path, root: Path) -> str:
    """The workflow's path relative to ``root``; an input error unless GitHub reads it there.

    GitHub runs only the workflows in ``.github/workflows/`` at the repository
    root (not in a sub-folder of it, not in a folder below a manifest's).
    """
    base = root.resolve()
    target = output.resolve()
    try:
        rel = target.relative_to(base).as_posix()
    except ValueError:
        rel = None
    if (
        rel is None
        or str(PurePosixPath(rel).parent) != WORKFLOWS_DIR
        or target.suffix
        not in (
            ".yml",
            ".yaml",
        )
    ):
        raise InputError(
            f"GitHub reads workflows only from {WORKFLOWS_DIR}/ at the repository root: "
            f"write it to {base / WORKFLOWS_DIR / (target.stem + '.yml')} "
            f"(e.g. -o {DEFAULT_OUTPUT} from the root {base}), or pass --root with the folder "
            "GitHub checks out",
            Location(str(output)),
        )
    return rel


def read_committed(path: Path) -> str | None:
    """The workflow file as committed, or None when there is none."""
    from dde_ci.yamlio import read_text

    if not path.exists():
        return None
    return read_text(path, max_bytes=4 * MAX_WORKFLOW_BYTES, what="workflow")


def write_workflow(generated: GeneratedWorkflow, path: Path) -> bool:
    """Write the workflow (only when it changed); True when the file was written."""
    if read_committed(path) == generated.text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(generated.text, encoding="utf-8", newline="\n")
    temp.replace(path)
    return True
