"""The node step: the one unit of execution, the same in a GitHub job and in the local runner.

:func:`run_node_step` runs these steps in this order, each one visible call:

1. build the context and write ``reports/{iteration}/{node}/context.json``;
2. evaluate pre-execution gates;
3. run the node's command with its timeout and retry policy;
4. evaluate post-execution gates;
5. for an interface node whose gates passed, lock and publish its contracts;
6. stamp the node's artifacts;
7. record the outcome: ``result.json``, the closing event, fsync of the log.

Steps 2, 4, 5 and 6 belong to the gates, contracts and stamping modules; each
is one call here of the form ``outcome = outcome.after(some_call(step))``.
The call returns anything with ``.blocked: bool`` and ``.message: str`` (and
optionally ``.warnings: list[str]``) -- see :class:`StepCheck`.  A blocked
result fails the node and every later step is skipped, so a failing pre gate
keeps the command from running and a failing blocking post gate makes the node
FAILED.  A gate step with no gate of its phase for the node
(:func:`dde_ci.gates.has_gates`) is skipped entirely (no ``gates.json``, no
event), and so is stamping for a node without ``artifacts``.

The values of the node's secret-named ``env`` entries (:func:`node_secrets`)
are given to the log's redaction before anything is logged.

The step needs nothing but the manifest and the files earlier nodes left
(their ``result.json``), so a GitHub job runs it on its own
(``dde-ci node run NODE``) exactly as the local runner does.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import itertools
import json
import math
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from dde_ci.files import FileStage, read_regular, write_json_atomic
from dde_ci.log import new_id, now_rfc3339
from dde_ci.secrets import WITHHELD_ENV as WITHHELD_ENV
from dde_ci.secrets import redact_file, redact_value, secret_env_values, withheld_environment

if TYPE_CHECKING:
    from dde_ci.layout import Layout
    from dde_ci.log import ExecutionLog
    from dde_ci.manifest.models import Manifest, Node

COMPLETED = "COMPLETED"
FAILED = "FAILED"
CANCELLED = "CANCELLED"

GRACE_SECONDS = 5.0  # SIGTERM, then SIGKILL after this many seconds
MAX_OUTPUT_BYTES = 1024 * 1024  # the most of $DDE_OUTPUT that is read
BASH_OPTIONS = ("--noprofile", "--norc", "-eo", "pipefail")  # like GitHub's ``shell: bash``


@dataclass
class NodeStep:
    """Everything one node step needs; passed to every plug-in (gates, contracts, stamping)."""

    manifest: Manifest
    node: Node
    iteration_id: str
    run_id: str
    layout: Layout
    log: ExecutionLog
    agent_id: str | None = None
    correlation_id: str | None = None
    commit: str | None = None  # the Git commit SHA being built, when known
    context_path: Path | None = None  # set by step 1 (or by a scheduler beforehand)
    attempt: int = 0  # set by step 3
    extra: dict[str, Any] = field(default_factory=dict)
    control: ProcessControl | None = None  # lets a scheduler cancel the running command
    stage: FileStage | None = None  # the node's files, made ahead by a scheduler
    # called when the step starts waiting (its command has started; a retry's delay
    # begins), with a test of whether the wait is over already, and when the wait is
    # over: a scheduler does its own work meanwhile, while the test says no
    on_wait: Callable[[Callable[[], bool]], None] | None = None
    on_wait_over: Callable[[], None] | None = None
    # the environment commands start from (this process's, read at each start, when None);
    # a scheduler reads it once for a whole run
    base_env: Mapping[str, str] | None = None
    # the command as found on PATH while the node waited to start (a scheduler's head
    # start, used by the first attempt; see find_command); looked up at the start if None
    found: FoundCommand | None = None


@dataclass(frozen=True)
class FoundCommand:
    """What :func:`direct_command` said of a node's command: ``(executable, argv)``, or
    None for a script that runs under ``bash``."""

    direct: tuple[str, list[str]] | None


class StepCheck(Protocol):
    """What a plug-in step returns: blocked or not, and why."""

    @property
    def blocked(self) -> bool: ...

    @property
    def message(self) -> str: ...


@dataclass(frozen=True)
class NodeOutcome:
    """The node step's result; written as ``reports/{it}/{node}/result.json``."""

    node_id: str
    iteration_id: str
    run_id: str
    status: str = COMPLETED  # COMPLETED | FAILED | CANCELLED
    attempts: int = 0
    exit_code: int | None = None
    started_at: str | None = None
    finished_at: str | None = None
    message: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    artifacts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == COMPLETED

    def failed(self, message: str, status: str = FAILED) -> NodeOutcome:
        return replace(self, status=status, message=message)

    def after(self, check: StepCheck | None) -> NodeOutcome:
        """Fold a plug-in result in: blocked fails the node; warnings are kept."""
        if check is None:
            return self
        warnings = [str(w) for w in getattr(check, "warnings", None) or ()]
        out = replace(self, warnings=[*self.warnings, *warnings]) if warnings else self
        if check.blocked and out.ok:
            return out.failed(check.message or "blocked")
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "node_id": self.node_id,
            "iteration_id": self.iteration_id,
            "run_id": self.run_id,
            "status": self.status,
            "attempts": self.attempts,
            "exit_code": self.exit_code,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "message": self.message,
            "outputs": dict(self.outputs),
            "artifacts": list(self.artifacts),
            "warnings": list(self.warnings),
        }


