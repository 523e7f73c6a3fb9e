"""XML text escaping for response bodies (UTF-8, XML 1.0)."""

from __future__ import annotations

import re

# Characters XML 1.0 cannot carry even as references are rendered as U+FFFD rather than
# producing a document no client can parse; `\r` would be normalised away unless escaped.
_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_REPLACEMENTS = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}


def _replace(match: re.Match[str]) -> str:
    return _REPLACEMENTS.get(match.group(0), "\ufffd")


def escape(text: str) -> str:
    """Escape text for an element's content; `\\r` survives as a character reference."""
    if _SPECIAL.search(text) is None:
        return text
    return _SPECIAL.sub(_replace, text)


__all__ = ["escape"]
