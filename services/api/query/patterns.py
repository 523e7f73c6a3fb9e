"""Java regular expressions from botocore's models, translated to Python's `re`.

AWS validates `pattern` constraints with Java's `Matcher.matches()`: the whole value must match,
`\\w` and `\\d` are ASCII-only, `\\p{L}`/`\\p{Z}`/`\\p{N}` are Unicode general categories (which
`re` lacks), and `\\uXXXX` takes exactly four hex digits. The models also write
`\\u10000-\\u10FFFF`, which Java would read as `\\u1000` followed by `0`; the intent (the
supplementary planes) is what iamlog follows.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_CATEGORY = re.compile(r"\\p\{([A-Z])\}")
_SUPPLEMENTARY = re.compile(r"\\u(10000|10FFFF)\b|\\u(10000|10FFFF)(?=[-\]])")


# Planes 4-13 hold no assigned character and planes 15-16 only private use (category Co), so
# scanning planes 0-3 and 14 finds every letter, separator and number.
_SCANNED = (range(0x40000), range(0xE0000, 0xF0000))


@functools.cache
def _category_ranges() -> dict[str, str]:
    """Character-class bodies for the major general categories (`L`, `N`, …), built once."""
    spans: dict[str, list[tuple[int, int]]] = {}
    category_of = unicodedata.category
    for block in _SCANNED:
        run_start, run_major = block.start, category_of(chr(block.start))[0]
        for code in block:
            major = category_of(chr(code))[0]
            if major != run_major:
                spans.setdefault(run_major, []).append((run_start, code - 1))
                run_start, run_major = code, major
        spans.setdefault(run_major, []).append((run_start, block.stop - 1))
    return {key: "".join(_span(low, high) for low, high in runs) for key, runs in spans.items()}


def _span(low: int, high: int) -> str:
    if low == high:
        return f"\\U{low:08X}"
    return f"\\U{low:08X}-\\U{high:08X}"


def _category(match: re.Match[str]) -> str:
    ranges = _category_ranges().get(match.group(1))
    if ranges is None:
        raise ValueError(f"unsupported Unicode category {match.group(0)}")
    return ranges


def _supplementary(match: re.Match[str]) -> str:
    return f"\\U{int(match.group(1) or match.group(2), 16):08X}"


def translate(java_pattern: str) -> str:
    """The Python spelling of a model's Java pattern (to be compiled with `re.ASCII`)."""
    python = _SUPPLEMENTARY.sub(_supplementary, java_pattern)
    if "\\p{" not in python:
        return python
    # \p{..} only ever appears inside a character class in the models; outside one, wrap it.
    out: list[str] = []
    in_class = False
    position = 0
    while position < len(python):
        char = python[position]
        if char == "\\":
            match = _CATEGORY.match(python, position)
            if match:
                body = _category(match)
                out.append(body if in_class else f"[{body}]")
                position = match.end()
                continue
            out.append(python[position : position + 2])
            position += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        position += 1
    return "".join(out)


@functools.cache
def compile_java(java_pattern: str) -> re.Pattern[str]:
    """Compile a model pattern once; use `.fullmatch` (Java's `matches()`)."""
    return re.compile(translate(java_pattern), re.ASCII)