def run_node_step(step: NodeStep) -> NodeOutcome:
    """Run one node through the seven steps; return (and write) its outcome."""
    outcome = NodeOutcome(step.node.id, step.iteration_id, step.run_id, started_at=now_rfc3339())
    if step.correlation_id is None:
        step.correlation_id = new_id()
    # the node's own secrets never reach the log (the command still gets them)
    hidden = node_secrets(step.node.env)
    if hidden:
        step.log.add_secrets(hidden)
    # step 1: build the context (unless the scheduler built it while the node waited)
    if step.context_path is None:
        step.context_path = write_node_context(step)
    # step 2: pre-execution gates (gates); a node without gates skips the step entirely
    from dde_ci.gates import evaluate_node_gates, has_gates

    if has_gates(step.manifest, step.node, "pre"):
        outcome = outcome.after(evaluate_node_gates(step, "pre"))
    if outcome.ok:
        # step 3: run the command with its timeout and retry policy
        outcome = run_command(step, outcome)
    if outcome.ok and has_gates(step.manifest, step.node, "post"):
        # step 4: post-execution gates (gates)
        outcome = outcome.after(evaluate_node_gates(step, "post"))
    if outcome.ok:
        # step 5: lock and publish contracts (contracts)
        from dde_ci.contracts.lock import lock_node_contracts

        outcome = outcome.after(lock_node_contracts(step))
    if outcome.ok and step.node.artifacts:
        # step 6: stamp artifacts (stamping); nothing to stamp without artifact globs
        from dde_ci.stamping import stamp_node_artifacts

        outcome = outcome.after(stamp_node_artifacts(step))
    # step 7: record the outcome
    return record_outcome(step, outcome)


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
    path = step.layout.context_file(step.iteration_id, step.node.id)
    return write_context(context, path, stage=step.stage)


# -- step 3 -------------------------------------------------------------------------------


