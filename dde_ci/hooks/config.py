"""What the hooks read: the manifest's node ids and conventions, the current branch.

Only ``os`` at import time: the hooks run on every commit.  The manifest is
read with the safe YAML loader (no pydantic) only when it changed since the
last run; node ids and conventions are cached in ``.dde/cache/hooks``
(ignored by Git through a ``.gitignore`` written next to it).
"""

# ruff: noqa: PTH100, PTH103, PTH105, PTH110, PTH112, PTH116, PTH118, PTH120
# (os.path on purpose: importing pathlib costs more than this whole hook may take)

from __future__ import annotations

import os

from dde_ci.hooks.patterns import DEFAULTS, PATTERN_FIELDS, pattern_problem
from dde_ci.manifest.discovery import find_manifest as upward_manifest
from dde_ci.manifest.discovery import find_repo_root as find_repo_root

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: importing typing costs more than this whole hook
    from collections.abc import Sequence

    from dde_ci.yamlio import YamlDocument

CACHE_VERSION = "dde-ci-hook-cache 1"


class HookConfig:
    """What the hooks need from a manifest: node ids, the iteration and the conventions."""

    __slots__ = (
        "branch_name",
        "commit_subject",
        "iteration",
        "long_lived_branches",
        "manifest",
        "max_message_length",
        "node_ids",
        "pr_title",
    )

    def __init__(
        self,
        manifest: str | None = None,
        node_ids: Sequence[str] = (),
        iteration: str = "",
        conventions: dict[str, object] | None = None,
    ) -> None:
        values = dict(DEFAULTS)
        values.update(conventions or {})
        self.manifest = manifest
        self.node_ids = list(node_ids)
        self.iteration = iteration
        self.branch_name = str(values["branch_name"])
        self.commit_subject = str(values["commit_subject"])
        self.pr_title = str(values["pr_title"])
        lived = values["long_lived_branches"]
        self.long_lived_branches = [str(b) for b in lived] if isinstance(lived, list) else []
        length = values["max_message_length"]
        self.max_message_length = length if isinstance(length, int) else 20_000

    @property
    def has_manifest(self) -> bool:
        return self.manifest is not None

    def example_node(self, preferred: str | None = None) -> str:
        if preferred and preferred in self.node_ids:
            return preferred
        return self.node_ids[0] if self.node_ids else "API.Orders"

    def example_iteration(self) -> str:
        template = self.iteration or "Iter-{date:%Y%m%d}-{seq:03}"
        if "{" not in template:
            return template
        try:
            return template.format(date=_Now(), seq=1)
        except (KeyError, IndexError, ValueError):
            return "Iter-1"

    def node_problem(self, node: str) -> str | None:
        """Why ``node`` is not acceptable (unknown in the manifest), or None."""
        if not self.has_manifest or node in self.node_ids:
            return None
        from dde_ci.errors import did_you_mean

        shown = str(self.manifest)
        try:
            relative = os.path.relpath(shown)
        except ValueError:  # pragma: no cover - another drive on Windows
            relative = shown
        shown = relative if not relative.startswith("..") else shown
        return f"unknown node {node!r} in {shown}{did_you_mean(node, self.node_ids)}"

    def nodes_line(self, limit: int = 12) -> list[str]:
        if not self.node_ids:
            return []
        shown = ", ".join(self.node_ids[:limit])
        more = f", ... ({len(self.node_ids)} in all)" if len(self.node_ids) > limit else ""
        return [f"nodes:    {shown}{more}"]


class _Now:
    """Formats ``{date:%Y%m%d}`` in an iteration template with the current UTC time."""

    def __format__(self, spec: str) -> str:
        import time

        return time.strftime(spec or "%Y%m%d", time.gmtime())


