"""Run a generated workflow on this machine the way GitHub would run it, job by job.

Each job (and each matrix leg) starts in a fresh copy of the repository, as on a
fresh runner.  Steps are executed for real:

* ``actions/checkout``: the fresh copy is the checkout;
* ``actions/download-artifact`` / ``actions/upload-artifact``: files move
  between jobs only through an artifact store, with upload-artifact's rules
  (the root of an artifact is the least common ancestor of its search paths;
  hidden files only with ``include-hidden-files``; a re-upload needs
  ``overwrite``);
* ``$/actions/...``: the bash steps of the repository's own composite actions,
  with the real ``dde-ci`` where the setup action installs it;
* ``run:`` steps: with bash, except the ``dde pause check``, which asks the
  GitHub API (tested with ``responses`` in ``test_runs.py``) and is recorded
  as skipped here.

Expressions are substituted from what the run knows (job outputs, matrix
values, step outputs); an expression it does not know is an error, so the
emulation cannot silently drift from the workflow.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from tests.github import tools

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_ENV_REFERENCE = re.compile(r"\$\{\{ env\.(\w+) \}\}")
HEAD_SHA = "0123456789abcdef0123456789abcdef01234567"
# A runner with the project's tools installed (python3 with pytest, coverage, bandit).
RUNNER_PATH = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


@dataclass
class JobRun:
    job_id: str
    result: str = "success"
    outputs: dict[str, str] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    workspaces: list[Path] = field(default_factory=list)


@dataclass
class WorkflowRun:
    """One emulated run of ``workflow`` over a copy of ``source`` (the repository)."""

    workflow: dict[str, Any]
    source: Path
    scratch: Path
    inputs: dict[str, str] = field(default_factory=dict)
    # The event: a push, or a pull request (from a branch of this repository, or a fork's).
    event: str = "push"
    from_fork: bool = False
    # `uses: OWNER/REPO/actions/X@SHA` of these repositories run the actions of this
    # dde-ci checkout (the commit itself is checked by the tests that pin it).
    dde_ci: Path | None = None
    dde_ci_repositories: tuple[str, ...] = ()
    # The dde-ci the setup action installs (default: this test run's), and the run's number.
    dde_ci_executable: Path = Path(sys.executable).parent / "dde-ci"
    run_number: int = 42
    jobs: dict[str, JobRun] = field(default_factory=dict)
    artifacts: dict[str, dict[str, bytes]] = field(default_factory=dict)
    skipped_steps: list[str] = field(default_factory=list)

    # -- driving the run ---------------------------------------------------------------

    def run(self) -> WorkflowRun:
        for job_id, job in self.workflow["jobs"].items():  # written in topological order
            run = JobRun(job_id)
            self.jobs[job_id] = run
            needs = job.get("needs", [])
            needs = [needs] if isinstance(needs, str) else needs
            condition = job.get("if")
            if condition is not None and not self._job_condition(condition):
                run.result = "skipped"
                continue
            always = condition is not None and "!cancelled()" in condition
            if not always and any(self.jobs[n].result != "success" for n in needs):
                run.result = "skipped"
                continue
            legs = job.get("strategy", {}).get("matrix", {}).get("include") or [{}]
            for index, leg in enumerate(legs):
                self._run_leg(job_id, job, leg, index, run)
        return self

    def _run_leg(
        self, job_id: str, job: dict[str, Any], leg: dict[str, Any], index: int, run: JobRun
    ) -> None:
        workspace = self.scratch / f"{job_id}-{index}" / "work"
        runner_temp = self.scratch / f"{job_id}-{index}" / "temp"
        shutil.copytree(self.source, workspace, symlinks=True)
        bin_dir = runner_temp / "dde-ci" / "venv" / "bin"
        bin_dir.mkdir(parents=True)
        (bin_dir / "dde-ci").symlink_to(self.dde_ci_executable)
        run.workspaces.append(workspace)
        context: dict[str, str] = {
            "inputs.iteration": self.inputs.get("iteration", ""),
            "github.token": "",
            "github.run_id": "4242",
            "github.event.pull_request.head.sha || github.sha": HEAD_SHA,
            "toJSON(needs)": repr({n: self.jobs[n].result for n in self._needs(job)}),
        }
        for need in self._needs(job):
            for key, value in self.jobs[need].outputs.items():
                context[f"needs.{need}.outputs.{key}"] = value
        for key, value in leg.items():
            context[f"matrix.{key}"] = self._eval(str(value), {})
        job_env = {k: self._eval(str(v), context) for k, v in job.get("env", {}).items()}
        for key, value in job_env.items():
            context[f"env.{key}"] = value
        for key in _ENV_REFERENCE.findall(yaml.safe_dump(job.get("steps", []))):
            context.setdefault(f"env.{key}", "")  # GitHub: an unset env value is ''
        failed = False
        for step in job["steps"]:
            condition = step.get("if")
            if condition is None and failed:
                continue
            if condition is not None and not self._condition(condition, job):
                continue
            ok = self._step(step, context, workspace, runner_temp, run)
            failed = failed or not ok
        if failed:
            run.result = "failure"
        outputs = job.get("outputs", {})
        for key, expr in outputs.items():
            run.outputs[key] = self._eval(expr, context)

    def _needs(self, job: dict[str, Any]) -> list[str]:
        needs = job.get("needs", [])
        return [needs] if isinstance(needs, str) else list(needs)

    def _job_condition(self, condition: str) -> bool:
        """A job's ``if:``: ``!cancelled()`` and the guard against forks' pull requests."""
        from dde_ci.github.workflow import SAME_REPOSITORY

        match = re.fullmatch(r"\$\{\{ (.*) \}\}", condition)
        if match is None:
            raise ValueError(f"job condition not emulated: {condition}")
        same_repository = self.event != "pull_request" or not self.from_fork
        text = match.group(1).replace(SAME_REPOSITORY, str(same_repository))
        text = text.replace("!cancelled()", "True").replace("&&", "and")
        if not re.fullmatch(r"[()TrueFalsend ]*", text):
            raise ValueError(f"job condition not emulated: {condition}")
        return bool(eval(text, {"__builtins__": {}}))  # only True/False/and/parentheses

    def _condition(self, condition: str, job: dict[str, Any]) -> bool:
        if condition == "${{ !cancelled() }}":
            return True
        match = re.fullmatch(r"\$\{\{ !cancelled\(\) && \((.*)\) \}\}", condition)
        if match is None:
            raise ValueError(f"condition not emulated: {condition}")
        results = {self.jobs[n].result for n in self._needs(job)}
        wanted = re.findall(r"contains\(needs\.\*\.result, '(\w+)'\)", match.group(1))
        return any(w in results for w in wanted)

    # -- expressions --------------------------------------------------------------------

    def _eval(self, text: str, context: dict[str, str]) -> str:
        def one(match: re.Match[str]) -> str:
            expr = match.group(1)
            literal = re.fullmatch(r"'((?:[^']|'')*)'", expr)
            if literal:
                return literal.group(1).replace("''", "'")
            if expr not in context:
                raise KeyError(f"expression not emulated: ${{{{ {expr} }}}}")
            return context[expr]

        return EXPRESSION.sub(one, text)

    def _with(self, step: dict[str, Any], context: dict[str, str]) -> dict[str, str]:
        out = {}
        for key, value in step.get("with", {}).items():
            if isinstance(value, bool):
                out[key] = "true" if value else "false"
            else:
                out[key] = self._eval(str(value), context)
        return out

    # -- steps --------------------------------------------------------------------------

    def _step(
        self,
        step: dict[str, Any],
        context: dict[str, str],
        workspace: Path,
        runner_temp: Path,
        run: JobRun,
    ) -> bool:
        uses = str(step.get("uses", ""))
        given = self._with(step, context)
        if uses.startswith("actions/checkout@"):
            return True
        if uses.startswith("actions/download-artifact@"):
            return self._download(given, workspace)
        if uses.startswith("actions/upload-artifact@"):
            return self._upload(given, workspace)
        if uses.startswith("$/actions/"):
            action = self.source / uses.removeprefix("$/") / "action.yml"
            return self._composite(action, step, given, context, workspace, runner_temp, run)
        remote = re.fullmatch(r"([\w.-]+/[\w.-]+)/(actions/[\w-]+)@[0-9a-f]{40}", uses)
        if remote and remote.group(1) in self.dde_ci_repositories and self.dde_ci is not None:
            action = self.dde_ci / remote.group(2) / "action.yml"
            return self._composite(action, step, given, context, workspace, runner_temp, run)
        if "run" in step:
            if step.get("name") == "dde pause check":
                self.skipped_steps.append(f"{run.job_id}: dde pause check (GitHub API)")
                return True
            env = {k: self._eval(str(v), context) for k, v in step.get("env", {}).items()}
            done = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                cwd=workspace,
                env={**os.environ, **env, "PATH": RUNNER_PATH},
                capture_output=True,
                text=True,
                check=False,
            )
            run.log.append(done.stdout + done.stderr)
            return done.returncode == 0
        raise ValueError(f"step not emulated: {step}")

    def _composite(
        self,
        action: Path,
        step: dict[str, Any],
        given: dict[str, str],
        context: dict[str, str],
        workspace: Path,
        runner_temp: Path,
        run: JobRun,
    ) -> bool:
        sub = f"{action.parent.parent.name}/{action.parent.name}"
        metadata = yaml.safe_load(action.read_text())
        if given.get("github-status") == "true":
            # Setting the commit status is a GitHub API call (tested in test_status.py).
            given = {**given, "github-status": "false"}
            self.skipped_steps.append(f"{run.job_id}: dde/audit commit status (GitHub API)")
        dde_ci = str(runner_temp / "dde-ci" / "venv" / "bin" / "dde-ci")
        values = {"steps.install.outputs.dde-ci": dde_ci}
        output_file = runner_temp / "github_output"
        for inner in metadata["runs"]["steps"]:
            if "run" not in inner:
                continue  # setup-python, cache: the venv's dde-ci stands in for the install
            if inner.get("id") in ("venv", "install"):
                continue
            if inner.get("if") == "${{ inputs.command != '' }}" and not given.get("command"):
                continue
            output_file.unlink(missing_ok=True)
            done = tools.run_step(
                action,
                inner,
                inputs=given,
                values=values,
                runner_temp=runner_temp,
                cwd=workspace,
                timeout=300,
                extra_env={"PATH": RUNNER_PATH, "GITHUB_RUN_NUMBER": str(self.run_number)},
            )
            run.log.append(f"== {sub}: {inner['name']}\n{done.stdout}{done.stderr}")
            if done.returncode != 0:
                return False
            if step.get("id") and output_file.exists():
                for line in output_file.read_text().splitlines():
                    key, _, value = line.partition("=")
                    context[f"steps.{step['id']}.outputs.{key}"] = value
        if step.get("id"):
            context[f"steps.{step['id']}.outputs.dde-ci"] = dde_ci
        return True

    def _download(self, given: dict[str, str], workspace: Path) -> bool:
        target = workspace / given.get("path", ".")
        if "name" in given:
            names = [given["name"]]
            if names[0] not in self.artifacts:
                return False  # download-artifact fails on a missing artifact name
        else:
            names = sorted(n for n in self.artifacts if fnmatch.fnmatchcase(n, given["pattern"]))
        for name in names:
            for rel, data in self.artifacts[name].items():
                out = target / rel
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(data)
        return True

    def _upload(self, given: dict[str, str], workspace: Path) -> bool:
        hidden = given.get("include-hidden-files") == "true"
        patterns = [p.strip() for p in given["path"].splitlines() if p.strip()]
        search_roots: list[PurePosixPath] = []
        files: set[Path] = set()
        for pattern in patterns:
            parts = PurePosixPath(pattern).parts
            fixed = _until_glob(parts)
            search_roots.append(PurePosixPath(*fixed) if fixed else PurePosixPath("."))
            if len(fixed) == len(parts):
                path = workspace / pattern
                if path.is_file():
                    files.add(path)
                elif path.is_dir():
                    files.update(p for p in path.rglob("*") if p.is_file())
            else:
                files.update(p for p in workspace.glob(pattern) if p.is_file())
                if pattern.endswith("**"):
                    base = workspace / PurePosixPath(*fixed)
                    files.update(p for p in base.rglob("*") if p.is_file())
        root = _common_ancestor(search_roots, workspace)
        stored: dict[str, bytes] = {}
        for path in sorted(files):
            rel = path.relative_to(workspace / root).as_posix()
            if not hidden and any(part.startswith(".") for part in rel.split("/")):
                continue
            stored[rel] = path.read_bytes()
        if given["name"] in self.artifacts and given.get("overwrite") != "true":
            return False
        self.artifacts[given["name"]] = stored
        return True


def _until_glob(parts: tuple[str, ...]) -> list[str]:
    fixed: list[str] = []
    for part in parts:
        if any(ch in part for ch in "*?["):
            break
        fixed.append(part)
    return fixed


def _common_ancestor(paths: list[PurePosixPath], workspace: Path) -> PurePosixPath:
    """upload-artifact's root: one search path's folder, else the search paths' common ancestor."""
    if len(paths) == 1:
        only = paths[0]
        return only if (workspace / only).is_dir() else only.parent
    common: list[str] = []
    for level in zip(*(p.parts for p in paths), strict=False):
        if any(part != level[0] for part in level):
            break
        common.append(level[0])
    return PurePosixPath(*common) if common else PurePosixPath(".")
