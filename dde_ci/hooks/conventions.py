"""Git conventions: commit subjects, branch names and PR titles that name a node.

Defaults (configurable in the manifest's ``conventions``)::

    commit_subject  \\[{node}\\] .+               e.g. "[API.Orders] add the refund endpoint"
    branch_name     feature/{iteration}/{node}   e.g. "feature/Iter-20261127-001/API.Orders"
    pr_title        \\[{iteration}/{node}\\] .+   e.g. "[Iter-20261127-001/API.Orders] refunds"

Patterns are RE2 regular expressions (linear-time matching: no pattern and no
message can make a hook hang), anchored at both ends when loaded.  ``{node}``
must appear once; ``{iteration}`` may appear once.  When a manifest is found
the node must exist in it.

Merge, revert, ``fixup!``, ``squash!`` and ``amend!`` commits keep Git's own
subjects and pass.  Comment lines (``#``) and everything below Git's scissors
line are ignored, as Git does.

This module runs on every commit, so it imports nothing heavy: only ``os``
and ``sys`` at the top, ``re2`` when a pattern is compiled, and the YAML
loader only when the manifest changed since the last run (node ids and
conventions are cached in ``.dde/cache/``).
"""

# ruff: noqa: PTH100, PTH103, PTH105, PTH110, PTH112, PTH113, PTH116, PTH118, PTH120
# (os.path on purpose: importing pathlib costs more than this whole hook may take)

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: importing typing costs more than this whole hook
    from collections.abc import Sequence

    from dde_ci.yamlio import YamlDocument

DEFAULTS: dict[str, object] = {
    "branch_name": "feature/{iteration}/{node}",
    "commit_subject": r"\[{node}\] .+",
    "pr_title": r"\[{iteration}/{node}\] .+",
    "long_lived_branches": ["main", "master", "develop", "release/*", "hotfix/*"],
    "max_message_length": 20_000,
}
PATTERN_FIELDS = ("branch_name", "commit_subject", "pr_title")
MAX_PATTERN_LENGTH = 1000
NODE_RE = r"(?P<node>[A-Za-z][A-Za-z0-9._-]{0,99})"
ITERATION_RE = r"(?P<iteration>[A-Za-z0-9][A-Za-z0-9._-]{0,127})"
SCISSORS = "# ------------------------ >8 ------------------------"
GIT_FORMS = ("fixup! ", "squash! ", "amend! ")
MERGE_FORMS = (
    "Merge branch ",
    "Merge branches ",
    "Merge remote-tracking branch ",
    "Merge remote-tracking branches ",
    "Merge tag ",
    "Merge tags ",
    "Merge commit ",
    "Merge commits ",
    "Merge pull request #",
    "Merge ",  # "Merge <sha> into <sha>" and other git fmt-merge-msg forms
)
REVERT_FORMS = ('Revert "', 'Reapply "')
CACHE_VERSION = "dde-ci-hook-cache 1"

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_BAD_INPUT = 2


class Verdict:
    """The outcome of one check: ok, or the reason and what would have passed."""

    __slots__ = ("example", "expected", "lines", "ok", "reason")

    def __init__(
        self,
        ok: bool,
        reason: str = "",
        expected: str = "",
        example: str = "",
        lines: Sequence[str] = (),
    ) -> None:
        self.ok = ok
        self.reason = reason
        self.expected = expected
        self.example = example
        self.lines = list(lines)

    def render(self) -> str:
        """The message a person sees: the reason, the expected form, a real example."""
        out = [self.reason]
        if self.expected:
            out.append(f"  expected: {self.expected}")
        if self.example:
            out.append(f"  example:  {self.example}")
        out.extend(f"  {line}" for line in self.lines)
        return "\n".join(out)


# --- patterns -------------------------------------------------------------------------------


