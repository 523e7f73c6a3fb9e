"""Policy variables: `${aws:username}`, `${key, 'default'}` and the escapes `${*}` `${?}` `${$}`.

A template is a tuple of parts: `str` is policy text (where `*` and `?` stay wildcards),
`Literal` is text that must match as written (escapes and substituted values), `Variable` is
replaced by the request's value. A variable without a value and without a default makes the
whole pattern match nothing. Under Version 2008-10-17 nothing is substituted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_KEY_AND_DEFAULT = re.compile(r"\s*([^,\s']+)\s*(?:,\s*'([^']*)'\s*)?")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


class Values(Protocol):
    """What a template needs from a request: the single value of a lower-case key."""

    def value_of(self, key: str) -> str | None:
        """The value, or None when absent or multivalued."""
        ...


@dataclass(frozen=True, slots=True)
class Literal:
    """Text that matches only itself, even if it holds `*` or `?`."""

    text: str


@dataclass(frozen=True, slots=True)
class Variable:
    """A reference to a request key, with an optional default."""

    key: str
    default: str | None


Part = str | Literal | Variable


def parse_template(text: str, *, enabled: bool) -> tuple[Part, ...]:
    """Split `text` into parts; with `enabled` False (Version 2008-10-17) it is one text part."""
    if not enabled or "${" not in text:
        return (text,)
    parts: list[Part] = []
    position = 0
    for reference in _REFERENCE.finditer(text):
        _append(parts, text[position:reference.start()])
        _append(parts, _reference(reference.group(1), reference.group(0)))
        position = reference.end()
    _append(parts, text[position:])
    return tuple(parts)


def _append(parts: list[Part], part: Part) -> None:
    """Add a part, merging adjacent policy text so a template without variables is one part."""
    if isinstance(part, str):
        if not part:
            return
        if parts and isinstance(parts[-1], str):
            parts[-1] += part
            return
    parts.append(part)


def _reference(inner: str, whole: str) -> Part:
    if inner in _ESCAPES:
        return Literal(_ESCAPES[inner])
    match = _KEY_AND_DEFAULT.fullmatch(inner)
    if match is None:
        return whole  # not a variable reference: plain policy text
    return Variable(match.group(1).lower(), match.group(2))


def has_variables(parts: tuple[Part, ...]) -> bool:
    """True if substitution (or an escape) is needed to use the template."""
    return any(not isinstance(part, str) for part in parts)


def resolve_text(parts: tuple[Part, ...], values: Values) -> str | None:
    """The template with variables substituted, or None if a variable has no value."""
    chunks: list[str] = []
    for part in parts:
        if isinstance(part, str):
            chunks.append(part)
        elif isinstance(part, Literal):
            chunks.append(part.text)
        else:
            value = values.value_of(part.key)
            if value is None:
                value = part.default
            if value is None:
                return None
            chunks.append(value)
    return "".join(chunks)
