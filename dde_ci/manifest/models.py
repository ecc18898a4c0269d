"""The manifest, modelled with pydantic v2.  Unknown keys are errors everywhere.

These models only check the shape of each value.  Rules that span the whole
manifest (unknown dependencies, cycles, contract producers, routing) live in
:mod:`dde_ci.manifest.checks` and :mod:`dde_ci.graph`, so every problem is found
in one pass and reported together.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    WithJsonSchema,
    field_validator,
    model_validator,
)

NODE_ID_PATTERN = r"^[A-Za-z][A-Za-z0-9._-]{0,99}$"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
RUNNER_LABEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"  # GitHub's own: self-hosted, x64
CAPABILITY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._+#/-]*(:[A-Za-z0-9][A-Za-z0-9 ._+#/-]*)*$"
BRANCH_FILTER_PATTERN = r"^[^\s~^:\\$\x00-\x1f\x7f]{1,255}$"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)


def _duration(value: Any) -> Any:
    """Accept seconds as a number or a string such as ``"90s"``, ``"10m"``, ``"1.5h"``."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30, '90s', '10m' or '1h'")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return float(match.group(1)) * _UNITS[match.group(2)]
        raise ValueError(f"{value!r} is not a duration; use seconds or '90s', '10m', '1h'")
    return value


MAX_DURATION = 7 * 24 * 3600.0  # a week: more than any node, delay or gate waits for

Duration = Annotated[
    float,
    BeforeValidator(_duration),
    Field(ge=0, le=MAX_DURATION),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": MAX_DURATION},
                {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(ms|s|m|h)?\s*$"},
            ],
            "description": "Seconds, or a string such as '90s', '10m', '1h'; at most a week.",
        }
    ),
]


def _to_str(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return value


_SCALAR_SCHEMA = WithJsonSchema({"type": ["string", "integer", "boolean"]})
EnvValue = Annotated[str, BeforeValidator(_to_str), _SCALAR_SCHEMA]
Version = Annotated[str, BeforeValidator(_to_str), WithJsonSchema({"type": ["string", "integer"]})]


class NodeType(StrEnum):
    INTERFACE = "interface"
    IMPLEMENTATION = "implementation"
    TEST = "test"
    INTEGRATION = "integration"
    DEPLOYMENT = "deployment"
    ACTION = "action"


class ContractType(StrEnum):
    OPENAPI = "openapi"
    JSONSCHEMA = "jsonschema"
    GRAPHQL = "graphql"


# a runner label is written into a workflow's runs-on: no colon, space, quote or newline
RunnerLabel = Annotated[str, Field(pattern=RUNNER_LABEL_PATTERN)]


class Capability(Strict):
    """A capability path such as ``Backend:Python:FastAPI`` with a proficiency 1-5.

    Written as a plain string, or as ``{name: ..., proficiency: ...}``.  On a
    runner or agent the proficiency is what it offers (default 3); on a node it
    is the minimum required (default 1).
    """

    name: str = Field(pattern=CAPABILITY_PATTERN, max_length=200)
    proficiency: int | None = Field(default=None, ge=1, le=5)

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"name": value}
        return value

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        """Editors must accept the string shorthand too."""
        as_object = handler(core_schema)
        return {
            "anyOf": [
                {"type": "string", "pattern": CAPABILITY_PATTERN, "maxLength": 200},
                as_object,
            ]
        }

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(p.strip().lower() for p in self.name.split(":"))


class Worker(Strict):
    """Common shape of GitHub runners and local agents."""

    capabilities: list[Capability] = Field(default_factory=list)
    concurrency: int = Field(default=1, ge=1, le=1000)


class Runner(Worker):
    """A GitHub Actions runner label set and what its machines can do."""

    name: str = Field(pattern=NAME_PATTERN)
    labels: list[RunnerLabel] = Field(min_length=1)

    @property
    def worker_id(self) -> str:
        return self.name


