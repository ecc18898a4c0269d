"""Toolkit set-up per GitHub job: the dde-ci action's install, pip (before) vs uv (now).

Each way makes a fresh virtualenv and installs ``requirements/action.txt``
(hash-checked) and dde-ci from this checkout, as a node job does after its
cache is restored:

* ``pip``: what the action did before, ``python -m venv`` then ``pip install
  --require-hashes`` and ``pip install --no-build-isolation --no-index .``,
  with a warm pip cache;
* ``uv``: the action's own "Create the dde-ci environment" and "Install dde-ci"
  steps, read from ``actions/setup/action.yml`` and run with bash as GitHub runs
  them, with a warm uv cache (``UV_CACHE_DIR``, what ``actions/cache`` restores,
  so the action installs with ``--offline``).

Both caches are warmed by one untimed run first (that run downloads from the
package index); then the two ways alternate, so both see the same machine load,
each run in a new empty ``$RUNNER_TEMP`` as a job has.
Prints the median seconds per job of each and the ratio (target: uv at most 3 s),
and the CPU seconds the set-up used, which a loaded machine changes less.
Needs ``uv`` next to this Python (``.venv/bin/pip install uv``).
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
ACTION = ROOT / "actions" / "setup" / "action.yml"
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
TARGET = 3.0
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")

# The set-up of the action before uv (its "Create the dde-ci environment" and
# "Install dde-ci" steps, without the cache bookkeeping).
PIP_WAY = """\
set -euo pipefail
venv="$RUNNER_TEMP/dde-ci/venv"
"$DDE_PYTHON" -m venv "$venv"
"$venv/bin/python" -m pip install --disable-pip-version-check --no-deps --only-binary=:all: \\
  --require-hashes -r "$DDE_SOURCE/requirements/action.txt"
"$venv/bin/python" -m pip install --disable-pip-version-check --no-deps --no-index \\
  --no-build-isolation "$DDE_SOURCE"
"$venv/bin/dde-ci" --version
"""


CPU: dict[str, list[float]] = {"pip": [], "uv": []}


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bash(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def outputs(path: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            name, _, value = line.partition("=")
            found[name] = value
    return found


def uv_way(
    base_env: dict[str, str], runner: Path, uv: str, python: str, cwd: Path, cache: Path | None
) -> float:
    """Run the action's venv and install steps in a fresh ``runner``; return their wall time.

    ``cache`` is a warm uv cache, put where the action keeps it before the clock
    starts (as ``actions/cache`` restores it); None: a cold cache, filled here.
    """
    steps = {s.get("id"): s for s in yaml.safe_load(ACTION.read_text())["runs"]["steps"]}
    runner.mkdir(parents=True)
    if cache is not None:
        shutil.copytree(cache, runner / "dde-ci" / "uv-cache", copy_function=os.link)
    output = runner / "github_output"
    values = {
        "steps.python.outputs.python-path": python,
        "steps.uv.outputs.uv-path": uv,
        "steps.cache.outputs.cache-hit": "true" if cache is not None else "false",
    }
    elapsed = 0.0
    for step_id in ("venv", "install"):
        step = steps[step_id]
        env = {**base_env, "RUNNER_TEMP": str(runner), "GITHUB_OUTPUT": str(output)}
        for key, raw in step.get("env", {}).items():
            env[key] = EXPRESSION.sub(lambda m: values[m.group(1)], str(raw))
        output.unlink(missing_ok=True)
        start = time.perf_counter()
        done = bash(step["run"], env, cwd)
        elapsed += time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"uv: step {step_id} failed:\n{done.stdout}{done.stderr}")
        values.update({f"steps.{step_id}.outputs.{k}": v for k, v in outputs(output).items()})
    return elapsed


def pip_way(base_env: dict[str, str], runner: Path, python: str, cwd: Path) -> float:
    """The set-up before uv in a fresh ``runner`` (the pip cache is shared and warm)."""
    runner.mkdir(parents=True)
    env = {**base_env, "RUNNER_TEMP": str(runner), "DDE_PYTHON": python, "DDE_SOURCE": str(ROOT)}
    start = time.perf_counter()
    done = bash(PIP_WAY, env, cwd)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"pip failed:\n{done.stdout}{done.stderr}")
    return elapsed


def main() -> int:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        print("uv is not installed: .venv/bin/pip install uv", file=sys.stderr)
        return 2
    python = os.path.realpath(sys.executable)  # what actions/setup-python gives
    with tempfile.TemporaryDirectory(prefix="dde-setup-") as tmp:
        temp = Path(tmp)
        workspace = temp / "workspace"
        workspace.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_"))}
        env.update(
            {
                "RUNNER_OS": "Linux",
                "RUNNER_ARCH": "X64",
                "GITHUB_ACTION_PATH": str(ACTION.parent),
                "PIP_CACHE_DIR": str(temp / "pip-cache"),
            }
        )
        print("warming the pip and uv caches (one untimed run each) ...", flush=True)
        pip_way(env, temp / "warm-pip", python, workspace)
        uv_way(env, temp / "warm-uv", uv, python, workspace, None)
        warm_uv = temp / "warm-uv" / "dde-ci" / "uv-cache"
        pip_times, uv_times = [], []
        for n in range(RUNS):  # every job starts with an empty $RUNNER_TEMP
            before = cpu_seconds()
            pip_times.append(pip_way(env, temp / f"pip-{n}", python, workspace))
            middle = cpu_seconds()
            uv_times.append(uv_way(env, temp / f"uv-{n}", uv, python, workspace, warm_uv))
            CPU["pip"].append(middle - before)
            CPU["uv"].append(cpu_seconds() - middle)
    pip_s, uv_s = statistics.median(pip_times), statistics.median(uv_times)
    print(f"set-up per job, warm cache, median of {RUNS}:")
    print(f"  pip (before): {pip_s:6.2f} s   runs: {', '.join(f'{t:.2f}' for t in pip_times)}")
    print(f"  uv  (now):    {uv_s:6.2f} s   runs: {', '.join(f'{t:.2f}' for t in uv_times)}")
    print(f"  ratio pip/uv: {pip_s / uv_s:6.1f}x   target: uv <= {TARGET:.0f} s per job")
    pip_cpu, uv_cpu = statistics.median(CPU["pip"]), statistics.median(CPU["uv"])
    print(f"CPU seconds per job: pip {pip_cpu:.2f}, uv {uv_cpu:.2f}, ratio {pip_cpu / uv_cpu:.1f}x")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0 if uv_s <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
