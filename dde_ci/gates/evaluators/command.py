"""``command``: run a command; its exit code, and optionally metrics it prints as JSON.

The command runs with ``/bin/sh -c`` in the manifest folder (or ``cwd``), with the
environment node commands get (this process's less the credentials dde-ci holds,
:data:`dde_ci.secrets.WITHHELD_ENV`), its ``env``, and ``DDE_NODE``,
``DDE_ITERATION``, ``DDE_PHASE`` (and ``DDE_CONTEXT`` when the context file exists)
set.  Metrics: ``exit_code``, ``timed_out``; with
``metrics_from_stdout: true`` every number or boolean of the JSON object on
stdout too (nested keys joined with ``.``: ``{"lint": {"errors": 0}}`` gives
``lint.errors``).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field

from dde_ci.errors import InputError
from dde_ci.gates.evaluators.base import GateContext, Measurement, Metric, Params
from dde_ci.manifest.models import Duration
from dde_ci.secrets import withheld_environment

OUTPUT_TAIL = 4000


class CommandParams(Params):
    type: Literal["command"]
    run: str = Field(min_length=1)
    cwd: str | None = None
    timeout: Duration = 600.0
    metrics_from_stdout: bool = False
    env: dict[str, str] = Field(default_factory=dict)


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Metric]:
    """Numbers and booleans of a JSON object, nested keys joined with dots."""
    out: dict[str, Metric] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, bool | int | float):
            out[name] = value
        elif isinstance(value, Mapping):
            out.update(flatten(value, f"{name}."))
    return out


class CommandEvaluator:
    name: ClassVar[str] = "command"
    params: ClassVar[type[Params]] = CommandParams
    metrics: ClassVar[frozenset[str] | None] = None
    default_conditions: ClassVar[tuple[str, ...]] = ("exit_code == 0",)
    phases: ClassVar[frozenset[str]] = frozenset({"pre", "post"})

    def evaluate(self, params: CommandParams, context: GateContext) -> Measurement:
        try:
            cwd = context.path(params.cwd, what="cwd") if params.cwd else context.root
        except InputError as exc:
            return Measurement(error=exc.message)
        env = withheld_environment()  # what node commands get: no credential of dde-ci's
        env.update(params.env)
        env.update(
            DDE_NODE=context.node.id, DDE_ITERATION=context.iteration_id, DDE_PHASE=context.phase
        )
        if context.context_path is not None and context.context_path.exists():
            env["DDE_CONTEXT"] = str(context.context_path)
        command = context.expand(params.run)
        try:
            proc = subprocess.run(
                ["/bin/sh", "-c", command],
                cwd=cwd,
                env=env,
                capture_output=True,
                timeout=params.timeout,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            return Measurement(
                metrics={"exit_code": None, "timed_out": True},
                error=f"command {command!r} timed out after {params.timeout:g}s",
            )
        except OSError as exc:
            return Measurement(error=f"command {command!r} could not start: {exc.strerror}")
        stdout = proc.stdout.decode("utf-8", "replace")
        stderr = proc.stderr.decode("utf-8", "replace")
        metrics: dict[str, Metric] = {"exit_code": proc.returncode, "timed_out": False}
        details: dict[str, Any] = {
            "command": command,
            "stdout": stdout[-OUTPUT_TAIL:],
            "stderr": stderr[-OUTPUT_TAIL:],
        }
        if params.metrics_from_stdout:
            try:
                data = json.loads(stdout)
            except ValueError as exc:
                return Measurement(
                    metrics=metrics,
                    details=details,
                    error=f"command {command!r} did not print a JSON object on stdout ({exc})",
                )
            if not isinstance(data, Mapping):
                return Measurement(
                    metrics=metrics,
                    details=details,
                    error=f"command {command!r} printed JSON that is not an object",
                )
            metrics.update(flatten(data))
        return Measurement(metrics=metrics, details=details)
