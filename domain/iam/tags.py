"""Tag rules (TagUser, UntagUser): keys 1–128 and values 0–256 of letters, digits, spaces and
`_.:/=+-@`; at most 50 per entity; keys unique ignoring case; `aws:` keys reserved."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from domain.errors import LimitExceeded, ValidationError
from domain.iam.errors import InvalidInput
from events.schemas.tags import Tag

MAX_TAGS = 50
KEY_MAX = 128
VALUE_MAX = 256
_EXTRA = frozenset("_.:/=+-@")


def _allowed(text: str) -> bool:
    # AWS's pattern is [\p{L}\p{Z}\p{N}_.:/=+\-@]: letters, separators, numbers and a few marks.
    return all(char in _EXTRA or unicodedata.category(char)[0] in "LZN" for char in text)


def _invalid(field: str, constraint: str) -> ValidationError:
    return ValidationError(f"1 validation error detected: Value at '{field}' failed to satisfy "
                           f"constraint: {constraint}")


def check_key(key: str, field: str) -> str:
    """Validate one tag key."""
    if not 1 <= len(key) <= KEY_MAX:
        raise _invalid(field, f"Member must have length less than or equal to {KEY_MAX}")
    if not _allowed(key):
        raise _invalid(field, r"Member must satisfy regular expression pattern: "
                              r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+")
    return key


def check_tags(tags: Iterable[Tag]) -> list[Tag]:
    """Validate the tags of one TagUser request."""
    checked = list(tags)
    if not 1 <= len(checked) <= MAX_TAGS:
        raise _invalid("tags", f"Member must have length less than or equal to {MAX_TAGS}"
                       if checked else "Member must have length greater than or equal to 1")
    seen: set[str] = set()
    for index, tag in enumerate(checked, 1):
        check_key(tag.key, f"tags.{index}.member.key")
        if len(tag.value) > VALUE_MAX:
            raise _invalid(f"tags.{index}.member.value",
                           f"Member must have length less than or equal to {VALUE_MAX}")
        if not _allowed(tag.value):
            raise _invalid(f"tags.{index}.member.value",
                           r"Member must satisfy regular expression pattern: "
                           r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*")
        folded = tag.key.lower()
        if folded.startswith("aws:"):
            raise InvalidInput("User tag keys beginning with 'aws:' are reserved for AWS use.")
        if folded in seen:
            raise InvalidInput("Duplicate tag keys found. Please note that Tag keys are case "
                               "insensitive.")
        seen.add(folded)
    return checked


def check_untag_keys(keys: Iterable[str]) -> list[str]:
    """Validate the keys of one UntagUser request."""
    checked = list(keys)
    if not 1 <= len(checked) <= MAX_TAGS:
        raise _invalid("tagKeys", f"Member must have length less than or equal to {MAX_TAGS}"
                       if checked else "Member must have length greater than or equal to 1")
    for index, key in enumerate(checked, 1):
        check_key(key, f"tagKeys.{index}.member")
    return checked


def removed_keys(current: tuple[tuple[str, str], ...], keys: Iterable[str]
                 ) -> tuple[str, ...]:
    """Validate an Untag request's keys; the keys of `current` they remove (ignoring case),
    spelled as stored, each once."""
    checked = check_untag_keys(keys)
    present = {key.lower(): key for key, _ in current}
    return tuple(dict.fromkeys(present[k.lower()] for k in checked if k.lower() in present))


def merged(current: tuple[tuple[str, str], ...], added: Iterable[Tag]
           ) -> tuple[tuple[str, str], ...]:
    """`current` with `added` applied: a key present ignoring case is replaced in place."""
    result = list(current)
    where = {key.lower(): index for index, (key, _) in enumerate(result)}
    for tag in added:
        index = where.get(tag.key.lower())
        if index is None:
            where[tag.key.lower()] = len(result)
            result.append((tag.key, tag.value))
        else:
            result[index] = (tag.key, tag.value)
    return tuple(result)


def check_total(tags: tuple[tuple[str, str], ...]) -> None:
    """Refuse a tag set larger than the quota."""
    if len(tags) > MAX_TAGS:
        raise LimitExceeded("The number of tags has reached the maximum limit.")


def without(current: tuple[tuple[str, str], ...], keys: Iterable[str]
            ) -> tuple[tuple[str, str], ...]:
    """`current` without the tags whose keys are in `keys` (ignoring case)."""
    gone = {key.lower() for key in keys}
    return tuple(pair for pair in current if pair[0].lower() not in gone)
