"""The node step: the one unit of execution, the same in a GitHub job and in the local runner.

:func:`run_node_step` runs these steps in this order, each one visible call:

1. build the context and write ``reports/{iteration}/{node}/context.json``;
2. evaluate pre-execution gates;
3. run the node's command with its timeout and retry policy;
4. evaluate post-execution gates;
5. for an interface node whose gates passed, lock and publish its contracts;
6. stamp the node's artifacts;
7. record the outcome: ``result.json``, the closing event, fsync of the log.

Steps 2, 4, 5 and 6 belong to the gates, contracts and stamping modules.  Each
takes a :class:`dde_ci.results.NodeRun` (which node, which iteration, who runs
it) and returns a result with ``.blocked`` and ``.message`` (and optionally
``.warnings``), folded in with :meth:`NodeOutcome.after`.  A blocked result
fails the node and every later step is skipped.  A gate step with no gate of
its phase for the node (:func:`dde_ci.gates.has_gates`) is skipped entirely
(no ``gates.json``, no event), and so is stamping for a node without
``artifacts``.

The node's ``timeout`` covers its whole step: the first attempt's clock starts
with the step (its pre-execution gates count), each retry starts a new clock,
and the post-execution gates, contract locking and stamping run on the last
attempt's clock.  A command past the deadline is stopped (its process group:
SIGTERM, then SIGKILL after the grace period, see :mod:`dde_ci.process`); a
step that passes it elsewhere fails when that step ends, saying where.

The values of the node's secret-named ``env`` entries (:func:`node_secrets`)
are given to the log's redaction before anything is logged.

The step needs nothing but the manifest and the files earlier nodes left
(their ``result.json``), so a GitHub job runs it on its own
(``dde-ci node run NODE``) exactly as the local runner does.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from dde_ci.log import new_id, now_rfc3339
from dde_ci.process import GRACE_SECONDS, Cancel, ProcessResult, exit_description, run_process
from dde_ci.results import (
    CANCELLED,
    COMPLETED,
    FAILED,
    NodeOutcome,
    NodeRun,
    find_artifacts,
    read_outputs,
    write_result,
)
from dde_ci.secrets import WITHHELD_ENV as WITHHELD_ENV
from dde_ci.secrets import redact_file, secret_env_values, withheld_environment

if TYPE_CHECKING:
    from dde_ci.contracts.registry import LockedContract
    from dde_ci.layout import Layout
    from dde_ci.log import ExecutionLog
    from dde_ci.manifest.models import Manifest, Node

__all__ = ["CANCELLED", "COMPLETED", "FAILED", "NodeOutcome", "NodeStep", "run_node_step"]

BASH_OPTIONS = ("--noprofile", "--norc", "-eo", "pipefail")  # like GitHub's ``shell: bash``

ContractPublisher = Callable[["LockedContract"], "LockedContract"]


@dataclass
class NodeStep:
    """Everything one node step needs."""

    manifest: Manifest
    node: Node
    iteration_id: str
    run_id: str
    layout: Layout
    log: ExecutionLog
    agent_id: str | None = None
    correlation_id: str | None = None
    commit: str | None = None  # the Git commit SHA being built, when known
    context_path: Path | None = None  # set by step 1
    attempt: int = 0  # set by step 3
    cancel: Cancel | None = None  # set by a scheduler to stop the running command
    grace: float = GRACE_SECONDS  # SIGTERM, then SIGKILL after this many seconds
    # publishes each contract version the node locks (e.g. as a GitHub release)
    contract_publisher: ContractPublisher | None = None
    # the environment commands start from (this process's, less WITHHELD_ENV, when None)
    base_env: Mapping[str, str] | None = None
    # where the running command's process id is kept, for a runner that takes a dead
    # runner's run over (see dde_ci.process.stop_leftover)
    pid_file: Path | None = None

    def run(self) -> NodeRun:
        """What the domain steps get: this node, run now, at this attempt."""
        return NodeRun(
            manifest=self.manifest,
            node=self.node,
            layout=self.layout,
            iteration_id=self.iteration_id,
            run_id=self.run_id,
            log=self.log,
            agent_id=self.agent_id,
            correlation_id=self.correlation_id,
            commit=self.commit,
            context_path=self.context_path,
            attempt=self.attempt,
        )


def run_node_step(step: NodeStep) -> NodeOutcome:
    """Run one node through the seven steps; return (and write) its outcome."""
    from dde_ci.contracts.lock import lock_node_contracts
    from dde_ci.gates import evaluate_node_gates, has_gates
    from dde_ci.stamping import stamp_node_artifacts

    outcome = NodeOutcome(step.node.id, step.iteration_id, step.run_id, started_at=now_rfc3339())
    deadline = _deadline(step.node.timeout)
    if step.correlation_id is None:
        step.correlation_id = new_id()
    # the node's own secrets never reach the log (the command still gets them)
    hidden = node_secrets(step.node.env)
    if hidden:
        step.log.add_secrets(hidden)
    # step 1: build the context
    step.context_path = write_node_context(step)
    # step 2: pre-execution gates; a node without gates skips the step entirely
    if has_gates(step.manifest, step.node, "pre"):
        outcome = outcome.after(evaluate_node_gates(step.run(), "pre"))
        outcome = _in_time(outcome, deadline, step, "its pre-execution gates")
    if outcome.ok:
        # step 3: run the command with its timeout and retry policy
        outcome, deadline = run_command(step, outcome, deadline)
    if outcome.ok and has_gates(step.manifest, step.node, "post"):
        # step 4: post-execution gates
        outcome = outcome.after(evaluate_node_gates(step.run(), "post"))
        outcome = _in_time(outcome, deadline, step, "its post-execution gates")
    if outcome.ok:
        # step 5: lock and publish contracts (interface nodes)
        outcome = outcome.after(lock_node_contracts(step.run(), publisher=step.contract_publisher))
        outcome = _in_time(outcome, deadline, step, "locking its contracts")
    if outcome.ok and step.node.artifacts:
        # step 6: stamp artifacts; nothing to stamp without artifact globs
        stamped = stamp_node_artifacts(step.run())
        outcome = outcome.after(stamped)
        outcome = _in_time(outcome, deadline, step, "stamping its artifacts")
    # step 7: record the outcome
    return record_outcome(step, outcome)


def _deadline(timeout: float) -> float | None:
    """The ``time.monotonic()`` at which ``timeout`` seconds from now are over (0: none)."""
    return time.monotonic() + timeout if timeout > 0 else None


def _in_time(
    outcome: NodeOutcome, deadline: float | None, step: NodeStep, doing: str
) -> NodeOutcome:
    """Fail the node when ``doing`` ended past its deadline."""
    if outcome.ok and deadline is not None and time.monotonic() > deadline:
        return outcome.failed(
            f"timed out after {step.node.timeout:g}s: {doing} ran past the node's timeout"
        )
    return outcome


# -- step 1 -------------------------------------------------------------------------------


def write_node_context(step: NodeStep) -> Path:
    """Build the node's context and write it to ``reports/{it}/{node}/context.json``."""
    from dde_ci.context import build_context, write_context

    context = build_context(
        step.manifest,
        step.node.id,
        step.layout,
        iteration_id=step.iteration_id,
        run_id=step.run_id,
        agent_id=step.agent_id,
    )
    return write_context(context, step.layout.context_file(step.iteration_id, step.node.id))


