"""Wall time of the commit-msg hook against ``python -c pass`` (target: at most 2.5x).

Runs ``dde-ci hook commit-msg FILE`` the way Git and pre-commit do (the console
script, a new process each time) in a temporary Git repository holding the
example manifest, alternating with ``python -c pass`` so both see the same
machine load.  Reports the ratio of the medians and of the minimums.

Bytecode caching is on (as on a user's machine), in a temporary folder.

A second repository has its manifest in a sub-folder (``services/shop/dde.yaml``,
found through ``git ls-files`` from the root, where pre-commit runs hooks); its
ratio is reported too, with the same target.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = int(os.environ.get("BENCH_RUNS", "40"))
TARGET = 2.5


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{args} failed ({done.returncode}): {done.stderr.decode()}")
    return elapsed


def main() -> int:
    python = sys.executable
    script = str(Path(python).with_name("dde-ci"))
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        subprocess.run(
            ["git", "init", "-q", "-b", "feature/Iter-1/BE.Orders"], cwd=repo, check=True
        )
        shutil.copy(ROOT / "examples" / "shop" / "dde.yaml", repo / "dde.yaml")
        message = repo / ".git" / "COMMIT_EDITMSG"
        message.write_text("[BE.Orders] add the refund endpoint\n\n# Please enter a message\n")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        hook = [script, "hook", "commit-msg", str(message)]
        baseline = [python, "-c", "pass"]
        mono = Path(tmp) / "mono"
        (mono / "services" / "shop").mkdir(parents=True)
        subprocess.run(
            ["git", "init", "-q", "-b", "feature/Iter-1/BE.Orders"], cwd=mono, check=True
        )
        shutil.copy(
            ROOT / "examples" / "shop" / "dde.yaml", mono / "services" / "shop" / "dde.yaml"
        )
        subprocess.run(["git", "add", "services/shop/dde.yaml"], cwd=mono, check=True)
        for _ in range(3):  # warm the bytecode cache and the hook's manifest cache
            timed(hook, repo, env)
            timed(hook, mono, env)
            timed(baseline, repo, env)
        base_times, hook_times, mono_times = [], [], []
        for _ in range(RUNS):
            base_times.append(timed(baseline, repo, env))
            hook_times.append(timed(hook, repo, env))
            mono_times.append(timed(hook, mono, env))
        cold_env = dict(env)
        (repo / ".dde" / "cache" / "hooks").unlink()
        cold = timed(hook, repo, cold_env)
    base_med, hook_med = statistics.median(base_times), statistics.median(hook_times)
    base_min, hook_min = min(base_times), min(hook_times)
    print(
        f"python -c pass         median {base_med * 1000:7.1f} ms   min {base_min * 1000:7.1f} ms"
    )
    print(
        f"dde-ci hook commit-msg median {hook_med * 1000:7.1f} ms   min {hook_min * 1000:7.1f} ms"
    )
    mono_med = statistics.median(mono_times)
    print(
        f"  manifest in a folder median {mono_med * 1000:7.1f} ms   "
        f"min {min(mono_times) * 1000:7.1f} ms"
    )
    print(f"first run after a manifest change (cache miss): {cold * 1000:.1f} ms")
    ratio = hook_med / base_med
    print(
        f"ratio (median) {ratio:.2f}x, ratio (min) {hook_min / base_min:.2f}x, target <= {TARGET}x"
    )
    mono_ratio = mono_med / base_med
    print(
        f"manifest in a folder: ratio (median) {mono_ratio:.2f}x, "
        f"ratio (min) {min(mono_times) / base_min:.2f}x"
    )
    return 0 if max(ratio, mono_ratio) <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
