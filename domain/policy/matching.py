"""Wildcard matching of actions, ARNs and strings, compiled ahead of evaluation.

Actions compare case-insensitively. In an ARN, `*` and `?` match within each of the six
colon-separated parts (`arn:partition:service:region:account:resource`), and in the resource
part `*` crosses `/` (and `:`). Plain strings (`StringLike`) treat `*` and `?` the same way
anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from domain.policy.variables import QMARK, STAR, Part, Values, has_variables, resolve_tokens


def glob_regex(pattern: str, *, star: str = ".*") -> str:
    """The regular expression for a glob, `*` becoming `star` and `?` one character."""
    pieces: list[str] = []
    for char in pattern:
        if char == "*":
            pieces.append(star)
        elif char == "?":
            pieces.append("[^:]" if star != ".*" else ".")
        else:
            pieces.append(re.escape(char))
    return "".join(pieces)


def arn_regex(pattern: str) -> str:
    """The regular expression for an ARN pattern, segment by segment."""
    parts = pattern.split(":", 5)
    head = [glob_regex(part, star="[^:]*") for part in parts[:5]]
    if len(parts) == 6:
        head.append(glob_regex(parts[5]))
    return ":".join(head)


def compile_alternatives(regexes: Iterable[str], *, ignore_case: bool = False) -> re.Pattern[str]:
    """One compiled pattern matching any of `regexes` in full."""
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile("|".join(f"(?:{regex})" for regex in regexes), flags)


def tokens_match(tokens: list[str], text: str) -> bool:
    """Glob match of resolved template tokens against `text` (greedy, with backtracking)."""
    p = t = 0
    star_p, star_t = -1, 0
    while t < len(text):
        if p < len(tokens) and tokens[p] == STAR:
            star_p, star_t = p, t
            p += 1
        elif p < len(tokens) and (tokens[p] == QMARK or tokens[p] == text[t]):
            p += 1
            t += 1
        elif star_p >= 0:
            p = star_p + 1
            star_t += 1
            t = star_t
        else:
            return False
    while p < len(tokens) and tokens[p] == STAR:
        p += 1
    return p == len(tokens)


def split_arn_template(parts: tuple[Part, ...]) -> list[tuple[Part, ...]]:
    """Split a template at the first five colons of its policy text (never inside a variable)."""
    segments: list[list[Part]] = [[]]
    for part in parts:
        if not isinstance(part, str) or len(segments) == 6:
            segments[-1].append(part)
            continue
        pieces = part.split(":", 6 - len(segments))
        segments[-1].append(pieces[0])
        for piece in pieces[1:]:
            if len(segments) == 6:
                segments[-1].extend((":", piece))
            else:
                segments.append([piece])
    return [tuple(segment) for segment in segments]


class ActionMatcher:
    """Does a lower-cased action match any of the statement's action patterns?"""

    __slots__ = ("_any", "_exact", "_regex")

    def __init__(self, patterns: Iterable[str]) -> None:
        lowered = {pattern.lower() for pattern in patterns}
        self._any = "*" in lowered
        self._exact = frozenset(p for p in lowered if "*" not in p and "?" not in p)
        wild = sorted(p for p in lowered if p not in self._exact)
        self._regex = compile_alternatives(map(glob_regex, wild)) if wild else None

    def matches(self, action_key: str) -> bool:
        """True if `action_key` (already lower-case) is one of the patterns."""
        if self._any or action_key in self._exact:
            return True
        return self._regex is not None and self._regex.fullmatch(action_key) is not None


class ArnTemplate:
    """An ARN pattern holding policy variables, matched segment by segment after substitution."""

    __slots__ = ("_segments",)

    def __init__(self, parts: tuple[Part, ...]) -> None:
        self._segments = split_arn_template(parts)

    def matches(self, arn: str, values: Values) -> bool:
        """True if `arn` matches the pattern with the request's values substituted."""
        arn_parts = arn.split(":", 5)
        if len(arn_parts) != len(self._segments):
            return False
        for segment, text in zip(self._segments, arn_parts, strict=True):
            tokens = resolve_tokens(segment, values)
            if tokens is None or not tokens_match(tokens, text):
                return False
        return True


class ArnMatcher:
    """Does an ARN match any of a list of ARN patterns (`*`, exact, wildcards, variables)?"""

    __slots__ = ("_any", "_exact", "_regex", "_templates")

    def __init__(self, templates: Iterable[tuple[Part, ...]]) -> None:
        exact: set[str] = set()
        wild: list[str] = []
        self._templates: tuple[ArnTemplate, ...] = ()
        templated: list[ArnTemplate] = []
        self._any = False
        for parts in templates:
            if has_variables(parts):
                templated.append(ArnTemplate(parts))
                continue
            text = "".join(str(part) for part in parts)
            if text == "*":
                self._any = True
            elif "*" in text or "?" in text:
                wild.append(arn_regex(text))
            else:
                exact.add(text)
        self._exact = frozenset(exact)
        self._regex = compile_alternatives(wild) if wild else None
        self._templates = tuple(templated)

    def matches(self, arn: str, values: Values) -> bool:
        """True if `arn` matches one of the patterns."""
        if self._any or arn in self._exact:
            return True
        if self._regex is not None and self._regex.fullmatch(arn) is not None:
            return True
        return any(template.matches(arn, values) for template in self._templates)
