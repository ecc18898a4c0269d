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

The commit-msg hook runs on every commit, so these modules import nothing
heavy: ``re2`` only when a pattern is more than a plain template, and the
YAML loader only when the manifest changed since the last run (see
:mod:`dde_ci.hooks.config` and :mod:`dde_ci.hooks.patterns`).
"""

from __future__ import annotations

from dde_ci.hooks.config import (
    HookConfig,
    Workspace,
    current_branch,
    find_manifest,
    find_repo_root,
    load_config,
    read_message,
)
from dde_ci.hooks.patterns import (
    DEFAULTS,
    ITERATION_RE,
    NODE_RE,
    PATTERN_FIELDS,
    glob_match,
    match_pattern,
    match_template,
    pattern_problem,
    render_example,
    shown_form,
    template_of,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: importing typing costs more than this whole hook
    from collections.abc import Sequence

__all__ = [
    "DEFAULTS",
    "ITERATION_RE",
    "NODE_RE",
    "PATTERN_FIELDS",
    "HookConfig",
    "Verdict",
    "Workspace",
    "artifact_match",
    "check_branch_name",
    "check_commit_message",
    "check_pr_title",
    "clean_message",
    "current_branch",
    "find_manifest",
    "find_repo_root",
    "glob_match",
    "is_git_generated",
    "load_config",
    "match_pattern",
    "match_template",
    "pattern_problem",
    "read_message",
    "render_example",
    "shown_form",
    "suggest_branch",
    "template_of",
]

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


def check_branch_name(
    branch: str | None, config: HookConfig, workspace: Workspace | None = None
) -> Verdict:
    """Check the current branch (None, a detached HEAD, passes).

    A refusal suggests a name (see :func:`suggest_branch`); ``workspace`` is
    read only then, for the staged files, artifacts and known iterations.
    """
    if branch is None:
        return Verdict(True)
    if any(glob_match(glob, branch) for glob in config.long_lived_branches):
        return Verdict(True)
    groups = match_pattern(config.branch_name, branch)
    if groups is not None:
        problem = config.node_problem(groups.get("node", ""))
        if problem is None:
            return Verdict(True)
        reason = f"branch {branch!r}: {problem}"
    else:
        reason = f"branch {branch!r} does not name its iteration and node"
    suggestion, why = suggest_branch(branch, groups, config, workspace)
    lines = [why] if why else []
    allowed = ", ".join(config.long_lived_branches)
    if allowed:
        lines.append(f"also allowed: {allowed} (conventions.long_lived_branches)")
    if not suggestion:
        lines.extend(config.nodes_line(limit=8))
    rename = suggestion or _with_iteration(config)
    if rename:
        lines.append(f"rename it: git branch -m {rename}")
    return Verdict(False, reason, shown_form(config.branch_name), suggestion, lines)


def suggest_branch(
    branch: str,
    groups: dict[str, str] | None,
    config: HookConfig,
    workspace: Workspace | None,
) -> tuple[str, str]:
    """A valid branch name for a refused ``branch`` and why it was chosen, or ``("", "")``.

    1. The nearest valid name, when ``branch`` is close to one (a typo in the
       node or the iteration): the node corrected in a name that matches the
       pattern, else the closest of the names built from every node and the
       known iterations (the manifest's, those that ran, those of other branches).
    2. Else the node whose artifacts the staged files are.
    3. Else nothing: the caller shows the pattern and a few nodes.
    """
    import difflib

    pattern = config.branch_name
    iteration = (groups or {}).get("iteration") or config.example_iteration()
    if not config.node_ids:
        return "", ""
    if groups is not None:
        near = difflib.get_close_matches(groups.get("node", ""), config.node_ids, n=1, cutoff=0.6)
        suggestion = render_example(pattern, near[0], iteration) if near else ""
        if suggestion:
            return suggestion, ""
    else:
        iterations = _known_iterations(config, workspace)
        # The closest nodes first (with one iteration), then those nodes with every iteration.
        named = {render_example(pattern, node, iterations[0]): node for node in config.node_ids}
        named.pop("", None)
        close = [named[c] for c in difflib.get_close_matches(branch, named, n=5, cutoff=0.5)]
        candidates = {
            render_example(pattern, node, known) for node in close for known in iterations
        }
        candidates.discard("")
        near = difflib.get_close_matches(branch, sorted(candidates), n=1, cutoff=0.8)
        if near:
            return near[0], "(the valid name nearest to this one)"
    if workspace is None:
        return "", ""
    touched = _touched_nodes(workspace.staged_files(), workspace.node_artifacts(), config)
    if touched:
        node, files = touched[0]
        suggestion = render_example(pattern, node, iteration)
        if suggestion:
            shown = ", ".join(files[:3]) + (f", ... ({len(files)} files)" if len(files) > 3 else "")
            why = f"the staged files are artifacts of {node}: {shown}"
            others = [other for other, _ in touched[1:4]]
            if others:
                why += f" (also touched: {', '.join(others)})"
            return suggestion, why
    return "", ""


def _known_iterations(config: HookConfig, workspace: Workspace | None) -> list[str]:
    found = [config.example_iteration()]
    if config.iteration and "{" not in config.iteration:
        found.append(config.iteration)
    if workspace is not None:
        found.extend(workspace.ran_iterations())
        for other in workspace.branches():
            groups = match_pattern(config.branch_name, other)
            if groups and groups.get("iteration"):
                found.append(groups["iteration"])
    return list(dict.fromkeys(found))[:50]


def _touched_nodes(
    staged: Sequence[str], artifacts: dict[str, list[str]], config: HookConfig
) -> list[tuple[str, list[str]]]:
    """The nodes whose artifact patterns match staged files, most files first (then plan order)."""
    order = {node: n for n, node in enumerate(config.node_ids)}
    touched = []
    for node, patterns in artifacts.items():
        if node not in order:
            continue
        files = [path for path in staged if any(artifact_match(p, path) for p in patterns)]
        if files:
            touched.append((node, files))
    touched.sort(key=lambda item: (-len(item[1]), order[item[0]]))
    return touched


def artifact_match(pattern: str, path: str) -> bool:
    """Whether ``path`` is a file an artifact ``pattern`` takes, as stamping globs it.

    Path globs relative to the manifest's folder: ``*`` stays within a folder,
    ``**`` spans folders, and a pattern naming a folder takes every file under it.
    """
    from fnmatch import fnmatchcase

    parts = [p for p in pattern.split("/") if p not in ("", ".")]
    names = path.split("/")

    def walk(i: int, j: int) -> bool:
        if i == len(parts):  # a folder (files under it count) or the file; ** takes folders only
            return j < len(names) or parts[-1] != "**"
        if parts[i] == "**":
            return any(walk(i + 1, k) for k in range(j, len(names) + 1))
        return j < len(names) and fnmatchcase(names[j], parts[i]) and walk(i + 1, j + 1)

    return bool(parts) and walk(0, 0)


def _with_iteration(config: HookConfig) -> str:
    """The branch pattern with the iteration filled in and ``<node>`` left to choose."""
    form = shown_form(config.branch_name)
    if form.startswith("a match of"):
        return ""
    return form.replace("{iteration}", config.example_iteration()).replace("{node}", "<node>")


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
