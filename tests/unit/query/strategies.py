"""Hypothesis strategies for values that satisfy a botocore shape's constraints."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from services.api.query.patterns import compile_java

# Characters to draw from: ASCII and Latin-1, a few letters, separators and numbers from
# further away, an astral emoji; never what XML 1.0 cannot carry.
_CANDIDATES = (
    [chr(code) for code in range(0x20, 0x300)]
    + list("\t\n\rйж日本語٣\u3000\u2028😀𝔸")
)
_SIMPLE_CLASS = re.compile(r"\^?(\[(?:\\.|[^\]\\])*\])([*+])\$?")
_MAX_TEXT = 24


def _alphabet(java_class: str) -> list[str]:
    matcher = compile_java(java_class)
    return [char for char in _CANDIDATES if matcher.fullmatch(char)]


def _bounds(shape: Any, default_max: int = _MAX_TEXT) -> tuple[int, int]:
    low = int(shape.metadata.get("min", 0))
    high = int(shape.metadata.get("max", low + default_max))
    return low, min(high, low + default_max)


def string_strategy(shape: Any) -> st.SearchStrategy[str]:
    """Strings within the shape's enum, pattern and length bounds."""
    enum = getattr(shape, "enum", None)
    if enum:
        return st.sampled_from(list(enum))
    low, high = _bounds(shape)
    pattern = shape.metadata.get("pattern")
    if pattern is None:
        return st.text(st.sampled_from(_CANDIDATES), min_size=low, max_size=high)
    simple = _SIMPLE_CLASS.fullmatch(pattern)
    if simple:
        alphabet = _alphabet(simple.group(1))
        low = max(low, 1 if simple.group(2) == "+" else 0)
        return st.text(st.sampled_from(alphabet), min_size=low, max_size=max(low, high))
    real_max = int(shape.metadata.get("max", 10**6))
    return st.from_regex(compile_java(pattern), fullmatch=True).filter(
        lambda text: low <= len(text) <= real_max
    )


def shape_strategy(shape: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values botocore accepts for `shape` and the server must accept too."""
    kind = shape.type_name
    if kind == "list":
        low, high = _bounds(shape, default_max=3)
        return st.lists(shape_strategy(shape.member, depth + 1), min_size=low, max_size=high)
    if kind == "map":
        # botocore sends nothing at all for an empty map, so only non-empty ones round-trip.
        return st.dictionaries(
            shape_strategy(shape.key, depth + 1), shape_strategy(shape.value, depth + 1),
            min_size=1, max_size=3,
        )
    if kind == "structure":
        return _structure(shape, depth)
    return _SCALARS[kind](shape)


def _integer(shape: Any) -> st.SearchStrategy[int]:
    low = int(shape.metadata.get("min", 0))
    return st.integers(low, int(shape.metadata.get("max", low + 100_000)))


def _timestamp(shape: Any) -> st.SearchStrategy[datetime]:
    del shape
    return st.datetimes(datetime(1970, 1, 2), datetime(2200, 1, 1)).map(
        lambda instant: instant.replace(
            microsecond=instant.microsecond // 1000 * 1000, tzinfo=UTC
        )
    )


_SCALARS: dict[str, Callable[[Any], st.SearchStrategy[Any]]] = {
    "string": string_strategy,
    "integer": _integer,
    "boolean": lambda shape: st.booleans(),
    "timestamp": _timestamp,
    "blob": lambda shape: st.binary(max_size=32),
}


def _structure(shape: Any, depth: int) -> st.SearchStrategy[dict[str, Any]]:
    if depth > 6:
        return st.just({})
    members = {name: shape_strategy(member, depth + 1) for name, member in shape.members.items()}
    if shape.metadata.get("union"):
        return st.one_of(
            [st.fixed_dictionaries({name: strategy}) for name, strategy in members.items()]
        )
    required = set(shape.required_members)
    strategy = st.fixed_dictionaries(
        {name: value for name, value in members.items() if name in required},
        optional={name: value for name, value in members.items() if name not in required},
    )
    # The Query protocol cannot send an empty nested structure: it has no keys at all.
    return strategy if depth == 0 or required else strategy.filter(bool)
