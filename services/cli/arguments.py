"""Checks of CLI arguments made before anything connects: each raises `ValidationError`.

(Account ids and names are checked by `domain.ids.account_id` and `entity_name` directly.)

The processor checks every command again; these exist so that bad input is refused with a
precise message even when the stack is down, and so that a read (a filter, a lookup) with an
impossible value is refused rather than answered with nothing.
"""

from __future__ import annotations

import re

from domain.errors import ValidationError

_ACCESS_KEY_ID = re.compile(r"AKIA[A-Z2-7]{16}")
_SESSION_ID = re.compile(r"[0-9a-f]{32}")
_OIDC_PROVIDER_ARN = re.compile(r"arn:aws:iam::([0-9]{12}):oidc-provider/[\x21-\x7e]{1,1000}",
                                re.ASCII)
_ROLE_ARN = re.compile(r"arn:aws:iam::([0-9]{12}):role/(?:[\x21-\x7e]*/)?[\w+=,.@-]{1,64}",
                      re.ASCII)


def utf8(argv: list[str]) -> None:
    """Every argument is valid UTF-8 (Python hands invalid bytes over as lone surrogates)."""
    for number, value in enumerate(argv, start=1):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError(f"Argument {number} is not valid UTF-8.") from None


def role_arn(value: str) -> str:
    """A role ARN; returns its account id."""
    matched = _ROLE_ARN.fullmatch(value)
    if matched is None:
        raise ValidationError(f"{value[:300]} is not a role ARN.")
    return matched.group(1)


def oidc_provider_arn(value: str) -> str:
    """An OpenID Connect provider ARN; returns its account id."""
    matched = _OIDC_PROVIDER_ARN.fullmatch(value)
    if matched is None:
        raise ValidationError(f"{value[:300]} is not an OpenID Connect provider ARN "
                              "(arn:aws:iam::<account>:oidc-provider/<host/path>).")
    return matched.group(1)


def access_key_id(value: str) -> str:
    """A long-term key id (AKIA and 16 base-32 characters)."""
    if _ACCESS_KEY_ID.fullmatch(value) is None:
        raise ValidationError(f"{value[:64]} is not an access key id (AKIA and 16 characters "
                              "A-Z, 2-7).")
    return value


def session_id(value: str) -> str:
    """A session id (32 lowercase hex digits)."""
    if _SESSION_ID.fullmatch(value) is None:
        raise ValidationError(f"{value[:64]} is not a session id (32 hex digits).")
    return value