def find_manifest(start: str, explicit: str | None = None) -> str | None:
    """The manifest the hooks check, or None when there is none (only shapes are checked).

    ``explicit``, else ``DDE_MANIFEST``, else ``dde.yaml`` in ``start`` or a
    parent up to the repository root, else the one ``dde.yaml`` Git tracks
    anywhere in the repository (a manifest in a sub-folder such as
    ``services/shop/dde.yaml``, with the hooks run from the root as pre-commit
    does).  Several tracked manifests are an
    :class:`~dde_ci.errors.InputError` that asks for ``--manifest``.
    """
    explicit = explicit or os.environ.get("DDE_MANIFEST")
    found = upward_manifest(start, explicit)  # the one search every command does
    if found is not None:
        return found
    root = find_repo_root(start)
    if root is None:
        return None
    tracked = tracked_manifests(root)
    if len(tracked) > 1:
        from dde_ci.errors import InputError

        more = f", ... ({len(tracked)} in all)" if len(tracked) > 5 else ""
        shown = ", ".join(tracked[:5]) + more
        raise InputError(
            f"no dde.yaml here or in a parent folder, and Git tracks {len(tracked)}: {shown}; "
            f"name one with --manifest PATH (in .pre-commit-config.yaml: "
            f"args: [--manifest, {tracked[0]}])"
        )
    return os.path.join(root, *tracked[0].split("/")) if tracked else None


def tracked_manifests(root: str) -> list[str]:
    """Every ``dde.yaml`` in Git's index under ``root`` (paths with '/'), sorted; [] without git."""
    return sorted(_git_names(root, "ls-files", "-z", "--", ":(glob)**/dde.yaml"))


def _git_names(root: str, *args: str) -> list[str]:
    """The NUL-separated names ``git ARGS`` prints in ``root``; [] when git fails or is missing."""
    out = _git_output(["git", "-C", root, *args])
    if out is None:
        return []
    return [name for name in out.decode("utf-8", "surrogateescape").split("\0") if name]


def _git_output(argv: list[str]) -> bytes | None:
    """What ``argv`` prints, or None when it fails.

    Where the OS has ``posix_spawn`` the process is started with it: importing
    :mod:`subprocess` costs the commit-msg hook more than Git answering does
    (``benchmarks/hook_speed.py``, manifest in a folder).
    """
    spawn = getattr(os, "posix_spawnp", None)
    if spawn is None:  # pragma: no cover - Windows
        import subprocess

        try:
            done = subprocess.run(argv, capture_output=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout if done.returncode == 0 else None
    read_end, write_end = os.pipe()
    try:
        pid = spawn(
            argv[0],
            argv,
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, write_end, 1),
                (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_CLOSE, read_end),
            ],
        )
    except OSError:
        os.close(read_end)
        return None
    finally:
        os.close(write_end)
    chunks = []
    with os.fdopen(read_end, "rb") as pipe:
        while chunk := pipe.read(65536):
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    return b"".join(chunks) if os.waitstatus_to_exitcode(status) == 0 else None


class Workspace:
    """What a refused branch name is compared with, read only when a name is refused.

    The staged files, the nodes' artifact patterns, the local branches and the
    iterations that ran here (``reports/{iteration}/`` next to the manifest).
    """

    def __init__(self, start: str, manifest: str | None) -> None:
        self.root = find_repo_root(start)
        self.manifest = manifest
        self.project = os.path.dirname(os.path.abspath(manifest)) if manifest else None

    def staged_files(self) -> list[str]:
        """Staged paths relative to the manifest's folder (those outside it are left out)."""
        if self.root is None or self.project is None:
            return []
        names = _git_names(self.root, "diff", "--cached", "--name-only", "-z", "--no-renames")
        out = []
        for name in names:
            relative = os.path.relpath(os.path.join(self.root, name), self.project)
            if not relative.startswith(".." + os.sep) and relative != "..":
                out.append(relative.replace(os.sep, "/"))
        return out

    def node_artifacts(self) -> dict[str, list[str]]:
        """Each node's ``artifacts`` patterns, from the manifest (safe YAML loader)."""
        if self.manifest is None:
            return {}
        from pathlib import Path

        from dde_ci.yamlio import load_yaml_file

        data = load_yaml_file(Path(self.manifest), what="manifest").data
        nodes = data.get("nodes") if isinstance(data, dict) else None
        found: dict[str, list[str]] = {}
        for node in nodes if isinstance(nodes, list) else []:
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                patterns = node.get("artifacts")
                if isinstance(patterns, list):
                    found[node["id"]] = [p for p in patterns if isinstance(p, str)]
        return found

    def branches(self) -> list[str]:
        """The local branch names."""
        if self.root is None:
            return []
        listed = _git_names(self.root, "for-each-ref", "--format=%(refname:short)%00", "refs/heads")
        return [name.strip() for name in listed if name.strip()]

    def ran_iterations(self) -> list[str]:
        """The iterations with a ``reports/{iteration}/`` folder next to the manifest."""
        if self.project is None:
            return []
        try:
            entries = os.scandir(os.path.join(self.project, "reports"))
        except OSError:
            return []
        with entries:
            return sorted(e.name for e in entries if e.is_dir())