def pattern_problem(pattern: object, field: str) -> str | None:
    """Why ``pattern`` cannot be used for convention ``field``, or None when it can."""
    if not isinstance(pattern, str) or not pattern:
        return "must be a non-empty string (an RE2 regular expression)"
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"is {len(pattern)} characters long; keep it under {MAX_PATTERN_LENGTH}"
    if pattern.count("{node}") != 1:
        return "must contain the placeholder {node} exactly once"
    if pattern.count("{iteration}") > 1:
        return "may contain the placeholder {iteration} at most once"
    try:
        _compile(pattern)
    except ValueError as exc:
        return f"is not a valid RE2 regular expression: {exc}"
    return None


_COMPILED: dict[str, object] = {}


def _compile(pattern: str) -> object:
    """Compile ``pattern`` anchored, with its placeholders as named groups (RE2, cached)."""
    found = _COMPILED.get(pattern)
    if found is not None:
        return found
    import re2

    body = pattern.replace("{node}", NODE_RE).replace("{iteration}", ITERATION_RE)
    options = re2.Options()
    options.log_errors = False
    try:
        compiled = re2.compile(f"^(?:{body})$", options)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        text = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
        raise ValueError(text) from None
    _COMPILED[pattern] = compiled
    return compiled


def match_pattern(pattern: str, text: str) -> dict[str, str] | None:
    """The placeholder values when ``text`` matches ``pattern`` as a whole, else None.

    Patterns that are plain templates (literal text, ``{node}``, ``{iteration}``
    and a trailing ``.+``, like every default) are matched by
    :func:`match_template` without loading RE2; the others by RE2.  Both run in
    linear time.
    """
    template = template_of(pattern)
    if template is not None:
        return match_template(template, text)
    found = _compile(pattern).search(text)  # type: ignore[attr-defined]
    if found is None:
        return None
    groups: dict[str, str] = {}
    for name in ("node", "iteration"):
        try:
            value = found.group(name)
        except (IndexError, KeyError):
            continue
        if value is not None:
            groups[name] = value
    return groups


_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_SPECIAL = "\\()|*?+[]{}^$."
_TEMPLATES: dict[str, list[tuple[str, str]] | None] = {}


def template_of(pattern: str) -> list[tuple[str, str]] | None:
    """``pattern`` as template tokens, or None when it needs a regex engine.

    Tokens are ``("text", literal)``, ``("node", "")``, ``("iteration", "")``
    and a last ``("rest", "+"|"*")``.  A placeholder must be followed by the end
    or by text that cannot continue an id, so matching needs no backtracking.
    """
    if pattern in _TEMPLATES:
        return _TEMPLATES[pattern]
    tokens: list[tuple[str, str]] = []
    body = pattern.removeprefix("^")
    if body.endswith("$") and not body.endswith("\\$"):
        body = body[:-1]
    i = 0
    literal: list[str] = []
    result: list[tuple[str, str]] | None = tokens
    while i < len(body):
        if body.startswith("{node}", i) or body.startswith("{iteration}", i):
            name = "node" if body.startswith("{node}", i) else "iteration"
            if literal:
                tokens.append(("text", "".join(literal)))
                literal = []
            tokens.append((name, ""))
            i += len(name) + 2
        elif body[i] == "\\" and i + 1 < len(body) and not body[i + 1].isalnum():
            literal.append(body[i + 1])
            i += 2
        elif body.startswith((".+", ".*"), i) and i + 2 == len(body):
            if literal:
                tokens.append(("text", "".join(literal)))
                literal = []
            tokens.append(("rest", body[i + 1]))
            i += 2
        elif body[i] in _SPECIAL:
            result = None
            break
        else:
            literal.append(body[i])
            i += 1
    if result is not None and literal:
        tokens.append(("text", "".join(literal)))
    if result is not None:
        for here, after in zip(tokens, [*tokens[1:], ("end", "")], strict=True):
            if here[0] in ("node", "iteration") and not (
                after[0] == "end" or (after[0] == "text" and after[1][0] not in _ID_CHARS)
            ):
                result = None
                break
    _TEMPLATES[pattern] = result
    return result


