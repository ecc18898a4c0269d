"""Iteration ids: fixed, or made from a template such as ``Iter-{date:%Y%m%d-%H%M}-{seq:03}``.

Every command resolves the id the same way: ``--iteration``, then the
``DDE_ITERATION`` environment variable (the CLI passes it in), then the
manifest's ``iteration``.  A template may use ``{date:FORMAT}`` (UTC, strftime)
and ``{seq}`` / ``{seq:03}``: one more than the highest sequence already used
by an iteration folder under ``reports/`` with the same prefix.

A run of a GitHub workflow starts from a fresh checkout, with no ``reports/``
to count: there ``{seq}`` is the workflow's run number (the CLI passes
``GITHUB_RUN_NUMBER`` as ``run_number``), unique per run of the workflow and
the same for every attempt of a re-run.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from dde_ci.errors import InputError

ITERATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")
_FIELD = re.compile(r"\{(date|seq)(?::([^}]*))?\}")


def is_template(text: str) -> bool:
    return bool(_FIELD.search(text))


def check_iteration_id(value: str) -> str:
    if not ITERATION_ID.match(value):
        raise InputError(
            f"iteration id {value!r} is not valid: use letters, digits, '.', '_' or '-' "
            "(it becomes a folder and a branch name)"
        )
    return value


def render_template(
    template: str,
    reports_dir: Path,
    now: datetime | None = None,
    *,
    run_number: int | None = None,
) -> str:
    """Turn a template into a concrete id: ``{seq}`` is the next free sequence number,
    or ``run_number`` when one is given (a GitHub workflow run)."""
    moment = now or datetime.now(UTC)
    unknown = re.findall(r"\{([^}:]*)", template)
    for name in unknown:
        if name not in ("date", "seq"):
            raise InputError(
                f"iteration template {template!r} uses unknown field {{{name}}}; "
                "use {date:%Y%m%d} and {seq:03}"
            )

    def fill(seq: int | None) -> str:
        def sub(match: re.Match[str]) -> str:
            kind, fmt = match.group(1), match.group(2)
            if kind == "date":
                return moment.strftime(fmt or "%Y%m%d")
            if seq is None:
                return "\0"
            return format(seq, fmt or "d")

        return _FIELD.sub(sub, template)

    if "{seq" not in template:
        return check_iteration_id(fill(None))
    if run_number is not None:
        return check_iteration_id(fill(run_number))
    pattern = re.escape(fill(None)).replace(re.escape("\0"), r"(\d+)")
    highest = 0
    if reports_dir.is_dir():
        rx = re.compile(f"^{pattern}\\Z")
        for child in reports_dir.iterdir():
            match = rx.match(child.name)
            if match and child.is_dir():
                highest = max(highest, int(match.group(1)))
    return check_iteration_id(fill(highest + 1))


def resolve_iteration(
    manifest_value: str,
    reports_dir: Path,
    *,
    option: str | None = None,
    env: str | None = None,
    run_number: int | None = None,
) -> str:
    """The iteration id: ``option``, then ``env``, then the manifest (template or fixed).

    ``run_number`` (a GitHub workflow run's) stands for a template's ``{seq}``.
    """
    for given in (option, env):
        if given:
            return check_iteration_id(given)
    if is_template(manifest_value):
        return render_template(manifest_value, reports_dir, run_number=run_number)
    return check_iteration_id(manifest_value)


def latest_iteration(reports_dir: Path) -> str | None:
    """The most recently modified iteration folder under ``reports/`` (None if there is none)."""
    if not reports_dir.is_dir():
        return None
    candidates = [p for p in reports_dir.iterdir() if p.is_dir() and (p / "execution.log").exists()]
    if not candidates:
        return None
    return max(candidates, key=lambda p: p.stat().st_mtime).name


def current_iteration(manifest_value: str, reports_dir: Path, *, option: str | None = None) -> str:
    """The iteration a read-only command looks at (status, gates, stamps, audit, ...).

    ``option`` (``--iteration`` or ``DDE_ITERATION``) wins.  When the manifest's
    ``iteration`` is a template, a new id would name an iteration that never
    ran, so the most recent iteration under ``reports/`` is used instead; with
    none there yet, the template is rendered (and the caller reports what is
    missing).  A fixed id is used as it is.
    """
    if option:
        return check_iteration_id(option)
    if is_template(manifest_value):
        latest = latest_iteration(reports_dir)
        if latest is not None:
            return latest
    return resolve_iteration(manifest_value, reports_dir)