def git_dir(start: str) -> str | None:
    root = find_repo_root(start)
    if root is None:
        return None
    dot_git = os.path.join(root, ".git")
    if os.path.isdir(dot_git):
        return dot_git
    try:
        with open(dot_git, encoding="utf-8") as handle:  # a worktree or submodule: "gitdir: X"
            first = handle.readline().strip()
    except OSError:
        return None
    if first.startswith("gitdir: "):
        return os.path.normpath(os.path.join(root, first[len("gitdir: ") :]))
    return None


def current_branch(start: str) -> str | None:
    """The checked-out branch read from ``HEAD`` (None when detached or not in Git)."""
    folder = git_dir(start)
    if folder is None:
        return None
    try:
        with open(os.path.join(folder, "HEAD"), encoding="utf-8") as handle:
            head = handle.read(4096).strip()
    except OSError:
        return None
    prefix = "ref: refs/heads/"
    return head[len(prefix) :] if head.startswith(prefix) else None


_ESCAPES = (("%", "%25"), ("\t", "%09"), ("\n", "%0A"), ("\r", "%0D"))


def _escape(text: str) -> str:
    for char, code in _ESCAPES:
        text = text.replace(char, code)
    return text


def _unescape(text: str) -> str:
    for char, code in reversed(_ESCAPES):
        text = text.replace(code, char)
    return text


def _cache_key(path: str) -> str:
    from dde_ci import __version__

    info = os.stat(path)
    return _escape(
        f"{__version__}|{os.path.abspath(path)}|{info.st_mtime_ns}|{info.st_size}|{info.st_ino}"
    )


def _cache_file(manifest: str) -> str:
    return os.path.join(os.path.dirname(os.path.abspath(manifest)), ".dde", "cache", "hooks")


def _read_cache(manifest: str, key: str) -> HookConfig | None:
    try:
        with open(_cache_file(manifest), encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, ValueError):
        return None
    if len(lines) < 2 or lines[0] != CACHE_VERSION or lines[1] != key:
        return None
    nodes: list[str] = []
    conventions: dict[str, object] = {"long_lived_branches": []}
    iteration = ""
    try:
        for line in lines[2:]:
            name, _, value = line.partition("\t")
            text = _unescape(value)
            if name == "node":
                nodes.append(text)
            elif name == "iteration":
                iteration = text
            elif name == "long_lived":
                conventions["long_lived_branches"].append(text)  # type: ignore[attr-defined]
            elif name == "max_message_length":
                conventions[name] = int(text)
            elif name in PATTERN_FIELDS:
                conventions[name] = text
    except ValueError:
        return None
    return HookConfig(manifest, nodes, iteration, conventions)