def match_template(tokens: list[tuple[str, str]], text: str) -> dict[str, str] | None:
    """Match ``text`` against template tokens from :func:`template_of` (as RE2 would)."""
    groups: dict[str, str] = {}
    pos = 0
    for kind, value in tokens:
        if kind == "text":
            if not text.startswith(value, pos):
                return None
            pos += len(value)
        elif kind == "rest":
            rest = text[pos:]
            if "\n" in rest or (value == "+" and not rest):
                return None
            pos = len(text)
        else:
            end = pos
            while end < len(text) and text[end] in _ID_CHARS:
                end += 1
            found = text[pos:end]
            first_ok = found[:1] in _LETTERS if kind == "node" else found[:1].isalnum()
            limit = 100 if kind == "node" else 128
            if not found or not first_ok or not found[:1].isascii() or len(found) > limit:
                return None
            groups[kind] = found
            pos = end
    return groups if pos == len(text) else None


def _glob_match(glob: str, text: str) -> bool:
    """``release/*`` style matching: ``*`` any run of characters, ``?`` one character."""
    g = t = 0
    star, mark = -1, 0
    while t < len(text):
        if g < len(glob) and (glob[g] == "?" or glob[g] == text[t]) and glob[g] != "*":
            g += 1
            t += 1
        elif g < len(glob) and glob[g] == "*":
            star, mark = g, t
            g += 1
        elif star >= 0:
            g = star + 1
            mark += 1
            t = mark
        else:
            return False
    while g < len(glob) and glob[g] == "*":
        g += 1
    return g == len(glob)


def _literal(pattern: str, summary: str, node: str, iteration: str) -> str | None:
    """``pattern`` written out as plain text, or None when it is more than a literal.

    ``.+`` / ``.*`` become ``summary``, escaped characters themselves, the
    placeholders ``node`` and ``iteration``; any other regex syntax gives None.
    """
    text = pattern.removeprefix("^")
    if text.endswith("$") and not text.endswith("\\$"):
        text = text[:-1]
    text = text.replace("{node}", "\0N").replace("{iteration}", "\0I")
    text = text.replace(".+", "\0S").replace(".*", "\0S")
    out = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and not text[i + 1].isalnum():
            out.append(text[i + 1])
            i += 2
            continue
        if char in "\\()|*?+[]{}^$.":
            return None
        out.append(char)
        i += 1
    literal = "".join(out)
    return literal.replace("\0S", summary).replace("\0N", node).replace("\0I", iteration)


def render_example(pattern: str, node: str, iteration: str) -> str:
    """An example that matches ``pattern``, built from real ids, or "" when none can be made."""
    example = _literal(pattern, "describe the change", node, iteration)
    if example is None or match_pattern(pattern, example) is None:
        return ""
    return example


def shown_form(pattern: str) -> str:
    """The pattern as a person reads it: ``[{node}] <summary>`` for ``\\[{node}\\] .+``."""
    form = _literal(pattern, "<summary>", "{node}", "{iteration}")
    return form if form is not None else f"a match of the RE2 pattern {pattern}"


# --- the conventions of a project ----------------------------------------------------------


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

    def nodes_line(self) -> list[str]:
        if not self.node_ids:
            return []
        shown = ", ".join(self.node_ids[:12])
        more = f", ... ({len(self.node_ids)} in all)" if len(self.node_ids) > 12 else ""
        return [f"nodes:    {shown}{more}"]


class _Now:
    """Formats ``{date:%Y%m%d}`` in an iteration template with the current UTC time."""

    def __format__(self, spec: str) -> str:
        import time

        return time.strftime(spec or "%Y%m%d", time.gmtime())


# --- the checks -----------------------------------------------------------------------------


def clean_message(text: str) -> list[tuple[int, str]]:
    """The lines Git keeps (``--cleanup=strip``), each with its 1-based line number."""
    kept: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(SCISSORS[:10]) and line.rstrip() == SCISSORS:
            break
        if line.startswith("#"):
            continue
        kept.append((number, line.rstrip()))
    while kept and not kept[0][1].strip():
        kept.pop(0)
    while kept and not kept[-1][1].strip():
        kept.pop()
    return kept


def is_git_generated(subject: str) -> bool:
    """Merge, revert and autosquash subjects, which keep Git's own form."""
    if subject.startswith(GIT_FORMS):
        return bool(subject.split(" ", 1)[1].strip())
    if subject.startswith(REVERT_FORMS) and subject.endswith('"'):
        return True
    return subject.startswith(MERGE_FORMS) and len(subject) > len("Merge ")


