"""Convention patterns: RE2 regular expressions with ``{node}`` and ``{iteration}``.

A pattern is checked (:func:`pattern_problem`), anchored at both ends and
compiled with RE2 (linear-time matching: no pattern and no text can make a
hook hang).  Plain templates such as every default (literal text,
placeholders, a trailing ``.+``) are matched without loading RE2 at all
(:func:`template_of`, :func:`match_template`), which keeps the commit-msg hook
fast; a property test checks both give the same answers.
"""

from __future__ import annotations

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


def glob_match(glob: str, text: str) -> bool:
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
