"""``dde-ci stamp``: stamp artifacts by hand, and verify every stamp."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from dde_ci.cli.options import (
    format_option,
    iteration_option,
    manifest_option,
    output_option,
    project_root,
    run_id_option,
)
from dde_ci.cli.output import echo, echo_json, report_diagnostics

if TYPE_CHECKING:
    from dde_ci.layout import Layout


@click.command(
    epilog="""\b
Examples:
  dde-ci stamp BE.Orders build/app.whl dist/ --iteration Iter-42
  dde-ci stamp verify                   check every stored artifact against its stamp
  dde-ci stamp verify --originals       and the working tree against the latest iteration
  dde-ci stamp verify --iteration Iter-42 --originals --format json

\b
Stamps are in-toto Statement v1 files:
  .dde/artifacts/{iteration}/{node}/{path with / as %2F}.intoto.json
Exit codes: 0 ok, 1 an artifact no longer matches its stamp, 2 bad input.
"""
)
@click.argument("node_id", metavar="NODE")
@click.argument("paths", metavar="PATH...", nargs=-1)
@manifest_option
@iteration_option
@run_id_option
@click.option("--agent", metavar="ID", help="The agent or runner to record as the creator.")
@click.option(
    "--originals",
    is_flag=True,
    help="verify: also check the files in the working tree against the stamps of one "
    "iteration (--iteration, default the latest).",
)
@format_option("text", "json")
@output_option
def stamp(
    node_id: str,
    paths: tuple[str, ...],
    manifest: str,
    iteration: str | None,
    run_id: str | None,
    agent: str | None,
    originals: bool,
    output_format: str,
) -> int:
    """Stamp the files (or folders) PATH... as artifacts of NODE; or `stamp verify`.

    Each file is copied to .dde/artifacts/{iteration}/{node}/ (the original
    stays), stamped with its SHA-256, the node, iteration, capabilities,
    consumed contract versions, creator, commit and run, and logged as
    artifact.stamped.  `dde-ci stamp verify` re-hashes every stored artifact
    and exits 1 when one no longer matches its stamp.
    """
    if node_id == "verify" and not paths:
        return _verify(manifest, iteration, originals, output_format)
    if not paths:
        raise click.UsageError("give at least one PATH to stamp (or use `dde-ci stamp verify`)")
    from dde_ci.layout import Layout
    from dde_ci.log import ExecutionLog
    from dde_ci.manifest.iteration import current_iteration
    from dde_ci.manifest.loader import load_manifest
    from dde_ci.stamping import stamp_by_hand

    loaded = load_manifest(manifest)
    layout = Layout(loaded.root)
    iteration_id = current_iteration(loaded.iteration, layout.reports_dir, option=iteration)
    log = ExecutionLog(layout.execution_log(iteration_id), iteration_id, run_id)
    stamps = stamp_by_hand(
        loaded, layout, iteration_id, node_id, list(paths), log=log, run_id=run_id, agent_id=agent
    )
    if output_format == "json":
        echo_json([s.statement for s in stamps])
    else:
        for item in stamps:
            shown = item.stamp_path.relative_to(layout.root).as_posix()
            echo(f"stamped {item.artifact}  sha256:{item.sha256}  -> {shown}")
    return 0


def _verify(manifest: str, iteration: str | None, originals: bool, output_format: str) -> int:
    from dde_ci.layout import Layout
    from dde_ci.stamping import verify_stamps

    layout = Layout(project_root(manifest))
    if originals and iteration is None:
        # the working tree is what the latest iteration built: earlier iterations' stamps
        # of the same files differ by design
        iteration = _latest_stamped(manifest, layout)
        if iteration is not None and output_format != "json":
            echo(
                f"checking iteration {iteration} (the latest; --iteration ID for another)", err=True
            )
    report = verify_stamps(layout, iteration, originals=originals)
    if output_format == "json":
        echo_json(
            {
                "ok": report.ok,
                "iteration_id": iteration,
                "checked": report.checked,
                "findings": [
                    {"location": str(d.location) if d.location else None, "message": d.message}
                    for d in report.findings
                ],
            }
        )
    else:
        report_diagnostics(report.findings)
        state = "ok" if report.ok else f"{len(report.findings)} problem(s)"
        echo(f"verified {report.checked} stamp(s): {state}")
    return 0 if report.ok else 1


def _latest_stamped(manifest: str, layout: Layout) -> str | None:
    """The latest iteration (as ``--iteration`` defaults to) when it stamped artifacts,
    else the iteration whose stamps were written last; None when nothing is stamped."""
    from dde_ci.manifest.iteration import current_iteration
    from dde_ci.manifest.loader import load_manifest

    latest = current_iteration(load_manifest(manifest).iteration, layout.reports_dir)
    if (layout.artifacts_dir / latest).is_dir():
        return latest
    stamped = [p for p in layout.artifacts_dir.glob("*") if p.is_dir()]
    return max(stamped, key=lambda p: p.stat().st_mtime).name if stamped else None
