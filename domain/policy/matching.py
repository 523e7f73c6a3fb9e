"""Wildcard matching of actions, ARNs and strings, compiled ahead of evaluation.

Actions compare case-insensitively. In an ARN, `*` and `?` match within each of the six
colon-separated parts (`arn:partition:service:region:account:resource`), and in the resource
part `*` crosses `/` (and `:`). Plain strings (`StringLike`) treat `*` and `?` the same way
anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from domain.policy.context import RequestContext
from domain.policy.variables import Literal, Part, Values, Variable, has_variables

# Results of the variable-free patterns are remembered per ARN: services see few resources
# often, so a dictionary lookup replaces most regex runs.
_MEMO_LIMIT = 4_096
_INTERN_LIMIT = 20_000


def glob_regex(pattern: str, *, head: bool = False) -> str:
    """The regular expression for a glob; in an ARN's `head` segments wildcards stop at `:`."""
    return _blocks_regex(_atoms((pattern,), head=head, variables=[]), head=head)


def arn_regex(pattern: str) -> str:
    """The regular expression for an ARN pattern, segment by segment."""
    return _segments_regex([(part,) for part in pattern.split(":", 5)], variables=[])


def _atoms(parts: Iterable[Part], *, head: bool, variables: list[Variable]) -> list[str | None]:
    """One regex atom per character (None for `*`); a variable is a backreference atom."""
    one = "[^:]" if head else "."
    atoms: list[str | None] = []
    for part in parts:
        if isinstance(part, str):
            atoms.extend(None if c == "*" else one if c == "?" else re.escape(c) for c in part)
        elif isinstance(part, Literal):
            atoms.extend(re.escape(c) for c in part.text)
        else:
            if part not in variables:
                variables.append(part)
            atoms.append(f"(?P=v{variables.index(part)})")
    return atoms


def _blocks_regex(atoms: list[str | None], *, head: bool) -> str:
    """Atoms to a regex that cannot backtrack catastrophically.

    Between two `*`s lies a block of fixed text; matching each block at its leftmost place is
    always right for globs, so each is an atomic group (`(?>.*?block)`) and a pattern like
    `*a*a*a*a*b` runs in linear time instead of exploding on a long resource.
    """
    blocks = [""]
    for atom in atoms:
        if atom is None:
            blocks.append("")
        else:
            blocks[-1] += atom
    if len(blocks) == 1:
        return blocks[0]
    any_run = "[^:]" if head else "."
    middle = "".join(f"(?>{any_run}*?{block})" for block in blocks[1:-1] if block)
    return f"{blocks[0]}{middle}{any_run}*{blocks[-1]}"


def _segments_regex(segments: list[tuple[Part, ...]], *, variables: list[Variable]) -> str:
    """An ARN's six parts; each head part is atomic, since it must end at the next colon."""
    pieces = []
    for number, segment in enumerate(segments):
        head = number < 5
        regex = _blocks_regex(_atoms(segment, head=head, variables=variables), head=head)
        pieces.append(f"(?>{regex})" if head and len(segments) == 6 else regex)
    return ":".join(pieces)


def compile_alternatives(regexes: Iterable[str]) -> re.Pattern[str]:
    """One compiled pattern matching any of `regexes` in full."""
    return re.compile("|".join(f"(?:{regex})" for regex in regexes), re.DOTALL)


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
            segments.append([piece])
    return [tuple(segment) for segment in segments]


def _literal_prefix(segments: list[tuple[Part, ...]]) -> str:
    """The policy text every match starts with (up to the first wildcard or variable)."""
    prefix: list[str] = []
    for number, segment in enumerate(segments):
        if number:
            prefix.append(":")
        for part in segment:
            if not isinstance(part, str):
                return "".join(prefix)
            wild = [index for index, char in enumerate(part) if char in "*?"]
            if wild:
                prefix.append(part[:wild[0]])
                return "".join(prefix)
            prefix.append(part)
    return "".join(prefix)