def _write_cache(manifest: str, key: str, config: HookConfig) -> None:
    lines = [CACHE_VERSION, key, f"iteration\t{_escape(config.iteration)}"]
    lines += [f"{name}\t{_escape(getattr(config, name))}" for name in PATTERN_FIELDS]
    lines.append(f"max_message_length\t{config.max_message_length}")
    lines += [f"long_lived\t{_escape(b)}" for b in config.long_lived_branches]
    lines += [f"node\t{_escape(n)}" for n in config.node_ids]
    target = _cache_file(manifest)
    folder = os.path.dirname(target)
    try:
        os.makedirs(folder, exist_ok=True)
        ignore = os.path.join(folder, ".gitignore")
        if not os.path.exists(ignore):
            with open(ignore, "w", encoding="utf-8") as handle:
                handle.write("# created by dde-ci: a cache, never committed\n*\n")
        temp = f"{target}.{os.getpid()}.tmp"
        with open(temp, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        os.replace(temp, target)
    except OSError:
        pass  # a read-only checkout: the hook still works, just without the cache


def load_config(manifest: str | None) -> HookConfig:
    """Node ids and conventions of ``manifest`` (defaults, and no node check, when None).

    Raises :class:`dde_ci.errors.InputError` (``path:line:col``) for a manifest
    that cannot be read or a convention that is not valid.
    """
    if manifest is None:
        return HookConfig()
    try:
        key = _cache_key(manifest)
    except OSError:
        from dde_ci.errors import InputError, Location

        raise InputError("manifest not found", Location(manifest)) from None
    cached = _read_cache(manifest, key)
    if cached is not None:
        return cached
    config = config_from_manifest(manifest)
    _write_cache(manifest, key, config)
    return config


def config_from_manifest(manifest: str) -> HookConfig:
    """Read node ids and conventions with the safe YAML loader, without pydantic."""
    from pathlib import Path

    from dde_ci.yamlio import load_yaml_file

    doc = load_yaml_file(Path(manifest), what="manifest")
    data = doc.data if isinstance(doc.data, dict) else {}
    nodes = data.get("nodes")
    node_ids = [n["id"] for n in (nodes if isinstance(nodes, list) else []) if isinstance(n, dict)]
    node_ids = [n for n in node_ids if isinstance(n, str)]
    iteration = data.get("iteration")
    conventions = check_conventions(data.get("conventions"), doc)
    return HookConfig(
        manifest, node_ids, iteration if isinstance(iteration, str) else "", conventions
    )


def check_conventions(raw: object, doc: YamlDocument) -> dict[str, object]:
    """Validate a manifest's ``conventions`` mapping; raise ``path:line:col`` errors."""
    from dde_ci.errors import Diagnostic, ValidationError, did_you_mean

    if raw is None:
        return {}
    problems: list[Diagnostic] = []
    if not isinstance(raw, dict):
        problems.append(Diagnostic("conventions must be a mapping", doc.locate(("conventions",))))
        raise ValidationError(problems)
    for key, value in raw.items():
        where = ("conventions", key)
        if key not in DEFAULTS:
            problems.append(
                Diagnostic(
                    f"unknown key {key!r} in conventions{did_you_mean(key, DEFAULTS)}",
                    doc.locate_key(where),
                )
            )
        elif key in PATTERN_FIELDS:
            problem = pattern_problem(value, key)
            if problem:
                problems.append(Diagnostic(f"conventions.{key}: {problem}", doc.locate(where)))
        elif key == "long_lived_branches":
            if not isinstance(value, list) or not all(isinstance(b, str) and b for b in value):
                problems.append(
                    Diagnostic(
                        "conventions.long_lived_branches must be a list of branch names or globs",
                        doc.locate(where),
                    )
                )
        elif key == "max_message_length" and (
            not isinstance(value, int) or isinstance(value, bool) or not 100 <= value <= 1_000_000
        ):
            problems.append(
                Diagnostic(
                    "conventions.max_message_length must be a whole number from 100 to 1000000",
                    doc.locate(where),
                )
            )
    if problems:
        raise ValidationError(problems)
    return dict(raw)


def read_message(path: str, limit: int) -> str:
    """The commit message file, reading at most a little more than ``limit`` characters."""
    with open(path, "rb") as handle:
        raw = handle.read(limit * 4 + 4)
    return raw.decode("utf-8", "replace")