# -- step 3 -------------------------------------------------------------------------------


def run_command(
    step: NodeStep, outcome: NodeOutcome, deadline: float | None
) -> tuple[NodeOutcome, float | None]:
    """Run the node's ``run`` script with its timeout and retry policy (events per attempt);
    return the outcome and the deadline of the last attempt."""
    node = step.node
    node_dir = step.layout.node_dir(step.iteration_id, node.id)
    node_dir.mkdir(parents=True, exist_ok=True)
    output_file = node_dir / "outputs.env"
    policy = node.retry
    result = ProcessResult(0)
    while True:
        step.attempt += 1
        output_file.unlink(missing_ok=True)  # each attempt starts with no outputs
        step.log.emit(
            "node.started",
            node_id=node.id,
            agent_id=step.agent_id,
            attempt=step.attempt,
            correlation_id=step.correlation_id,
            details={"max_attempts": policy.max_attempts},
        )
        if node.run:
            result = run_attempt(step, output_file, deadline)
        if result.exit_code == 0 or result.cancelled or step.attempt >= policy.max_attempts:
            break
        if result.timed_out:
            retryable = policy.retry_on_timeout
        else:
            retryable = policy.retries_exit_code(result.exit_code or 0)
        if not retryable:
            break
        delay = policy.delay(step.attempt)
        step.log.emit(
            "node.retrying",
            node_id=node.id,
            agent_id=step.agent_id,
            attempt=step.attempt,
            correlation_id=step.correlation_id,
            details={
                "exit_code": result.exit_code,
                "timed_out": result.timed_out,
                "delay_seconds": delay,
                "next_attempt": step.attempt + 1,
            },
        )
        if step.cancel is not None and step.cancel.wait(delay):
            result = ProcessResult(result.exit_code, cancelled=True)
            break
        if step.cancel is None:
            time.sleep(delay)
        deadline = _deadline(node.timeout)  # each retry has its own clock
    # what the command wrote is uploaded and passed on: no secret stays in it
    for written in (output_file, node_dir / "output.log"):
        redact_file(written, step.log.secrets)
    done = replace(
        outcome,
        attempts=step.attempt,
        exit_code=result.exit_code,
        outputs=read_outputs(output_file),
    )
    of = f"(attempt {step.attempt} of {policy.max_attempts})"
    if result.cancelled:
        return done.failed("cancelled", status=CANCELLED), deadline
    if result.timed_out:
        return done.failed(f"timed out after {node.timeout:g}s {of}"), deadline
    if result.exit_code != 0:
        log = node_dir / "output.log"
        shown = log.relative_to(step.layout.root).as_posix()
        what = exit_description(result.exit_code or 0)
        return done.failed(f"command {what} {of}; see {shown}"), deadline
    return done, deadline


