"""Identifier types and their formats (AWS_FACTS.md: id prefixes, name rules)."""

from __future__ import annotations

import base64
import re
from typing import NewType, Protocol

from domain.errors import ValidationError

AccountId = NewType("AccountId", str)
AccessKeyId = NewType("AccessKeyId", str)
UserName = NewType("UserName", str)
Arn = NewType("Arn", str)

_ACCOUNT_ID = re.compile(r"[0-9]{12}")  # not \d: it matches non-ASCII digits
_NAME = re.compile(r"[\w+=,.@-]+", re.ASCII)
_PATH = re.compile(r"/([\x21-\x7e]+/)?")
NAME_MAX = 64
POLICY_NAME_MAX = 128
PATH_MAX = 512


def account_id(value: str) -> AccountId:
    """Validate a 12-digit account id."""
    if not _ACCOUNT_ID.fullmatch(value):
        raise ValidationError(f"Invalid account id '{value[:20]}': must be 12 digits.")
    return AccountId(value)


def entity_name(value: str, field: str = "userName", limit: int = NAME_MAX) -> str:
    """Validate a user/role/group name (1–64) or policy name (1–128) of [\\w+=,.@-]."""
    if not 1 <= len(value) <= limit:
        raise ValidationError(
            f"1 validation error detected: Value at '{field}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {limit}"
        )
    if not _NAME.fullmatch(value):
        raise ValidationError(
            f"1 validation error detected: Value at '{field}' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: [\w+=,.@-]+"
        )
    return value


def entity_path(value: str) -> str:
    """Validate an IAM path: `/` or `/…/`, at most 512 characters."""
    if len(value) > PATH_MAX or not _PATH.fullmatch(value):
        raise ValidationError(
            "1 validation error detected: Value at 'path' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: "
            r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)"
        )
    return value


def _base32(raw: bytes, length: int) -> str:
    return base64.b32encode(raw).decode("ascii")[:length]


def access_key_id(raw: bytes) -> AccessKeyId:
    """`AKIA` + 16 upper-case base32 characters from ≥10 random bytes."""
    return AccessKeyId("AKIA" + _base32(raw, 16))


def session_key_id(raw: bytes) -> AccessKeyId:
    """`ASIA` + 16 upper-case base32 characters from ≥10 random bytes."""
    return AccessKeyId("ASIA" + _base32(raw, 16))


def unique_id(prefix: str, raw: bytes) -> str:
    """Unique ids such as `AIDA…` (users) or `AROA…` (roles): prefix + 17 base32 characters."""
    return prefix + _base32(raw, 17)


def user_arn(account: str, name: str, path: str = "/") -> Arn:
    """`arn:aws:iam::<account>:user<path><name>`."""
    return Arn(f"arn:aws:iam::{account}:user{path}{name}")



def role_arn(account: str, name: str, path: str = "/") -> Arn:
    """`arn:aws:iam::<account>:role<path><name>`."""
    return Arn(f"arn:aws:iam::{account}:role{path}{name}")

def group_arn(account: str, name: str, path: str = "/") -> Arn:
    """`arn:aws:iam::<account>:group<path><name>`."""
    return Arn(f"arn:aws:iam::{account}:group{path}{name}")


def policy_arn(account: str, name: str, path: str = "/") -> Arn:
    """`arn:aws:iam::<account>:policy<path><name>` (customer-managed policies)."""
    return Arn(f"arn:aws:iam::{account}:policy{path}{name}")


def root_arn(account: str) -> Arn:
    """`arn:aws:iam::<account>:root`."""
    return Arn(f"arn:aws:iam::{account}:root")


def federated_user_arn(account: str, name: str) -> Arn:
    """`arn:aws:sts::<account>:federated-user/<name>` (GetFederationToken)."""
    return Arn(f"arn:aws:sts::{account}:federated-user/{name}")


def assumed_role_arn(account: str, role_name: str, session_name: str) -> Arn:
    """`arn:aws:sts::<account>:assumed-role/<role>/<session>`: a role session's principal."""
    return Arn(f"arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}")


class IdSource(Protocol):
    """Where `decide` gets randomness from: random in production, fixed in tests."""

    def random_bytes(self, n: int) -> bytes:
        """Return n unpredictable bytes."""
        ...
