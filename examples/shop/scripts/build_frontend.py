"""FE.Checkout / FE.OrderHistory: generate the typed API client and the page from the contract."""

from __future__ import annotations

import html
import sys
from pathlib import Path

import yaml

page = sys.argv[1] if len(sys.argv) > 1 else ""
if page not in {"checkout", "history"}:
    raise SystemExit("usage: build_frontend.py checkout|history")
spec = yaml.safe_load(Path("contracts/orders-api.yaml").read_text())
out = Path("build/frontend")
out.mkdir(parents=True, exist_ok=True)

functions = []
for path, ops in spec["paths"].items():
    for method, op in ops.items():
        params = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
        args = [*params, "body"] if "requestBody" in op else params
        url = path
        for p in params:
            url = url.replace("{" + p + "}", "${encodeURIComponent(" + p + ")}")
        body = ", body: JSON.stringify(body), headers: {'Content-Type': 'application/json'}" \
            if "requestBody" in op else ""
        functions.append(
            f"export async function {op['operationId']}({', '.join(args)}) {{\n"
            f"  const r = await fetch(`${{BASE}}{url}`, {{method: '{method.upper()}'{body}}});\n"
            f"  if (!r.ok) throw new Error(`{op['operationId']} failed: ${{r.status}}`);\n"
            f"  return r.json();\n}}\n"
        )
client = "// Generated from contracts/orders-api.yaml; do not edit.\n" \
    "export const BASE = '/api';\n\n" + "\n".join(functions)
if page == "checkout":
    (out / "orders-client.js").write_text(client)
title = {"checkout": "Checkout", "history": "Your orders"}[page]
call = {"checkout": "createOrder", "history": "listOrders"}[page]
(out / f"{page}.html").write_text(
    f"<!doctype html>\n<html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
    f"<script type='module'>import {{ {call} }} from './orders-client.js'; window.{call} = {call};"
    f"</script></head>\n<body><h1>{html.escape(title)}</h1><main id='app'></main></body></html>\n"
)
print(f"built {page} page with {len(functions)} client functions")
