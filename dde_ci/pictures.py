"""Pictures of the graph that people's tools already render: Mermaid (GitHub) and Graphviz DOT."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from dde_ci.graph import Graph

# Mermaid class per outcome, shared by `dde-ci graph` and the audit report.
OUTCOME_STYLES: dict[str, str] = {
    "completed": "fill:#d4edda,stroke:#28a745,color:#155724",
    "failed": "fill:#f8d7da,stroke:#dc3545,color:#721c24",
    "skipped": "fill:#fff3cd,stroke:#ffc107,color:#856404",
    "cancelled": "fill:#e2e3e5,stroke:#6c757d,color:#383d41",
    "missing": "fill:#ffffff,stroke:#dc3545,stroke-dasharray:4 2,color:#721c24",
    "interface": "fill:#e7f1ff,stroke:#0d6efd,color:#084298",
    "running": "fill:#cfe2ff,stroke:#0d6efd,stroke-dasharray:4 2,color:#084298",
}


def _mermaid_label(text: str) -> str:
    return text.replace('"', "#quot;")


def mermaid_graph(
    graph: Graph,
    *,
    labels: Mapping[str, str] | None = None,
    classes: Mapping[str, str] | None = None,
    direction: str = "LR",
    reduced: bool = True,
) -> str:
    """A Mermaid ``flowchart``; ``classes`` maps node id to a key of :data:`OUTCOME_STYLES`."""
    names = {node: f"n{i}" for i, node in enumerate(graph.ids)}
    lines = [f"flowchart {direction}"]
    for node in graph.ids:
        label = labels.get(node, node) if labels else node
        lines.append(f'  {names[node]}["{_mermaid_label(label)}"]')
    preds = graph.reduced_preds if reduced else graph.preds
    for node in graph.order:
        for p in preds[node]:
            lines.append(f"  {names[p]} --> {names[node]}")
    if classes:
        used = sorted({c for c in classes.values() if c in OUTCOME_STYLES})
        for cls in used:
            lines.append(f"  classDef {cls} {OUTCOME_STYLES[cls]}")
        for cls in used:
            members = [names[n] for n in graph.ids if classes.get(n) == cls]
            if members:
                lines.append(f"  class {','.join(members)} {cls}")
    return "\n".join(lines) + "\n"


def dot_graph(
    graph: Graph, *, shapes: Mapping[str, str] | None = None, reduced: bool = False
) -> str:
    """A Graphviz ``digraph`` (ids quoted with JSON escaping, which DOT accepts)."""
    lines = ["digraph dde {", "  rankdir=LR;", "  node [shape=box, fontname=Helvetica];"]
    for node in graph.ids:
        shape = shapes.get(node) if shapes else None
        attr = f" [shape={shape}]" if shape else ""
        lines.append(f"  {json.dumps(node)}{attr};")
    preds = graph.reduced_preds if reduced else graph.preds
    for node in graph.order:
        for p in preds[node]:
            lines.append(f"  {json.dumps(p)} -> {json.dumps(node)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def mermaid_gantt(
    title: str, rows: Sequence[tuple[str, str, float, float]], *, section: str = "nodes"
) -> str:
    """A Mermaid Gantt chart; rows are (id, status class, start, end) in seconds from t0."""
    lines = [
        "gantt",
        f"  title {_mermaid_label(title)}",
        "  dateFormat x",
        "  axisFormat %M:%S",
        f"  section {section}",
    ]
    tag = {
        "failed": "crit, ",
        "completed": "",
        "skipped": "",
        "cancelled": "",
        "running": "active, ",
    }
    for node, status, start, end in rows:
        ms_start = int(start * 1000)
        ms_end = max(ms_start + 1, int(end * 1000))
        lines.append(f"  {_mermaid_label(node)} :{tag.get(status, '')}{ms_start}, {ms_end}")
    return "\n".join(lines) + "\n"