def run_attempt(step: NodeStep, output_file: Path, deadline: float | None) -> ProcessResult:
    """Run the script once like GitHub's ``run:`` (``bash --noprofile --norc -eo pipefail``,
    with ``$0`` set to the node id), in its own process group, output appended to
    ``output.log``."""
    from dde_ci.layout import inside

    node = step.node
    assert node.run is not None  # checked by the caller
    cwd = step.layout.root
    if node.working_directory:
        cwd = inside(step.layout.root, node.working_directory, what="working_directory")
    log_path = step.layout.node_dir(step.iteration_id, node.id) / "output.log"
    log_fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        os.write(log_fd, f"== {now_rfc3339()} attempt {step.attempt}\n".encode())
        return run_process(
            ["bash", *BASH_OPTIONS, "-c", node.run, node.id],
            cwd=cwd,
            env=command_env(step, output_file),
            stdout=log_fd,
            deadline=deadline,
            cancel=step.cancel,
            grace=step.grace,
            pid_file=step.pid_file,
        )
    finally:
        os.close(log_fd)


def node_secrets(env: Mapping[str, str]) -> list[str]:
    """The values of a node's secret ``env`` entries (:func:`dde_ci.secrets.secret_env_values`):
    the node step hides them from the log and from every file it writes."""
    return secret_env_values(env)


def base_env() -> dict[str, str]:
    """This process's environment less :data:`WITHHELD_ENV`: what every command starts from."""
    return withheld_environment()


def command_env(step: NodeStep, output_file: Path) -> dict[str, str]:
    """The command's environment: ours (less :data:`WITHHELD_ENV`), the node's ``env``, DDE_*."""
    env = dict(step.base_env) if step.base_env is not None else base_env()
    env.update(step.node.env)
    env.update(
        {
            "DDE_CONTEXT": str(step.context_path or ""),
            "DDE_OUTPUT": str(output_file),
            "DDE_ITERATION": step.iteration_id,
            "DDE_NODE": step.node.id,
            "DDE_RUN_ID": step.run_id,
            "DDE_ATTEMPT": str(step.attempt),
            "DDE_ROOT": str(step.layout.root),
        }
    )
    if step.agent_id:
        env["DDE_AGENT"] = step.agent_id
    return env


# -- step 7 -------------------------------------------------------------------------------


def record_outcome(step: NodeStep, outcome: NodeOutcome) -> NodeOutcome:
    """Find the artifacts, write ``result.json``, log the closing event, fsync the log."""
    done = replace(
        outcome,
        finished_at=now_rfc3339(),
        artifacts=outcome.artifacts or find_artifacts(step.layout.root, step.node.artifacts),
    )
    write_result(step.layout, done, secrets=step.log.secrets)
    event = {COMPLETED: "node.completed", CANCELLED: "node.cancelled"}.get(
        done.status, "node.failed"
    )
    step.log.emit(
        event,
        node_id=step.node.id,
        agent_id=step.agent_id,
        attempt=done.attempts or None,
        correlation_id=step.correlation_id,
        details={
            "status": done.status,
            "exit_code": done.exit_code,
            "message": done.message,
            "outputs": done.outputs,
            "artifacts": done.artifacts,
            "warnings": done.warnings,
        },
    )
    step.log.sync()
    return done
