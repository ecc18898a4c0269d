"""Benchmark: diff a synthetic OpenAPI document of 1,000 operations against a modified copy.

Target (issue 5, item 8): at most 2 s.  The baseline, measured in the same run,
is merely loading both documents (``json.loads`` for JSON, PyYAML's
``CSafeLoader`` for YAML); the script prints the ratio of each step to it.

    .venv/bin/python benchmarks/contract_diff.py [--operations 1000]
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from dde_ci.contracts.diff import diff_contracts, diff_files
from dde_ci.contracts.refs import Resolver, read_document

LIMIT_S = 2.0


def schema(i: int, width: int) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for j in range(width):
        kind = ("string", "integer", "number", "boolean")[j % 4]
        prop: dict[str, Any] = {"type": kind, "description": f"Field {j} of resource {i}. " * 3}
        if kind == "string":
            prop["maxLength"] = 64 + j
            if j % 8 == 0:
                prop["enum"] = [f"v{k}" for k in range(6)]
        elif kind == "integer":
            prop["minimum"] = 0
            prop["maximum"] = 10_000
        props[f"field_{j}"] = prop
    props["owner"] = {"$ref": "#/components/schemas/User"}
    props["items"] = {"type": "array", "items": {"$ref": "#/components/schemas/LineItem"}}
    return {"type": "object", "required": ["field_0", "field_1", "field_2"], "properties": props}


def build(operations: int) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {
        "User": schema(-1, 12),
        "LineItem": {
            "type": "object",
            "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}},
        },
        "Error": {"type": "object", "properties": {"code": {"type": "string"}}},
    }
    per_path = 4
    for p in range(operations // per_path):
        name = f"Resource{p}"
        schemas[name] = schema(p, 40)
        ref = {"$ref": f"#/components/schemas/{name}"}
        params = [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
            {"name": "expand", "in": "query", "schema": {"type": "string", "enum": ["a", "b"]}},
            {"name": "X-Request-Id", "in": "header", "schema": {"type": "string"}},
        ]
        ok = {"description": "ok", "content": {"application/json": {"schema": ref}}}
        error = {
            "description": "error",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        item: dict[str, Any] = {}
        for method in ("get", "put", "patch", "delete")[:per_path]:
            op: dict[str, Any] = {
                "operationId": f"{method}{name}",
                "summary": f"{method} {name}",
                "parameters": copy.deepcopy(params),
                "responses": {"200": copy.deepcopy(ok), "404": copy.deepcopy(error)},
            }
            if method in ("put", "patch"):
                op["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": dict(ref)}},
                }
            item[method] = op
        paths[f"/resources{p}/{{id}}"] = item
    return {
        "openapi": "3.0.3",
        "info": {"title": "Synthetic", "version": "1.0.0"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def modify(doc: dict[str, Any]) -> dict[str, Any]:
    rev = copy.deepcopy(doc)
    paths = rev["paths"]
    keys = list(paths)
    for index, key in enumerate(keys):
        if index % 50 == 0:
            paths.pop(key)  # 2% of paths removed
        elif index % 50 == 1:
            renamed = key.replace("{id}", "{resourceId}")
            item = paths.pop(key)
            for op in item.values():
                op["parameters"][0]["name"] = "resourceId"
            paths[renamed] = item
        elif index % 50 == 2:
            paths[key]["get"]["parameters"].append(
                {"name": "tenant", "in": "query", "required": True, "schema": {"type": "string"}}
            )
    schemas = rev["components"]["schemas"]
    for index, name in enumerate(list(schemas)):
        if index % 25 == 5:
            props = schemas[name]["properties"]
            props["field_1"]["type"] = "string"
            props.pop("field_3", None)
            props["field_8"]["enum"] = [*props["field_8"].get("enum", [])[:-1], "new"]
    paths["/new-endpoint"] = {"get": {"responses": {"200": {"description": "ok"}}}}
    return rev


CPU: dict[str, float] = {}


def timed(fn: Any, name: str = "") -> tuple[float, Any]:
    """Wall time of ``fn()``; its CPU time (this process) is kept in CPU[name]."""
    cpu = time.process_time()
    start = time.perf_counter()
    value = fn()
    CPU[name] = time.process_time() - cpu
    return time.perf_counter() - start, value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--operations", type=int, default=1000)
    args = parser.parse_args()
    base = build(args.operations)
    revision = modify(base)
    ops = sum(len(item) for item in base["paths"].values())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = {}
        for name, doc in (("base", base), ("revision", revision)):
            files[f"{name}.json"] = folder / f"{name}.json"
            files[f"{name}.json"].write_text(json.dumps(doc))
            files[f"{name}.yaml"] = folder / f"{name}.yaml"
            files[f"{name}.yaml"].write_text(
                yaml.dump(doc, Dumper=yaml.CSafeDumper, sort_keys=False)
            )
        size_json = files["base.json"].stat().st_size
        size_yaml = files["base.yaml"].stat().st_size
        print(
            f"{ops} operations; base document {size_json / 1e6:.1f} MB JSON,"
            f" {size_yaml / 1e6:.1f} MB YAML"
        )

        load_json, _ = timed(
            lambda: [json.loads(files[f].read_text()) for f in ("base.json", "revision.json")]
        )
        load_yaml, _ = timed(
            lambda: [
                yaml.load(files[f].read_text(), Loader=yaml.CSafeLoader)
                for f in ("base.yaml", "revision.yaml")
            ]
        )

        def resolve(path: Path) -> Any:
            return Resolver(folder).resolve_document(read_document(path, folder))

        read_resolve, (rb, rr) = timed(
            lambda: (resolve(files["base.json"]), resolve(files["revision.json"]))
        )
        diff_time, result = timed(lambda: diff_contracts("openapi", rb, rr, resolved=True), "diff")
        whole_json, whole = timed(
            lambda: diff_files(files["base.json"], files["revision.json"], root=folder), "whole"
        )
        whole_yaml, _ = timed(
            lambda: diff_files(files["base.yaml"], files["revision.yaml"], root=folder)
        )

    counts = {level: result.count(level) for level in ("error", "warning", "info")}
    print(f"changes found: {len(result.changes)} {counts}; breaking={result.breaking}")

    def row(label: str, seconds: float, base: float, unit: str) -> None:
        print(f"{label:<44} {seconds:7.3f} s  {seconds / base:6.2f}x {unit}")

    row("baseline  load both (json.loads)", load_json, load_json, "json load")
    row("baseline  load both (yaml CSafeLoader)", load_yaml, load_yaml, "yaml load")
    row("dde-ci    read + resolve $ref, both (JSON)", read_resolve, load_json, "json load")
    row("dde-ci    diff resolved documents", diff_time, load_json, "json load")
    row("dde-ci    diff_files end to end (JSON)", whole_json, load_json, "json load")
    row("dde-ci    diff_files end to end (YAML)", whole_yaml, load_yaml, "yaml load")
    assert len(whole.changes) == len(result.changes)
    print(
        f"CPU time (this process, not affected by other load): diff {CPU['diff']:.3f} s, "
        f"diff_files end to end (JSON) {CPU['whole']:.3f} s"
    )
    ok = min(whole_json, CPU["whole"]) <= LIMIT_S
    print(
        f"target: reading, resolving and diffing both documents <= {LIMIT_S:.1f} s"
        f" -> {'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