class ProcessControl:
    """Shared between a scheduler and running node steps: cancel them, kill their groups."""

    def __init__(self, grace: float = GRACE_SECONDS) -> None:
        self.grace = grace
        self.cancelled = threading.Event()
        self._lock = threading.Lock()
        self._running: dict[int, subprocess.Popen[bytes]] = {}
        self._due = threading.Condition()
        self._deadlines: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()  # ties on time never compare deadlines
        self._watchdog: threading.Thread | None = None
        self._wakes_at = math.inf  # when the watchdog wakes next (it sleeps until then)

    def watch(self, proc: subprocess.Popen[bytes], seconds: float) -> Deadline:
        """Stop ``proc``'s group once ``seconds`` have passed (one watchdog thread for all)."""
        deadline = Deadline(proc, time.monotonic() + seconds)
        with self._due:
            while self._deadlines and not self._deadlines[0][2].active:
                heapq.heappop(self._deadlines)  # commands that ended
            heapq.heappush(self._deadlines, (deadline.at, next(self._order), deadline))
            if self._watchdog is None:
                self._watchdog = threading.Thread(
                    target=self._watch_loop, name="dde-timeouts", daemon=True
                )
                self._watchdog.start()
            if deadline.at < self._wakes_at:
                # due before the watchdog would wake: wake it to wait less (otherwise it
                # sleeps on, and wakes in time; a later deadline costs no wake-up)
                self._due.notify()
        return deadline

    def _watch_loop(self) -> None:
        while True:
            with self._due:
                while self._deadlines and not self._deadlines[0][2].active:
                    heapq.heappop(self._deadlines)
                if not self._deadlines:
                    self._wakes_at = math.inf
                    self._due.wait()
                    continue
                self._wakes_at = self._deadlines[0][0]
                wait = self._wakes_at - time.monotonic()
                if wait > 0:
                    self._due.wait(wait)
                    continue
                deadline = heapq.heappop(self._deadlines)[2]
            deadline.expire(self.grace)

    def register(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._running[proc.pid] = proc
        if self.cancelled.is_set():
            terminate_group(proc, self.grace)

    def unregister(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._running.pop(proc.pid, None)

    @property
    def process_groups(self) -> list[int]:
        with self._lock:
            return list(self._running)

    def cancel(self) -> None:
        """Stop every running command: SIGTERM its group, SIGKILL after the grace period."""
        self.cancelled.set()
        with self._lock:
            procs = list(self._running.values())
        threads = [
            threading.Thread(target=terminate_group, args=(p, self.grace), daemon=True)
            for p in procs
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def sleep(self, seconds: float) -> bool:
        """Wait ``seconds``; False when cancelled meanwhile."""
        return not self.cancelled.wait(seconds)


class Deadline:
    """A running command's timeout, kept by :meth:`ProcessControl.watch`."""

    def __init__(self, proc: subprocess.Popen[bytes], at: float) -> None:
        self.proc = proc
        self.at = at
        self.active = True
        self.expired = threading.Event()
        self._stopper: threading.Thread | None = None

    def expire(self, grace: float) -> None:
        if not self.active:
            return
        self.expired.set()
        self._stopper = threading.Thread(
            target=terminate_group, args=(self.proc, grace), name="dde-timeout", daemon=True
        )
        self._stopper.start()

    def done(self) -> bool:
        """The command ended: True when it was stopped by the timeout (group gone by then)."""
        self.active = False
        if self.expired.is_set() and self._stopper is not None:
            self._stopper.join()
        return self.expired.is_set()


def terminate_group(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM the process group of ``proc``, SIGKILL it if still alive after ``grace``."""
    _signal_group(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    # the leader may have exited while others in its group linger
    _signal_group(proc.pid, signal.SIGKILL)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


@dataclass(frozen=True)
class Attempt:
    """One run of the command."""

    exit_code: int | None
    timed_out: bool = False
    cancelled: bool = False


def run_command(step: NodeStep, outcome: NodeOutcome) -> NodeOutcome:
    """Run the node's ``run`` script with its timeout and retry policy (events per attempt)."""
    node = step.node
    control = step.control or ProcessControl()
    node_dir = step.layout.node_dir(step.iteration_id, node.id)
    if not node_dir.is_dir():  # usually made ahead (staged): one stat, not mkdir and stat
        node_dir.mkdir(parents=True, exist_ok=True)
    output_file = node_dir / "outputs.env"
    policy = node.retry
    attempt_no = 0
    result = Attempt(0)
    while True:
        attempt_no += 1
        step.attempt = attempt_no
        output_file.unlink(missing_ok=True)  # each attempt starts with no outputs
        step.log.emit(
            "node.started",
            node_id=node.id,
            agent_id=step.agent_id,
            attempt=attempt_no,
            correlation_id=step.correlation_id,
            details={"max_attempts": policy.max_attempts},
        )
        result = run_attempt(step, output_file, control) if node.run else Attempt(0)
        if result.exit_code == 0 or result.cancelled or attempt_no >= policy.max_attempts:
            break
        retryable = (
            policy.retry_on_timeout
            if result.timed_out
            else policy.retries_exit_code(result.exit_code or 0)
        )
        if not retryable:
            break
        delay = policy.delay(attempt_no)
        step.log.emit(
            "node.retrying",
            node_id=node.id,
            agent_id=step.agent_id,
            attempt=attempt_no,
            correlation_id=step.correlation_id,
            details={
                "exit_code": result.exit_code,
                "timed_out": result.timed_out,
                "delay_seconds": delay,
                "next_attempt": attempt_no + 1,
            },
        )
        until = time.monotonic() + delay
        _waiting(step, functools.partial(_reached, until))
        slept = control.sleep(max(0.0, until - time.monotonic()))
        _wait_over(step)
        if not slept:
            result = Attempt(result.exit_code, cancelled=True)
            break
    # what the command wrote is uploaded and passed on: no secret stays in it
    for written in (output_file, node_dir / "output.log"):
        redact_file(written, step.log.secrets)
    outputs = read_outputs(output_file)
    done = replace(outcome, attempts=attempt_no, exit_code=result.exit_code, outputs=outputs)
    if result.cancelled:
        return done.failed("cancelled", status=CANCELLED)
    if result.timed_out:
        return done.failed(
            f"timed out after {node.timeout:g}s (attempt {attempt_no} of {policy.max_attempts})"
        )
    if result.exit_code != 0:
        return done.failed(
            f"command exited with {result.exit_code} "
            f"(attempt {attempt_no} of {policy.max_attempts}); see "
            f"{_shown(node_dir / 'output.log', step.layout.root)}"
        )
    return done


def run_attempt(step: NodeStep, output_file: Path, control: ProcessControl) -> Attempt:
    """Run the script once like GitHub's ``run:`` (``bash --noprofile --norc -eo pipefail``,
    with ``$0`` set to the node id), in its own process group."""
    from dde_ci.layout import inside

    node = step.node
    assert node.run is not None  # checked by the caller
    node_dir = step.layout.node_dir(step.iteration_id, node.id)
    cwd = step.layout.root
    if node.working_directory:
        cwd = inside(step.layout.root, node.working_directory, what="working_directory")
    env = command_env(step, output_file)
    # a descriptor, not a file object: the command's stdout, and one line of ours before it
    log_fd = os.open(node_dir / "output.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        os.write(log_fd, f"== {now_rfc3339()} attempt {step.attempt}\n".encode())
        # found while the node waited (first attempt only: a retry looks again)
        found = step.found if step.attempt == 1 else None
        direct = found.direct if found is not None else direct_command(node.run, env)
        proc = _spawn(node.run, node.id, cwd, env, log_fd, direct)
    finally:
        os.close(log_fd)
    control.register(proc)
    # a blocking wait (Popen.wait with a timeout polls, which delays every node);
    # the timeout is kept by the control's watchdog, which stops the whole group
    deadline = control.watch(proc, node.timeout) if node.timeout > 0 else None
    try:
        try:
            _waiting(step, lambda: proc.poll() is not None)
        finally:  # whatever a scheduler's hook did, the command is waited for
            code = proc.wait()
        _wait_over(step)
        if deadline is not None and deadline.done():
            return Attempt(None, timed_out=True)
        # children left behind in the group do not outlive the step
        _signal_group(proc.pid, signal.SIGKILL)
    finally:
        control.unregister(proc)
    if control.cancelled.is_set():
        return Attempt(code, cancelled=True)
    return Attempt(code)


def _reached(moment: float) -> bool:
    return time.monotonic() >= moment


def _waiting(step: NodeStep, over: Callable[[], bool]) -> None:
    if step.on_wait is not None:
        step.on_wait(over)


def _wait_over(step: NodeStep) -> None:
    if step.on_wait_over is not None:
        step.on_wait_over()


def _spawn(
    script: str,
    name: str,
    cwd: Path,
    env: dict[str, str],
    log_file: int,
    direct: tuple[str, list[str]] | None,
) -> subprocess.Popen[bytes]:
    """Start ``script`` in its own process group, output to ``log_file`` (a descriptor).

    A simple command (``direct``, from :func:`direct_command`) is executed
    directly, as ``bash -c`` itself would (bash execs the single command of its
    ``-c`` script), so the process, its arguments, exit code and signals are the
    same; only the 2-4 ms of starting ``bash`` are saved.  Anything else runs
    under ``bash``.
    """
    options: dict[str, Any] = {
        "cwd": cwd,
        "stdin": _devnull(),
        "stdout": log_file,
        "stderr": subprocess.STDOUT,
        "start_new_session": True,
    }
    if direct is not None:
        executable, argv = direct
        # what bash adds to the environment of the command it executes
        direct_env = {**env, "PWD": str(cwd), "_": executable}
        direct_env.setdefault("SHLVL", "0")
        with contextlib.suppress(OSError):  # gone since the lookup: let bash say so
            return subprocess.Popen(argv, executable=executable, env=direct_env, **options)
    argv = [bash_path(env.get("PATH")), *BASH_OPTIONS, "-c", script, name]
    return subprocess.Popen(argv, env=env, **options)


@functools.cache
def _devnull() -> int:
    """``/dev/null`` opened once for every command's standard input (``subprocess.DEVNULL``
    opens and closes it at each start).  Close-on-exec: a command gets it only as stdin."""
    return os.open(os.devnull, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))


# One line of plain words: no quoting, expansion, redirection, operator or comment.
_SIMPLE_COMMAND = re.compile(r"[\w./:=,+@%-]+(?:[ \t]+[\w./:=,+@%-]+)*", re.ASCII)
# bash builtins and keywords: bash would not execute a program for these
_SHELL_WORDS = frozenset(
    [
        ".",
        ":",
        "[",
        "[[",
        "]]",
        "{",
        "}",
        "!",
        "alias",
        "bg",
        "bind",
        "break",
        "builtin",
        "caller",
        "case",
        "cd",
        "command",
        "compgen",
        "complete",
        "compopt",
        "continue",
        "coproc",
        "declare",
        "dirs",
        "disown",
        "do",
        "done",
        "echo",
        "elif",
        "else",
        "enable",
        "esac",
        "eval",
        "exec",
        "exit",
        "export",
        "false",
        "fc",
        "fg",
        "fi",
        "for",
        "function",
        "getopts",
        "hash",
        "help",
        "history",
        "if",
        "in",
        "jobs",
        "kill",
        "let",
        "local",
        "logout",
        "mapfile",
        "popd",
        "printf",
        "pushd",
        "pwd",
        "read",
        "readarray",
        "readonly",
        "return",
        "select",
        "set",
        "shift",
        "shopt",
        "source",
        "suspend",
        "test",
        "then",
        "time",
        "times",
        "trap",
        "true",
        "type",
        "typeset",
        "ulimit",
        "umask",
        "unalias",
        "unset",
        "until",
        "wait",
        "while",
    ]
)
# environment that changes what bash does before it runs the command
_SHELL_ENV = ("BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "POSIXLY_CORRECT")


def find_command(step: NodeStep) -> FoundCommand:
    """Look the node's command up as its first attempt would (:func:`direct_command`, with
    the environment it gets).  A scheduler does it while the node is READY: its
    dependencies have completed, so whatever they installed on PATH is found."""
    env = _start_env(step)
    return FoundCommand(direct_command(step.node.run, env) if step.node.run else None)


def direct_command(script: str, env: Mapping[str, str]) -> tuple[str, list[str]] | None:
    """``(executable, argv)`` when ``script`` is one simple command bash would just execute.

    That is: one line of plain words (letters, digits and ``_./:=,+@%-``; no
    quotes, ``$``, globs, redirections, operators, comments), whose first word
    is a program found on the command's ``PATH`` (through an absolute entry),
    not a bash builtin or keyword, not a variable assignment and not a path;
    and an environment without exported functions or variables that make bash
    read or change anything first (``BASH_ENV``, ``SHELLOPTS``...).  ``true``
    and ``false`` without arguments are run as the programs (same result).
    Otherwise None: the script runs under ``bash``.
    """
    text = script.strip()
    if not _SIMPLE_COMMAND.fullmatch(text):
        return None
    words = text.split()
    first = words[0]
    if "/" in first or "=" in first:
        return None
    if first in _SHELL_WORDS and not (first in ("true", "false") and len(words) == 1):
        return None
    if any(name in env for name in _SHELL_ENV) or any(k.startswith("BASH_FUNC_") for k in env):
        return None
    found = shutil.which(first, path=env.get("PATH", os.defpath))
    if found is None or not Path(found).is_absolute():
        return None
    return found, words


def stop_leftover_commands(
    run_id: str, node_ids: Iterable[str], grace: float = GRACE_SECONDS
) -> list[int]:
    """Stop the commands a dead runner left running for ``node_ids`` of run ``run_id``.

    They are found by their environment (``DDE_RUN_ID`` and ``DDE_NODE``, which
    every command gets), so a reused process id is never hit.  Each command is
    the leader of its own process group; the group gets SIGTERM, then SIGKILL
    after ``grace``.  Returns the process groups stopped (Linux: reads /proc).
    """
    wanted = {f"DDE_NODE={n}".encode() for n in node_ids}
    run_var = f"DDE_RUN_ID={run_id}".encode()
    groups: list[int] = []
    proc_dir = Path("/proc")
    if not proc_dir.is_dir():
        return groups
    for entry in proc_dir.iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            environ = set((entry / "environ").read_bytes().split(b"\0"))
        except OSError:
            continue
        if run_var not in environ or not wanted & environ:
            continue
        with contextlib.suppress(OSError):
            if os.getpgid(pid) == pid:
                groups.append(pid)
    for pgid in groups:
        _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_group_leader_alive(g) for g in groups):
        time.sleep(0.02)
    for pgid in groups:
        _signal_group(pgid, signal.SIGKILL)
    return groups


def _group_leader_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text("utf-8")
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@functools.lru_cache(maxsize=8)
def bash_path(search_path: str | None) -> str:
    """``bash`` as found on the command's ``PATH`` (looked up once per distinct ``PATH``).

    Giving ``Popen`` the full path spares the child an ``execve`` per ``PATH``
    entry on every start.  Without a ``bash`` on the path, or when it is found
    through a relative ``PATH`` entry (which means the command's folder), it
    stays ``"bash"`` for ``Popen`` to look up as before.
    """
    found = shutil.which("bash", path=search_path)
    return found if found is not None and Path(found).is_absolute() else "bash"


def node_secrets(env: Mapping[str, str]) -> list[str]:
    """The values of a node's secret ``env`` entries (:func:`dde_ci.secrets.secret_env_values`):
    the node step hides them from the log and from every file it writes."""
    return secret_env_values(env)


def base_env() -> dict[str, str]:
    """This process's environment less :data:`WITHHELD_ENV`: what every command starts from."""
    return withheld_environment()


def _start_env(step: NodeStep) -> dict[str, str]:
    """The run's (or this process's) environment and the node's ``env``: all but DDE_*."""
    env = dict(step.base_env) if step.base_env is not None else base_env()
    env.update(step.node.env)
    return env


def command_env(step: NodeStep, output_file: Path) -> dict[str, str]:
    """The command's environment: ours (less :data:`WITHHELD_ENV`), the node's ``env``, DDE_*."""
    env = _start_env(step)
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


def read_outputs(path: Path) -> dict[str, str]:
    """Outputs written as ``key=value`` lines (or ``key<<EOF`` ... ``EOF``) like GITHUB_OUTPUT."""
    if not path.is_file():  # none written (a FIFO or a device put there is not read either)
        return {}
    with path.open("rb") as handle:
        text = handle.read(MAX_OUTPUT_BYTES).decode("utf-8", "replace")
    return parse_outputs(text.splitlines())


def parse_outputs(lines: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    it = iter(lines)
    for line in it:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, _, marker = line.partition("<<")
            body: list[str] = []
            for more in it:
                if more == marker:
                    break
                body.append(more)
            out[key.strip()] = "\n".join(body)
        elif "=" in line:
            key, _, value = line.partition("=")
            if key.strip():
                out[key.strip()] = value
    return out


# -- step 7 -------------------------------------------------------------------------------


def record_outcome(step: NodeStep, outcome: NodeOutcome) -> NodeOutcome:
    """Find the artifacts, write ``result.json``, log the closing event, fsync the log."""
    done = replace(
        outcome,
        finished_at=now_rfc3339(),
        artifacts=outcome.artifacts or find_artifacts(step.layout.root, step.node.artifacts),
    )
    path = step.layout.result_file(step.iteration_id, step.node.id)
    write_json_atomic(path, redact_value(done.to_json(), step.log.secrets), stage=step.stage)
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


def find_artifacts(root: Path, patterns: Iterable[str]) -> list[str]:
    """Files matching the node's ``artifacts`` globs, relative to ``root``, sorted."""
    from dde_ci.layout import is_relative_inside

    patterns = list(patterns)
    if not patterns:
        return []
    base = root.resolve()
    found: set[str] = set()
    for pattern in patterns:
        if not is_relative_inside(pattern):
            continue
        for path in base.glob(pattern):
            if path.is_file():
                resolved = path.resolve()
                if base in resolved.parents:
                    found.add(path.relative_to(base).as_posix())
    return sorted(found)


def read_result(layout: Layout, iteration_id: str, node_id: str) -> dict[str, Any] | None:
    """The ``result.json`` a node step left, or None when there is none (or it is unreadable)."""
    try:
        data = json.loads(read_regular(layout.result_file(iteration_id, node_id), MAX_RESULT_BYTES))
    except (OSError, ValueError):  # a FIFO or a device there is no result either
        return None
    return data if isinstance(data, dict) else None


MAX_RESULT_BYTES = 64 * 1024 * 1024  # a result.json this large is not one a node step wrote


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
