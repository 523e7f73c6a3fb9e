"""Session tags and `TransitiveTagKeys` of STS calls, and what a chained session inherits.

A new session's tags are the transitive tags it inherits from the calling session (role
chaining), then the tags of the request; keys are unique ignoring case and an inherited key
cannot be set again. Keys named transitive pass on to the next session in the chain, along
with the inherited transitive keys.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from domain.errors import ValidationError
from domain.policy import session_tag_keys
from domain.policy.context import ContextInput
from services.credentials.session_tokens import SessionClaims


@dataclass(frozen=True, slots=True)
class SessionTags:
    """The tags of a session about to be issued."""

    tags: tuple[tuple[str, str], ...] = ()
    transitive_tag_keys: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.tags)

    @property
    def packed_chars(self) -> int:
        """What the tags add to the packed-policy budget."""
        return sum(len(key) + len(value) for key, value in self.tags)

    def trust_context(self) -> dict[str, ContextInput]:
        """`aws:RequestTag/<key>`, `aws:TagKeys` and `sts:TransitiveTagKeys` for the trust
        policy's evaluation."""
        keys = session_tag_keys(dict(self.tags))
        keys["sts:TransitiveTagKeys"] = self.transitive_tag_keys
        return keys


NO_TAGS = SessionTags()


def _duplicate(keys: Iterable[str]) -> str | None:
    seen: set[str] = set()
    for key in keys:
        if key.lower() in seen:
            return key
        seen.add(key.lower())
    return None


MAX_TAGS = 50
KEY_MAX = 128
VALUE_MAX = 256


def _check_limits(requested: tuple[tuple[str, str], ...], transitive: tuple[str, ...]) -> None:
    if len(requested) > MAX_TAGS or len(transitive) > MAX_TAGS:
        raise ValidationError(f"At most {MAX_TAGS} session tags and {MAX_TAGS} transitive tag "
                              "keys may be given.")
    for key, value in requested:
        if not 1 <= len(key) <= KEY_MAX or len(value) > VALUE_MAX:
            raise ValidationError(f"Session tag keys are 1-{KEY_MAX} characters and values at "
                                  f"most {VALUE_MAX}.")


def session_tags(args: dict[str, Any], caller: SessionClaims | None = None, *,
                 check_limits: bool = False) -> SessionTags:
    """The tags of a new session from the request's `Tags` and `TransitiveTagKeys` and the
    transitive tags of the calling session. At most 50 each, key 1–128, value 0–256: the
    protocol checks request parameters; `check_limits` checks tags from elsewhere (a token)."""
    requested = tuple((str(tag.get("Key", "")), str(tag.get("Value", "")))
                      for tag in args.get("Tags") or [])
    transitive = tuple(str(key) for key in args.get("TransitiveTagKeys") or [])
    if check_limits:
        _check_limits(requested, transitive)
    duplicate = _duplicate(key for key, _ in requested)
    if duplicate is not None:
        raise ValidationError(f"Duplicate tag keys found: {duplicate}. Please note that Tag keys "
                              "are case insensitive.")
    requested_keys = {key.lower() for key, _ in requested}
    for key in transitive:
        if key.lower() not in requested_keys:
            raise ValidationError(f"The transitive tag key {key} is not one of the session "
                                  "tags of this request.")
    inherited = caller.transitive_tags() if caller is not None else ()
    for key, _ in inherited:
        if key.lower() in requested_keys:
            raise ValidationError(f"The session tag {key} is a transitive tag inherited from "
                                  "the calling session and cannot be set again.")
    keys = (*(key for key, _ in inherited), *transitive)
    unique_keys = tuple({key.lower(): key for key in keys}.values())
    return SessionTags(tags=(*inherited, *requested), transitive_tag_keys=unique_keys)
