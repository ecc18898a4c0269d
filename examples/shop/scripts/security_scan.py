"""SEC.Scan: scan the built service with bandit and keep the findings as SARIF 2.1.0."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

out = Path("reports/security/findings.sarif")
out.parent.mkdir(parents=True, exist_ok=True)
# bandit exits 1 when it finds anything; the gate decides what is acceptable, so keep going.
code = subprocess.call([sys.executable, "-m", "bandit", "-q", "-r", "build/backend/shop",
                        "-f", "sarif", "-o", str(out)])
if code not in (0, 1) or not out.exists():
    raise SystemExit(f"bandit failed with exit code {code}")
results = json.loads(out.read_text())["runs"][0]["results"]
print(f"bandit: {len(results)} findings written to {out}")
