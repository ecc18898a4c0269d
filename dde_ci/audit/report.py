"""Render an :class:`~dde_ci.audit.model.AuditReport` as JSON, Markdown (GitHub) or plain text.

The Markdown carries two pictures GitHub renders: a Mermaid Gantt chart of the
as-built timeline and a Mermaid graph of the nodes coloured by outcome.  Mermaid
refuses diagrams over 50,000 characters, so a picture that would be larger is
left out with a note (the JSON keeps everything).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dde_ci.audit.model import STATUS_CLASS, AuditReport, Violation
from dde_ci.log import parse_timestamp

if TYPE_CHECKING:
    from dde_ci.graph import Graph

MERMAID_MAX_CHARS = 50_000
MAX_TABLE_ROWS = 200
# no diagram of more nodes fits in MERMAID_MAX_CHARS (a node takes 20+ characters): skip
# building it at all
MAX_PICTURE_NODES = MERMAID_MAX_CHARS // 20


def to_json(report: AuditReport) -> str:
    """audit.json: objects indented, each node, violation and warning on one line.

    One line per list item keeps a report of 10,000 nodes readable and diffable,
    and lets the C encoder write each item (``indent=`` alone falls back to the
    pure-Python encoder: a third of a large audit's time).
    """
    return _readable(report.to_dict(), "") + "\n"


_COMPACT = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(", ", ": "))


def _readable(value: Any, pad: str) -> str:
    inner = pad + "  "
    if isinstance(value, dict) and value:
        items = (f"{inner}{_COMPACT.encode(k)}: {_readable(v, inner)}" for k, v in value.items())
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value:
        if all(_flat(v) for v in value):
            lines = _COMPACT.encode(value)[1:-1].split(_NEXT)
            return "[\n" + inner + f'}},\n{inner}{{"'.join(lines) + f"\n{pad}]"
        return "[\n" + ",\n".join(inner + _COMPACT.encode(v) for v in value) + f"\n{pad}]"
    return _COMPACT.encode(value)


# where one encoded object of a list ends and the next begins; inside an encoded string a
# quote is always escaped, so among objects of plain values this is only ever that
_NEXT = '}, {"'
_PLAIN = (str, int, float, bool, type(None))


def _flat(value: Any) -> bool:
    """An object whose values are all plain (a node's line: encoded with the others in one
    call, a tenth of the time of one call each)."""
    return (
        type(value) is dict and bool(value) and all(isinstance(v, _PLAIN) for v in value.values())
    )


def _cell(text: Any) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip()


def _percent(score: float) -> str:
    return f"{score * 100:.1f}%".replace(".0%", "%")


def _headline(report: AuditReport) -> str:
    if report.passed:
        return "✅ PASS"
    if report.overridden:
        return "⚠️ FAIL (overridden)"
    return "❌ FAIL"


def gantt_rows(report: AuditReport) -> list[tuple[str, str, float, float]]:
    """(node id, outcome class, start, end) in seconds from the first start, in start order."""
    timed: list[tuple[datetime, datetime, str, str]] = []
    for node in report.nodes:
        if not node.started_at:
            continue
        try:
            start = parse_timestamp(node.started_at)
            end = parse_timestamp(node.finished_at) if node.finished_at else start
        except ValueError:
            continue
        cls = STATUS_CLASS.get(node.status, "missing")
        timed.append((start, end, node.node_id, cls))
    if not timed:
        return []
    timed.sort()
    t0 = timed[0][0]
    return [
        (nid, cls, (s - t0).total_seconds(), (e - t0).total_seconds()) for s, e, nid, cls in timed
    ]


def gantt(report: AuditReport) -> str | None:
    """The Mermaid Gantt chart of the as-built timeline (None when nothing ran)."""
    from dde_ci.pictures import mermaid_gantt

    rows = gantt_rows(report)
    if not rows:
        return None
    return mermaid_gantt(f"{report.iteration_id} as built", rows)


def outcome_graph(report: AuditReport, graph: Graph) -> str:
    """The Mermaid graph of the planned nodes, each coloured by its as-built outcome."""
    from dde_ci.pictures import mermaid_graph

    by_id = {n.node_id: n for n in report.nodes}
    classes = {nid: STATUS_CLASS.get(by_id[nid].status, "missing") for nid in graph.ids}
    labels = {nid: f"{nid}<br/>{by_id[nid].status}" for nid in graph.ids}
    return mermaid_graph(graph, labels=labels, classes=classes)


def _picture(title: str, text: str | None, out: list[str], nodes: int = 0) -> None:
    out.append(f"### {title}")
    out.append("")
    if nodes > MAX_PICTURE_NODES:
        out.append(
            f"_Left out: {nodes:,} nodes are more than a Mermaid diagram can hold "
            f"({MERMAID_MAX_CHARS:,} characters). `audit.json` holds every node._"
        )
    elif text is None:
        out.append("_No node ran, so there is nothing to draw._")
    elif len(text) > MERMAID_MAX_CHARS:
        out.append(
            f"_Left out: the diagram would be {len(text):,} characters, over Mermaid's "
            f"{MERMAID_MAX_CHARS:,}. `audit.json` holds every node._"
        )
    else:
        out.extend(["```mermaid", text.rstrip("\n"), "```"])
    out.append("")


def _violation_rows(violations: list[Violation], out: list[str]) -> None:
    out.append("| Severity | Type | Node | Message | Recommendation |")
    out.append("|---|---|---|---|---|")
    for v in violations[:MAX_TABLE_ROWS]:
        out.append(
            f"| {v.severity} | `{v.type}` | {_cell(v.node_id or '-')} | {_cell(v.message)} "
            f"| {_cell(v.recommendation)} |"
        )
    if len(violations) > MAX_TABLE_ROWS:
        out.append("")
        out.append(f"_{len(violations) - MAX_TABLE_ROWS:,} more in `audit.json`._")


def _ids(ids: list[str]) -> str:
    if not ids:
        return "none"
    shown = ", ".join(f"`{i}`" for i in ids[:50])
    return shown + (f" and {len(ids) - 50:,} more" if len(ids) > 50 else "")


def to_markdown(report: AuditReport, graph: Graph | None = None) -> str:
    """The ``audit.md`` report (also what goes into ``$GITHUB_STEP_SUMMARY``)."""
    data = report.to_dict(nodes=False)
    comp = data["completeness"]
    integ = data["integrity"]
    out: list[str] = [f"## dde-ci audit: {report.iteration_id} — {_headline(report)}", ""]
    out += [
        "| Summary | |",
        "|---|---|",
        f"| Iteration | `{report.iteration_id}` |",
        f"| Workflow | `{report.workflow}` |",
        f"| Audited at | {report.audited_at} |",
        f"| Result | **{report.result}**" + (" (overridden)" if report.overridden else "") + " |",
        f"| Score | {_percent(report.score)} ({comp['completed']}/{comp['planned']} nodes "
        "completed) |",
        f"| Deployable | {'yes' if report.deployable else 'no'} |",
        f"| Blocking violations | {len(report.blocking)} |",
        "",
    ]
    if report.override is not None:
        o = report.override
        out += [
            "### Override",
            "",
            (
                f"**Overridden** by [{_cell(o.title)}]({o.adr}), approved by "
                if o.applied
                else f"Override ADR [{_cell(o.title)}]({o.adr}) was not needed (the audit "
                "passed); approvers: "
            )
            + ", ".join(_cell(a) for a in o.approvers)
            + (f"; expires {o.expires}" if o.expires else "")
            + ".",
            "",
        ]
    out += [
        "### Completeness",
        "",
        "| Planned | Completed | Failed | Skipped | Cancelled | Running | Missing | Unplanned |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {comp['planned']} | {comp['completed']} | {len(comp['failed'])} "
        f"| {len(comp['skipped'])} | {len(comp['cancelled'])} | {len(comp['running'])} "
        f"| {len(comp['missing'])} | {len(comp['unplanned'])} |",
        "",
    ]
    for key in ("failed", "skipped", "cancelled", "running", "missing", "unplanned"):
        if comp[key]:
            out.append(f"- {key.capitalize()}: {_ids(comp[key])}")
    if any(comp[k] for k in ("failed", "skipped", "cancelled", "running", "missing", "unplanned")):
        out.append("")
    g, a, c, lg = integ["gates"], integ["artifacts"], integ["contracts"], integ["log"]
    out += [
        "### Integrity",
        "",
        "| Record | Counts |",
        "|---|---|",
        f"| Gates | {g['passed']} passed, {g['failed']} failed, {g['warning']} warning, "
        f"{g['bypassed']} bypassed |",
        f"| Artifacts | {a['declared']} declared, {a['stamped']} stamped, {a['missing']} "
        f"missing, {a['tampered']} tampered |",
        f"| Contracts | {c['locked']}/{c['produced']} locked, {c['verified']}/{c['consumers']} "
        "consumers verified against the locked digest |",
        f"| Execution log | {lg['events']:,} events, {lg['problems']} bad line(s) |",
        "",
        f"### Violations ({len(report.violations)})",
        "",
    ]
    if report.violations:
        _violation_rows(report.violations, out)
    else:
        out.append("None: the iteration was built as planned.")
    out.append("")
    if report.warnings:
        out += [f"### Warnings ({len(report.warnings)})", ""]
        out += ["| Node | Gate | Status | Message |", "|---|---|---|---|"]
        for w in report.warnings[:MAX_TABLE_ROWS]:
            out.append(
                f"| {_cell(w.node_id)} | `{_cell(w.gate_name)}` | {w.status} ({w.severity}) "
                f"| {_cell(w.message)} |"
            )
        out.append("")
    if report.contract_ignores:
        out += [f"### Accepted contract changes ({len(report.contract_ignores)})", ""]
        out += ["| Contract | Level | Ignore | Reason |", "|---|---|---|---|"]
        for i in report.contract_ignores[:MAX_TABLE_ROWS]:
            reason = ", ".join(
                p
                for p in (
                    f"ADR {i['adr']} ({i['adr_title']})" if i["adr"] else "",
                    f"until {i['expires']}" if i["expires"] else "",
                )
                if p
            )
            out.append(
                f"| {_cell(i['contract'])} | {i['level']} | `{_cell(i['file'])}:{i['line']}` "
                f"{_cell(i['text'])} | {_cell(reason)} |"
            )
        out.append("")
    recs = report.recommendations
    if recs:
        out += ["### Recommendations", ""]
        out += [f"{i}. {_cell(r)}" for i, r in enumerate(recs[:MAX_TABLE_ROWS], start=1)]
        out.append("")
    ran = sum(1 for n in report.nodes if n.started_at)
    _picture("Timeline as built", gantt(report) if ran <= MAX_PICTURE_NODES else None, out, ran)
    if graph is not None:
        size = len(graph.ids)
        drawn = outcome_graph(report, graph) if size <= MAX_PICTURE_NODES else None
        _picture("Nodes by outcome", drawn, out, size)
    return "\n".join(out).rstrip("\n") + "\n"


def to_text(report: AuditReport) -> str:
    """A short plain-text report for a terminal."""
    data = report.to_dict(nodes=False)
    comp = data["completeness"]
    g = data["integrity"]["gates"]
    a = data["integrity"]["artifacts"]
    c = data["integrity"]["contracts"]
    verdict = report.result + (" (overridden)" if report.overridden else "")
    lines = [
        f"audit {report.iteration_id}: {verdict}, score {_percent(report.score)} "
        f"({comp['completed']}/{comp['planned']} nodes completed)",
        f"  nodes      {len(comp['failed'])} failed, {len(comp['skipped'])} skipped, "
        f"{len(comp['missing'])} missing, {len(comp['unplanned'])} unplanned",
        f"  gates      {g['passed']} passed, {g['failed']} failed, {g['warning']} warning, "
        f"{g['bypassed']} bypassed",
        f"  artifacts  {a['stamped']}/{a['declared']} stamped, {a['missing']} missing, "
        f"{a['tampered']} tampered",
        f"  contracts  {c['locked']}/{c['produced']} locked, {c['verified']}/{c['consumers']} "
        "consumers verified",
    ]
    if report.override is not None and report.override.applied:
        lines.append(
            f"  override   {report.override.adr} approved by {', '.join(report.override.approvers)}"
        )
    if report.violations:
        lines.append(f"violations ({len(report.violations)}):")
        for v in report.violations:
            lines.append(f"  {v.severity:<8} {v.type}: {v.message}")
            lines.append(f"           -> {v.recommendation}")
    for w in report.warnings:
        lines.append(
            f"  {w.status:<8} gate {w.gate_name} on {w.node_id} ({w.severity}): {w.message}"
        )
    return "\n".join(lines) + "\n"


def write_report(
    report: AuditReport, folder: Path, graph: Graph | None = None, *, markdown: str | None = None
) -> list[Path]:
    """Write ``audit.json`` and ``audit.md`` into ``folder``; return their paths.

    ``markdown``: :func:`to_markdown` of the report when the caller has it already.
    """
    folder.mkdir(parents=True, exist_ok=True)
    json_path = folder / "audit.json"
    md_path = folder / "audit.md"
    json_path.write_text(to_json(report), encoding="utf-8")
    md_path.write_text(markdown or to_markdown(report, graph), encoding="utf-8")
    return [json_path, md_path]