def check_commit_message(
    text: str, config: HookConfig, *, branch: str | None = None
) -> tuple[Verdict, int]:
    """Check a commit message; returns the verdict and the line of the subject.

    ``branch`` (the current branch) only chooses the node of the example shown
    when the message is refused.
    """

    def refuse(reason: str, lines: Sequence[str] = ()) -> Verdict:
        on_branch = match_pattern(config.branch_name, branch) if branch else None
        node = config.example_node(on_branch.get("node") if on_branch else None)
        example = render_example(config.commit_subject, node, config.example_iteration())
        return Verdict(False, reason, shown_form(config.commit_subject), example, lines)

    if len(text) > config.max_message_length:
        return (
            Verdict(
                False,
                f"commit message is {len(text):,} characters, over the limit of "
                f"{config.max_message_length:,} (conventions.max_message_length)",
            ),
            1,
        )
    lines = clean_message(text)
    if not lines:
        return refuse("commit message is empty"), 1
    number, subject = lines[0]
    if is_git_generated(subject):
        return Verdict(True), number
    groups = match_pattern(config.commit_subject, subject)
    if groups is None:
        reason = f"commit subject {subject!r} does not name its node"
        return refuse(reason, config.nodes_line()), number
    problem = config.node_problem(groups.get("node", ""))
    if problem:
        return refuse(f"commit subject {subject!r}: {problem}"), number
    return Verdict(True), number


def check_branch_name(branch: str | None, config: HookConfig) -> Verdict:
    """Check the current branch (None, a detached HEAD, passes)."""
    if branch is None:
        return Verdict(True)
    if any(_glob_match(glob, branch) for glob in config.long_lived_branches):
        return Verdict(True)
    example = render_example(config.branch_name, config.example_node(), config.example_iteration())
    allowed = ", ".join(config.long_lived_branches)
    more = [f"also allowed: {allowed} (conventions.long_lived_branches)"] if allowed else []
    groups = match_pattern(config.branch_name, branch)
    if groups is None:
        return Verdict(
            False,
            f"branch {branch!r} does not name its iteration and node",
            shown_form(config.branch_name),
            example,
            [*more, *config.nodes_line(), f"rename it: git branch -m {example or '<name>'}"],
        )
    problem = config.node_problem(groups.get("node", ""))
    if problem:
        return Verdict(
            False, f"branch {branch!r}: {problem}", shown_form(config.branch_name), example
        )
    return Verdict(True)


def check_pr_title(title: str, config: HookConfig) -> Verdict:
    """Check a pull-request title."""
    example = render_example(config.pr_title, config.example_node(), config.example_iteration())
    expected = shown_form(config.pr_title)
    title = title.strip()
    if len(title) > config.max_message_length:
        return Verdict(
            False, f"pull request title is over {config.max_message_length:,} characters"
        )
    groups = match_pattern(config.pr_title, title)
    if groups is None:
        return Verdict(
            False,
            f"pull request title {title!r} does not name its iteration and node",
            expected,
            example,
            config.nodes_line(),
        )
    problem = config.node_problem(groups.get("node", ""))
    if problem:
        return Verdict(False, f"pull request title {title!r}: {problem}", expected, example)
    return Verdict(True)


# --- finding things without Git or pathlib (both cost more than the hook may) --------------


def find_repo_root(start: str) -> str | None:
    """The nearest folder at or above ``start`` holding ``.git`` (a folder or a file)."""
    current = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def find_manifest(start: str, explicit: str | None = None) -> str | None:
    """``explicit``, else ``dde.yaml`` in ``start`` or a parent up to the repository root."""
    if explicit:
        return explicit
    root = find_repo_root(start)
    current = os.path.abspath(start)
    while True:
        candidate = os.path.join(current, "dde.yaml")
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(current)
        if current == root or parent == current:
            return None
        current = parent


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


# --- loading the manifest: cached, and cheap when it is not --------------------------------


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