class TemplateMatcher:
    """A wildcard pattern holding policy variables, compiled once.

    The regular expression is built ahead of time with each variable as a backreference to a
    group captured from a prefix of the subject: at evaluation the resolved values are put in
    front of the text (`value0 NUL value1 NUL text`), so the values match literally and nothing
    is compiled per request.
    """

    __slots__ = ("_head_variables", "_prefix", "_regex", "_variables")

    def __init__(self, segments: list[tuple[Part, ...]], *, arn: bool) -> None:
        variables: list[Variable] = []
        if arn:
            body = _segments_regex(segments, variables=variables)
        else:
            body = _blocks_regex(_atoms(segments[0], head=False, variables=variables),
                                 head=False)
        prefix = "".join(f"(?P<v{index}>[^\\x00]*)\\x00" for index in range(len(variables)))
        self._regex = re.compile(prefix + body, re.DOTALL)
        self._variables = tuple(variables)
        self._head_variables = frozenset(
            index for index, variable in enumerate(variables)
            if arn and any(variable in segment for segment in segments[:5]))
        self._prefix = _literal_prefix(segments)

    def matches(self, text: str, request: RequestContext) -> bool:
        """True if `text` matches with the request's values substituted (literally).

        The answer is remembered for the request: matchers are shared by every statement
        holding the same pattern, so a pattern repeated across policies is tested once.
        """
        if not text.startswith(self._prefix):
            return False
        key = (self, text)
        known = request.outcomes.get(key)
        if known is None:
            known = request.outcomes[key] = self._matches(text, request)
        return known

    def _matches(self, text: str, values: Values) -> bool:
        subject: list[str] = []
        for index, variable in enumerate(self._variables):
            value = values.value_of(variable.key)
            if value is None:
                value = variable.default
            if value is None or "\x00" in value or (
                    ":" in value and index in self._head_variables):
                return False
            subject.append(value)
        subject.append(text)
        return self._regex.fullmatch("\x00".join(subject)) is not None


_TEMPLATES: dict[tuple[tuple[tuple[Part, ...], ...], bool], TemplateMatcher] = {}


def template_matcher(segments: list[tuple[Part, ...]], *, arn: bool) -> TemplateMatcher:
    """The shared matcher for a templated pattern (see `TemplateMatcher.matches`)."""
    key = (tuple(segments), arn)
    found = _TEMPLATES.get(key)
    if found is None:
        if len(_TEMPLATES) >= _INTERN_LIMIT:
            _TEMPLATES.clear()
        found = _TEMPLATES[key] = TemplateMatcher(segments, arn=arn)
    return found


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


class ArnMatcher:
    """Does an ARN match any of a list of ARN patterns (`*`, exact, wildcards, variables)?"""

    __slots__ = ("_any", "_exact", "_memo", "_regex", "_templates")

    def __init__(self, templates: Iterable[tuple[Part, ...]]) -> None:
        exact: set[str] = set()
        wild: list[str] = []
        templated: list[TemplateMatcher] = []
        self._any = False
        for parts in templates:
            if has_variables(parts):
                templated.append(template_matcher(split_arn_template(parts), arn=True))
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
        self._memo: dict[str, bool] = {}

    @property
    def matches_everything(self) -> bool:
        """True if one of the patterns is `*`."""
        return self._any

    def static_match(self, arn: str) -> bool | None:
        """True/False when the variable-free patterns decide alone, None if variables must."""
        if self._any or self._matches_static(arn):
            return True
        return None if self._templates else False

    def matches(self, arn: str, request: RequestContext) -> bool:
        """True if `arn` matches one of the patterns."""
        if self._any:
            return True
        static = self._matches_static(arn)
        if static or not self._templates:
            return static
        return any(template.matches(arn, request) for template in self._templates)

    def _matches_static(self, arn: str) -> bool:
        known = self._memo.get(arn)
        if known is None:
            known = arn in self._exact or (
                self._regex is not None and self._regex.fullmatch(arn) is not None)
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            self._memo[arn] = known
        return known