class Agent(Worker):
    """A local worker of the embedded runner."""

    id: str = Field(pattern=NAME_PATTERN)

    @property
    def worker_id(self) -> str:
        return self.id


class Settings(Strict):
    wip_limit: int = Field(default=4, ge=1, le=1000)
    interface_first: Literal["dependent", "strict"] = "dependent"
    default_runs_on: list[RunnerLabel] | None = Field(default=None, min_length=1)
    default_agent: str | None = None


class Contract(Strict):
    name: str = Field(pattern=NAME_PATTERN)
    domain: str = Field(pattern=NAME_PATTERN)
    type: ContractType
    path: str = Field(min_length=1)
    owner: str | None = None
    description: str | None = None


class Retry(Strict):
    """Retry policy: attempt n waits ``initial_delay * factor**(n-1)``, capped by ``max_delay``.

    ``retry_on`` lists the exit codes that are retried; left out, every non-zero
    exit code is.  A timeout is retried only with ``retry_on_timeout: true``.
    """

    max_attempts: int = Field(default=1, ge=1, le=100)
    initial_delay: Duration = 1.0
    factor: float = Field(default=2.0, ge=1.0, le=100.0)
    max_delay: Duration = 60.0
    retry_on: list[int] | None = None
    retry_on_timeout: bool = False

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt ``attempt + 1`` after attempt ``attempt`` failed."""
        return float(min(self.max_delay, self.initial_delay * self.factor ** (attempt - 1)))

    def retries_exit_code(self, code: int) -> bool:
        return code != 0 and (self.retry_on is None or code in self.retry_on)


class ServedContract(Strict):
    """The implementation's own description of a contract it serves (e.g. exported OpenAPI)."""

    contract: str
    path: str


class ContractExample(Strict):
    """An example payload or recorded exchange that must validate against a contract."""

    contract: str
    path: str
    kind: Literal["request", "response", "event"] = "event"
    operation: str | None = None
    status: int | None = None


class Node(Strict):
    id: str = Field(pattern=NODE_ID_PATTERN)
    type: NodeType
    name: str | None = None
    description: str | None = None
    depends_on: list[str] = Field(default_factory=list)
    produces: list[str] = Field(default_factory=list)
    consumes: list[str] = Field(default_factory=list)
    capabilities: list[Capability] = Field(default_factory=list)
    runs_on: list[RunnerLabel] | None = Field(default=None, min_length=1)
    run: str | None = None
    working_directory: str | None = None
    env: dict[str, EnvValue] = Field(default_factory=dict)
    timeout: Duration = 3600.0
    retry: Retry = Field(default_factory=Retry)
    artifacts: list[str] = Field(default_factory=list)
    gates: list[str] = Field(default_factory=list)
    acceptance_criteria: list[str] = Field(default_factory=list)
    estimated_effort: float | None = Field(default=None, ge=0)
    serves: list[ServedContract] = Field(default_factory=list)
    examples: list[ContractExample] = Field(default_factory=list)

    @property
    def title(self) -> str:
        return self.name or self.id

    @property
    def weight(self) -> float:
        """Planned effort in minutes, 1 where not estimated (so paths still count nodes)."""
        return self.estimated_effort if self.estimated_effort is not None else 1.0


class Conventions(Strict):
    """Git conventions enforced by the pre-commit hooks.

    Each pattern may use ``{iteration}`` and ``{node}``; they are regular
    expressions in RE2 syntax, anchored when loaded.
    """

    branch_name: str = "feature/{iteration}/{node}"
    commit_subject: str = r"\[{node}\] .+"
    pr_title: str = r"\[{iteration}/{node}\] .+"
    long_lived_branches: list[str] = Field(
        default_factory=lambda: ["main", "master", "develop", "release/*", "hotfix/*"]
    )
    max_message_length: int = Field(default=20_000, ge=100, le=1_000_000)

    @field_validator("branch_name", "commit_subject", "pr_title")
    @classmethod
    def _valid_pattern(cls, value: str, info: Any) -> str:
        from dde_ci.hooks.conventions import pattern_problem

        problem = pattern_problem(value, str(info.field_name))
        if problem:
            raise ValueError(problem)
        return value


