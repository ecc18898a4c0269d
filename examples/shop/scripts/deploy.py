"""DEPLOY.Staging: bundle backend, frontend and contracts, then install the bundle in staging."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tarfile
from pathlib import Path

target = sys.argv[1] if len(sys.argv) > 1 else "staging"
context = json.loads(Path(os.environ["DDE_CONTEXT"]).read_text()) if "DDE_CONTEXT" in os.environ else {}
iteration = context.get("iteration_id") or os.environ.get("DDE_ITERATION", "local")
release = Path("build/release")
release.mkdir(parents=True, exist_ok=True)
for old in release.iterdir():
    old.unlink()
bundle = release / f"shop-{iteration}.tar.gz"
members = ["build/backend", "build/frontend", "contracts"]
with tarfile.open(bundle, "w:gz") as tar:
    for member in members:
        tar.add(member, arcname=member.split("/")[-1])
digest = hashlib.sha256(bundle.read_bytes()).hexdigest()

env_dir = Path("build/environments") / target
env_dir.mkdir(parents=True, exist_ok=True)
with tarfile.open(bundle) as tar:
    tar.extractall(env_dir, filter="data")
for required in ["backend/openapi.json", "frontend/checkout.html", "contracts/orders-api.yaml"]:
    if not (env_dir / required).is_file():
        raise SystemExit(f"deployment to {target} is missing {required}")
record = {"environment": target, "iteration_id": iteration, "bundle": bundle.name,
          "sha256": digest, "contents": members}
(release / "deployment.json").write_text(json.dumps(record, indent=2) + "\n")
print(f"deployed {bundle.name} ({digest[:12]}) to {env_dir}")