class GitHubSettings(Strict):
    """How ``dde-ci generate`` writes the workflow."""

    triggers: list[Literal["push", "pull_request", "workflow_dispatch"]] = Field(
        default_factory=lambda: ["push", "pull_request", "workflow_dispatch"],  # type: ignore[arg-type]
        min_length=1,
    )
    branches: list[Annotated[str, Field(pattern=BRANCH_FILTER_PATTERN)]] = Field(
        default_factory=lambda: ["main"],
        description="Branch filters of the push and pull_request triggers (globs such as "
        "'release/*'; no spaces, '~', '^', ':', '\\' or '$').",
    )
    python_version: Version = "3.12"
    artifact_retention_days: int = Field(default=14, ge=1, le=90)
    runs_on: list[RunnerLabel] | None = Field(
        default=None,
        min_length=1,
        description="Labels of the setup and audit jobs (default: settings.default_runs_on, "
        "else ubuntu-latest).",
    )
    action: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+@[0-9a-f]{40}$",
        description="Where the dde-ci actions live, 'OWNER/REPO@<40-hex commit SHA>'; "
        "unset: this repository ('$/actions/...').",
    )
    action_version: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$",
        description="The release tag of that commit, written as a comment next to each 'uses:'.",
    )


class Manifest(Strict):
    version: Version = "1"
    workflow: str = Field(pattern=NAME_PATTERN)
    iteration: str = Field(default="Iter-{date:%Y%m%d-%H%M}-{seq:03}", min_length=1)
    description: str | None = None
    settings: Settings = Field(default_factory=Settings)
    runners: list[Runner] = Field(default_factory=list)
    agents: list[Agent] = Field(default_factory=list)
    contracts: list[Contract] = Field(default_factory=list)
    gate_files: list[str] = Field(default_factory=list)
    conventions: Conventions = Field(default_factory=Conventions)
    github: GitHubSettings = Field(default_factory=GitHubSettings)
    nodes: list[Node] = Field(min_length=1)

    _path: Path = PrivateAttr(default=Path("dde.yaml"))
    _by_id: dict[str, Node] = PrivateAttr(default_factory=dict)
    _contracts: dict[str, Contract] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        self._by_id = {n.id: n for n in self.nodes}
        self._contracts = {c.name: c for c in self.contracts}

    @property
    def path(self) -> Path:
        """The manifest file (absolute once loaded from disk)."""
        return self._path

    @property
    def root(self) -> Path:
        """The folder the manifest lives in: node scripts run here, paths are relative to it."""
        return self._path.parent

    def node(self, node_id: str) -> Node:
        return self._nodes_by_id()[node_id]

    def has_node(self, node_id: str) -> bool:
        return node_id in self._nodes_by_id()

    def _nodes_by_id(self) -> dict[str, Node]:
        # straight from pydantic's private store: ``self._by_id`` goes through
        # BaseModel.__getattr__ (3.4 µs against 0.13 µs), and schedulers and the audit
        # look nodes up tens of thousands of times
        private = self.__pydantic_private__
        return private["_by_id"] if private is not None else self._by_id

    @property
    def node_ids(self) -> list[str]:
        return [n.id for n in self.nodes]

    def contract(self, name: str) -> Contract:
        return self._contracts[name]

    def has_contract(self, name: str) -> bool:
        return name in self._contracts

    def producer_of(self, contract: str) -> Node | None:
        for node in self.nodes:
            if contract in node.produces:
                return node
        return None

    def consumers_of(self, contract: str) -> list[Node]:
        return [n for n in self.nodes if contract in n.consumes]
